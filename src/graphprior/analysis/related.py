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

from typing import Any

import numpy as np
import pandas as pd

from graphprior.analysis.context import StudyContext
from graphprior.analysis.correlation_table import correlation_table
from graphprior.analysis.curves import long_rows, per_graph_values, with_clean_point
from graphprior.analysis.stats.bootstrap import paired_summary
from graphprior.analysis.stats.correlation import correlate
from graphprior.analysis.stats.multiple_testing import bh_qvalues
from graphprior.analysis.study.aggregate import aggregate_per_graph
from graphprior.analysis.study.columns import scalar_rows
from graphprior.analysis.study.table import measure_column

__all__ = ["weight_statistics", "prunability_statistics", "nc_statistics", "NC_METRICS"]


def weight_statistics(ctx: StudyContext, rng: np.random.Generator) -> dict[str, Any]:
    """Claims R3a (accuracy falls with δ) and R3b (worst case below random), per aggregate."""
    long = with_clean_point(
        ctx, long_rows(ctx, ["weight_random_accuracy", "weight_worst_accuracy"])
    )
    out: dict[str, Any] = {"long": long}
    if long.empty:
        return out
    graph_long = long.loc[long["family"] == "graph_prior"].sort_values("eps", kind="stable")
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
        out[("R3a", how)] = paired_summary(
            per_graph_values(ctx, mono_s, how), n_boot=ctx.n_boot, rng=rng
        )
        out[("R3b", how)] = paired_summary(
            per_graph_values(ctx, gap, how), n_boot=ctx.n_boot, rng=rng
        )
        out[("drop", how)] = paired_summary(per_graph_values(ctx, drop_s, how), n_boot=0, rng=rng)
    return out


def _monotonicity(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman ρ of y on x (≥ 3 points), or the sign of the change for two points."""
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size == 2 and x[0] != x[1]:
        return float(np.sign((y[1] - y[0]) * (x[1] - x[0])))
    return correlate(x, y, "spearman")[0]


def prunability_statistics(ctx: StudyContext, rng: np.random.Generator) -> dict[str, Any]:
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
    out: dict[str, Any] = {"targets": targets, "predictors": predictors, "table": pd.DataFrame()}
    if not targets or "prunability_magnitude" not in predictors:
        return out
    frames = []
    for how in ctx.aggregates:
        pg = aggregate_per_graph(ok, predictors, targets, how, controls=())
        out[("pg", how)] = pg
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
    out["table"] = pd.concat(frames, ignore_index=True)
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


def nc_statistics(ctx: StudyContext, rng: np.random.Generator) -> dict[str, Any]:
    """Clean vs perturbed neural collapse (R2a) and its depth profile (R2b), per aggregate."""
    cols = _nc_columns(ctx)
    out: dict[str, Any] = {"columns": cols, "table": pd.DataFrame(), "layers": pd.DataFrame()}
    if cols:
        ys = [c for _, clean, pert in cols for c in (clean, pert)]
        rows = []
        for how in ctx.aggregates:
            pg = aggregate_per_graph(ctx.ok, [], ys, how, controls=())
            out[("pg", how)] = pg
            for metric, clean, pert in cols:
                diff = (pg[pert] - pg[clean]).to_numpy(dtype=float)
                summ = paired_summary(diff, n_boot=ctx.n_boot, rng=rng)
                rows.append(
                    {
                        "aggregate": how,
                        "metric": metric,
                        "perturbed": pert,
                        "n": summ["n"],
                        "median_clean": float(pg[clean].median()),
                        "median_perturbed": float(pg[pert].median()),
                        "median_difference": summ["median"],
                        "ci_low": summ["ci_low"],
                        "ci_high": summ["ci_high"],
                        "p": summ["p"],
                        "p_method": summ["p_method"],
                    }
                )
        table = pd.DataFrame(rows)
        table["q"] = table.groupby("aggregate")["p"].transform(
            lambda p: bh_qvalues(p.to_numpy(dtype=float))
        )
        out["table"] = table
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
            out["layers"] = both
            rho = both.groupby("model_id").apply(
                lambda g: correlate(g["layer"], g["log_ratio"], "spearman")[0],
                include_groups=False,
            )
            for how in ctx.aggregates:
                out[("R2b", how)] = paired_summary(
                    per_graph_values(ctx, rho, how), n_boot=ctx.n_boot, rng=rng
                )
    return out
