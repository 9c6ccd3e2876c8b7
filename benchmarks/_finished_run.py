"""The models of a finished default run, by arm and stack, for the benchmarks that read one."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import torch

from graphprior import load_config
from graphprior.data import load_dataset
from graphprior.stages.attack import _architecture_key, load_group

CONFIG = Path(__file__).parents[1] / "config" / "config.yaml"


def setup(description: str, default_stacks: int):
    """Parse ``--results``/``--stacks``; one thread; the default ``attack`` config, models, inputs.

    Returns ``(args, acfg, models, x, y)``: ``acfg`` the default config's
    ``attack`` section, ``models`` the run's trained models, ``x, y`` the first
    ``attack.n_samples`` digits test inputs, as the attack stage takes them.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument(
        "--stacks", type=int, default=default_stacks, help="stacks per arm, at most"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    acfg = load_config(CONFIG)["attack"]
    x, y = load_dataset("digits", "test")
    n = int(acfg["n_samples"])
    return args, acfg, ok_models(args.results), x[:n], y[:n].long()


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
