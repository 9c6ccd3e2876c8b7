"""Report section "Neural collapse, clean vs perturbed" (Su et al. 2023)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphprior.analysis.related_studies import NCStatistics
from graphprior.analysis.study_context import StudyContext
from graphprior.report.document import Section
from graphprior.report.figures import figure, grid, plot_curve, plt
from graphprior.report.render import fmt
from graphprior.report.sections import TITLES

__all__ = ["section_nc"]


def section_nc(ctx: StudyContext, res: NCStatistics) -> Section:
    """Clean against perturbed neural collapse (R2a) and its profile over depth (R2b)."""
    sec = Section(TITLES["nc"], level=3)
    table = res.table
    mean = ctx.mean_key
    if table.empty:
        sec.text("No perturbed neural-collapse measure in the tables: this section is empty.")
        return sec
    nc1 = table.loc[(table["metric"] == "nc1") & (table["aggregate"] == mean)]
    if len(nc1):
        r = nc1.iloc[0]
        sec.text(
            "Neural collapse of the features the classifier reads, on clean training data and on "
            f"its adversarial version (`{r['perturbed']}`). Per graph ({mean} over models), NC1 "
            f"goes from a median {fmt(r['median_clean'])} (clean) to {fmt(r['median_perturbed'])} "
            f"(perturbed); median paired difference {fmt(r['median_difference'])} "
            f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}], Wilcoxon p = {fmt(r['p'])}, "
            f"{fmt(r['n'])} graphs. Larger NC1/NC2/NC3/NC4 = less collapse; ncc_accuracy is the "
            "nearest-class-centre accuracy."
        )
    sec.table(
        "Clean vs perturbed neural collapse (difference = perturbed − clean, per graph)",
        table.loc[table["aggregate"] == mean].drop(columns="aggregate").reset_index(drop=True),
    )
    pg = res.per_graph.get(mean)
    cols = res.columns
    if pg is not None and len(pg):
        fig, axes = grid(len(cols), ncols=4, size=(3.0, 3.0))
        for ax, (metric, clean, pert) in zip(axes, cols, strict=False):
            ax.boxplot([pg[clean].dropna(), pg[pert].dropna()])
            ax.set_xticks([1, 2], ["clean", "perturbed"])
            ax.set_title(metric, fontsize=9)
            if metric == "nc1" and (pg[[clean, pert]] > 0).all().all():
                ax.set_yscale("log")
        sec.figure(
            figure(
                "nc_clean_vs_perturbed",
                f"Neural collapse metrics, clean vs perturbed (per-graph {mean}s).",
                fig,
            )
        )
    layers = res.layers
    r2b = res.r2b.get(mean)
    if len(layers) and r2b is not None:
        sec.text(
            "Per hidden layer: log10(NC1 perturbed / NC1 clean) measures how much collapse an "
            "attack destroys in that layer. Per model, its Spearman correlation with the layer "
            f"index has median {fmt(r2b.median)} [{fmt(r2b.ci_low)}, {fmt(r2b.ci_high)}] "
            f"over {fmt(r2b.n)} graphs (Wilcoxon p = {fmt(r2b.p)}); positive means that "
            "earlier layers stay more collapsed under attack than later ones (Su et al.)."
        )
        sec.figure(_depth_figure(layers))
    elif not len(layers):
        sec.text("No layer-wise NC1 on perturbed data: the depth profile is not computed.")
    return sec


def _depth_figure(layers: pd.DataFrame):
    """Median NC1 (clean, perturbed) and their log ratio by relative depth, five bins."""
    bins = np.linspace(0, 1, 6)
    layers = layers.assign(depth_bin=pd.cut(layers["relative_depth"], bins, include_lowest=True))
    prof = layers.groupby("depth_bin", observed=True)[["clean", "perturbed", "log_ratio"]].median()
    mids = [iv.mid for iv in prof.index]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
    plot_curve(axes[0], mids, prof["clean"], marker="o", label="clean")
    plot_curve(axes[0], mids, prof["perturbed"], marker="o", label="perturbed")
    if (prof[["clean", "perturbed"]] > 0).all().all():
        axes[0].set_yscale("log")
    axes[0].set_xlabel("relative depth of the hidden layer")
    axes[0].set_ylabel("median NC1")
    axes[0].legend(fontsize=7)
    plot_curve(axes[1], mids, prof["log_ratio"], marker="o", color="tab:red")
    axes[1].axhline(0, color="0.5", lw=0.6)
    axes[1].set_xlabel("relative depth of the hidden layer")
    axes[1].set_ylabel("median log10(NC1 perturbed / clean)")
    return figure(
        "nc_by_layer",
        "NC1 of the hidden layers by relative depth (0 = first, 1 = last hidden layer), medians over models.",
        fig,
    )
