"""One training step of a packed union: this checkout against an earlier revision, side by side.

The union of S G(50, 100) specs x 3 inits of ``benchmarks/train_union.py``
(digits, batch 64 per model, Adam fused, one thread) takes training steps
(forward, cross-entropy, backward, Adam) in its packed form
(:class:`graphprior.nets.packed.PackedStack`) as this checkout builds it and as
the revision ``--before`` built it (its ``nets/packed.py``, read with
``git show``, and the cross-entropy over a last dimension of classes that the
training loop used before ``cross_entropy_per_sample``). This checkout has two
arms: the packed stack through autograd ("now, autograd": forward, loss,
``backward()``) and the written-out step the training loop takes
(:class:`graphprior.nets.packed.PackedSteps`: the same loss and gradients
without autograd). The arms train copies of one union on the same batches, in
alternating rounds, so the machine's load falls on all alike; the table gives
the median step per arm and their ratios.

Usage: python benchmarks/packed_step.py [--before b8e78b8] [--sizes 4 8 16] [--steps 50] [--rounds 6]

Writes benchmarks/results/packed_step.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from _record import record
from softmax_dim import cross_entropy_last_dim
from train_union import make_net, make_specs

from graphprior.nets import packed as packed_now
from graphprior.nets.stacked import cross_entropy_per_sample
from graphprior.nets.train import load_splits
from graphprior.nets.union import union_of


def packed_at(rev: str, folder: str):
    """The module ``graphprior.nets.packed`` as revision ``rev`` had it."""
    shown = subprocess.run(
        ["git", "show", f"{rev}:src/graphprior/nets/packed.py"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent,
    )
    if shown.returncode != 0:
        raise SystemExit(
            f"--before {rev}: git cannot show its src/graphprior/nets/packed.py "
            f"({shown.stderr.strip()}); a full clone (not shallow) has the revision"
        )
    source = shown.stdout
    path = Path(folder) / "packed_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("packed_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["packed_before"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def autograd_step(net, opt, loss_fn, x, y):
    """A step through autograd: forward, loss, backward, Adam."""

    def step(idx):
        loss = loss_fn(net(x[idx]), y[idx]).mean(1).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def written_out_step(net, opt, x, y):
    """The training loop's step of a packed stack (``PackedSteps``), then Adam."""
    steps = packed_now.PackedSteps(net, x, y)
    alive = torch.ones(net.k, dtype=torch.bool)

    def step(idx):
        steps.loss(idx)
        steps.backward(alive)
        opt.step()

    return step


def step_ms(arms: dict, batches, rounds: int) -> dict[str, float]:
    """Median milliseconds per training step of each arm, rounds alternating between arms."""
    times: dict[str, list[float]] = {name: [] for name in arms}
    for _ in range(rounds):
        for name, step in arms.items():
            t0 = time.perf_counter()
            for idx in batches:
                step(idx)
            times[name].append((time.perf_counter() - t0) / len(batches) * 1e3)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", default="b8e78b8")
    ap.add_argument("--sizes", type=int, nargs="+", default=[4, 8, 16])
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--out", default="benchmarks/results/packed_step.md")
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = load_splits("digits", torch.device("cpu"))
    x, y = data["train"]
    specs = make_specs(max(args.sizes))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        before = packed_at(args.before, tmp)
        for s in args.sizes:
            union, _ = union_of([make_net(sp, j, x) for j, sp in enumerate(specs[:s])])

            def fresh(module, union=union):
                net = module.PackedStack(union)
                return net, torch.optim.Adam(net.parameters(), lr=0.003, fused=True)

            arms = {
                "before": autograd_step(*fresh(before), cross_entropy_last_dim, x, y),
                "autograd": autograd_step(*fresh(packed_now), cross_entropy_per_sample, x, y),
                "written": written_out_step(*fresh(packed_now), x, y),
            }
            gen = torch.Generator().manual_seed(s)
            batches = [
                torch.randint(0, len(x), (union.k, 64), generator=gen) for _ in range(args.steps)
            ]
            step_ms(arms, batches[:5], 1)  # warm-up: buffers, first kernels
            ms = step_ms(arms, batches, args.rounds)
            rows.append((s, union.k, ms["before"], ms["autograd"], ms["written"]))
    lines = [
        f"Training step of a packed union (digits, batch 64 per model, Adam fused, 1 thread), "
        f"median of {args.rounds} alternating rounds of {args.steps} steps; before = revision "
        f"{args.before}; {platform.processor() or platform.machine()}, torch {torch.__version__}.",
        "",
        "| specs | models | before ms/step | now, autograd ms/step | now, written out ms/step "
        "| autograd / before | written out / autograd | written out / before |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s, k, b, a, w in rows:
        lines.append(
            f"| {s} | {k} | {b:.2f} | {a:.2f} | {w:.2f} | {a / b:.2f} | {w / a:.2f} | {w / b:.2f} |"
        )
    record("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
