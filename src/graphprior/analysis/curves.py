"""Robustness against the attack radius ε (or weight δ): long rows and their medians.

The long ``robustness`` table joined with the model metadata
(:func:`long_rows`), medians and quartiles over graphs (:func:`median_curve`), the
monotonicity check of robust accuracy (:func:`monotone_violations`) and the
clean point δ = 0 of the weight-perturbation curves (:func:`with_clean_point`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from graphprior.analysis.study.table import ok_rows
from graphprior.analysis.study_context import StudyContext
from graphprior.config.choices import GRAPH_FAMILY, Status

__all__ = [
    "long_rows",
    "median_curve",
    "monotone_violations",
    "clean_accuracy",
    "with_clean_point",
    "per_graph_values",
]


def long_rows(ctx: StudyContext, measures: Sequence[str], *, layers: bool = False) -> pd.DataFrame:
    """Rows of the long robustness table for trainable models, with family, generator, label."""
    rob = ctx.tables["robustness"]
    if rob.empty or "measure" not in rob.columns:
        return pd.DataFrame()
    if "layer" in rob.columns:
        rob = rob.loc[rob["layer"].notna() if layers else rob["layer"].isna()]
    elif layers:
        return pd.DataFrame()
    rob = rob.loc[rob["measure"].isin(measures)]
    meta_cols = [
        c
        for c in ("model_id", "model_family", "generator", "graph_id", "status", "init")
        if c in ctx.study
    ]
    out = rob.merge(ctx.study[meta_cols], on="model_id", how="inner")
    out = out.loc[out["status"] == Status.OK].copy()
    out["label"] = np.where(
        out["model_family"] == GRAPH_FAMILY,
        out["generator"].astype(str),
        out["model_family"].astype(str),
    )
    return out


def median_curve(long: pd.DataFrame, value: str = "value") -> pd.DataFrame:
    """Median and quartiles over graphs (graph nets: per-graph means first) or models (baselines)."""
    unit = np.where(
        long["model_family"] == GRAPH_FAMILY,
        long["graph_id"].astype(str),
        long["model_id"].astype(str),
    )
    keys = ["label", "attack", "norm", "eps"]
    per_unit = (
        long.assign(unit=unit).groupby(keys + ["unit"], dropna=False)[value].mean().reset_index()
    )
    return (
        per_unit.groupby(keys, dropna=False)[value]
        .agg(
            median="median",
            q25=lambda v: v.quantile(0.25),
            q75=lambda v: v.quantile(0.75),
            n="count",
        )
        .reset_index()
    )


def monotone_violations(long: pd.DataFrame) -> pd.DataFrame:
    """Per attack and norm: ε steps where a model's robust accuracy rises."""
    rows = []
    for (attack, norm), part in long.groupby(["attack", "norm"], sort=True):
        rises, steps = 0, 0
        for _, g in part.groupby("model_id"):
            v = g.sort_values("eps")["value"].to_numpy(dtype=float)
            d = np.diff(v)
            rises += int((d > 1e-12).sum())
            steps += int(d.size)
        rows.append(
            {
                "attack": attack,
                "norm": norm,
                "models": part["model_id"].nunique(),
                "eps_steps": steps,
                "rises": rises,
            }
        )
    return pd.DataFrame(rows)


def clean_accuracy(ctx: StudyContext) -> pd.Series:
    """Clean accuracy per trainable model: the `clean_accuracy` measure, else test accuracy."""
    ok = ok_rows(ctx.study).set_index("model_id")
    if "clean_accuracy" in ok.columns and ok["clean_accuracy"].notna().any():
        return ok["clean_accuracy"].fillna(ok["test_accuracy"]).astype(float)
    return ok["test_accuracy"].astype(float)


def with_clean_point(ctx: StudyContext, long: pd.DataFrame) -> pd.DataFrame:
    """Add δ = 0 (the clean accuracy) to every weight-perturbation curve that lacks it."""
    if long.empty:
        return long
    keys = ["model_id", "measure", "norm"]
    has_zero = long.groupby(keys)["eps"].transform(lambda e: bool(np.isclose(e, 0.0).any()))
    missing = long.loc[~has_zero.astype(bool)].drop_duplicates(keys).copy()
    clean = clean_accuracy(ctx)
    missing["eps"] = 0.0
    missing["value"] = missing["model_id"].map(clean)
    missing = missing.loc[missing["value"].notna()]
    return pd.concat([long, missing], ignore_index=True)


def per_graph_values(ctx: StudyContext, per_model: pd.Series, how: str) -> np.ndarray:
    """Aggregate a per-model value (indexed by model_id) to one value per graph."""
    meta = ctx.ok.set_index("model_id")["graph_id"]
    df = pd.DataFrame(
        {"graph_id": meta.reindex(per_model.index), "v": per_model.to_numpy(dtype=float)}
    )
    df = df.loc[df["graph_id"].notna() & np.isfinite(df["v"])]
    return df.groupby("graph_id")["v"].agg(how).to_numpy(dtype=float)
