"""Report section "Trainability": share of trainable models and what goes with it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from graphprior.analysis.study.columns import MIN_GRAPHS
from graphprior.analysis.study_context import StudyContext
from graphprior.analysis.summaries import status_summary, trainability_correlations
from graphprior.config.choices import Status
from graphprior.report.document import Figure, Section
from graphprior.report.figures import figure, plt, short
from graphprior.report.render import fmt
from graphprior.report.sections import TITLES

__all__ = ["section_trainability"]


def section_trainability(
    ctx: StudyContext, palette: dict[str, Any], rng: np.random.Generator
) -> Section:
    """Share of trainable models per generator and family; what goes with trainability."""
    sec = Section(TITLES["trainability"])
    if ctx.study.empty:
        sec.text("The study table is empty.")
        return sec
    gn = ctx.graph_nets
    if len(gn):
        by = ["generator", "variant"] if "variant" in gn.columns else ["generator"]
        table = status_summary(gn, by)
        total = status_summary(gn.assign(generator="all graph nets"), ["generator"])
        sec.table(
            "Graph nets by generator and variant", pd.concat([table, total], ignore_index=True)
        )
    if len(ctx.baselines):
        sec.table("Baselines by family", status_summary(ctx.baselines, ["model_family"]))
    if not len(gn):
        return sec
    sec.text(
        f"{fmt(int((gn['status'] == 'ok').sum()))} of {fmt(len(gn))} graph nets trained "
        f"(share {fmt(float((gn['status'] == 'ok').mean()))}); the median test accuracy of the "
        f"trainable ones is {fmt(float(ctx.ok['test_accuracy'].median()) if len(ctx.ok) else float('nan'))}."
    )
    sec.figure(_trainability_figure(ctx, palette))
    # which graphs train: per-graph share of trainable models vs the main properties
    tab = trainability_correlations(ctx, rng)
    if len(tab):
        sec.table(
            "Spearman correlation of the per-graph share of trainable models (ok_share) and "
            "the mean test accuracy (all models) with the main graph properties",
            tab[["x", "y", "r", "p", "q", "n"]].head(12).reset_index(drop=True),
        )
    else:
        sec.text(
            f"Too few graphs (< {fmt(MIN_GRAPHS)}) or no varying property to relate "
            "trainability to graph properties."
        )
    return sec


def _trainability_figure(ctx: StudyContext, palette: dict[str, Any]) -> Figure:
    """Test accuracy of every graph net by generator, marker by status (jittered)."""
    gn = ctx.graph_nets
    gens = sorted(gn["generator"].astype(str).unique())
    fig, ax = plt.subplots(figsize=(1.5 + 1.4 * len(gens), 3.6), layout="constrained")
    rng = np.random.default_rng(0)
    markers = {Status.OK: "o", Status.UNTRAINABLE: "x", Status.DIVERGED: "^"}
    for i, g in enumerate(gens):
        sub = gn.loc[gn["generator"] == g]
        for st, marker in markers.items():
            s = sub.loc[sub["status"] == st, "test_accuracy"].to_numpy(dtype=float)
            ax.scatter(
                i + rng.uniform(-0.25, 0.25, s.size),
                s,
                marker=marker,
                color=palette.get(g, "0.3"),
                s=18,
                label=st if i == 0 else None,
            )
    ax.set_xticks(range(len(gens)), [short(g, 22) for g in gens], rotation=20, ha="right")
    ax.set_ylabel("test accuracy")
    handles = [
        plt.Line2D([], [], marker=m, ls="", color="0.3", label=st) for st, m in markers.items()
    ]
    ax.legend(handles=handles, fontsize=8, loc="best")
    return figure(
        "trainability",
        "Test accuracy of every graph net by generator; marker = status (o ok, x untrainable, "
        "^ diverged).",
        fig,
    )
