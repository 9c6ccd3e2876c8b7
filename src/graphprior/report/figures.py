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

__all__ = [
    "plt",
    "fig_to_png",
    "figure",
    "single_point_lines",
    "BOX_GID",
    "plot_curve",
    "colours",
    "baseline_styles",
    "grid",
    "short",
    "heatmap",
]


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
    lines = single_point_lines(fig)
    return Figure(name=name, caption=caption, png=fig_to_png(fig), single_point_lines=lines)


#: The ``gid`` of a box plot's parts, which :func:`single_point_lines` does not count.
BOX_GID = "boxplot"


def single_point_lines(fig: plt.Figure) -> int:
    """How many visible lines of ``fig`` join fewer than two distinct finite points.

    Such a line draws nothing a reader can see as a line (a single ε, a single
    density level): the value belongs in a point or strip plot. Markers without a
    line style (``ls="none"``) are points, not lines, and never count; nor do the
    parts of a box plot (gid :data:`BOX_GID`), whose whiskers may be zero long.
    """
    count = 0
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for line in ax.get_lines():
            if not line.get_visible() or line.get_linestyle() in ("None", "none", "", " "):
                continue
            if line.get_gid() == BOX_GID:  # a box plot's whisker, cap or median
                continue
            xy = np.asarray(line.get_xydata(), dtype=float)
            xy = xy[np.isfinite(xy).all(axis=1)]
            if len(np.unique(xy, axis=0)) < 2:
                count += 1
    return count


def plot_curve(ax: Any, x: Any, y: Any, **kwargs: Any) -> None:
    """``ax.plot`` of a curve, or of its one point as a marker when it has a single x.

    A curve through one point is drawn as a point (no line style), so no figure
    draws a single value as a line (:func:`single_point_lines`).
    """
    if len(np.unique(np.asarray(x, dtype=float))) < 2:
        kwargs = {**kwargs, "ls": "none", "marker": kwargs.get("marker") or "o"}
    ax.plot(x, y, **kwargs)


#: Baselines' colours and markers: greys and open shapes, never a generator's colour.
BASELINE_GREYS = ("0.15", "0.45", "0.65", "0.3", "0.55")
BASELINE_MARKERS = ("s", "D", "^", "v", "P")


def baseline_styles(labels: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(colour, marker) per baseline label, in sorted order: greys and their own markers.

    Generators take tab10 colours (:func:`colours`) and round markers; baselines
    are told apart from them by both colour and marker.
    """
    return {
        label: (
            BASELINE_GREYS[i % len(BASELINE_GREYS)],
            BASELINE_MARKERS[i % len(BASELINE_MARKERS)],
        )
        for i, label in enumerate(sorted(set(labels)))
    }


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
