"""Report section "The mapping arms side by side": one question, every way a graph becomes a network.

For every arm (the main one and the others: the DAG interfaces and the
relational mapping), the graph's share of the primary measure's variance
per stratum, the reliability of a graph's mean, and the verdicts of the
claims on graph properties (C2–C5, Y1), so that one reads whether the same
property predicts robustness under every mapping. Then the paper's picture
of You et al. (2020): the per-graph primary measure over the plane of
clustering C and path length L, in bins, one panel per arm. Numbers:
``variance.parquet``, ``reliability.parquet``, ``claims.parquet`` (column ``arm``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphprior.analysis.claims.surface import SURFACE_PROPERTIES
from graphprior.analysis.study.columns import study_name
from graphprior.analysis.study_context import StudyContext
from graphprior.config.choices import POOLED
from graphprior.report.document import Figure, Section
from graphprior.report.figures import figure, grid, plt
from graphprior.report.render import fmt_interval
from graphprior.report.sections import TITLES
from graphprior.report.sections.answer import share_table

__all__ = ["section_arms", "arm_verdicts", "CL_BINS"]

#: Bins of C and of L in the (C, L) figure (the paper binned its plane in the same way).
CL_BINS = 6

#: The claim rows the side-by-side table shows: (claim, analysis).
_SHOWN = (
    ("C2", "controlled"),
    ("C3", "controlled"),
    ("C4", "controlled"),
    ("C5", "raw"),
    ("Y1", "raw"),
)


def arm_verdicts(claims: pd.DataFrame) -> pd.DataFrame:
    """Pooled rows of the claims on graph properties: one row per arm, a column per claim."""
    pooled = claims.loc[claims["stratum"] == POOLED]
    rows = []
    for arm, part in pooled.groupby("arm", sort=False):
        row = {"arm": arm or "–"}
        for claim, analysis in _SHOWN:
            hit = part.loc[(part["claim"] == claim) & (part["analysis"] == analysis)]
            if hit.empty:
                continue
            r = hit.iloc[0]
            value = fmt_interval(r["r"], r["ci_low"], r["ci_high"], 2)
            row[f"{claim} ({analysis})"] = f"{value}: {r['verdict']}"
        rows.append(row)
    return pd.DataFrame(rows)


def _per_graph(ctx: StudyContext, column: str) -> pd.DataFrame:
    """Per (arm, graph): the mean of `column` over the arm's trainable models, with C and L."""
    nets = ctx.arms if ctx.arms is not None else ctx.ok
    names = [study_name(p, nets) for p in SURFACE_PROPERTIES]
    if None in names or column not in nets.columns or "arm" not in nets.columns:
        return pd.DataFrame()
    frame = nets.assign(arm=nets["arm"].fillna("").astype(str))
    out = frame.groupby(["arm", "graph_id"])[[*names, column]].mean().reset_index()
    return out.rename(columns=dict(zip(names, ("C", "L"), strict=True)))


def _cl_figure(per_graph: pd.DataFrame, column: str) -> Figure | None:
    data = per_graph.dropna(subset=["C", "L", column])
    if data.empty or data["graph_id"].nunique() < CL_BINS:
        return None
    arms = sorted(data["arm"].unique())
    c_edges = np.linspace(data["C"].min(), data["C"].max(), CL_BINS + 1)
    l_edges = np.linspace(data["L"].min(), data["L"].max(), CL_BINS + 1)
    fig, axes = grid(len(arms), ncols=len(arms), size=(4.6, 3.8))
    for ax, arm in zip(axes, arms, strict=False):
        part = data.loc[data["arm"] == arm]
        i = np.clip(np.digitize(part["C"], c_edges) - 1, 0, CL_BINS - 1)
        j = np.clip(np.digitize(part["L"], l_edges) - 1, 0, CL_BINS - 1)
        total = np.zeros((CL_BINS, CL_BINS))
        count = np.zeros((CL_BINS, CL_BINS))
        np.add.at(total, (j, i), part[column].to_numpy(dtype=float))
        np.add.at(count, (j, i), 1)
        with np.errstate(invalid="ignore"):
            mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        image = ax.pcolormesh(c_edges, l_edges, mean, cmap="viridis", shading="flat")
        ax.scatter(part["C"], part["L"], s=6, c="white", edgecolors="k", linewidths=0.3)
        fig.colorbar(image, ax=ax, shrink=0.85, label="per-graph mean")
        ax.set_title(f"arm {arm} ({len(part)} graphs)", fontsize=9)
        ax.set_xlabel("average clustering C")
        ax.set_ylabel("average path length L")
    return figure(
        "arms_clustering_path_length",
        f"The per-graph mean of the primary measure `{column}` over the plane of clustering C "
        f"and path length L, in {CL_BINS} × {CL_BINS} bins (colour: the mean of the graphs in "
        "a bin; white dots: the graphs), one panel per arm: the picture You et al. (2020) drew "
        "for accuracy. Claim Y1 tests whether a smooth surface explains it.",
        fig,
    )


def section_arms(
    ctx: StudyContext,
    claims: pd.DataFrame,
    variance: pd.DataFrame,
    reliability: pd.DataFrame,
) -> Section:
    """The arms side by side: variance shares, claim verdicts and the (C, L) picture."""
    sec = Section(TITLES["arms"])
    arms = sorted({str(a) for a in claims["arm"]}) if "arm" in claims else []
    if len(arms) < 2:
        sec.text(
            "This study trains one mapping arm; every number above is that arm's. A study with "
            "`mapping.extra_arms` or `mapping.relational` compares the arms here."
        )
    else:
        sec.text(
            f"The study maps every graph to a network in {len(arms)} ways ("
            + ", ".join(f"`{a}`" for a in arms)
            + "). Each arm is analysed on its own (its own variance components, reliability and "
            "claims, a Holm family per arm); the question is whether the graph explains "
            "robustness under each mapping, and whether the same property predicts it."
        )
        primary = ctx.primary.column if ctx.primary is not None else None
        sec.table("The graph's share of the primary measure, per arm and stratum",
                  share_table(variance, reliability, primary))  # fmt: skip
        sec.table("Claims on graph properties, pooled, per arm (estimate [95 % CI]: verdict)",
                  arm_verdicts(claims))  # fmt: skip
    primary = ctx.primary.column if ctx.primary is not None else None
    if primary is not None:
        sec.figure(_cl_figure(_per_graph(ctx, primary), primary))
    plt.close("all")
    return sec
