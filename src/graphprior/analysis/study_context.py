"""The study context: the tables and everything the report's sections share, computed once.

:func:`build_context` discovers the graph properties and the main robustness
measures present in the ``study`` table, aggregates the graph nets per graph
(mean and median over initialisations and seeds, as the paper) and computes
the ``correlations`` table. Conventions (docs/report.md):

* Unit of analysis: the graph (within one mapping arm). Only graph nets with
  status ``Status.OK`` enter correlations; untrainable and diverged models are
  counted and listed.
* Mapping arms: ``study``, ``graph_nets`` and ``ok`` hold the main arm only
  (:func:`graphprior.analysis.study.arms.main_arm`; baselines have no arm and stay),
  so no section mixes arms; ``arms`` holds the trainable graph nets of every
  arm, for the sections that compare them.
* Confidence intervals resample graphs (cluster bootstrap,
  ``report.bootstrap`` resamples).
* Randomness: every section draws from its own generator,
  :func:`section_rng` (``report.seed`` and the section's name), so adding or
  dropping a section leaves the numbers of every other section unchanged.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from graphprior.analysis.correlation_table import correlation_rows
from graphprior.analysis.study.aggregate import aggregate_per_graph
from graphprior.analysis.study.arms import main_arm, main_arm_rows
from graphprior.analysis.study.columns import (
    CONTROLS,
    MAIN_PROPERTIES,
    Measure,
    bare,
    discover_measures,
    graph_nets,
    primary_measure,
    property_columns,
)
from graphprior.analysis.study.gates import failed_gates, mask_failed_models, saturation_flags
from graphprior.analysis.study.table import ok_rows, size_strata
from graphprior.config import StudyConfig, derive_seed
from graphprior.config.choices import GRAPH_FAMILY, Status
from graphprior.config.sections import ReportConfig

__all__ = ["StudyContext", "build_context", "arm_context", "section_rng"]

log = logging.getLogger(__name__)


def section_rng(seed: int, name: str) -> np.random.Generator:
    """The random generator of one report section: seeded by ``report.seed`` and `name`."""
    return np.random.default_rng(derive_seed(seed, name))


@dataclass
class StudyContext:
    """Everything the sections share, computed once by :func:`build_context`."""

    tables: dict[str, pd.DataFrame]
    config: StudyConfig
    #: the ``report`` section (``config.report``)
    report: ReportConfig
    study: pd.DataFrame
    graph_nets: pd.DataFrame
    ok: pd.DataFrame
    baselines: pd.DataFrame
    measures: list[Measure]
    xs: list[str]
    dropped_xs: dict[str, str]
    per_graph: dict[str, pd.DataFrame]
    corr: pd.DataFrame
    outliers: pd.DataFrame
    #: failed validity gates (rows of ``attack_checks``) and flagged measures
    failed_gates: pd.DataFrame
    flags: pd.DataFrame
    #: the main mapping arm (None: a study without arms) and the ok graph nets of every arm
    arm: str | None = None
    arms: pd.DataFrame | None = None

    @property
    def primary(self) -> Measure | None:
        """The pre-registered primary measure (``report.primary_measure``); None when it is missing.

        No other measure stands in for it: a study whose primary measure was
        not measured, or was flagged, has no primary measure, and says so.
        """
        return primary_measure(self.measures, self.report)

    @property
    def aggregates(self) -> list[str]:
        """The per-graph aggregates (``report.aggregate``)."""
        return list(self.report.aggregate)

    @property
    def n_boot(self) -> int:
        """Bootstrap resamples of every interval (``report.bootstrap``)."""
        return self.report.bootstrap

    @property
    def outlier_rule(self) -> bool:
        """Whether the paper's 1.5×IQR rule drops outlying graphs (``report.outlier_rule``)."""
        return self.report.outlier_rule

    @property
    def mean_key(self) -> str:
        """The primary aggregate: the mean when it is computed, else the first one."""
        return "mean" if "mean" in self.aggregates else self.aggregates[0]

    def direction(self, column: str) -> int:
        """+1 / −1 when a higher value of a main measure is more / less robust, 0 if unknown."""
        for m in self.measures:
            if m.column == column:
                return m.direction
        return 0


def _study(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The study table with ``family``, ``status`` and ``generator`` always present.

    The input-attack measures of models that failed a validity gate are NaN.
    """
    study = mask_failed_models(tables["study"], tables.get("attack_checks")).copy()
    for col, default in (
        ("model_family", GRAPH_FAMILY),
        ("status", Status.OK),
        ("generator", "unknown"),
    ):
        if col not in study.columns:
            study[col] = default
    study["generator"] = study["generator"].fillna(study["model_family"])
    return study


def build_context(
    tables: dict[str, pd.DataFrame], config: StudyConfig, *, correlations: bool = True
) -> StudyContext:
    """Discover columns, aggregate per graph and compute the correlations table.

    The correlations' bootstrap draws from ``section_rng(report.seed, "correlations")``;
    ``correlations=False`` leaves the table empty (a context that only feeds
    claims, such as another arm's, :func:`arm_context`).
    """
    full = _study(tables)
    arm = main_arm(full, config.mapping)
    study = main_arm_rows(full, arm)
    nets = graph_nets(study)
    ok = ok_rows(nets)
    flags = saturation_flags(tables["robustness"])
    flagged = set(flags.loc[flags["flagged"].astype(bool), "column"])
    measures = [
        m
        for m in discover_measures(tables["robustness"], study, config.attack.paper_eps, rows=ok)
        if m.column not in flagged
    ]
    xs, dropped = property_columns(study, tables["graph_properties"])
    report = config.report
    ys = [m.column for m in measures]
    per_graph: dict[str, pd.DataFrame] = {}
    if len(ok) and "graph_id" in ok.columns:
        graphs = tables.get("graphs")
        for how in report.aggregate:
            table = aggregate_per_graph(ok, xs, ys, how, controls=CONTROLS)
            if graphs is not None:
                table["size_stratum"] = size_strata(table, graphs)
            per_graph[how] = table
    start = time.perf_counter()
    corr, outliers = correlation_rows(
        per_graph if correlations else {},
        xs,
        ys,
        n_boot=report.bootstrap,
        rng=section_rng(report.seed, "correlations"),
        outlier_rule=report.outlier_rule,
        boot_partial_xs=[c for c in xs if bare(c) in MAIN_PROPERTIES],
    )
    log.info(
        "correlations: %d rows (%d properties x %d measures) in %.1f s",
        len(corr),
        len(xs),
        len(ys),
        time.perf_counter() - start,
    )
    return StudyContext(
        tables=tables,
        config=config,
        report=report,
        study=study,
        graph_nets=nets,
        ok=ok,
        baselines=study.loc[study["model_family"] != GRAPH_FAMILY],
        measures=measures,
        xs=xs,
        dropped_xs=dropped,
        per_graph=per_graph,
        corr=corr,
        outliers=outliers,
        failed_gates=failed_gates(tables.get("attack_checks")),
        flags=flags,
        arm=arm,
        arms=ok_rows(graph_nets(full)),
    )


def arm_context(ctx: StudyContext, arm: str) -> StudyContext:
    """The context of another arm of the same study, without the correlations table."""
    config = replace(ctx.config, mapping=replace(ctx.config.mapping, arm=arm))
    return build_context(ctx.tables, config, correlations=False)
