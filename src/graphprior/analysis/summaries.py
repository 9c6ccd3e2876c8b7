"""The numbers of the report's initialisation, baseline, regression and trainability sections.

Each function takes the :class:`~graphprior.analysis.study_context.StudyContext`
and returns tables; the report only formats them. See docs/report.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from graphprior.analysis.claims.rows import outlier_rule
from graphprior.analysis.correlation_table import correlation_table
from graphprior.analysis.groups import (
    init_independence,
    kendall_w_interval,
    matched_density_comparison,
    matched_density_pairs,
)
from graphprior.analysis.stats.multiple_testing import bh_qvalues
from graphprior.analysis.stats.regression import ols_hc3
from graphprior.analysis.study.aggregate import aggregate_per_graph
from graphprior.analysis.study.columns import (
    CONTROLS,
    MAIN_PROPERTIES,
    MIN_GRAPHS,
    OLS_PROPERTIES,
    bare,
    study_name,
)
from graphprior.analysis.study.table import ok_rows
from graphprior.analysis.study_context import StudyContext
from graphprior.config import PAPER_INITS
from graphprior.config.choices import Status

__all__ = [
    "INIT_COLUMNS",
    "init_statistics",
    "baseline_comparison",
    "regression_fits",
    "trainability_correlations",
    "status_summary",
]

#: Columns of the initialisation table, in order.
INIT_COLUMNS: tuple[str, ...] = (
    "measure",
    "k",
    "n_blocks",
    "n_blocks_dropped",
    "friedman_chi2",
    "friedman_p",
    "friedman_p_method",
    "friedman_q",
    "kendall_w",
    "n_obs",
    "kruskal_h",
    "kruskal_p",
    "kruskal_p_method",
    "kruskal_q",
    "epsilon_squared",
)


def init_statistics(ctx: StudyContext, rng: np.random.Generator) -> dict[str, Any]:
    """Friedman and Kruskal–Wallis per main measure, and the statistics of claim C1.

    Returns ``{}`` without trainable graph nets or measures, else ``inits``
    (sorted), ``table`` (:data:`INIT_COLUMNS`, BH q over the measures),
    ``medians`` (per measure and init) and ``c1``: the primary measure's
    Friedman test on the paper's initialisations (all of them if fewer than
    3 were run) with a bootstrap interval of Kendall's W drawn from `rng`.
    Below 30 graphs every p-value is a permutation p-value (``report.permutations``,
    drawn from `rng`). With ``report.outlier_rule`` C1 drops the graphs whose
    mean of the measure lies outside the 1.5×IQR fences (``c1["n_removed"]``).
    """
    ok = ctx.ok
    if not ctx.measures or ok.empty or "init" not in ok.columns:
        return {}
    n_perm = ctx.report.permutations
    inits = sorted(ok["init"].dropna().unique())
    rows = []
    for m in ctx.measures:
        res = init_independence(ok, m.column, n_perm=n_perm, rng=rng)
        rows.append(
            {k: v for k, v in res.items() if k != "group_medians"}
            | {"medians": res["group_medians"]}
        )
    table = pd.DataFrame(rows)
    table["friedman_q"] = bh_qvalues(table["friedman_p"].to_numpy(dtype=float))
    table["kruskal_q"] = bh_qvalues(table["kruskal_p"].to_numpy(dtype=float))
    medians = pd.DataFrame([r["medians"] for r in rows], index=table["measure"]).reset_index()
    table = table.drop(columns="medians")[list(INIT_COLUMNS)]
    primary = ctx.primary
    if primary is None:  # no primary measure: C1 has nothing to test
        return {"inits": inits, "table": table, "medians": medians, "c1": {}}
    paper = [i for i in inits if i in PAPER_INITS]
    used = paper if len(paper) >= 3 else inits
    sub = ok.loc[ok["init"].isin(used)]
    means = sub.groupby("graph_id", as_index=False)[primary.column].mean()
    kept, n_removed = outlier_rule(means, primary.column, ctx.outlier_rule)
    sub = sub.loc[sub["graph_id"].isin(kept["graph_id"])]
    res = init_independence(sub, primary.column, n_perm=n_perm, rng=rng)
    lo, hi = kendall_w_interval(sub, primary.column, used, n_boot=ctx.n_boot, rng=rng)
    c1 = {
        "measure": primary.column,
        "inits": used,
        "paper_inits": len(paper) >= 3,
        **res,
        "ci_low": lo,
        "ci_high": hi,
        "n_removed": n_removed,
    }
    return {"inits": inits, "table": table, "medians": medians, "c1": c1}


def baseline_comparison(
    ctx: StudyContext,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """Graph nets (per-graph means) against each baseline family at the nearest density.

    Both sides use ``matched_density`` (present weights / weights of the
    dense net of the same widths, docs/measures.md). Returns the per-graph
    table, the comparison (one row per family and measure, ``q``: BH over the
    measures of a family), the pairings with the densities both sides
    reached (:func:`matched_density_pairs`) and the compared columns (test
    accuracy first). Needs trainable baselines and graph nets with a
    ``matched_density`` column.
    """
    base_ok = ok_rows(ctx.baselines)
    measures = [m for m in ctx.measures if base_ok[m.column].notna().any()]
    cols = ["test_accuracy"] + [m.column for m in measures]
    pg = aggregate_per_graph(
        ctx.ok,
        ["matched_density"],
        [m.column for m in measures] + ["test_accuracy"],
        "mean",
        controls=(),
    )
    frames = [
        matched_density_comparison(pg, base_ok, col, "matched_density", decimals=3) for col in cols
    ]
    comp = pd.concat(frames, ignore_index=True)
    comp["q"] = comp.groupby("family")["wilcoxon_p"].transform(
        lambda p: bh_qvalues(p.to_numpy(dtype=float))
    )
    pairs = matched_density_pairs(pg, base_ok, "matched_density", decimals=3)
    return pg, comp, pairs, cols


def regression_fits(ctx: StudyContext) -> tuple[list[str], pd.DataFrame, pd.DataFrame | None]:
    """OLS (HC3) of every main measure on the OLS properties and the controls, per-graph means.

    Returns the predictors, one summary row per measure (``n``, ``r2``,
    ``r2_adj``, ``dropped``) and the coefficients without the constant (None
    when no fit was possible).
    """
    xs = [c for c in (study_name(p, ctx.study) for p in OLS_PROPERTIES) if c in ctx.xs]
    data = ctx.per_graph[ctx.mean_key]
    summaries, coefs = [], []
    for m in ctx.measures:
        fit = ols_hc3(data, m.column, xs, [c for c in CONTROLS if c in data.columns])
        summaries.append(
            {
                "measure": m.column,
                "n": fit["n"],
                "r2": fit["r2"],
                "r2_adj": fit["r2_adj"],
                "dropped": ", ".join(f"{k} ({v})" for k, v in fit["dropped"].items()),
            }
        )
        c = fit["coefficients"]
        if len(c):
            c = c.reset_index().loc[lambda d: d["term"] != "const"]
            c.insert(0, "measure", m.column)
            coefs.append(c[["measure", "term", "role", "coef", "ci_low", "ci_high", "p", "vif"]])
    table = pd.concat(coefs, ignore_index=True) if coefs else None
    return xs, pd.DataFrame(summaries), table


def trainability_correlations(ctx: StudyContext, rng: np.random.Generator) -> pd.DataFrame:
    """Spearman of the per-graph share of trainable models and the mean test accuracy
    with the main graph properties, strongest first (no intervals)."""
    gn = ctx.graph_nets
    per = gn.assign(ok_share=(gn["status"] == Status.OK).astype(float))
    xs = [c for c in ctx.xs if bare(c) in MAIN_PROPERTIES]
    pg = aggregate_per_graph(
        per, xs, ["ok_share", "test_accuracy"], "mean", controls=(), ok_only=False
    )
    tab = correlation_table(
        pg,
        xs,
        ["ok_share", "test_accuracy"],
        methods=("spearman",),
        strata_col=None,
        controls=None,
        n_boot=0,
        rng=rng,
        min_graphs=MIN_GRAPHS,
    )
    if len(tab):
        tab = tab.reindex(tab["r"].abs().sort_values(ascending=False).index)
    return tab


def status_summary(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Models, ok / untrainable / diverged counts, share ok and median test accuracy per group."""
    df = df.assign(
        is_ok=df["status"] == Status.OK,
        untrainable=df["status"] == "untrainable",
        diverged=df["status"] == "diverged",
    )
    out = df.groupby(by, dropna=False).agg(
        models=("model_id", "count"),
        ok=("is_ok", "sum"),
        untrainable=("untrainable", "sum"),
        diverged=("diverged", "sum"),
        ok_share=("is_ok", "mean"),
        median_test_accuracy=("test_accuracy", "median"),
    )
    return out.reset_index()
