"""The models of a finished default run, by arm and stack, for the benchmarks that read one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from graphprior.stages.attack import _architecture_key, load_group


def ok_models(results: Path) -> pd.DataFrame:
    """The ``models`` table of ``results`` (a finished run's folder), trained models only."""
    models = pd.read_parquet(results / "tables" / "models.parquet")
    return models[models["status"] == "ok"] if "status" in models else models


def arm_of(models: pd.DataFrame) -> pd.Series:
    """Each model's arm: ``paper_interface``, ``fixed_interface`` or ``baseline``."""
    return models["arm"].fillna("baseline").where(models["family"] == "graph_prior", "baseline")


def stacks(models: pd.DataFrame, results: Path, limit: int) -> list:
    """The models' stacks (one architecture each, as the attack stage loads them), at most ``limit``."""
    out = []
    for _, group in models.groupby("group", sort=True):
        for _, sub in group.groupby(_architecture_key(group), sort=False):
            sub = sub.assign(checkpoint=[str(results / p) for p in sub["checkpoint"]])
            out.append(load_group(sub)[0])
            if len(out) == limit:
                return out
    return out
