"""Assemble the correlation report from its sections, and write it (rule ``correlation_report``).

:func:`compose_report` builds the study context and the statistics
(:mod:`graphprior.analysis`), then every section of
:mod:`graphprior.report.sections` in report order; :func:`build_report` reads
the tables and writes the HTML, the Markdown, the figures and the
``correlations`` table. Every random draw of a section comes from its own
generator (:func:`graphprior.analysis.study_context.section_rng`), so the numbers
of one section do not depend on which other sections are built. The sections
and the verdict rules are described in docs/report.md.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from graphprior.analysis.claims.table import ALL_STRATA, arm_claims, claim_data, claims_table
from graphprior.analysis.measurement import (
    measurement_tables,
    stratum_contrasts,
    unreliable_measures,
)
from graphprior.analysis.related_studies import (
    nc_statistics,
    prunability_statistics,
    weight_statistics,
)
from graphprior.analysis.study.arms import arm_names
from graphprior.analysis.study.table import UNSTRATIFIED
from graphprior.analysis.study_context import StudyContext, arm_context, build_context, section_rng
from graphprior.analysis.summaries import init_statistics
from graphprior.config import StudyConfig, config_hash, results_dir
from graphprior.config.sections import ReportConfig
from graphprior.io import tables as T
from graphprior.report.document import Report, Section
from graphprior.report.figures import colours
from graphprior.report.render import fmt, to_html, to_markdown
from graphprior.report.sections.answer import section_answer
from graphprior.report.sections.arms import section_arms
from graphprior.report.sections.audit import section_audit
from graphprior.report.sections.baselines import section_baselines
from graphprior.report.sections.claims import section_claims
from graphprior.report.sections.correlations import section_correlations
from graphprior.report.sections.eps import section_eps
from graphprior.report.sections.gates import section_gates
from graphprior.report.sections.init import section_init
from graphprior.report.sections.mapping import section_mapping
from graphprior.report.sections.nc import section_nc
from graphprior.report.sections.prunability import section_prunability
from graphprior.report.sections.regression import section_regression
from graphprior.report.sections.related_studies import section_related
from graphprior.report.sections.run import section_run
from graphprior.report.sections.strongest import section_strongest
from graphprior.report.sections.trainability import section_trainability
from graphprior.report.sections.twins import section_twins
from graphprior.report.sections.weight import section_weight

__all__ = ["SECTIONS", "compose_report", "build_report"]

log = logging.getLogger(__name__)


@dataclass
class _Parts:
    """What the section builders read: the context, the colours and the statistics."""

    ctx: StudyContext
    palette: dict[str, Any]
    stats: dict[str, Any]


def _autoattack_budget(study: pd.DataFrame) -> str | None:
    """``reduced`` when any model's AutoAttack ran below the standard effort, else its label."""
    if "autoattack_budget" not in study.columns:
        return None
    labels = set(study["autoattack_budget"].dropna())
    return "reduced" if "reduced" in labels else next(iter(labels), None)


#: Section builders in report order (keys of :data:`graphprior.report.sections.TITLES`).
_BUILDERS: dict[str, Callable[[_Parts], Section]] = {
    "answer": lambda p: section_answer(
        p.stats["measurement"].variance,
        p.stats["measurement"].reliability,
        p.stats["claims"],
        p.ctx.primary.column if p.ctx.primary is not None else None,
        p.ctx.arm,
        p.ctx.report,
        p.stats["size_contrasts"],
        autoattack_budget=_autoattack_budget(p.ctx.study),
    ),
    "claims": lambda p: section_claims(
        p.stats["claims"],
        p.stats["claim_data"],
        p.stats["excluded"],
        outlier_rule=p.ctx.outlier_rule,
    ),
    "arms": lambda p: section_arms(
        p.ctx,
        p.stats["all_claims"],
        p.stats["measurement"].variance,
        p.stats["measurement"].reliability,
    ),
    "audit": lambda p: section_audit(p.ctx, p.stats["claim_data"]),
    "run": lambda p: section_run(p.ctx),
    "gates": lambda p: section_gates(p.ctx),
    "mapping": lambda p: section_mapping(p.ctx),
    "trainability": lambda p: section_trainability(
        p.ctx, p.palette, section_rng(p.ctx.report.seed, "trainability")
    ),
    "correlations": lambda p: section_correlations(p.ctx),
    "strongest": lambda p: section_strongest(p.ctx, p.palette),
    "twins": lambda p: section_twins(
        p.ctx, p.stats["claim_data"], section_rng(p.ctx.report.seed, "twins")
    ),
    "regression": lambda p: section_regression(p.ctx),
    "eps": lambda p: section_eps(p.ctx, p.palette),
    "init": lambda p: section_init(p.ctx, p.stats["init"]),
    "baselines": lambda p: section_baselines(p.ctx, p.palette),
    "related": lambda p: section_related(),
    "weight": lambda p: section_weight(p.ctx, p.stats["weight"], p.palette),
    "prunability": lambda p: section_prunability(p.ctx, p.stats["prunability"], p.palette),
    "nc": lambda p: section_nc(p.ctx, p.stats["nc"]),
}

#: Names of the sections, in report order.
SECTIONS: tuple[str, ...] = tuple(_BUILDERS)


def _statistics(
    ctx: StudyContext, timings: dict[str, float], excluded: Mapping[str, str]
) -> dict[str, Any]:
    """The statistics several sections and the claims share, each from its section's generator."""
    stats: dict[str, Any] = {"excluded": dict(excluded)}
    for name, compute in (
        ("init", init_statistics),
        ("weight", weight_statistics),
        ("prunability", prunability_statistics),
        ("nc", nc_statistics),
    ):
        start = time.perf_counter()
        stats[name] = compute(ctx, section_rng(ctx.report.seed, name))
        timings[f"{name}_stats"] = time.perf_counter() - start
    start = time.perf_counter()
    graph_nets = ctx.arms if ctx.arms is not None else ctx.ok
    measurement = measurement_tables(
        graph_nets, ctx.tables["graphs"], ctx.measures, ctx.report,
        section_rng(ctx.report.seed, "measurement"),
    )  # fmt: skip
    stats["measurement"] = measurement
    primary = ctx.primary
    stats["size_contrasts"] = stratum_contrasts(
        ctx.ok, ctx.tables["graphs"], primary.column if primary is not None else "",
        ctx.n_boot, section_rng(ctx.report.seed, "size_contrasts"),
    )  # fmt: skip
    timings["measurement"] = time.perf_counter() - start
    start = time.perf_counter()
    stats["claim_data"] = claim_data(ctx, excluded)
    stats["claims"] = claims_table(
        ctx, stats, section_rng(ctx.report.seed, "claims"), excluded,
        _unreliable(measurement, ctx.report, ctx.arm),
    )  # fmt: skip
    # every arm's claims on graph properties beside the main arm's, each its own Holm family
    stats["all_claims"] = pd.concat(
        [stats["claims"]] + [
            arm_claims(arm_context(ctx, arm), section_rng(ctx.report.seed, f"claims/{arm}"), excluded,
                       _unreliable(measurement, ctx.report, arm))
            for arm in arm_names(graph_nets) if arm != ctx.arm
        ], ignore_index=True,
    )  # fmt: skip
    timings["claims_stats"] = time.perf_counter() - start
    return stats


def _unreliable(measurement, report: ReportConfig, arm: str | None) -> dict[str, set[str]]:
    """Measure → the claims' strata of `arm` where its reliability cannot reach the threshold."""
    threshold = report.min_reliability
    out: dict[str, set[str]] = {}
    for stratum, row_arm, measure in unreliable_measures(measurement.reliability, threshold):
        if row_arm and row_arm != arm:
            continue
        label = ALL_STRATA if stratum == UNSTRATIFIED else (f"{stratum}/{arm}" if arm else stratum)
        out.setdefault(measure, set()).add(label)
    return out


def compose_report(
    tables: dict[str, pd.DataFrame],
    config: StudyConfig,
    sections: Sequence[str] = SECTIONS,
    excluded: Mapping[str, str] | None = None,
) -> tuple[Report, pd.DataFrame]:
    """Build the sections; return the report and the ``correlations`` table.

    Parameters
    ----------
    tables : dict
        ``graphs``, ``graph_properties``, ``models``, ``robustness`` and
        ``study`` as read from ``results/{study}/tables`` (``failures`` optional).
    config : StudyConfig
        The study's configuration; ``report.aggregate``,
        ``report.bootstrap``, ``report.seed``, ``report.outlier_rule`` and
        ``report.permutations`` steer the report.
    sections : sequence of str
        Names of the sections to build (:data:`SECTIONS`, all by default);
        they are shown in report order whatever the order given.
    excluded : mapping, optional
        Robustness measures (study columns) kept out of the claims, with the
        reason (failed attack gates, saturation); shown in the claims section.

    Returns
    -------
    report : Report
        Sections in order, the claims first; ``report.data["claims"]`` is the
        claims table (:data:`graphprior.io.tables.CLAIMS_SCHEMA`).
    correlations : DataFrame
        Columns :data:`graphprior.io.tables.CORRELATIONS_SCHEMA` names.
    """
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown report sections {sorted(unknown)}; known: {list(SECTIONS)}")
    start = time.perf_counter()
    ctx = build_context(tables, config)
    timings = {"context": time.perf_counter() - start}
    stats = _statistics(ctx, timings, excluded or {})
    parts = _Parts(ctx, colours(ctx.graph_nets["generator"].dropna().astype(str).tolist()), stats)
    built: list[Section] = []
    for name in SECTIONS:
        if name in sections:
            t = time.perf_counter()
            section = _BUILDERS[name](parts)
            timings[name] = time.perf_counter() - t
            built.append(section)
    report = Report(
        title=f"graphprior report: study '{config.study}'",
        sections=built,
        data={
            "claims": stats["all_claims"],
            "variance": stats["measurement"].variance,
            "reliability": stats["measurement"].reliability,
        },
    )
    report.intro = _intro(tables, ctx, results_dir(config.study))
    log.info(
        "report composed in %.1f s (%s)",
        time.perf_counter() - start,
        ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()),
    )
    return report, ctx.corr


def _intro(tables: dict[str, pd.DataFrame], ctx: StudyContext, folder: str) -> list[str]:
    """One short paragraph above the claims: the study's size and where its tables are
    (``folder``, the study's ``results/{study}``); the run details follow later."""
    n_arms = ctx.arms["arm"].nunique() if ctx.arms is not None and "arm" in ctx.arms else 0
    arms = (
        f" ({fmt(n_arms)} mapping arms; the claims and correlations use the main arm "
        f"`{ctx.arm}`, {fmt(len(ctx.study))} models with the baselines)"
        if n_arms > 1
        else ""
    )
    return [
        f"This report reproduces the correlation analysis of Ben Amor, Stier and Granitzer (2021) "
        f"on {fmt(len(tables['graphs']))} graphs and {fmt(len(tables['study']))} models{arms}, "
        "and checks three related results. Every number comes from the Parquet tables under "
        f"{folder}/tables (claims.parquet, correlations.parquet)."
    ]


def build_report(
    inputs: dict[str, str],
    outputs: dict[str, str],
    config: StudyConfig,
    digest: str | None = None,
) -> None:
    """Read the tables, compute the statistics, write HTML, Markdown, correlations and figures.

    Parameters
    ----------
    inputs : dict
        Paths of the Parquet tables ``graphs``, ``graph_properties``,
        ``models``, ``robustness`` and ``study`` (``failures`` optional).
    outputs : dict
        Paths ``html``, ``markdown``, ``correlations`` and ``table`` (both get
        the correlations table), ``claims``, ``variance`` and ``reliability``
        (those tables) and ``figures`` (a folder; every figure is written
        there as ``{name}.png``).
    config : StudyConfig
        The study's configuration (section ``report`` in particular).
    digest : str, optional
        The config hash the tables' metadata carries (the workflow passes the hash of
        the config its rule received); default: the hash of ``config``.
    """
    start = time.perf_counter()
    tables = {
        name: T.read_table(inputs[name])
        for name in (
            "graphs",
            "graph_properties",
            "models",
            "robustness",
            "study",
            "failures",
            "attack_checks",
        )  # fmt: skip
        if name in inputs
    }
    report, correlations = compose_report(tables, config)
    meta = T.file_metadata(digest or config_hash(config), config.study)
    for key in ("correlations", "table"):
        if outputs.get(key):
            T.write_table(correlations, outputs[key], T.CORRELATIONS_SCHEMA, "correlations", meta)
    for key, schema in (
        ("claims", T.CLAIMS_SCHEMA),
        ("variance", T.VARIANCE_SCHEMA),
        ("reliability", T.RELIABILITY_SCHEMA),
    ):
        if outputs.get(key):
            T.write_table(report.data[key], outputs[key], schema, key, meta)
    fig_dir = Path(outputs["figures"])
    fig_dir.mkdir(parents=True, exist_ok=True)
    for figure in report.figures:
        (fig_dir / f"{figure.name}.png").write_bytes(figure.png)
    markdown_path = Path(outputs["markdown"])
    rel = Path(os.path.relpath(fig_dir.resolve(), markdown_path.parent.resolve()))
    markdown_path.write_text(to_markdown(report, rel.as_posix()))
    Path(outputs["html"]).write_text(to_html(report))
    log.info(
        "report written: %d sections, %d figures, %d correlation rows in %.1f s",
        len(report.sections),
        len(report.figures),
        len(correlations),
        time.perf_counter() - start,
    )
