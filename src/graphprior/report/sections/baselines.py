"""Report section "Graph nets vs pruned baselines at matched density"."""

from __future__ import annotations

from typing import Any

import pandas as pd

from graphprior.analysis.study.table import ok_rows
from graphprior.analysis.study_context import StudyContext
from graphprior.analysis.summaries import baseline_comparison
from graphprior.report.document import Figure, Section
from graphprior.report.figures import baseline_styles, figure, grid, short
from graphprior.report.render import fmt
from graphprior.report.sections import TITLES

__all__ = ["section_baselines"]


def section_baselines(ctx: StudyContext, palette: dict[str, Any]) -> Section:
    """Graph nets against pruned dense baselines of the nearest matched density."""
    sec = Section(TITLES["baselines"])
    base_ok = ok_rows(ctx.baselines)
    if ctx.baselines.empty:
        sec.text("No baseline models in this run (baseline.activate is false or none trained).")
        return sec
    if base_ok.empty:
        sec.text(
            f"None of the {fmt(len(ctx.baselines))} baseline models is trainable (status ok), so "
            "there is nothing to compare the graph nets with."
        )
        return sec
    if ctx.ok.empty or "matched_density" not in ctx.ok.columns:
        sec.text("No trainable graph net with a matched_density: no comparison.")
        return sec
    pg, comp, pairs, cols = baseline_comparison(ctx)
    sec.text(
        "Density here is `matched_density`, the same for both sides: present weights over the "
        "weights of the dense net with the same hidden widths, each layer reading only the one "
        "before it (docs/measures.md). An unpruned dense net has 1; a graph net with skip "
        "connections or a readout from several layers can exceed 1. Baselines are pruned to "
        "levels spanning the graph nets' range (baseline.densities: auto; the iterative family "
        "reaches the densities its pruning steps give). Each graph (per-graph mean over its "
        "trainable models) is paired with the mean of each baseline family at the nearest level; "
        "Wilcoxon signed-rank test of the paired differences (q: Benjamini–Hochberg over the "
        "measures of a family) and Cliff's δ (positive: graph nets higher)."
    )
    sec.text(_density_summary(pg["matched_density"], pairs))
    sec.table(
        "Achieved densities of each pairing",
        pairs,
        "One row per baseline family and density level: the baseline models at the level and the "
        "densities they reached, the graph nets paired with it (nearest level, the lower one on a "
        "tie) and their densities, and the largest gap |graph density − level|.",
    )
    sec.table(
        "Graph nets vs baselines at matched density",
        comp[
            [
                "family",
                "measure",
                "n",
                "n_levels",
                "median_graph",
                "median_baseline",
                "median_difference",
                "wilcoxon_p",
                "q",
                "cliffs_delta",
                "median_density_gap",
                "max_density_gap",
            ]
        ],
    )
    sec.figure(_baseline_figure(palette, pg, base_ok, cols[:6]))
    return sec


def _density_summary(graph_density: pd.Series, pairs: pd.DataFrame) -> str:
    """One paragraph: the graph nets' density range, each family's levels and worst gap."""
    d = graph_density.astype(float).dropna()
    parts = [
        f"The {fmt(len(d))} graph nets' matched density runs from {fmt(d.min())} to "
        f"{fmt(d.max())} (median {fmt(d.median())})."
    ]
    for fam, rows in pairs.groupby("family", sort=True):
        levels = ", ".join(fmt(v) for v in rows["level"])
        parts.append(f"{fam}: levels {levels}; largest gap {fmt(rows['max_gap'].max())}.")
    above = int((d > pairs["level"].max() + 1e-9).sum()) if len(pairs) else 0
    if above:
        parts.append(
            f"{fmt(above)} graph nets are denser than every baseline level (a pruned dense net "
            "stops at 1): they are paired with the densest level, and their gap is how far the "
            "match falls short."
        )
    return " ".join(parts)


def _baseline_figure(
    palette: dict[str, Any], pg: pd.DataFrame, base: pd.DataFrame, cols: list[str]
) -> Figure:
    """Graph nets and baselines against the matched density, one panel per column."""
    fig, axes = grid(len(cols))
    fams = sorted(base["model_family"].unique())
    styles = baseline_styles(fams)
    for ax, col in zip(axes, cols, strict=False):
        for g, sub in pg.groupby("generator"):
            ax.scatter(
                sub["matched_density"],
                sub[col],
                s=18,
                color=palette.get(str(g), "0.3"),
                label=str(g),
            )
        for f in fams:
            sub = base.loc[base["model_family"] == f]
            colour, marker = styles[f]
            ax.scatter(
                sub["matched_density"],
                sub[col],
                s=26,
                marker=marker,
                facecolors="none",
                edgecolors=[colour],
                label=f,
            )
            line = sub.groupby(sub["matched_density"].round(3))[col].mean().sort_index().dropna()
            if len(line) > 1:  # one level: its points say it, a line would not
                ax.plot(line.index, line.to_numpy(), color=colour, lw=0.8, ls="--")
        ax.set_xlabel("matched density (weights / dense net of the same widths)", fontsize=7)
        ax.set_ylabel(short(col, 40), fontsize=8)
    axes[0].legend(fontsize=6)
    return figure(
        "graph_vs_baselines",
        "Graph nets (filled, per-graph means, colour = generator) and pruned dense baselines "
        "(grey open markers, dashed: mean per density level) against the matched density.",
        fig,
    )
