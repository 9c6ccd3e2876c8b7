"""One training step of a 12-model union with Adam foreach against Adam fused, side by side.

The union of 4 G(50, 100) specs × 3 inits of ``benchmarks/train_union.py``
(digits, batch 64 per model, one thread) takes Adam steps with the two
optimisers ``torch.optim.Adam`` offers for many tensors: ``foreach`` (a few
multi-tensor kernels per step, the training loop's choice before 2026-12-02)
and ``fused`` (one fused kernel per parameter, the choice now). Both optimise
the same net on the same batches, one after the other in rounds, so the
machine's load falls on both alike.

Usage: python benchmarks/adam_step.py [--steps 200] [--rounds 3]

Writes benchmarks/results/adam_step.md.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from _record import record
from train_union import make_net, make_specs

from graphprior.nets.train import load_splits
from graphprior.nets.union import union_of

RESULTS = Path(__file__).parent / "results" / "adam_step.md"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = load_splits("digits", torch.device("cpu"))
    x, y = data["train"]
    nets = [make_net(s, j, x) for j, s in enumerate(make_specs(4))]
    union, _ = union_of(nets)
    k = union.k
    opts = {
        "foreach": torch.optim.Adam(union.parameters(), lr=0.003, foreach=True),
        "fused": torch.optim.Adam(union.parameters(), lr=0.003, fused=True),
    }

    def steps(opt: torch.optim.Optimizer, n: int) -> float:
        t0 = time.perf_counter()
        for i in range(n):
            idx = torch.randint(0, len(x), (k, 64), generator=torch.Generator().manual_seed(i))
            loss = F.cross_entropy(union(x[idx]).reshape(-1, 10), y[idx].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return (time.perf_counter() - t0) / n * 1e3

    for opt in opts.values():
        steps(opt, 20)  # warm-up
    ms = {name: [] for name in opts}
    for _ in range(args.rounds):
        for name, opt in opts.items():
            ms[name].append(steps(opt, args.steps))
    best = {name: min(v) for name, v in ms.items()}
    lines = [
        f"`python benchmarks/adam_step.py --steps {args.steps} --rounds {args.rounds}`, "
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, torch {torch.__version__}, "
        f"one thread: a union of 4 G(50, 100) specs × 3 inits ({k} models), digits, batch 64; "
        f"the best of {args.rounds} alternating rounds of {args.steps} Adam steps.",
        "",
        "| Adam | ms per step | ms per model-step |",
        "|---|---:|---:|",
        *(f"| {name} | {v:.3f} | {v / k:.3f} |" for name, v in best.items()),
        "",
        f"foreach / fused: {best['foreach'] / best['fused']:.2f}×",
    ]
    record("# Adam foreach against fused\n\n" + "\n".join(lines), RESULTS)


if __name__ == "__main__":
    main()
