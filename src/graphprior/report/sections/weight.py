"""Report section "Weight perturbation" (Tsai et al. 2021): accuracy against δ."""

from __future__ import annotations

from typing import Any

from graphprior.analysis.curves import median_curve
from graphprior.analysis.related_studies import WeightStatistics
from graphprior.analysis.study_context import StudyContext
from graphprior.report.document import Section
from graphprior.report.figures import baseline_styles, figure, grid, plot_curve
from graphprior.report.render import fmt
from graphprior.report.sections import TITLES

__all__ = ["section_weight"]


def section_weight(ctx: StudyContext, res: WeightStatistics, palette: dict[str, Any]) -> Section:
    """Accuracy under weight perturbation: claims R3a and R3b, the curves and a figure."""
    sec = Section(TITLES["weight"], level=3)
    long = res.long
    if long.empty:
        sec.text("No weight-perturbation measure in the tables: this section is empty.")
        return sec
    mean = ctx.mean_key
    r3a, r3b, drop = res.r3a[mean], res.r3b[mean], res.drop[mean]
    sec.text(
        "Accuracy under relative weight perturbations ‖δW_l‖ ≤ δ‖W_l‖ of every layer, random "
        "directions and worst case (projected gradient ascent in weight space). Per model, the "
        "Spearman correlation between δ (δ = 0: clean accuracy) and accuracy measures how "
        "monotonically accuracy falls; across "
        f"{fmt(r3a.n)} graphs its median is {fmt(r3a.median)} "
        f"[{fmt(r3a.ci_low)}, {fmt(r3a.ci_high)}] (Wilcoxon p = {fmt(r3a.p)}); the median "
        f"accuracy change from δ = 0 to the largest δ is {fmt(drop.median)}. Worst case minus "
        f"random accuracy at the same δ: median {fmt(r3b.median)} [{fmt(r3b.ci_low)}, "
        f"{fmt(r3b.ci_high)}] over {fmt(r3b.n)} graphs (p = {fmt(r3b.p)})."
    )
    curve = median_curve(long)
    table = curve.pivot_table(
        index=["attack", "norm", "eps"], columns="label", values="median"
    ).reset_index()
    table.columns.name = None
    table = table.rename(columns={"attack": "direction", "eps": "delta"})
    sec.table("Median accuracy under weight perturbation (random / pgd = worst case)", table)
    norms = sorted(curve["norm"].unique())
    fig, axes = grid(len(norms), ncols=2, size=(5.0, 3.6))
    labels = sorted(curve["label"].unique())
    styles = baseline_styles([lab for lab in labels if lab not in palette])
    for ax, norm in zip(axes, norms, strict=False):
        sub = curve.loc[curve["norm"] == norm]
        for (lab, attack), c in sub.groupby(["label", "attack"]):
            c = c.sort_values("eps")
            colour, marker = (palette[lab], "o") if lab in palette else styles[lab]
            plot_curve(
                ax,
                c["eps"],
                c["median"],
                marker=marker,
                ms=3,
                mfc=colour if lab in palette else "none",
                ls="-" if attack == "pgd" else ":",
                color=colour,
                label=f"{lab} ({'worst' if attack == 'pgd' else attack})",
            )
        ax.set_title(f"weight perturbation, {norm}", fontsize=9)
        ax.set_xlabel("δ (relative to each layer's norm)")
        ax.set_ylabel("accuracy")
    axes[0].legend(fontsize=6)
    sec.figure(
        figure(
            "weight_perturbation",
            "Median accuracy vs δ: worst case (solid) and random (dotted).",
            fig,
        )
    )
    return sec
