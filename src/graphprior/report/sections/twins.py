"""Report section "Twins": original − degree-preserving twin, per property and measure."""

from __future__ import annotations

import numpy as np

from graphprior.analysis.claims.table import ClaimData
from graphprior.analysis.study_context import StudyContext
from graphprior.analysis.twins import twin_contrasts, twin_pairs
from graphprior.report.document import Figure, Section
from graphprior.report.figures import figure, grid, short
from graphprior.report.render import fmt, fmt_interval
from graphprior.report.sections import TITLES

__all__ = ["section_twins"]


def section_twins(ctx: StudyContext, data: ClaimData, rng: np.random.Generator) -> Section:
    """Paired contrasts original − twin: median, bootstrap interval over pairs, Wilcoxon p."""
    sec = Section(TITLES["twins"])
    if data.frame is None:
        sec.text("No trainable graph net, so no twin contrast.")
        return sec
    table = twin_contrasts(
        data.frame, ctx.xs, [m.column for m in data.measures], n_boot=ctx.n_boot, rng=rng
    )
    if table.empty:
        sec.text("The study has no original graph with a trained twin (`graphs.twins: false`).")
        return sec
    n = int(table["n_pairs"].max())
    measures = table.loc[table["kind"] == "measure"]
    sig = measures.loc[measures["p"] < 0.05]
    sec.text(
        "Does structure matter beyond the degree sequence? Each original graph is paired with "
        "its degree-preserving rewired twin (same degrees, rewired edges); the contrast is "
        f"original − twin over {fmt(n)} pairs (median, 95 % bootstrap interval over pairs, "
        "two-sided Wilcoxon signed-rank p). Degree-sequence properties have contrast 0 by "
        f"construction. Measures with p < 0.05: {fmt(len(sig))} of {fmt(len(measures))}."
    )
    paired = _paired_figure(data.frame, measures)
    if paired is not None:
        sec.figure(paired)
    sec.table("Twin contrasts (original − twin)", table)
    return sec


#: The measures the paired-dot figure shows (the first main measures).
PAIRED_PANELS = 4


def _paired_figure(frame, measures) -> Figure | None:
    """Paired dots: each original beside its twin, one line per pair, per main measure."""
    rows = measures.head(PAIRED_PANELS)
    originals, twins = twin_pairs(frame, list(rows["column"]))
    if originals.empty:
        return None
    fig, axes = grid(len(rows), ncols=min(len(rows), 4), size=(3.0, 3.2))
    for ax, row in zip(axes, rows.itertuples(index=False), strict=False):
        col = row.column
        a, b = originals[col].to_numpy(dtype=float), twins[col].to_numpy(dtype=float)
        whole = np.isfinite(a) & np.isfinite(b)  # a pair without both values has no line
        a, b = a[whole], b[whole]
        for y0, y1 in zip(a, b, strict=True):
            ax.plot([0, 1], [y0, y1], color="0.6", lw=0.7, alpha=0.7)
        ax.plot([0] * len(a), a, "o", ms=3.5, color="tab:blue", ls="none")
        ax.plot([1] * len(b), b, "o", ms=3.5, color="tab:orange", ls="none")
        ax.set_xticks([0, 1], ["original", "twin"])
        ax.set_xlim(-0.4, 1.4)
        ax.set_ylabel(short(col, 40), fontsize=7)
        diff = fmt_interval(row.median_difference, row.ci_low, row.ci_high)
        ax.set_title(f"median difference {diff}\np = {fmt(row.p)}", fontsize=7)
    return figure(
        "twins_paired",
        "Each original graph (left) joined to its degree-preserving twin (right; twins of one "
        "original averaged), per-graph means of the first main measures; the title gives the "
        "median original − twin difference, its 95 % bootstrap interval and the Wilcoxon p.",
        fig,
    )
