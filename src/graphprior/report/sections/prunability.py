"""Report section "Prunability and the generalisation gap" (Kuhn et al. 2021)."""

from __future__ import annotations

from typing import Any

from graphprior.analysis.correlation_table import corr_row
from graphprior.analysis.related_studies import PrunabilityStatistics
from graphprior.analysis.study.columns import MIN_GRAPHS
from graphprior.analysis.study_context import StudyContext
from graphprior.report.document import Section
from graphprior.report.figures import figure, grid
from graphprior.report.render import fmt
from graphprior.report.sections import TITLES

__all__ = ["section_prunability"]


def section_prunability(
    ctx: StudyContext, res: PrunabilityStatistics, palette: dict[str, Any]
) -> Section:
    """Kendall τ-b of prunability and other predictors with the generalisation gap (R1)."""
    sec = Section(TITLES["prunability"], level=3)
    table = res.table
    if not res.targets:
        sec.text("The generalisation gap is not in the study table: this section is empty.")
        return sec
    if "prunability_magnitude" not in res.predictors:
        sec.text("Prunability (magnitude pruning) was not measured: this section is empty.")
        return sec
    if table.empty:
        sec.text(f"Fewer than {fmt(MIN_GRAPHS)} graphs with trainable models: no correlation.")
        return sec
    mean = ctx.mean_key
    row = corr_row(table, "prunability_magnitude", "gen_gap_accuracy", "kendall", mean)
    if row is not None:
        sec.text(
            "Prunability is the smallest fraction of weights that global magnitude pruning can "
            "keep without raising the training loss by more than the tolerance (smaller = more "
            "prunable). Kuhn et al. report that it predicts the generalisation gap; following them "
            "(after Jiang et al. 2020) the association is measured with Kendall's τ, here τ-b "
            f"over graphs (per-graph {mean}s): τ(prunability_magnitude, gen_gap_accuracy) = "
            f"{fmt(row['r'])} [{fmt(row['ci_low'])}, {fmt(row['ci_high'])}], q = {fmt(row['q'])}, "
            f"n = {fmt(row['n'])}. Other predictors are shown for comparison (norm- and "
            "flatness-like: margin, accuracy under weight perturbation, parameter count); the "
            "granulated τ and the conditional mutual information of Jiang et al. need "
            "hyper-parameter grids this study does not vary and are not computed."
        )
    shown = table.loc[table["aggregate"] == mean].copy()
    shown["abs_r"] = shown["r"].abs()
    shown = shown.sort_values(["y", "method", "abs_r"], ascending=[True, True, False]).drop(
        columns="abs_r"
    )
    sec.table(
        "Predictors of the generalisation gap (q: BH within method and aggregate)",
        shown[["x", "y", "method", "r", "ci_low", "ci_high", "p", "q", "n"]].reset_index(drop=True),
    )
    pg = res.per_graph.get(mean)
    if pg is not None and len(pg):
        targets = res.targets
        fig, axes = grid(len(targets), ncols=2, size=(4.4, 3.4))
        for ax, t in zip(axes, targets, strict=False):
            for g, sub in pg.groupby("generator"):
                ax.scatter(
                    sub["prunability_magnitude"],
                    sub[t],
                    s=20,
                    color=palette.get(str(g), "0.3"),
                    label=str(g),
                )
            ax.set_xlabel("prunability (kept fraction, magnitude)")
            ax.set_ylabel(t)
        axes[0].legend(fontsize=6)
        sec.figure(
            figure(
                "prunability_vs_gap", f"Prunability vs generalisation gap, per-graph {mean}s.", fig
            )
        )
    return sec
