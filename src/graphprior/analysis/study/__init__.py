"""The study: its wide table, the measures and properties it analyses, aggregation, arms, validity.

* :mod:`~graphprior.analysis.study.table` — the wide ``study`` table and the size strata;
* :mod:`~graphprior.analysis.study.columns` — the properties and measures analysed,
  the pre-registered primary measure;
* :mod:`~graphprior.analysis.study.aggregate` — per-graph aggregation, the 1.5×IQR rule;
* :mod:`~graphprior.analysis.study.arms` — mapping arms;
* :mod:`~graphprior.analysis.study.gates` — validity: failed attack gates,
  saturated measures;
* :mod:`~graphprior.analysis.study.interface` — size and interface columns,
  the claims' per-graph frame.

Each module's public names are re-exported here.
"""

from graphprior.analysis.study.aggregate import (
    aggregate_per_graph,
    iqr_filter,
)
from graphprior.analysis.study.arms import (
    DEFAULT_ARM,
    arm_correlations,
    arm_names,
    main_arm,
    main_arm_rows,
)
from graphprior.analysis.study.columns import (
    CLAIM_PROPERTIES,
    CONTROLS,
    DESIGN_PROPERTIES,
    L2_EPS,
    MAIN_MEASURE_SPECS,
    MAIN_PROPERTIES,
    MIN_GRAPHS,
    OLS_PROPERTIES,
    WEIGHT_DELTA,
    Measure,
    bare,
    discover_measures,
    graph_nets,
    primary_measure,
    property_columns,
    scalar_rows,
    study_name,
)
from graphprior.analysis.study.gates import (
    INPUT_ATTACK_MEASURES,
    MOSTLY,
    SATURATION_HIGH,
    SATURATION_LOW,
    failed_gates,
    failed_models,
    flagged_columns,
    mask_failed_models,
    saturation_flags,
    study_flags,
)
from graphprior.analysis.study.interface import (
    INTERFACE_COLUMNS,
    SIZE_COLUMNS,
    claim_controls,
    claim_frame,
    interface_columns,
    is_size_column,
    strata_column,
    structural,
)
from graphprior.analysis.study.table import (
    GRAPH_COLUMNS,
    UNSTRATIFIED,
    arm_stratum,
    build_study,
    measure_column,
    ok_rows,
    size_strata,
    study_schema,
)

__all__ = [
    "GRAPH_COLUMNS",
    "ok_rows",
    "UNSTRATIFIED",
    "measure_column",
    "build_study",
    "arm_stratum",
    "size_strata",
    "study_schema",
    "CONTROLS",
    "DESIGN_PROPERTIES",
    "MIN_GRAPHS",
    "CLAIM_PROPERTIES",
    "MAIN_PROPERTIES",
    "OLS_PROPERTIES",
    "MAIN_MEASURE_SPECS",
    "WEIGHT_DELTA",
    "L2_EPS",
    "Measure",
    "scalar_rows",
    "discover_measures",
    "study_name",
    "primary_measure",
    "bare",
    "property_columns",
    "graph_nets",
    "aggregate_per_graph",
    "iqr_filter",
    "DEFAULT_ARM",
    "arm_names",
    "main_arm",
    "main_arm_rows",
    "arm_correlations",
    "SATURATION_LOW",
    "SATURATION_HIGH",
    "MOSTLY",
    "INPUT_ATTACK_MEASURES",
    "failed_gates",
    "failed_models",
    "saturation_flags",
    "flagged_columns",
    "mask_failed_models",
    "study_flags",
    "SIZE_COLUMNS",
    "INTERFACE_COLUMNS",
    "is_size_column",
    "interface_columns",
    "claim_controls",
    "structural",
    "strata_column",
    "claim_frame",
]
