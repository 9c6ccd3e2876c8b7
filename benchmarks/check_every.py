"""PGD and APGD with a convergence check every iteration or every few, side by side.

PGD (early stopping) and APGD drop the inputs every model already
misclassifies; deciding that is a host sync on a GPU. They ask only every
``graphprior.robustness.stacking.CHECK_EVERY`` iterations; in between,
finished inputs keep being computed (their results frozen). On a CPU the
question is what the extra work costs: this script attacks the 360 digits
test inputs with a stack of 3 trained 64-32-10 nets, once per period, in
alternating rounds (one thread), and prints each period's median time over
that of a check every iteration.

Usage: python benchmarks/check_every.py [--periods 1 4 8] [--rounds 5]

Writes benchmarks/results/check_every.md.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import statistics
import time
from pathlib import Path

import torch
from _record import record
from attack import train_stack

from graphprior.data import load_dataset
from graphprior.graphs.netspec import dense_spec
from graphprior.robustness import fgsm_pgd
from graphprior.robustness.apgd import ApgdBudget, apgd

apgd_module = importlib.import_module("graphprior.robustness.apgd")  # the module, not the function


def attacks(net, x, y) -> float:
    """Seconds of PGD L-inf and L2 (20 steps, early stop) and APGD-CE (50 steps) at mid budgets."""
    start = time.perf_counter()
    for norm, eps in (("linf", 0.05), ("l2", 0.5)):
        fgsm_pgd.pgd(net, x, y, eps=eps, norm=norm, steps=20, early_stop=True,
                     generator=torch.Generator().manual_seed(1))  # fmt: skip
        apgd(net, x, y, eps, norm=norm, loss="ce", budget=ApgdBudget(50, 1),
             generator=torch.Generator().manual_seed(2))  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--periods", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    net = train_stack(3, dense_spec((1, 8, 8), [32], 10), epochs=8)
    x, y = load_dataset("digits", "test")
    times: dict[int, list[float]] = {p: [] for p in args.periods}
    for _ in range(args.rounds):
        for period in args.periods:
            fgsm_pgd.CHECK_EVERY = apgd_module.CHECK_EVERY = period
            times[period].append(attacks(net, x, y))
    base = statistics.median(times[args.periods[0]])
    lines = [
        f"torch {torch.__version__}, 1 thread, {platform.machine()}; {args.rounds} alternating "
        f"rounds; PGD L-inf and L2 (20 steps) and APGD-CE (50 steps) on 360 digits inputs, "
        f"3 stacked 64-32-10 nets.",
        "",
        "| check every | median s | over every iteration |",
        "|---|---|---|",
        *(
            f"| {p} | {statistics.median(t):.3f} | {statistics.median(t) / base:.2f} |"
            for p, t in times.items()
        ),
    ]
    record(
        "# Convergence check period\n\n" + "\n".join(lines),
        Path(__file__).parent / "results" / "check_every.md",
    )


if __name__ == "__main__":
    main()
