"""Rule attack_baseline: one pruning step (or density level) of one baseline group.

A baseline group stacks every model of all its pruning steps; attacked as one
job it is the study's longest chain (the paper preset's group: 1,260 models).
The workflow plans one job per part (:func:`graphprior.config.baseline_parts`),
before any model exists, so parts never share a job with anything else.

A part gets the full suite when some graph net is paired with it (its
``matched_density`` is the nearest of the group's part densities to a graph
net's, the pairing the report's baseline comparison makes); every other part
gets the paper's measures only (:data:`graphprior.robustness.SUITES`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from graphprior.analysis.groups import nearest_level
from graphprior.config import parse_baseline_part
from graphprior.io.tables import ATTACK_CHECKS_SCHEMA, ROBUSTNESS_SCHEMA, read_table, write_table
from graphprior.stages.attack import attack_group
from graphprior.stages.job import (
    checkpoints_resolved,
    chunk_files,
    guarded,
    model_folder,
    start_job,
)

__all__ = ["run", "part_models", "part_suite"]


def run(smk: Any) -> None:
    """Attack the models of the job's part; write its `robustness` rows and its gates."""
    config = start_job(smk)
    unit = f"{smk.wildcards.baseline}--{smk.wildcards.part}"
    group, kind, index = parse_baseline_part(unit)
    models = checkpoints_resolved(
        read_table(smk.input.training), smk.input.models, model_folder(smk.wildcards.baseline)
    )
    graph_training = chunk_files(smk.input.graph_training, smk.params.chunks, "training")
    graph_models = [read_table(p) for p in graph_training]
    checks: list[dict] = []

    def attack() -> pd.DataFrame:
        part = part_models(models, kind, index)
        suite = part_suite(models, kind, index, graph_models)
        return attack_group(part, config, checks, suite=suite)

    rows = guarded(smk, unit, attack, lambda: pd.DataFrame(columns=ROBUSTNESS_SCHEMA.names))
    write_table(rows, smk.output.robustness, ROBUSTNESS_SCHEMA, "robustness")
    gates = pd.DataFrame(checks, columns=ATTACK_CHECKS_SCHEMA.names)
    gates["group"] = group
    write_table(gates, smk.output.checks, ATTACK_CHECKS_SCHEMA, "attack_checks")


def _part_keys(models: pd.DataFrame, kind: str) -> pd.Series:
    """Each model's part number: its pruning step, or the rank of its target density."""
    if kind == "step":
        return models["prune_step"].astype("Int64")
    levels = np.sort(models["target_density"].dropna().astype(float).unique())
    return models["target_density"].map({d: i for i, d in enumerate(levels)}).astype("Int64")


def part_models(models: pd.DataFrame, kind: str, index: int) -> pd.DataFrame:
    """The rows of a group's `models` table in part ``index`` (empty when the part has none).

    >>> t = pd.DataFrame({"model_id": list("abcd"), "target_density": [0.5, 0.2, 0.5, 0.2]})
    >>> part_models(t, "level", 1)["model_id"].tolist()
    ['a', 'c']
    """
    if models.empty:
        return models
    return models.loc[(_part_keys(models, kind) == index).fillna(False).to_numpy()]


def part_suite(
    models: pd.DataFrame, kind: str, index: int, graph_models: list[pd.DataFrame]
) -> str:
    """``full`` when some graph net is paired with part ``index``, else ``paper``.

    A graph net is paired with the part whose mean ``matched_density`` is the
    nearest to its own (the lower on a tie), each model's and each graph's
    mean over its models both count. Without any graph net's density there is
    nothing to pair: every part gets the full suite.

    >>> base = pd.DataFrame({"prune_step": [0, 1, 2], "matched_density": [1.0, 0.5, 0.25]})
    >>> graphs = [pd.DataFrame({"group": ["g", "g"], "matched_density": [0.3, 0.4]})]
    >>> [part_suite(base, "step", i, graphs) for i in range(3)]
    ['paper', 'full', 'full']
    """
    graphs = pd.concat([g for g in graph_models if len(g)] or [pd.DataFrame()], ignore_index=True)
    if "matched_density" not in graphs or models.empty:
        return "full"
    graphs = graphs.loc[np.isfinite(graphs["matched_density"].astype(float))]
    if graphs.empty:
        return "full"
    keys = _part_keys(models, kind)
    density = models["matched_density"].astype(float).groupby(keys.to_numpy()).mean()
    density = density.loc[np.isfinite(density.to_numpy())].sort_values().drop_duplicates()
    if density.empty or index not in density.index:
        return "full"
    per_graph = graphs.groupby("group")["matched_density"].mean().to_numpy(dtype=float)
    wanted = np.concatenate([graphs["matched_density"].to_numpy(dtype=float), per_graph])
    paired = set(density.index[nearest_level(wanted, density.to_numpy())].tolist())
    return "full" if index in paired else "paper"
