"""Statistics of three related results measured on the same models (claims R1–R3).

* Weight perturbation (Tsai et al. 2021): how monotonically accuracy falls
  with δ, and worst case against random directions (:func:`weight_statistics`).
* Prunability (Kuhn et al. 2021): Kendall τ-b and Spearman of prunability and
  competing predictors with the generalisation gap (:func:`prunability_statistics`).
* Neural collapse (Su et al. 2023): clean against perturbed NC metrics and
  the depth profile of NC1 (:func:`nc_statistics`).

Each takes the generator of its report section. See docs/measures.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from graphprior.analysis.correlation_table import correlation_table
from graphprior.analysis.curves import long_rows, per_graph_values, with_clean_point
from graphprior.analysis.stats.bootstrap import PairedSummary, paired_summary
from graphprior.analysis.stats.correlation import correlate
from graphprior.analysis.stats.multiple_testing import bh_qvalues
from graphprior.analysis.study.aggregate import aggregate_per_graph
from graphprior.analysis.study.columns import scalar_rows
from graphprior.analysis.study.table import measure_column
from graphprior.analysis.study_context import StudyContext
from graphprior.config.choices import GRAPH_FAMILY

__all__ = [
    "NC_METRICS",
    "NCStatistics",
    "PrunabilityStatistics",
    "WeightStatistics",
    "nc_statistics",
    "prunability_statistics",
    "weight_statistics",
]


@dataclass
class WeightStatistics:
    """R3a, R3b and the accuracy drop, each by aggregate (``mean``, ``median``).

    ``long``: the accuracy-against-δ rows of every model (with the clean
    point); ``r3a``: per graph, the monotonicity of accuracy in δ; ``r3b``:
    worst-case minus random accuracy; ``drop``: accuracy at the largest δ
    minus at δ = 0.
    """

    long: pd.DataFrame
    r3a: dict[str, PairedSummary] = field(default_factory=dict)
    r3b: dict[str, PairedSummary] = field(default_factory=dict)
    drop: dict[str, PairedSummary] = field(default_factory=dict)


def weight_statistics(ctx: StudyContext, rng: np.random.Generator) -> WeightStatistics:
    """Claims R3a (accuracy falls with δ) and R3b (worst case below random), per aggregate."""
    long = with_clean_point(
        ctx, long_rows(ctx, ["weight_random_accuracy", "weight_worst_accuracy"])
    )
    out = WeightStatistics(long)
    if long.empty:
        return out
    graph_long = long.loc[long["model_family"] == GRAPH_FAMILY].sort_values("eps", kind="stable")
    mono, drop = {}, {}
    for model_id, g in graph_long.groupby("model_id", sort=False):
        rhos, drops = [], []
        for _, curve in g.groupby(["measure", "norm"], sort=False):
            eps = curve["eps"].to_numpy(dtype=float)
            acc = curve["value"].to_numpy(dtype=float)
            rhos.append(_monotonicity(eps, acc))
            zero = np.isclose(eps, 0.0)
            if zero.any() and eps.size > 1:
                drops.append(float(acc[np.argmax(eps)] - acc[zero][0]))
        mono[model_id] = np.nanmean(rhos) if np.isfinite(rhos).any() else np.nan
        drop[model_id] = np.nanmean(drops) if drops else np.nan
    pivot = graph_long.pivot_table(
        index=["model_id", "norm", "eps"], columns="measure", values="value"
    ).reset_index()
    gap = pd.Series(dtype=float)
    if {"weight_random_accuracy", "weight_worst_accuracy"} <= set(pivot.columns):
        pivot = pivot.loc[pivot["eps"] > 0]
        gap = (
            (pivot["weight_worst_accuracy"] - pivot["weight_random_accuracy"])
            .groupby(pivot["model_id"])
            .mean()
        )
    mono_s, drop_s = pd.Series(mono, dtype=float), pd.Series(drop, dtype=float)
    for how in ctx.aggregates:
        out.r3a[how] = paired_summary(
            per_graph_values(ctx, mono_s, how), n_boot=ctx.n_boot, rng=rng
        )
        out.r3b[how] = paired_summary(per_graph_values(ctx, gap, how), n_boot=ctx.n_boot, rng=rng)
        out.drop[how] = paired_summary(per_graph_values(ctx, drop_s, how), n_boot=0, rng=rng)
    return out


def _monotonicity(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman ρ of y on x (≥ 3 points), or the sign of the change for two points."""
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size == 2 and x[0] != x[1]:
        return float(np.sign((y[1] - y[0]) * (x[1] - x[0])))
    return correlate(x, y, "spearman")[0]


@dataclass
class PrunabilityStatistics:
    """R1's inputs: the gap targets, the predictors, their correlation table, per-graph frames.

    ``per_graph`` maps each aggregate to the per-graph frame of predictors
    and targets; ``table`` has the Kendall and Spearman rows of every
    aggregate (empty without a target or without ``prunability_magnitude``).
    """

    targets: list[str]
    predictors: list[str]
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    per_graph: dict[str, pd.DataFrame] = field(default_factory=dict)


def prunability_statistics(ctx: StudyContext, rng: np.random.Generator) -> PrunabilityStatistics:
    """Kendall τ-b and Spearman of prunability (and competing predictors) with the generalisation gap."""
    ok = ctx.ok
    targets = [
        c for c in ("gen_gap_accuracy", "gen_gap_loss") if c in ok.columns and ok[c].notna().any()
    ]
    candidates = ["prunability_magnitude", "prunability_random", "margin_mean"]
    candidates += [
        m.column
        for m in ctx.measures
        if m.measure in ("weight_random_accuracy", "weight_worst_accuracy")
    ]
    candidates += ["n_params"]
    predictors = [c for c in dict.fromkeys(candidates) if c in ok.columns and ok[c].notna().any()]
    out = PrunabilityStatistics(targets, predictors)
    if not targets or "prunability_magnitude" not in predictors:
        return out
    frames = []
    for how in ctx.aggregates:
        pg = aggregate_per_graph(ok, predictors, targets, how, controls=())
        out.per_graph[how] = pg
        frames.append(
            correlation_table(
                pg,
                predictors,
                targets,
                methods=("kendall", "spearman"),
                strata_col=None,
                controls=None,
                n_boot=ctx.n_boot,
                rng=rng,
                aggregate=how,
            )
        )
    out.table = pd.concat(frames, ignore_index=True)
    return out


NC_METRICS = (
    "nc1",
    "nc2_equinorm",
    "nc2_equiangular",
    "nc2_maxangle",
    "nc3",
    "nc4",
    "ncc_accuracy",
)


def _nc_columns(ctx: StudyContext) -> list[tuple[str, str, str]]:
    """(metric, clean column, perturbed column) present in the study."""
    scalar = scalar_rows(ctx.tables["robustness"])
    out = []
    for metric in NC_METRICS:
        pert = scalar.loc[(scalar["measure"] == metric) & (scalar["attack"] != "none")]
        if pert.empty or metric not in ctx.ok.columns:
            continue
        key = pert[["attack", "norm", "eps"]].drop_duplicates().iloc[0]
        col = measure_column(metric, key["attack"], key["norm"], key["eps"])
        if col in ctx.ok.columns and ctx.ok[col].notna().any():
            out.append((metric, metric, col))
    return out


@dataclass
class NCStatistics:
    """R2a and R2b: clean against perturbed collapse, and its depth profile.

    ``columns``: (metric, clean column, perturbed column) present; ``table``:
    one row per aggregate and metric (median difference, interval, p, BH q);
    ``layers``: per model and layer, NC1 clean and perturbed and their log
    ratio; ``per_graph``: each aggregate's per-graph frame; ``r2b``: per
    aggregate, the per-graph Spearman of log ratio on layer index.
    """

    columns: list[tuple[str, str, str]]
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    layers: pd.DataFrame = field(default_factory=pd.DataFrame)
    per_graph: dict[str, pd.DataFrame] = field(default_factory=dict)
    r2b: dict[str, PairedSummary] = field(default_factory=dict)


def nc_statistics(ctx: StudyContext, rng: np.random.Generator) -> NCStatistics:
    """Clean vs perturbed neural collapse (R2a) and its depth profile (R2b), per aggregate."""
    cols = _nc_columns(ctx)
    out = NCStatistics(cols)
    if cols:
        ys = [c for _, clean, pert in cols for c in (clean, pert)]
        rows = []
        for how in ctx.aggregates:
            pg = aggregate_per_graph(ctx.ok, [], ys, how, controls=())
            out.per_graph[how] = pg
            for metric, clean, pert in cols:
                diff = (pg[pert] - pg[clean]).to_numpy(dtype=float)
                summ = paired_summary(diff, n_boot=ctx.n_boot, rng=rng)
                rows.append(
                    {
                        "aggregate": how,
                        "metric": metric,
                        "perturbed": pert,
                        "n": summ.n,
                        "median_clean": float(pg[clean].median()),
                        "median_perturbed": float(pg[pert].median()),
                        "median_difference": summ.median,
                        "ci_low": summ.ci_low,
                        "ci_high": summ.ci_high,
                        "p": summ.p,
                        "p_method": summ.p_method,
                    }
                )
        table = pd.DataFrame(rows)
        table["q"] = table.groupby("aggregate")["p"].transform(
            lambda p: bh_qvalues(p.to_numpy(dtype=float))
        )
        out.table = table
    layers = long_rows(ctx, ["nc1"], layers=True)
    if not layers.empty and (layers["attack"] != "none").any():
        clean = layers.loc[layers["attack"] == "none"].set_index(["model_id", "layer"])["value"]
        pert = (
            layers.loc[layers["attack"] != "none"].groupby(["model_id", "layer"])["value"].first()
        )
        both = pd.DataFrame({"clean": clean, "perturbed": pert}).dropna().reset_index()
        both = both.loc[(both["clean"] > 0) & (both["perturbed"] > 0)]
        if len(both):
            both["log_ratio"] = np.log10(both["perturbed"] / both["clean"])
            n_layers = layers.groupby("model_id")["layer"].max() + 1
            both["relative_depth"] = both["layer"] / (both["model_id"].map(n_layers) - 1).clip(
                lower=1
            )
            out.layers = both
            rho = both.groupby("model_id").apply(
                lambda g: correlate(g["layer"], g["log_ratio"], "spearman")[0],
                include_groups=False,
            )
            for how in ctx.aggregates:
                out.r2b[how] = paired_summary(
                    per_graph_values(ctx, rho, how), n_boot=ctx.n_boot, rng=rng
                )
    return out
