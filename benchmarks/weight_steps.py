"""Benchmark: worst-case weight-perturbation accuracy as its steps double (docs/benchmarks.md).

A K = 7 stack of the Watts–Strogatz graph net of ``benchmarks/attack.py``
trained 40 epochs; 300 test inputs; every δ of the default grid, both norms.
Prints, per step count, the mean accuracy over the models and the largest
change of any model's accuracy since the previous (half) step count.

Usage::

    .venv/bin/python benchmarks/weight_steps.py
"""

from __future__ import annotations

import numpy as np
import torch
from attack import train_stack

from graphprior.data import load_dataset
from graphprior.robustness.weights import worst_case_weight_perturbation_accuracy

DELTAS = [0.01, 0.02, 0.05, 0.1, 0.2]


def main() -> None:
    torch.set_num_threads(1)
    net = train_stack(7, epochs=40)
    xt, yt = load_dataset("digits", "test")
    x, y = xt[:300], yt[:300]
    prev = None
    for steps in (5, 10, 20, 40, 80):
        out = {
            norm: np.asarray(
                worst_case_weight_perturbation_accuracy(
                    net, x, y, DELTAS, norm, steps, torch.Generator().manual_seed(0),
                    step_size=None,
                )
            )
            for norm in ("linf", "l2")
        }  # fmt: skip
        if prev is not None:
            change = max(float(np.abs(out[n] - prev[n]).max()) for n in out)
            print(
                f"steps {steps}: largest change of a model's accuracy vs {steps // 2}: {change:.4f}"
            )
        print(steps, {n: out[n].mean(0).round(3).tolist() for n in out}, flush=True)
        prev = out


if __name__ == "__main__":
    main()
