"""Report section "The run": configuration, the paper's setup, counts and exclusions."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from graphprior.analysis.study.columns import MIN_GRAPHS, bare
from graphprior.analysis.study_context import StudyContext
from graphprior.config import PAPER_INITS, GraphsConfig, StudyConfig
from graphprior.config.choices import Status
from graphprior.config.sections import AutoAttackConfig
from graphprior.graphs.selection import filter_report
from graphprior.report.document import Section
from graphprior.report.render import fmt
from graphprior.report.sections import TITLES

__all__ = ["section_run"]

log = logging.getLogger(__name__)


_PAPER_SETTINGS: tuple[tuple[str, str, Any], ...] = (
    ("dataset", "dataset", "mnist"),
    ("generators", "graphs.generators", "paper_watts_strogatz"),
    ("orientation", "mapping.orientation", "index_descending"),
    ("sinks to last layer", "mapping.sinks_to_last_layer", True),
    ("input wiring", "mapping.input_wiring", "sources"),
    ("readout", "mapping.readout", "last_layer"),
    ("optimizer", "training.optimizer", "adam"),
    ("learning rate", "training.lr", 0.001),
    ("batch size", "training.batch_size", 128),
    ("epochs", "training.epochs", 30),
    ("initialisations", "training.inits", ", ".join(PAPER_INITS)),
    ("FGSM ε of the paper's robustness", "attack.paper_eps", 0.1),
    ("per-graph aggregates", "report.aggregate", "mean, median"),
    ("1.5×IQR outlier rule", "report.outlier_rule", True),
    ("parameter count of the filter", "graphs.filter.param_count", "paper"),
    ("parameter range", "graphs.filter.min_params", 50000),
    ("number of graphs", "graphs.filter.max_graphs", 100),
    ("graph selection", "graphs.filter.selection", "passes"),
    ("checkpoint", "training.select", "test"),
    ("attacked test images", "attack.n_samples", 10000),
    ("One-Pixel images", "attack.onepixel.n_samples", 100),
    ("pruning fraction per step", "baseline.iterative.prune_fraction", 0.2),
)


def section_run(ctx: StudyContext) -> Section:
    """Configuration, counts, the differences from the paper, excluded models."""
    sec = Section(TITLES["run"])
    sec.text(_summary(ctx))
    sec.table("Configuration of this run", _config_table(ctx))
    paper = _paper_table(ctx.config)
    n_diff = int((paper["same"] == "no").sum())
    sec.table(
        "This run and the paper's setup (Ben Amor et al. 2021)",
        paper,
        note=f"{fmt(n_diff)} of {fmt(len(paper))} settings differ from the paper.",
    )
    sec.table("Graph selection", _graph_selection_table(ctx.config))
    _models(sec, ctx)
    _outliers(sec, ctx)
    _columns(sec, ctx)
    return sec


def _summary(ctx: StudyContext) -> str:
    """The first paragraph: study, dataset, counts of graphs and models by status."""
    graphs = ctx.tables["graphs"]
    gn, ok = ctx.graph_nets, ctx.ok
    status = gn["status"].value_counts()
    n_graphs_ok = ok["graph_id"].nunique() if len(ok) else 0
    per_gen = graphs["generator"].value_counts().sort_index() if len(graphs) else pd.Series()
    return (
        f"Study `{ctx.config.study}` on `{ctx.config.dataset}`: "
        f"{fmt(len(graphs))} graphs ("
        + ", ".join(f"{g}: {fmt(int(n))}" for g, n in per_gen.items())
        + f"), {fmt(len(gn))} graph-net models and {fmt(len(ctx.baselines))} baseline models. "
        f"Status of the graph nets: {fmt(int(status.get('ok', 0)))} ok, "
        f"{fmt(int(status.get('untrainable', 0)))} untrainable, "
        f"{fmt(int(status.get('diverged', 0)))} diverged. Correlations use the "
        f"{fmt(len(ok))} trainable graph nets of {fmt(n_graphs_ok)} graphs, aggregated per graph."
    )


def _autoattack_budget(aa: AutoAttackConfig) -> str:
    """``standard`` or ``reduced`` with the members' effort: only the standard one is the
    reference's AutoAttack; a reduced one is named so wherever `autoattack` rows are read."""
    return (
        f"{aa.budget_label()} (APGD-CE {aa.apgd_ce.steps} it., APGD-T {aa.apgd_t.steps} it. on "
        f"{aa.apgd_t.n_targets} targets, Square {aa.square.queries} queries)"
    )


def _config_table(ctx: StudyContext) -> pd.DataFrame:
    """The settings of this run that shape the report."""
    config = ctx.config
    config_rows = [
        ("study", config.study),
        ("dataset", config.dataset),
        ("generators", _config_value(config, "graphs.generators")),
        ("degree-preserving twins", config.graphs.twins),
        ("orientation", config.mapping.orientation),
        ("sinks to last layer", config.mapping.sinks_to_last_layer),
        ("input wiring", config.mapping.input_wiring),
        ("readout", config.mapping.readout),
        ("initialisations", _config_value(config, "training.inits")),
        ("seeds", _config_value(config, "training.seeds")),
        ("epochs", config.training.epochs),
        ("FGSM ε grid", _config_value(config, "attack.fgsm.eps")),
        ("paper's ε", config.attack.paper_eps),
        ("AutoAttack budget", _autoattack_budget(config.attack.autoattack)),
        ("per-graph aggregates", ", ".join(ctx.aggregates)),
        ("bootstrap resamples", ctx.n_boot),
        ("bootstrap seed", config.report.seed),
        ("1.5×IQR outlier rule", ctx.outlier_rule),
        ("claim permutations", config.report.permutations),
    ]
    return pd.DataFrame(
        [(k, "" if v is None else str(v)) for k, v in config_rows], columns=["setting", "value"]
    )


def _paper_table(config: StudyConfig) -> pd.DataFrame:
    """This run's value of each setting of the paper, and whether it is the same."""
    paper_rows = []
    for label, key, paper_value in _PAPER_SETTINGS:
        value = _config_value(config, key)
        if isinstance(paper_value, bool) or isinstance(value, bool):
            same = "yes" if bool(value) == bool(paper_value) else "no"
        else:
            same = _same(value, paper_value)
        paper_rows.append((label, "" if value is None else str(value), str(paper_value), same))
    return pd.DataFrame(paper_rows, columns=["setting", "this run", "paper", "same"])


def _models(sec: Section, ctx: StudyContext) -> None:
    """Models by family and status, the excluded models, failed jobs, graphs without a model."""
    study, gn, ok = ctx.study, ctx.graph_nets, ctx.ok
    counts = (
        study.groupby(["model_family", "status"])
        .size()
        .unstack("status", fill_value=0)
        .reset_index()
        if len(study)
        else pd.DataFrame(columns=["model_family"])
    )
    sec.table("Models by family and status", counts)
    excluded = study.loc[study["status"] != Status.OK]
    if len(excluded):
        reasons = {
            "untrainable": "test accuracy stayed near chance",
            "diverged": "non-finite loss during training",
        }
        cols = [
            c
            for c in ("model_id", "model_family", "graph_id", "init", "test_accuracy")
            if c in excluded
        ]
        table = excluded[cols + ["status"]].copy()
        table["reason"] = table["status"].map(reasons).fillna("status is not ok")
        sec.table(
            f"Excluded models ({fmt(len(excluded))}): kept in the tables, left out of every statistic",
            table.reset_index(drop=True),
        )
    else:
        sec.text("No model was excluded: every model trained (status ok).")
    failures = ctx.tables.get("failures")
    if failures is not None and len(failures):
        sec.text(
            f"{fmt(len(failures))} jobs failed and were recorded (`on_error: record`); their "
            "models or measures are missing from the tables and every statistic. The log of "
            "each job holds the traceback."
        )
        sec.table("Failed jobs", failures.reset_index(drop=True))
    elif failures is not None:
        sec.text("No job failed.")
    no_ok = sorted(set(gn["graph_id"].dropna()) - set(ok["graph_id"].dropna()))
    if no_ok:
        sec.text(
            f"{fmt(len(no_ok))} graphs have no trainable model and drop out of the correlations: "
            + ", ".join(f"`{g}`" for g in no_ok)
            + "."
        )


def _outliers(sec: Section, ctx: StudyContext) -> None:
    """Whether the 1.5×IQR rule was applied and how many rows it removed."""
    removed = int(ctx.outliers["n_removed"].sum()) if len(ctx.outliers) else 0
    if ctx.outlier_rule:
        sec.text(
            f"The paper's 1.5×IQR outlier rule **was applied** (report.outlier_rule: true): per "
            f"aggregate and measure, graphs outside Tukey's fences of that measure are left out of "
            f"its correlations; {fmt(removed)} per-graph rows were removed in total "
            "(table below)."
        )
        if len(ctx.outliers):
            sec.table("Rows removed by the outlier rule", ctx.outliers)
    else:
        sec.text(
            "The paper's 1.5×IQR outlier rule **was not applied** (report.outlier_rule: false); "
            "no rows were removed."
        )


def _columns(sec: Section, ctx: StudyContext) -> None:
    """The statistical methods, the properties used as correlates and the main measures."""
    sec.text(
        "Statistics: models that share a graph are not independent, so every measure is "
        f"aggregated per graph ({', '.join(ctx.aggregates)} over initialisations and seeds) and "
        f"intervals resample graphs ({fmt(ctx.n_boot)} cluster-bootstrap resamples, 95 % "
        "percentile intervals). Spearman, Kendall τ-b and Pearson correlations with two-sided "
        "p-values; partial Spearman controlling for clean test accuracy and parameter count; "
        "Benjamini–Hochberg q-values within each family (stratum × aggregate × method); strata "
        f"are the generators with at least {fmt(MIN_GRAPHS)} graphs. Bootstrap intervals are "
        "computed for the pooled Spearman rows and the pooled partial Spearman rows of the main "
        "properties (docs/report.md explains the budget)."
    )
    props = pd.DataFrame({"property": ctx.xs})
    props["kind"] = ["DAG" if bare(c).startswith("dag_") else "graph" for c in ctx.xs]
    sec.table(
        f"Graph properties used as correlates ({fmt(len(ctx.xs))})",
        props,
        note="Properties left out: "
        + ("; ".join(f"{k} ({v})" for k, v in ctx.dropped_xs.items()) if ctx.dropped_xs else "none")
        + ".",
    )
    if ctx.measures:
        sec.table(
            f"Main robustness measures ({fmt(len(ctx.measures))})",
            pd.DataFrame(
                [
                    (
                        m.column,
                        m.measure,
                        m.attack,
                        m.norm,
                        m.eps,
                        "higher" if m.direction > 0 else "lower",
                    )
                    for m in ctx.measures
                ],
                columns=["column", "measure", "attack", "norm", "eps", "more robust when"],
            ),
        )
    else:
        sec.text(
            "No main robustness measure has a value for a trainable graph net: the correlation "
            "sections below are empty."
        )
    return sec


def _graph_selection_table(config: StudyConfig) -> pd.DataFrame:
    """Counts of the parameter filter and the graph cap (graphprior.graphs.selection.filter_report)."""
    try:
        rep = filter_report(config)
    except (KeyError, ValueError) as exc:  # a config without graphs: nothing to report
        return pd.DataFrame({"setting": ["graph selection"], "value": [f"not available ({exc})"]})
    lo, hi = rep["min_params"], rep["max_params"]
    rows = [
        ("parameter count", rep["param_count"]),
        ("parameter range", f"{lo if lo is not None else '-'} … {hi if hi is not None else '-'}"),
        ("at most (max_graphs)", rep["max_graphs"] if rep["max_graphs"] is not None else "no cap"),
        ("selection rule", rep["selection"]),
        ("candidates in the grid", rep["n_candidates"]),
        ("kept", rep["n_kept"]),
        ("below the range", rep["n_below_min"]),
        ("above the range", rep["n_above_max"]),
        ("in range but over the cap", rep["n_dropped_max_graphs"]),
        ("never drawn (passes rule stopped)", rep["n_not_evaluated"]),
    ]
    return pd.DataFrame([(k, str(v)) for k, v in rows], columns=["setting", "value"])


def _generators(graphs: GraphsConfig) -> str:
    """The study's generators: the grid's and the size strata's families, with the strata.

    >>> _generators(GraphsConfig.from_dict({
    ...     "generators": [{"generator": "ws_flex", "params": {}, "seeds": [1]}],
    ...     "strata": {"families": ["gnm", "sbm"], "sizes": [{"n": 32, "m": 64}]}}))
    'gnm, sbm, ws_flex; size strata n=32 m=64'
    """
    names = {e.generator for e in graphs.generators}
    strata = graphs.strata
    names |= set(strata.families if strata is not None else ())
    text = ", ".join(sorted(names))
    if strata is not None and strata.sizes:
        sizes = ", ".join(f"n={s.n} m={s.m}" for s in strata.sizes)
        text += f"; size strata {sizes}"
    return text


def _config_value(config: StudyConfig, dotted: str) -> Any:
    """A setting of the study by dotted key; lists joined by commas."""
    if dotted == "graphs.generators":
        return _generators(config.graphs)
    value: Any = config
    for key in dotted.split("."):
        value = getattr(value, key)
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return value


def _same(a: Any, b: Any) -> str:
    """ "yes" when two setting values agree (numbers by isclose, lists as sets), else "no"."""
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return "yes" if np.isclose(float(a), float(b)) else "no"
    if isinstance(a, str) and isinstance(b, str):
        return (
            "yes"
            if {s.strip() for s in a.split(",")} == {s.strip() for s in b.split(",")}
            else "no"
        )
    return "yes" if a == b else "no"
