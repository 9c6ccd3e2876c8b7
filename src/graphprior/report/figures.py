"""Matplotlib helpers of the report: PNG rendering, colours, panel grids, heatmaps.

Figures are drawn with the non-interactive Agg backend (the report runs in
batch jobs without a display). matplotlib is imported at module level: the
report package is only imported by the report rule, which draws figures anyway.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from graphprior.analysis.claims.verdicts import ALPHA  # noqa: E402
from graphprior.report.document import Figure  # noqa: E402

__all__ = ["plt", "fig_to_png", "figure", "colours", "grid", "short", "heatmap"]


def fig_to_png(fig: plt.Figure, dpi: int = 90) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it.

    Figures are drawn with ``layout="constrained"``; ``bbox_inches="tight"`` is
    not used because it renders every figure twice.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def figure(name: str, caption: str, fig: plt.Figure) -> Figure:
    """A report figure from a matplotlib figure (rendered to PNG and closed)."""
    return Figure(name=name, caption=caption, png=fig_to_png(fig))


def colours(labels: Sequence[str]) -> dict[str, Any]:
    """One tab10 colour per distinct label, in sorted order (stable across figures)."""
    cmap = plt.get_cmap("tab10")
    return {label: cmap(i % 10) for i, label in enumerate(sorted(set(labels)))}


def grid(n: int, ncols: int = 3, size: tuple[float, float] = (4.0, 3.2)):
    """A figure with `n` visible panels in rows of `ncols`; returns (figure, flat axes)."""
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(size[0] * ncols, size[1] * nrows),
        squeeze=False,
        layout="constrained",
    )
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()


def short(name: str, width: int = 34) -> str:
    """`name` cut to `width` characters with an ellipsis (axis labels)."""
    return name if len(name) <= width else name[: width - 1] + "…"


def heatmap(rows: pd.DataFrame, name: str, title: str) -> Figure | None:
    """Heatmap of r over (x, y) of correlations rows, • where q < ALPHA; None if no finite r."""
    if rows.empty or rows["r"].notna().sum() == 0:
        return None
    mat = rows.pivot_table(index="x", columns="y", values="r", aggfunc="first", sort=False)
    q = rows.pivot_table(index="x", columns="y", values="q", aggfunc="first", sort=False)
    q = q.reindex(index=mat.index, columns=mat.columns)
    fig, ax = plt.subplots(
        figsize=(2.5 + 0.5 * mat.shape[1], 1.5 + 0.28 * mat.shape[0]), layout="constrained"
    )
    im = ax.imshow(mat.to_numpy(dtype=float), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    qa = q.to_numpy(dtype=float)
    for i, j in zip(*np.nonzero(np.nan_to_num(qa, nan=1.0) < ALPHA), strict=True):
        ax.text(j, i, "•", ha="center", va="center", fontsize=9, color="k")
    ax.set_xticks(
        range(mat.shape[1]), [short(c) for c in mat.columns], rotation=60, ha="right", fontsize=7
    )
    ax.set_yticks(range(mat.shape[0]), mat.index, fontsize=7)
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, label="r", fraction=0.03)
    return figure(name, f"{title}; • marks q < {ALPHA}.", fig)
