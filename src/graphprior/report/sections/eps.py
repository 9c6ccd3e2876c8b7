"""Report section "Robust accuracy vs ε": curves per generator and baseline family."""

from __future__ import annotations

from typing import Any

from graphprior.analysis.curves import long_rows, median_curve, monotone_violations
from graphprior.analysis.study_context import StudyContext
from graphprior.report.document import Section
from graphprior.report.figures import colours, figure, grid
from graphprior.report.sections import TITLES

__all__ = ["section_eps"]


def section_eps(ctx: StudyContext, palette: dict[str, Any]) -> Section:
    """Robust accuracy against ε for every attack and norm, graph nets per generator and baselines."""
    sec = Section(TITLES["eps"])
    long = long_rows(ctx, ["robust_accuracy"])
    if long.empty:
        sec.text("No robust-accuracy rows for trainable models: this section is empty.")
        return sec
    curve = median_curve(long)
    panels = sorted({(a, n) for a, n in zip(curve["attack"], curve["norm"], strict=True)})
    fig, axes = grid(len(panels))
    labels = sorted(curve["label"].unique())
    base_colours = colours([lab for lab in labels if lab not in palette])
    for ax, (attack, norm) in zip(axes, panels, strict=False):
        sub = curve.loc[(curve["attack"] == attack) & (curve["norm"] == norm)]
        for lab, c in sub.groupby("label"):
            c = c.sort_values("eps")
            is_base = lab not in palette
            colour = base_colours.get(lab, "0.3") if is_base else palette[lab]
            ax.plot(
                c["eps"],
                c["median"],
                marker="o",
                ms=3,
                ls="--" if is_base else "-",
                color=colour,
                label=lab,
            )
            ax.fill_between(c["eps"], c["q25"], c["q75"], color=colour, alpha=0.12)
        ax.set_title(f"{attack}, {norm}", fontsize=9)
        ax.set_xlabel("ε")
        ax.set_ylabel("robust accuracy")
    axes[0].legend(fontsize=6)
    sec.text(
        "Median robust accuracy (band: quartiles) against the attack radius ε. Graph nets "
        "(solid, one line per generator) are first averaged per graph; baselines (dashed) are "
        "pruned dense nets, one value per model."
    )
    sec.figure(
        figure(
            "robust_accuracy_vs_eps", "Robust accuracy vs ε per generator and baseline family.", fig
        )
    )
    table = curve.pivot_table(
        index=["attack", "norm", "eps"], columns="label", values="median"
    ).reset_index()
    table.columns.name = None
    sec.table("Median robust accuracy by attack, norm, ε and family/generator", table)
    checks = monotone_violations(long)
    if len(checks):
        sec.table(
            "Check: ε steps where a model's robust accuracy rises (expected 0 for PGD; FGSM is "
            "not guaranteed to be monotone in ε)",
            checks,
        )
    return sec
