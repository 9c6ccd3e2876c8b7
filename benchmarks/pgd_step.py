"""One PGD step of a stack: the input's terms from one batched matmul, against a concat per layer.

With ``input_wiring: all`` every hidden layer reads the input. ``StackedNet``
computes the input's contribution to every layer in one batched matmul up
front (``StackedNet._input_terms``); the formulation before it concatenated
the 64 input columns with the hidden blocks in every layer. This script times
both on the same weights, side by side in one process, alternating: a stack of
``--k`` copies of one G(50, 100) fixed-interface spec (every node reads the
input and feeds the readout), one PGD step = forward + input gradient of the
cross-entropy on ``--n`` digits test inputs. One thread; CPU time of this
process (``time.process_time``), median of ``--repeats`` rounds of ``--steps``
steps each. The ratio is the result; the milliseconds depend on the machine.

Usage::

    .venv/bin/python benchmarks/pgd_step.py [--k 12] [--n 300] [--steps 50] [--repeats 7]

Prints a Markdown table and writes it to ``benchmarks/results/pgd_step.md``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import networkx as nx
import torch
import torch.nn.functional as F
from _record import record

from graphprior.data import load_dataset
from graphprior.graphs.dag import MappingOptions, build_layered_dag
from graphprior.graphs.netspec import spec_from_dag
from graphprior.nets.inits import initialise
from graphprior.nets.stacked import StackedNet

RESULTS = Path(__file__).parent / "results" / "pgd_step.md"


class ConcatPerLayer(StackedNet):
    """The same net, every layer concatenating the input with its hidden blocks."""

    def _input_terms(self, x, masked):
        return {}


def fixed_interface_spec():
    graph = nx.gnm_random_graph(50, 100, seed=1)
    opts = MappingOptions(seed=0, input_wiring="all", readout="all")
    return spec_from_dag(build_layered_dag(graph, opts), (1, 8, 8), 10)


def pgd_step_seconds(net: StackedNet, x: torch.Tensor, y: torch.Tensor, steps: int) -> float:
    """CPU seconds per forward + input-gradient step."""
    start = time.process_time()
    for _ in range(steps):
        xg = x.detach().requires_grad_(True)
        loss = F.cross_entropy(net(xg).reshape(-1, 10), y.repeat(net.k))
        (grad,) = torch.autograd.grad(loss, xg)
        x = (x + 0.01 * grad.sign()).clamp(0, 1)
    return (time.process_time() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=12)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    spec = fixed_interface_spec()
    one_matmul = StackedNet(spec, args.k)
    initialise(one_matmul, ["he_normal"] * args.k, list(range(args.k)))
    concat = ConcatPerLayer(spec, args.k)
    concat.load_state_dict(one_matmul.state_dict())
    one_matmul.eval(), concat.eval()
    x, y = load_dataset("digits", "test")
    x, y = x[: args.n], y[: args.n]
    with torch.no_grad():
        assert torch.allclose(one_matmul(x), concat(x), atol=1e-5), "the two forms differ"
    times = {"one matmul": [], "concat per layer": []}
    for _ in range(args.repeats):
        times["one matmul"].append(pgd_step_seconds(one_matmul, x, y, args.steps))
        times["concat per layer"].append(pgd_step_seconds(concat, x, y, args.steps))
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    lines = [
        f"`python benchmarks/pgd_step.py --k {args.k} --n {args.n} --steps {args.steps} "
        f"--repeats {args.repeats}`, {time.strftime('%Y-%m-%d')}, "
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}, one thread: "
        f"{args.k} models of one G(50, 100) spec ({len(spec.hidden)} hidden layers), "
        f"{args.n} digits inputs, CPU ms per step (median of {args.repeats}).",
        "",
        "| forward | ms per PGD step | ratio to one matmul |",
        "|---|---:|---:|",
    ]
    lines += [f"| {k} | {v:.2f} | {v / med['one matmul']:.2f}x |" for k, v in med.items()]
    record("# PGD step benchmark\n\n" + "\n".join(lines), RESULTS)


if __name__ == "__main__":
    main()
