"""Report section "Correlations": test counts, heatmaps, the strongest pairs, claim pairs by stratum."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphprior.analysis.claims.verdicts import ALPHA
from graphprior.analysis.study.columns import CLAIM_PROPERTIES, CONTROLS, MIN_GRAPHS, study_name
from graphprior.analysis.study_context import StudyContext
from graphprior.config.choices import POOLED
from graphprior.report.document import Section
from graphprior.report.figures import heatmap
from graphprior.report.render import fmt
from graphprior.report.sections import TITLES

__all__ = ["section_correlations", "strongest_table"]


def section_correlations(ctx: StudyContext) -> Section:
    """Heatmaps, the strongest correlations, the claim pairs per generator, test counts."""
    sec = Section(TITLES["correlations"])
    corr = ctx.corr
    if corr.empty:
        n = len(ctx.per_graph.get(ctx.mean_key, []))
        sec.text(
            f"No correlation could be computed: {fmt(n)} graphs have a trainable model "
            f"(at least {fmt(MIN_GRAPHS)} are needed), {fmt(len(ctx.measures))} main measures and "
            f"{fmt(len(ctx.xs))} varying graph properties are present."
        )
        return sec
    mean = ctx.mean_key
    pooled = corr.loc[(corr["stratum"] == POOLED) & (corr["aggregate"] == mean)]
    sp = pooled.loc[pooled["method"] == "spearman"]
    n_graphs = int(sp["n"].max()) if len(sp) else 0
    sec.text(
        f"{fmt(len(corr))} correlations in the table (`correlations.parquet`): "
        f"{fmt(corr['x'].nunique())} graph properties × {fmt(corr['y'].nunique())} measures × "
        f"methods × strata × aggregates; the pooled ones use up to {fmt(n_graphs)} graphs. "
        f"Per-graph {mean}s unless stated."
    )
    counts = (
        corr.assign(significant=corr["q"] < ALPHA, tested=corr["p"].notna())
        .groupby(["stratum", "aggregate", "method"], sort=False)
        .agg(
            tests=("tested", "sum"),
            q_below_alpha=("significant", "sum"),
            max_abs_r=(
                "r",
                lambda r: float(np.nanmax(np.abs(r))) if r.notna().any() else float("nan"),
            ),
        )
        .reset_index()
    )
    sec.table(f"Tests per family and how many have q < {ALPHA}", counts)
    sec.figure(
        heatmap(sp, "heatmap_spearman", f"Spearman ρ, pooled over generators, per-graph {mean}s")
    )
    partial = pooled.loc[pooled["method"] == "partial_spearman"]
    sec.figure(
        heatmap(
            partial,
            "heatmap_partial_spearman",
            f"Partial Spearman ρ controlling for {' and '.join(CONTROLS)}, pooled, per-graph {mean}s",
        )
    )
    top = strongest_table(pooled, k=20)
    if len(top):
        sec.table(
            f"The 20 strongest pooled Spearman correlations (per-graph {mean}s), with the other "
            "methods for the same pair",
            top,
            note="ci: 95 % cluster-bootstrap interval; q: Benjamini–Hochberg within the family.",
        )
    claim_pairs = _claim_pairs_by_stratum(ctx)
    if len(claim_pairs):
        sec.table(
            "The pairs of claims C2–C4 by stratum, aggregate and method "
            f"(y = {ctx.primary.column if ctx.primary else ''})",
            claim_pairs,
        )
    strata = sorted(set(corr["stratum"]) - {POOLED})
    gens = sorted(set(ctx.per_graph[mean]["generator"])) if mean in ctx.per_graph else []
    missing = [g for g in gens if g not in strata]
    if missing:
        sec.text(
            f"Generators with fewer than {fmt(MIN_GRAPHS)} trainable graphs have no stratum of "
            "their own: " + ", ".join(missing) + "."
        )
    return sec


def strongest_table(pooled: pd.DataFrame, k: int) -> pd.DataFrame:
    """The `k` strongest pooled Spearman rows with Kendall, Pearson and partial r of the same pair."""
    sp = pooled.loc[(pooled["method"] == "spearman") & pooled["r"].notna()]
    if sp.empty:
        return pd.DataFrame()
    sp = sp.reindex(sp["r"].abs().sort_values(ascending=False, kind="stable").index).head(k)
    out = sp[["x", "y", "r", "ci_low", "ci_high", "p", "q", "n"]].rename(
        columns={"r": "spearman", "ci_low": "ci_low", "ci_high": "ci_high"}
    )
    for method, label in (
        ("kendall", "kendall"),
        ("pearson", "pearson"),
        ("partial_spearman", "partial"),
    ):
        other = pooled.loc[pooled["method"] == method, ["x", "y", "r", "q"]].rename(
            columns={"r": label, "q": f"q_{label}"}
        )
        out = out.merge(other, on=["x", "y"], how="left")
    return out.reset_index(drop=True)


def _claim_pairs_by_stratum(ctx: StudyContext) -> pd.DataFrame:
    """Rows of the claim properties C2–C4 with the primary measure, every stratum and method."""
    if ctx.primary is None:
        return pd.DataFrame()
    xs = [study_name(p, ctx.study) for p in CLAIM_PROPERTIES.values()]
    rows = ctx.corr.loc[ctx.corr["x"].isin(xs) & (ctx.corr["y"] == ctx.primary.column)]
    rows = rows.loc[rows["method"].isin(["spearman", "kendall", "partial_spearman"])]
    return rows[
        ["x", "stratum", "aggregate", "method", "r", "ci_low", "ci_high", "q", "n"]
    ].reset_index(drop=True)
