"""A training step with and without its per-step host syncs, side by side.

The training loop (``graphprior.nets.train._train_epoch``) used to ask the
device three questions every step (did a model diverge, is any alive, are
all alive) and to zero the dead models' gradients only when one had died;
it now masks the dead models' gradients every step (``_freeze_dead``) and
logs divergences once an epoch, so a GPU never waits for the host. On a CPU
the question is only what the always-on masking costs: this script trains
copies of one packed union of S G(50, 100) specs x 3 inits
(``benchmarks/train_union.py``; digits, batch 64 per model, Adam fused, one
thread) with both step loops, in alternating rounds, and prints the median
step of each and their ratio.

Usage: python benchmarks/sync_free_step.py [--sizes 4 10] [--steps 50] [--rounds 6]

Writes benchmarks/results/sync_free_step.md.
"""

from __future__ import annotations

import argparse
import math
import platform

import torch
from _record import record
from packed_step import step_ms
from train_union import K, make_net, make_specs

from graphprior.nets.packed import PackedStack, PackedSteps
from graphprior.nets.train import _freeze_dead, load_splits
from graphprior.nets.union import union_of


def syncing_step(net, opt, steps, alive):
    """The step as it was: three host syncs, the dead zeroed only when some died."""

    def step(idx):
        finite = torch.isfinite(steps.loss(idx))
        newly_dead = alive & ~finite
        if newly_dead.any():
            alive.logical_and_(finite)
        if not alive.any():
            return
        steps.backward(alive)
        if not bool(alive.all()):
            _freeze_dead(net, alive)
        opt.step()

    return step


def sync_free_step(net, opt, steps, alive):
    """The step as it is: no host sync, the dead masked every step."""

    def step(idx):
        alive.logical_and_(torch.isfinite(steps.loss(idx)))
        steps.backward(alive)
        _freeze_dead(net, alive)
        opt.step()

    return step


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[4, 10])
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--out", default="benchmarks/results/sync_free_step.md")
    args = ap.parse_args()
    torch.set_num_threads(1)
    x, y = load_splits("digits", torch.device("cpu"))["train"]
    specs = make_specs(max(args.sizes))
    rows = []
    for s in args.sizes:
        union, _ = union_of([make_net(sp, j, x) for j, sp in enumerate(specs[:s])])
        arms = {}
        for name, make in (("syncing", syncing_step), ("sync-free", sync_free_step)):
            net = PackedStack(union)
            opt = torch.optim.Adam(net.parameters(), lr=0.003, fused=True)
            alive = torch.ones(net.k, dtype=torch.bool)
            arms[name] = make(net, opt, PackedSteps(net, x, y), alive)
        gen = torch.Generator().manual_seed(0)
        perm = torch.stack([torch.randperm(len(x), generator=gen) for _ in range(K * s)])
        n_batches = min(args.steps, math.ceil(len(x) / 64))
        batches = [perm[:, i * 64 : (i + 1) * 64] for i in range(n_batches)]
        ms = step_ms(arms, batches, args.rounds)
        ratio = ms["sync-free"] / ms["syncing"]
        rows.append(
            f"| {s} | {K * s} | {ms['syncing']:.2f} | {ms['sync-free']:.2f} | {ratio:.3f} |"
        )
    text = "\n".join(
        [
            f"# Training step with and without host syncs ({platform.node()}, torch "
            f"{torch.__version__}, one thread, {args.rounds} rounds of {args.steps} steps)",
            "",
            "| specs | models | syncing ms/step | sync-free ms/step | sync-free / syncing |",
            "|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    record(text, args.out)


if __name__ == "__main__":
    main()
