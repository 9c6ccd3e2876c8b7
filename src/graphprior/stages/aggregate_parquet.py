"""Rule aggregate_parquet: join the per-job Parquet parts into the study's tables."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graphprior.analysis.stats import wilson_interval
from graphprior.analysis.study.gates import study_flags
from graphprior.analysis.study.summary import graphs_summary
from graphprior.analysis.study.table import build_study, study_schema
from graphprior.config import config_hash
from graphprior.graphs.graphml import graph_record
from graphprior.io import tables as T
from graphprior.io.failures import read_failures
from graphprior.io.graph_params import graphs_table_schema, with_params
from graphprior.stages.job import chunk_files, start_job

__all__ = ["run", "aggregate_tables", "write_tables"]

log = logging.getLogger(__name__)


def _concat(paths: list[str], columns: list[str] | None = None) -> pd.DataFrame:
    """The parts as one frame; a part without one of ``columns`` is an error naming it."""
    frames = [T.read_table(p) for p in paths]
    for path, frame in zip(paths, frames, strict=True):
        missing = [c for c in columns or [] if c not in frame.columns]
        if len(frame) and missing:
            raise T.TableError(
                f"part {path} lacks the columns {missing}: it was written by another version "
                "of graphprior; rerun the job that wrote it (snakemake --forcerun <its rule>)"
            )
    frames = [f for f in frames if len(f)]
    if frames:
        return pd.concat(frames, ignore_index=True)
    return pd.DataFrame(columns=columns or [])


#: The measures whose value is a share of its ``n`` inputs, with the value's scale (100: a
#: percentage, the paper's robustness); the others have no interval.
SHARE_MEASURES = {
    "clean_accuracy": 1.0,
    "robust_accuracy": 1.0,
    "success_rate": 1.0,
    "paper_robustness": 1.0,
}


#: Measures whose ``eps`` is not an input radius: the weight perturbation's δ (relative
#: to each layer's norm) and the pruned fraction's complement, the kept fraction.
PARAMETER_OF = {
    "weight_random_accuracy": "delta",
    "weight_worst_accuracy": "delta",
    "pruned_accuracy": "kept_fraction",
    "pruned_train_loss": "kept_fraction",
}


def with_parameter_names(robustness: pd.DataFrame) -> pd.DataFrame:
    """``robustness`` with ``parameter``: what its ``eps`` holds (``eps``, ``delta``,
    ``kept_fraction``), null where ``eps`` is null.

    >>> rows = pd.DataFrame({"measure": ["robust_accuracy", "pruned_accuracy", "nc1"],
    ...                      "eps": [0.1, 0.5, None]})
    >>> with_parameter_names(rows)["parameter"].fillna("(null)").tolist()
    ['eps', 'kept_fraction', '(null)']
    """
    out = robustness.copy()
    named = out["measure"].map(PARAMETER_OF).fillna("eps")
    out["parameter"] = [
        n if has else None for n, has in zip(named, out["eps"].notna(), strict=True)
    ]
    return out


def with_share_intervals(robustness: pd.DataFrame) -> pd.DataFrame:
    """``robustness`` with ``ci_low``/``ci_high``: the 95 % Wilson interval of every share,
    on the value's own scale."""
    out = robustness.copy()
    scale = out["measure"].map(SHARE_MEASURES).to_numpy(dtype=float)
    share = np.isfinite(scale)
    low, high = np.full(len(out), np.nan), np.full(len(out), np.nan)
    if share.any():
        values = pd.to_numeric(out["value"], errors="coerce").to_numpy()[share] / scale[share]
        counts = pd.to_numeric(out["n"], errors="coerce").to_numpy()[share]
        lo, hi = wilson_interval(values, counts)
        low[share], high[share] = lo * scale[share], hi * scale[share]
    out["ci_low"], out["ci_high"] = low, high
    return out


def aggregate_tables(
    specs: list,
    property_parts: list[str],
    training_parts: list[str],
    robustness_parts: list[str],
    failure_records: list[str] | None = None,
    check_parts: list[str] | None = None,
    autoattack_budget: str | None = None,
) -> dict[str, pd.DataFrame]:
    """Build `graphs`, `graph_properties`, `models`, `robustness`, `attack_checks`, `study`, `failures`."""
    graphs = pd.DataFrame([graph_record(s) for s in specs], columns=T.GRAPHS_SCHEMA.names)
    graphs = with_params(graphs)
    properties = _concat(property_parts, ["graph_id"])
    models = _concat(training_parts, T.MODELS_SCHEMA.names)
    robustness = with_parameter_names(
        with_share_intervals(_concat(robustness_parts, T.ROBUSTNESS_SCHEMA.names))
    )
    # the budget label of every model AutoAttack measured (`standard` or `reduced`)
    attacked = set(robustness.loc[robustness["attack"] == "autoattack", "model_id"])
    models["autoattack_budget"] = [
        autoattack_budget if m in attacked else None for m in models["model_id"]
    ]
    tables = {
        "graphs": graphs,
        "graph_properties": properties,
        "models": models,
        "robustness": robustness,
        "attack_checks": _concat(check_parts or [], T.ATTACK_CHECKS_SCHEMA.names),
    }
    T.check_relations(tables)
    failed = tables["attack_checks"]
    failed = failed[~failed["passed"].astype(bool)] if len(failed) else failed
    if len(failed):
        log.warning(
            "%d validity gates failed (their models' attack measures are left out of the claims):\n%s",
            len(failed),
            failed[["group", "model_id", "check", "value", "threshold"]].to_string(index=False),
        )
    tables["study"] = build_study(models, graphs, properties, robustness)
    tables["failures"] = read_failures(failure_records or [])
    if len(tables["failures"]):
        log.warning(
            "%d jobs failed and were recorded:\n%s",
            len(tables["failures"]),
            tables["failures"][["rule", "group", "error"]].to_string(index=False),
        )
    log.info(
        "aggregated %d graphs, %d models, %d robustness rows, study %d x %d",
        len(graphs),
        len(models),
        len(robustness),
        *tables["study"].shape,
    )
    return tables


def write_tables(
    tables: dict[str, pd.DataFrame], outputs: dict[str, str], meta: dict[str, str]
) -> None:
    """Write each table with its schema and the run's metadata (``meta``:
    :func:`graphprior.io.tables.file_metadata`)."""
    schemas = {
        "graphs": graphs_table_schema(tables["graphs"]),
        "graph_properties": T.properties_schema(tables["graph_properties"].columns),
        "models": T.MODELS_TABLE_SCHEMA,
        "robustness": T.ROBUSTNESS_TABLE_SCHEMA,
        "attack_checks": T.ATTACK_CHECKS_SCHEMA,
        "study": study_schema(tables["study"]),
        "failures": T.FAILURES_SCHEMA,
        "graphs_summary": T.GRAPHS_SUMMARY_SCHEMA,
    }
    # the study carries the flags of its measures: saturated, capped, failed gates
    flags = study_flags(tables["robustness"], tables.get("attack_checks"))
    for name, schema in schemas.items():
        if name not in outputs:
            continue
        extra = flags if name == "study" else {}
        T.write_table(tables[name], Path(outputs[name]), schema, name, {**meta, **extra})


def run(smk: Any) -> None:
    """Aggregate every part listed in ``input``; write the tables named in ``output``."""
    config = start_job(smk)
    chunks = smk.params.chunks  # the graph ids of each chunk folder, in order
    tables = aggregate_tables(
        specs=list(smk.params.specs.values()),
        property_parts=chunk_files(smk.input.properties, chunks, "properties"),
        training_parts=[
            *chunk_files(smk.input.training, chunks, "training"),
            *smk.input.baseline_training,
        ],
        robustness_parts=[
            *chunk_files(smk.input.robustness, chunks, "robustness"),
            *smk.input.baseline_robustness,
        ],
        failure_records=list(smk.input.failures),
        check_parts=[
            *chunk_files(smk.input.checks, chunks, "checks"),
            *smk.input.baseline_checks,
        ],
        autoattack_budget=config.attack.autoattack.budget_label(),
    )
    tables["graphs_summary"] = graphs_summary(
        tables["study"], tables["robustness"], config.attack.paper_eps
    )
    # the hash of the config slice the rule received: the study without the report's keys
    meta = T.file_metadata(config_hash(smk.params.config), config.study)
    write_tables(tables, dict(smk.output.items()), meta)
