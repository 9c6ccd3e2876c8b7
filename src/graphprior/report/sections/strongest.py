"""Report section "Strongest associations": scatter plots of the strongest pooled pairs."""

from __future__ import annotations

from typing import Any

from graphprior.analysis.study_context import StudyContext
from graphprior.config.choices import POOLED
from graphprior.report.document import Section
from graphprior.report.figures import figure, grid, short
from graphprior.report.render import fmt
from graphprior.report.sections import TITLES

__all__ = ["section_strongest"]


def section_strongest(ctx: StudyContext, palette: dict[str, Any], k: int = 6) -> Section:
    """Scatter plots of the strongest pooled Spearman pairs, coloured by generator."""
    sec = Section(TITLES["strongest"])
    mean = ctx.mean_key
    if ctx.corr.empty or mean not in ctx.per_graph:
        sec.text("No correlation was computed, so there is no strongest association to show.")
        return sec
    sp = ctx.corr.loc[
        (ctx.corr["stratum"] == POOLED)
        & (ctx.corr["aggregate"] == mean)
        & (ctx.corr["method"] == "spearman")
        & ctx.corr["r"].notna()
    ]
    sp = sp.reindex(sp["r"].abs().sort_values(ascending=False, kind="stable").index)
    # at most two panels per measure, so the figure shows several measures
    picked, per_y = [], {}
    for _, row in sp.iterrows():
        if per_y.get(row["y"], 0) >= 2:
            continue
        picked.append(row)
        per_y[row["y"]] = per_y.get(row["y"], 0) + 1
        if len(picked) == k:
            break
    if not picked:
        sec.text("No finite correlation.")
        return sec
    data = ctx.per_graph[mean].merge(
        ctx.tables["graphs"][["graph_id", "variant"]], on="graph_id", how="left"
    )
    fig, axes = grid(len(picked))
    for ax, row in zip(axes, picked, strict=False):
        for (g, variant), sub in data.groupby(["generator", "variant"], dropna=False):
            ax.scatter(
                sub[row["x"]],
                sub[row["y"]],
                color=palette.get(str(g), "0.3"),
                marker="^" if variant == "twin" else "o",
                s=22,
                alpha=0.85,
                label=f"{g}" + (" (twin)" if variant == "twin" else ""),
            )
        ax.set_xlabel(row["x"], fontsize=8)
        ax.set_ylabel(short(row["y"], 40), fontsize=8)
        ax.set_title(
            f"ρ = {fmt(row['r'])} [{fmt(row['ci_low'])}, {fmt(row['ci_high'])}], q = {fmt(row['q'])}",
            fontsize=8,
        )
    axes[0].legend(fontsize=6, loc="best")
    sec.text(
        f"The strongest pooled Spearman correlations (per-graph {mean}s; at most two per measure). "
        "One point per graph; colour = generator, triangles = degree-preserving twins. Titles: "
        "ρ, its 95 % cluster-bootstrap interval and q-value, from the correlations table."
    )
    sec.figure(
        figure(
            "strongest_associations",
            f"Strongest associations between graph properties and robustness (per-graph {mean}s).",
            fig,
        )
    )
    return sec
