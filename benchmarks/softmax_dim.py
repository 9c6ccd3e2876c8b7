"""Softmax and cross-entropy over a last dimension of classes against the transposed view.

PyTorch's CPU softmax and log-softmax kernels are slow over a last dimension as
short as 10 classes; over dimension 1 of the ``(K, C, B)`` view they compute
the same values several times faster. This times, for stacked logits
``(K, B, 10)`` of the sizes the training loop and the attacks use:

- cross-entropy per sample, forward and backward: ``F.cross_entropy`` on the
  ``(K * B, C)`` reshape (before) against
  :func:`graphprior.nets.stacked.cross_entropy_per_sample` (now);
- softmax without gradient: ``torch.softmax(logits, -1)`` against
  :func:`graphprior.nets.stacked.softmax_classes`.

Both arms run alternately in rounds; the table gives medians and ratios.

Usage: python benchmarks/softmax_dim.py [--rounds 5] [--reps 200]

Writes benchmarks/results/softmax_dim.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch
import torch.nn.functional as F
from _record import record

from graphprior.nets.stacked import cross_entropy_per_sample, softmax_classes

SHAPES = [(1, 1000), (7, 100), (24, 64), (7, 1000)]


def cross_entropy_last_dim(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-sample cross-entropy over a last dimension of classes (the form before)."""
    k, b, c = logits.shape
    return F.cross_entropy(logits.reshape(k * b, c), y.reshape(-1), reduction="none").view(k, b)


def timed(fn, reps: int) -> float:
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps * 1e6


def medians(k: int, b: int, gen, rounds: int, reps: int) -> dict[str, float]:
    """Median microseconds per call of every arm on logits (k, b, 10)."""
    logits = torch.randn(k, b, 10, generator=gen, requires_grad=True)
    y = torch.randint(0, 10, (k, b), generator=gen)
    frozen = logits.detach()
    arms = {
        "ce_before": lambda: cross_entropy_last_dim(logits, y).sum().backward(),
        "ce_now": lambda: cross_entropy_per_sample(logits, y).sum().backward(),
        "sm_before": lambda: torch.softmax(frozen, -1),
        "sm_now": lambda: softmax_classes(frozen),
    }
    for fn in arms.values():
        timed(fn, 10)  # warm-up
    times: dict[str, list[float]] = {name: [] for name in arms}
    for _ in range(rounds):
        for name, fn in arms.items():
            times[name].append(timed(fn, reps))
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--out", default="benchmarks/results/softmax_dim.md")
    args = ap.parse_args()
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    lines = [
        f"float32, 10 classes, 1 thread, median of {args.rounds} alternating rounds of "
        f"{args.reps} calls; {platform.processor() or platform.machine()}, "
        f"torch {torch.__version__}.",
        "",
        "| K x B | CE fwd+bwd, last dim (us) | CE fwd+bwd, now (us) | ratio "
        "| softmax, last dim (us) | softmax, now (us) | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for k, b in SHAPES:
        m = medians(k, b, gen, args.rounds, args.reps)
        lines.append(
            f"| {k} x {b} | {m['ce_before']:.0f} | {m['ce_now']:.0f} "
            f"| {m['ce_before'] / m['ce_now']:.1f}x | {m['sm_before']:.0f} | {m['sm_now']:.0f} "
            f"| {m['sm_before'] / m['sm_now']:.1f}x |"
        )
    record("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
