"""Report section "Graph nets vs pruned baselines at matched density"."""

from __future__ import annotations

from typing import Any

import pandas as pd

from graphprior.analysis.common import ok_rows
from graphprior.analysis.context import StudyContext
from graphprior.analysis.summaries import baseline_comparison
from graphprior.report.document import Figure, Section
from graphprior.report.figures import colours, figure, grid, short
from graphprior.report.render import fmt
from graphprior.report.sections import TITLES

__all__ = ["section_baselines"]


def section_baselines(ctx: StudyContext, palette: dict[str, Any]) -> Section:
    """Graph nets against pruned dense baselines of the nearest weight density."""
    sec = Section(TITLES["baselines"])
    base_ok = ok_rows(ctx.baselines, True)
    if ctx.baselines.empty:
        sec.text("No baseline models in this run (baseline.activate is false or none trained).")
        return sec
    if base_ok.empty:
        sec.text(
            f"None of the {fmt(len(ctx.baselines))} baseline models is trainable (status ok), so "
            "there is nothing to compare the graph nets with."
        )
        return sec
    if ctx.ok.empty or "density" not in ctx.ok.columns:
        sec.text("No trainable graph net with a weight density: no comparison.")
        return sec
    pg, comp, cols = baseline_comparison(ctx)
    sec.text(
        "Each graph (per-graph mean over its trainable models) is paired with the mean of each "
        "baseline family at the nearest weight density (net density, not graph density); "
        "Wilcoxon signed-rank test of the paired differences (q: Benjamini–Hochberg over the "
        "measures of a family) and Cliff's δ (positive: graph nets higher). Density gaps show how "
        "close the match is."
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


def _baseline_figure(
    palette: dict[str, Any], pg: pd.DataFrame, base: pd.DataFrame, cols: list[str]
) -> Figure:
    """Graph nets and baselines against the weight density, one panel per column."""
    fig, axes = grid(len(cols))
    fams = sorted(base["family"].unique())
    fam_col = colours(fams)
    markers = ["s", "D", "P", "X", "v"]
    for ax, col in zip(axes, cols, strict=False):
        for g, sub in pg.groupby("generator"):
            ax.scatter(
                sub["density"], sub[col], s=18, color=palette.get(str(g), "0.3"), label=str(g)
            )
        for i, f in enumerate(fams):
            sub = base.loc[base["family"] == f]
            ax.scatter(
                sub["density"],
                sub[col],
                s=26,
                marker=markers[i % len(markers)],
                facecolors="none",
                edgecolors=[fam_col[f]],
                label=f,
            )
            line = sub.groupby(sub["density"].round(3))[col].mean().sort_index()
            ax.plot(line.index, line.to_numpy(), color=fam_col[f], lw=0.8, ls="--")
        ax.set_xlabel("weight density of the net")
        ax.set_ylabel(short(col, 40), fontsize=8)
    axes[0].legend(fontsize=6)
    return figure(
        "graph_vs_baselines",
        "Graph nets (filled, per-graph means, colour = generator) and pruned dense baselines "
        "(open markers, dashed: mean per density level) against the weight density.",
        fig,
    )
