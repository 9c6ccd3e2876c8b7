"""Rule attack: every robustness measure of a group's models (a graph's, or a baseline's).

A job attacks the groups of its chunk (config ``graphs_per_job``) one after the other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from graphprior.config import StudyConfig, derive_seed
from graphprior.config.sections import AttackConfig
from graphprior.data import load_dataset
from graphprior.io.tables import (
    ATTACK_CHECKS_SCHEMA,
    ROBUSTNESS_SCHEMA,
    read_table,
    write_table,
)
from graphprior.nets.checkpoints import load_stacked, stack_nets
from graphprior.nets.packed import PackedStack
from graphprior.nets.stacked import StackedNet
from graphprior.nets.train import resolve_device
from graphprior.nets.union import union_of
from graphprior.robustness import pgd, run_beyond_input_measures, run_input_attacks
from graphprior.stages.job import (
    checkpoints_resolved,
    graph_jobs,
    guarded,
    model_folder,
    run_chunk,
    start_job,
)

__all__ = ["run", "run_group", "attack_group", "load_group", "pgd_perturbation", "FAMILIES"]

#: The measure families an attack job runs per stack of models, each with its tqdm bar.
FAMILIES = ("input-space attacks", "weight, pruning and collapse measures")


def run(smk: Any) -> None:
    """Each group of the job's chunk in turn: attack its models, write its rows and gates."""
    torch.set_num_threads(smk.threads)
    jobs = graph_jobs(smk, "attack", "group", ("training", "models"), ("robustness", "checks"))
    run_chunk(smk, jobs, run_group)


def run_group(smk: Any) -> None:
    """Attack the models listed in ``input.training``; write the `robustness` rows and the gates."""
    config = start_job(smk)
    group = smk.wildcards.group
    checks: list[dict] = []
    folder = model_folder(group, smk.wildcards.chunk)
    rows = guarded(
        smk,
        group,
        lambda: attack_group(
            checkpoints_resolved(read_table(smk.input.training), smk.input.models, folder),
            config,
            checks,
        ),
        lambda: pd.DataFrame(columns=ROBUSTNESS_SCHEMA.names),
    )
    write_table(rows, smk.output.robustness, ROBUSTNESS_SCHEMA, "robustness")
    gates = pd.DataFrame(checks, columns=ATTACK_CHECKS_SCHEMA.names)
    gates["group"] = group
    write_table(gates, smk.output.checks, ATTACK_CHECKS_SCHEMA, "attack_checks")


def load_group(models: pd.DataFrame) -> tuple[StackedNet, pd.DataFrame]:
    """Load the checkpoints of one group's models (one architecture) as one stack."""
    nets = [load_stacked(p)[0] for p in models["checkpoint"]]
    return stack_nets(nets), models.reset_index(drop=True)


def pgd_perturbation(acfg: AttackConfig, seed: int):
    """The perturbation behind the 'perturbed' neural-collapse measures.

    L∞ PGD at the paper's ε with the config's L∞ steps and relative step size.
    Returns ``(perturb(net, x, y) -> x_adv, info)``.
    """
    eps, steps = acfg.paper_eps, acfg.pgd.linf.steps
    step_size = acfg.pgd.linf.rel_step * eps

    def perturb(net, x, y):
        gen = torch.Generator(device="cpu").manual_seed(seed)
        return pgd(net, x, y, eps=eps, norm="linf", steps=steps, step_size=step_size, generator=gen)

    return perturb, {"attack": "pgd", "norm": "linf", "eps": eps}


def attack_group(
    models: pd.DataFrame, config: StudyConfig, checks: list | None = None, suite: str = "full"
) -> pd.DataFrame:
    """All input-space and beyond-input measures of one group's models (long rows).

    Where ``checks`` is given, the validity gates of the group's attacks are
    appended to it as ``{"model_id", "check", "value", "threshold", "passed"}``.
    ``suite`` ``paper`` measures only the paper's measures
    (:data:`graphprior.robustness.SUITES`), no beyond-input ones.
    """
    columns = ROBUSTNESS_SCHEMA.names
    if models.empty:  # the group's training failed and was recorded
        return pd.DataFrame(columns=columns)
    device = resolve_device(config.device)
    dataset = config.dataset
    acfg, mcfg = config.attack, config.measures
    x_te, y_te = (t.to(device) for t in load_dataset(dataset, "test"))
    x_tr, y_tr = (t.to(device) for t in load_dataset(dataset, "train"))
    n_m = mcfg.n_samples
    stacks = [load_group(sub) for _, sub in models.groupby(_architecture_key(models), sort=False)]
    for net, _ in stacks:
        net.to(device)
    # one bar per measure family (into the job's log, where stderr goes)
    families = FAMILIES if suite == "full" else FAMILIES[:1]
    bars = {f: tqdm(total=len(stacks), desc=f, unit="stack", mininterval=1.0) for f in families}
    # The input-space attacks see every stack of the group at once, as one padded union
    # (graphprior.nets.union) in its packed form: per model the same logits and input
    # gradients, one kernel per layer for all of them.
    net, ids = _group_union(stacks)
    gates: list[dict] | None = [] if checks is not None else None
    seed = derive_seed("attack", *ids)
    # every test input goes in: the PGD bisection (the primary measure) sees them all,
    # the other input attacks the first attack.n_samples
    df = pd.DataFrame(run_input_attacks(net, x_te, y_te, acfg, seed, checks=gates, suite=suite))
    bars[FAMILIES[0]].update(len(stacks))
    for g in gates or []:
        checks.append({"model_id": ids[g.pop("model_index")], **g})
    frames = [_with_ids(df, ids)]
    # The weight, pruning and collapse measures act on each stack's own weights
    # (the full suite only).
    for net, sub in stacks if suite == "full" else []:
        seed = derive_seed("attack", *sub["model_id"])
        perturb, info = pgd_perturbation(acfg, seed)
        rows = run_beyond_input_measures(
            net, x_te[:n_m], y_te[:n_m], x_tr, y_tr, mcfg, seed, perturb=perturb, perturb_info=info
        )
        bars[FAMILIES[1]].update()
        frames.append(_with_ids(pd.DataFrame(rows), sub["model_id"].to_numpy()))
    for bar in bars.values():
        bar.close()
    out = pd.concat(frames, ignore_index=True)
    return out[columns]


def _group_union(
    stacks: list[tuple[StackedNet, pd.DataFrame]],
) -> tuple[StackedNet | PackedStack, np.ndarray]:
    """The group's stacks as one stack and its model ids.

    Several stacks become one padded union, attacked in its packed form
    (:class:`~graphprior.nets.packed.PackedStack`: the union's logits and input
    gradients), chosen over the union through autograd for speed
    (docs/benchmarks.md, "Settled experiments").
    """
    ids = np.concatenate([sub["model_id"].to_numpy() for _, sub in stacks])
    if len(stacks) == 1:
        return stacks[0][0], ids
    return PackedStack(union_of([net for net, _ in stacks])[0]), ids


def _with_ids(rows: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
    rows["model_id"] = ids[rows["model_index"].to_numpy()]
    return rows.drop(columns=["model_index"])


def _architecture_key(models: pd.DataFrame) -> pd.Series:
    """Models trained in one stack share an architecture.

    Baselines group by shape; a graph's models by arm and orientation seed
    (one network each); a table without those columns is one stack.
    """
    if "shape" in models and models["shape"].notna().any():
        return models["shape"].fillna("graph")
    if "arm" in models and models["arm"].notna().any():
        seeds = models["orientation_seed"].astype("Int64").astype(str)
        return models["arm"].fillna("") + "--o" + seeds
    return pd.Series(np.zeros(len(models), dtype=int), index=models.index)
