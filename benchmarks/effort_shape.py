"""The more-effort gate's shape: the cost and the verdicts of doubling the restarts too.

The gate ``more_effort`` (docs/measures.md, "Validity gates") attacks every
model again with the white-box members at ``effort_factor``× the steps, from
new random starts, and fails a model whose ``autoattack`` robust accuracy
drops by more than ``checks.tolerance``; failing models are escalated. This
script compares two shapes of that stronger run on the models of a finished
default run (``--results``, after ``make run``): APGD-CE and ``apgd_smooth``
with the configured restarts (the default) and with ``effort_factor``× the
restarts too (the shape before 2026-12-02). APGD-T keeps its restarts in both.
Per arm (the paper-interface arm, the fixed-interface arm, the baselines;
every stack of the arm, or the first ``--stacks``): the checks that failed the
first doubling (escalated), those failing after the last escalation, the
largest difference of ``autoattack`` robust accuracy between the two shapes,
and the CPU time of the gate, one shape over the other. Same models, default
100 inputs, ε and seeds, one thread.

Usage::

    make run   # or snakemake --cores 2: a finished default run
    .venv/bin/python benchmarks/effort_shape.py [--results results] [--stacks 30]

Prints a Markdown table and writes it to ``benchmarks/results/effort_shape.md``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from _finished_run import arm_of, setup, stacks
from _record import record

from graphprior.robustness.autoattack import autoattack, budget_from_config
from graphprior.robustness.gates import effort_gate

RESULTS = Path(__file__).parent / "results" / "effort_shape.md"
SHAPES = {"steps × factor (default)": False, "steps and restarts × factor": True}


def _measure(net, x, y, acfg: dict, seed: int) -> dict[bool, dict]:
    """Per shape: escalated and failed checks, CPU seconds and ``autoattack`` per model × norm."""
    budget = budget_from_config(acfg["autoattack"])
    checks = acfg["checks"]
    factor, tol = int(checks["effort_factor"]), float(checks["tolerance"])
    out = {s: {"escalated": 0, "failed": 0, "cpu": 0.0, "aa": []} for s in SHAPES.values()}
    for j, norm in enumerate(("linf", "l2")):
        eps = float(acfg["autoattack"][norm]["eps"][0])
        robust = autoattack(net, x, y, eps, norm=norm, budget=budget, seed=seed + j)["autoattack"]
        for shape, o in out.items():
            gens = tuple(torch.Generator().manual_seed(seed + s + j) for s in (10, 12, 14))
            t0 = time.process_time()
            rows, worst, effort = effort_gate(
                net, x, y, robust, eps, norm, (budget.apgd_ce, budget.apgd_t), factor, tol,
                gens, int(checks["max_escalations"]), scale_restarts=shape,
            )  # fmt: skip
            o["cpu"] += time.process_time() - t0
            o["escalated"] += int((effort > factor).sum())
            o["failed"] += sum(not r["passed"] for r in rows)
            o["aa"].append(worst.double().mean(1).numpy())
    return out


def main() -> None:
    args, acfg, models, x, y = setup(__doc__.splitlines()[0], 30)
    n = len(y)
    new, old = SHAPES.values()
    lines = [
        f"`python benchmarks/effort_shape.py --results {args.results} --stacks {args.stacks}`, "
        f"{time.strftime('%Y-%m-%d')}: the models of a finished default run, {n} digits inputs, "
        f"the default budget at L∞ {acfg['autoattack']['linf']['eps'][0]:g} and L2 "
        f"{acfg['autoattack']['l2']['eps'][0]:g}, effort factor "
        f"{acfg['checks']['effort_factor']}, at most {acfg['checks']['max_escalations']} "
        "escalations; checks = models × 2 norms. Left of each pair: the default shape "
        "(steps × factor); right: steps and restarts × factor.",
        "",
        "| arm | checks | escalated | failed at the end | largest `autoattack` difference "
        "| gate CPU, default / both × factor |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for arm, sub in models.groupby(arm_of(models), sort=True):
        res = [_measure(net, x, y, acfg, 0) for net in stacks(sub, args.results, args.stacks)]

        def total(shape: bool, key: str, res=res) -> float:
            return sum(r[shape][key] for r in res)

        aa = {s: np.concatenate([a for r in res for a in r[s]["aa"]]) for s in (new, old)}
        lines.append(
            f"| {arm} | {len(aa[new])} | {total(new, 'escalated'):.0f} / "
            f"{total(old, 'escalated'):.0f} | {total(new, 'failed'):.0f} / "
            f"{total(old, 'failed'):.0f} | {np.abs(aa[new] - aa[old]).max():.2f} | "
            f"{total(new, 'cpu') / total(old, 'cpu'):.2f} |"
        )
    record("# The more-effort gate's shape\n\n" + "\n".join(lines), RESULTS)


if __name__ == "__main__":
    main()
