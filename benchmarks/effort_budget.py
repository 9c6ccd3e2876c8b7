"""Does a larger AutoAttack budget make the more-effort gate pass? Failures per base budget.

The gate ``more_effort`` (docs/measures.md, "Validity gates") reruns APGD-CE,
APGD-T and ``apgd_smooth`` from new random starts with ``effort_factor``× the
steps (the recorded table is of the earlier shape, which doubled APGD-CE's
restarts too; docs/benchmarks.md compares the two), and fails a model whose ``autoattack`` robust
accuracy drops by more than ``checks.tolerance`` (one point: one input of
the default 100). If the failures came from an unconverged base budget, a
larger base budget would remove them. This script trains the fixed-interface
models of ``--graphs`` G(50, m) graphs with the default study's config
(``--epochs`` epochs), then, for each base budget, runs the ensemble and the
gate at the default ε (L∞ 0.1, L2 0.5) on the default 100 inputs and counts
failed gates; last, the workflow's own answer: the default budget with the
gate escalated per failing model. Every row sees the same models, inputs and
seeds.

Usage::

    .venv/bin/python benchmarks/effort_budget.py [--graphs 12] [--epochs 20]

Prints a Markdown table and writes it to ``benchmarks/results/effort_budget.md``.
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from pathlib import Path

import networkx as nx
import torch
import yaml
from _record import record

from graphprior.config import validate_config
from graphprior.data import load_dataset
from graphprior.nets.union import union_of
from graphprior.robustness.autoattack import autoattack, budget_from_config
from graphprior.robustness.gates import effort_gate
from graphprior.stages.attack import _architecture_key, load_group
from graphprior.stages.train_sparse_nets import train_graph_models

RESULTS = Path(__file__).parent / "results" / "effort_budget.md"
CONFIG = Path(__file__).parents[1] / "config" / "config.yaml"
#: (APGD-CE steps, restarts), (APGD-T steps, restarts, target classes)
BUDGETS = {
    "default: CE 25×1, T 25×2 targets": ((25, 1), (25, 1, 2)),
    "CE 50×1, T 50×2 targets": ((50, 1), (50, 1, 2)),
    "CE 25×2, T 25×3 targets": ((25, 2), (25, 1, 3)),
    "CE 50×2, T 50×2 targets": ((50, 2), (50, 1, 2)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    raw = yaml.safe_load(CONFIG.read_text())
    raw["training"]["epochs"] = args.epochs
    raw["device"] = "cpu"
    raw["mapping"]["extra_arms"] = []
    config = validate_config(raw)
    acfg = config["attack"]
    x, y = load_dataset("digits", "test")
    x, y = x[: int(acfg["n_samples"])], y[: int(acfg["n_samples"])]
    nets = []
    with tempfile.TemporaryDirectory() as tmp:
        for s in range(args.graphs):
            m = (100, 200)[s % 2]
            models = train_graph_models(nx.gnm_random_graph(50, m, seed=s), f"g{s}", config, tmp)
            stacks = [load_group(sub)[0] for _, sub in models.groupby(_architecture_key(models))]
            nets.append(union_of(stacks)[0])
    n_models = sum(n.k for n in nets)
    factor, tol = int(acfg["checks"]["effort_factor"]), float(acfg["checks"]["tolerance"])
    lines = [
        f"`python benchmarks/effort_budget.py --graphs {args.graphs} --epochs {args.epochs}`, "
        f"{time.strftime('%Y-%m-%d')}: {n_models} fixed-interface models of {args.graphs} "
        f"G(50, m) graphs (m = 100, 200 alternating), {len(x)} digits inputs, effort factor "
        f"{factor}, tolerance {tol:g}; a gate fails when the stronger runs fool more than "
        f"{round(tol * len(x))} further input(s).",
        "",
        "| base budget | failed gates (L∞ 0.1 + L2 0.5) | largest drop | CPU s |",
        "|---|---:|---:|---:|",
    ]
    for name, (ce, t) in BUDGETS.items():
        a = copy.deepcopy(acfg["autoattack"])
        a["apgd_ce"].update(steps=ce[0], restarts=ce[1])
        a["apgd_t"].update(steps=t[0], restarts=t[1], n_targets=t[2])
        budget = budget_from_config(a)
        fails, worst, start = 0, 0.0, time.process_time()
        for net in nets:
            for j, (norm, eps) in enumerate((("linf", 0.1), ("l2", 0.5))):
                robust = autoattack(net, x, y, eps, norm=norm, budget=budget, seed=7 + j)
                gens = tuple(torch.Generator().manual_seed(s) for s in (11 + j, 13 + j, 15 + j))
                rows, _, _ = effort_gate(
                    net, x, y, robust["autoattack"], eps=eps, norm=norm,
                    budget=(budget.apgd_ce, budget.apgd_t), factor=factor, tol=tol, generators=gens,
                )  # fmt: skip
                fails += sum(not r["passed"] for r in rows)
                worst = max([worst, *(r["value"] for r in rows)])
        lines.append(
            f"| {name} | {fails} of {2 * n_models} | {worst:.2f} | "
            f"{time.process_time() - start:.0f} |"
        )
    # the workflow's answer: the default budget, escalated per failing model
    budget = budget_from_config(acfg["autoattack"])
    fails, worst, start, escalated = 0, 0.0, time.process_time(), 0
    for net in nets:
        for j, (norm, eps) in enumerate((("linf", 0.1), ("l2", 0.5))):
            robust = autoattack(net, x, y, eps, norm=norm, budget=budget, seed=7 + j)
            gens = tuple(torch.Generator().manual_seed(s) for s in (11 + j, 13 + j, 15 + j))
            rows, _, effort = effort_gate(
                net, x, y, robust["autoattack"], eps=eps, norm=norm,
                budget=(budget.apgd_ce, budget.apgd_t), factor=factor, tol=tol, generators=gens,
                max_escalations=int(acfg["checks"]["max_escalations"]),
            )  # fmt: skip
            fails += sum(not r["passed"] for r in rows)
            worst = max([worst, *(r["value"] for r in rows)])
            escalated += int((effort > factor).sum())
    lines.append(
        f"| default, escalated (`checks.max_escalations` "
        f"{acfg['checks']['max_escalations']}; {escalated} model-checks escalated) | "
        f"{fails} of {2 * n_models} | {worst:.2f} | {time.process_time() - start:.0f} |"
    )
    record("# More-effort gate against the base budget\n\n" + "\n".join(lines), RESULTS)


if __name__ == "__main__":
    main()
