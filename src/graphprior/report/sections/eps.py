"""Report section "Robust accuracy vs ε": curves per generator and baseline family."""

from __future__ import annotations

from typing import Any

from graphprior.analysis.curves import long_rows, median_curve, monotone_violations
from graphprior.analysis.study_context import StudyContext
from graphprior.report.document import Section
from graphprior.report.figures import baseline_styles, figure, grid, plot_curve, plt
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
    styles = baseline_styles([lab for lab in labels if lab not in palette])
    for ax, (attack, norm) in zip(axes, panels, strict=False):
        sub = curve.loc[(curve["attack"] == attack) & (curve["norm"] == norm)]
        if sub["eps"].nunique() == 1:
            _point_panel(ax, sub, palette, styles)
        else:
            _curve_panel(ax, sub, palette, styles)
        ax.set_title(f"{attack}, {norm}", fontsize=9)
        ax.set_ylabel("robust accuracy")
    handles = [_legend_handle(lab, palette, styles) for lab in labels]
    fig.legend(handles=handles, fontsize=6, loc="outside lower center", ncols=min(len(labels), 6))
    sec.text(
        "Median robust accuracy (band or bar: quartiles) against the attack radius ε. Graph "
        "nets (filled circles, one colour per generator) are first averaged per graph; baselines "
        "(grey, open markers, dashed) are pruned dense nets, one value per model. An attack "
        "run at one ε only is a point plot: one median per family, no line."
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


def _style(lab: str, palette: dict[str, Any], styles: dict[str, tuple[str, str]]) -> dict:
    """Colour, marker and fill of a family: a generator's own colour, a baseline's grey."""
    if lab in palette:
        return {"color": palette[lab], "marker": "o", "mfc": palette[lab], "ls": "-"}
    colour, marker = styles.get(lab, ("0.3", "s"))
    return {"color": colour, "marker": marker, "mfc": "none", "ls": "--"}


def _legend_handle(lab: str, palette: dict[str, Any], styles: dict[str, tuple[str, str]]):
    return plt.Line2D([], [], ms=5, label=lab, **_style(lab, palette, styles))


def _curve_panel(ax, sub, palette, styles) -> None:
    """Median against ε, one curve per family, its quartile band behind it."""
    for lab, c in sub.groupby("label"):
        c = c.sort_values("eps")
        style = _style(lab, palette, styles)
        plot_curve(ax, c["eps"], c["median"], ms=4, label=lab, **style)
        if len(c) > 1:
            ax.fill_between(c["eps"], c["q25"], c["q75"], color=style["color"], alpha=0.12)
    ax.set_xlabel("ε")


def _point_panel(ax, sub, palette, styles) -> None:
    """An attack at a single ε: one point per family (median, quartile bar), no line."""
    sub = sub.sort_values("label").reset_index(drop=True)
    for i, row in sub.iterrows():
        style = {**_style(row["label"], palette, styles), "ls": "none"}
        low, high = row["median"] - row["q25"], row["q75"] - row["median"]
        ax.errorbar(i, row["median"], yerr=[[max(low, 0)], [max(high, 0)]], ms=5, capsize=2,
                    **style)  # fmt: skip
    ax.set_xticks(range(len(sub)), [str(lab) for lab in sub["label"]], rotation=45,
                  ha="right", fontsize=6)  # fmt: skip
    ax.set_xlim(-0.6, len(sub) - 0.4)
    ax.set_xlabel(f"family (ε = {sub['eps'].iloc[0]:g})")
