"""Report section "Initialisation": does a measure depend on the initialisation (claim C1)?"""

from __future__ import annotations

from typing import Any

from graphprior.analysis.study_context import StudyContext
from graphprior.report.document import Figure, Section
from graphprior.report.figures import BOX_GID, figure, grid, short
from graphprior.report.render import fmt
from graphprior.report.sections import TITLES

__all__ = ["section_init"]


def section_init(ctx: StudyContext, stats: dict[str, Any]) -> Section:
    """Friedman and Kruskal–Wallis per measure and box plots per init.

    `stats` is :func:`graphprior.analysis.summaries.init_statistics` (empty
    without trainable graph nets or measures).
    """
    sec = Section(TITLES["init"])
    if not stats:
        sec.text("No trainable graph net with robustness measures: no test of the initialisation.")
        return sec
    inits, table, medians = stats["inits"], stats["table"], stats["medians"]
    sec.text(
        f"{fmt(len(inits))} initialisations ({', '.join(inits)}). Friedman test blocked by graph "
        "(cells: mean over seeds per graph and initialisation; only graphs with every "
        "initialisation trainable), effect size Kendall's W (0: no consistent ordering of the "
        "initialisations across graphs, 1: the same ordering everywhere); Kruskal–Wallis on all "
        "cells, effect size ε². q: Benjamini–Hochberg over the measures."
    )
    sec.table("Does a measure depend on the initialisation?", table)
    sec.table("Median per initialisation (over graph × initialisation cells)", medians)
    sec.figure(_init_figure(ctx, inits))
    return sec


def _init_figure(ctx: StudyContext, inits: list[str]) -> Figure | None:
    """Box plots of the first six main measures per initialisation."""
    measures = ctx.measures[:6]
    if not measures:
        return None
    fig, axes = grid(len(measures), size=(4.2, 3.2))
    for ax, m in zip(axes, measures, strict=False):
        data = [
            ctx.ok.loc[ctx.ok["init"] == i, m.column].dropna().to_numpy(dtype=float) for i in inits
        ]
        boxes = ax.boxplot(data, showfliers=True)
        for artist in (a for artists in boxes.values() for a in artists):
            artist.set_gid(BOX_GID)  # a box's parts, not lines through data
        for k, values in enumerate(data, start=1):
            if 0 < len(values) < 5:  # too few for a box to summarise: show every value
                ax.plot([k] * len(values), values, "o", ms=3, color="tab:blue", ls="none")
        ax.set_xticks(
            range(1, len(inits) + 1),
            [short(i, 14) for i in inits],
            rotation=35,
            ha="right",
            fontsize=7,
        )
        ax.set_title(short(m.column, 40), fontsize=8)
    return figure(
        "init_boxplots",
        "Main measures per initialisation (trainable graph nets, one value per model).",
        fig,
    )
