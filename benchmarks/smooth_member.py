"""What the smooth-surrogate member adds to AutoAttack: gates and robust accuracy, per arm.

``apgd_smooth`` (docs/measures.md, "AutoAttack") is APGD-CE through a
softplus surrogate of every ReLU. This script reads the models of a finished
default run (``--results``, after ``make run``) and, for each arm (the
paper-interface arm, the fixed-interface arm, the baselines), attacks every
stack of the arm, or the first ``--stacks`` stacks, twice on the default 100
test inputs with the run's config: with the ensemble of the first three
members (APGD-CE, APGD-T, Square) and with the smooth member added. It
counts the models that fail the masking gates each way (the largest ε not
fooling, zero gradients, Square stronger than the gradient members), the
change of ``autoattack`` robust accuracy at the default ε, and the CPU time
of the added member over that of the three (approximate: the member's time
is that of a second run of it with another seed, subtracted from the
ensemble's). The more-effort gate is left out: it asks whether the budget
converged, not whether the gradient is masked. One seed (0) for every stack,
the first ε of each norm (the default has one).

Usage::

    make run   # or snakemake --cores 2: a finished default run
    .venv/bin/python benchmarks/smooth_member.py [--results results] [--stacks 20]

Prints a Markdown table and writes it to ``benchmarks/results/smooth_member.md``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from _finished_run import arm_of, setup, stacks
from _record import record

from graphprior.robustness.apgd import apgd
from graphprior.robustness.autoattack import autoattack, budget_from_config
from graphprior.robustness.gates import apgd_ce_plain_and_smooth, zero_gradient_shares
from graphprior.robustness.smooth import smooth_relu_gradients

RESULTS = Path(__file__).parent / "results" / "smooth_member.md"


def _measure(net, x, y, acfg: dict, seed: int) -> dict[str, np.ndarray]:
    """Per model: masking-gate failures and ``autoattack`` robust accuracy, without/with."""
    budget, tol = budget_from_config(acfg["autoattack"]), float(acfg["checks"]["tolerance"])
    out = {"cpu_three": 0.0, "cpu_smooth": 0.0}
    fail = {w: np.zeros(net.k, dtype=bool) for w in ("without", "with")}
    drop = np.zeros(net.k)
    for j, norm in enumerate(("linf", "l2")):
        eps = float(acfg["autoattack"][norm]["eps"][0])
        t0 = time.process_time()
        r = autoattack(net, x, y, eps, norm=norm, budget=budget, seed=seed + j)
        t1 = time.process_time()
        with smooth_relu_gradients():  # the member alone again, for its time
            apgd(
                net, x, y, eps, norm=norm, loss="ce", budget=budget.apgd_ce,
                generator=torch.Generator().manual_seed(seed + 5 + j),
            )  # fmt: skip
        out["cpu_smooth"] += time.process_time() - t1
        out["cpu_three"] += (t1 - t0) - (time.process_time() - t1)
        sm = r["apgd_smooth"]
        three = r["apgd_ce"] & r["apgd_t"] & r["square"]
        drop = np.maximum(drop, (three.double().mean(1) - (three & sm).double().mean(1)).numpy())
        white3 = torch.minimum(r["apgd_ce"].double().mean(1), r["apgd_t"].double().mean(1))
        white4 = torch.minimum(white3, sm.double().mean(1))
        sq = r["square"].double().mean(1)
        fail["without"] |= ((white3 - sq) > tol + 1e-12).numpy()
        fail["with"] |= ((white4 - sq) > tol + 1e-12).numpy()
        big = float(acfg["min_perturbation"][f"{norm}_max"])
        gens = [torch.Generator().manual_seed(seed + s + j) for s in (20, 22)]
        plain, smooth = apgd_ce_plain_and_smooth(net, x, y, big, norm, budget.apgd_ce, gens)
        fail["without"] |= (plain.double().mean(1) > tol + 1e-12).numpy()
        fail["with"] |= ((plain & smooth).double().mean(1) > tol + 1e-12).numpy()
    own, blind, _ = zero_gradient_shares(net, x, y)
    fail["without"] |= own > tol + 1e-12
    fail["with"] |= blind > tol + 1e-12
    return {**out, **fail, "drop": drop}


def main() -> None:
    args, acfg, models, x, y = setup(__doc__.splitlines()[0], 20)
    n = len(y)
    lines = [
        f"`python benchmarks/smooth_member.py --results {args.results} --stacks {args.stacks}`, "
        f"{time.strftime('%Y-%m-%d')}: the models of a finished default run, {n} digits "
        f"inputs, the default AutoAttack budget at L∞ "
        f"{acfg['autoattack']['linf']['eps'][0]:g} and L2 {acfg['autoattack']['l2']['eps'][0]:g}; "
        "masking gates: largest ε fools, zero-gradient share, Square not stronger.",
        "",
        "| arm | models | failing a masking gate, 3 members | with `apgd_smooth` | "
        "`autoattack` drop, mean | max | CPU of the member / the 3 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for arm, sub in models.groupby(arm_of(models), sort=True):
        res = [_measure(net, x, y, acfg, 0) for net in stacks(sub, args.results, args.stacks)]
        k = sum(len(r["drop"]) for r in res)
        drop = np.concatenate([r["drop"] for r in res])
        without = sum(int(r["without"].sum()) for r in res)
        with_ = sum(int(r["with"].sum()) for r in res)
        ratio = sum(r["cpu_smooth"] for r in res) / sum(r["cpu_three"] for r in res)
        lines.append(
            f"| {arm} | {k} | {without} | {with_} | {drop.mean():.3f} | {drop.max():.2f} | "
            f"{ratio:.2f} |"
        )
    record("# The smooth-surrogate member of AutoAttack\n\n" + "\n".join(lines), RESULTS)


if __name__ == "__main__":
    main()
