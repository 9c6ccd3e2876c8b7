"""The input-space attacks of one graph's models: one padded union against one stack per mapping.

An attack job measures every model of a graph. The models of one mapping (arm
and orientation seed) share an architecture and form one stack; a graph of the
default study has three such stacks (the fixed interface under two
orientations, the paper-style interface under one), three inits each. Since
the per-step cost of these small nets is overhead, not arithmetic, the attack
stage runs the input-space attacks once on the padded union of the stacks
(``graphprior.nets.union``), in its packed form
(:class:`graphprior.nets.packed.PackedStack`). This script trains the models of
one G(50, 100) graph with the default study's config (``--epochs`` epochs) and
times ``run_input_attacks`` with the default ``attack`` section on the packed
union, on the union through autograd, then stack by stack, alternating, in one
process. CPU time of the process
(``time.process_time``) with ``--threads`` threads; median of ``--repeats``.

Usage::

    .venv/bin/python benchmarks/attack_union.py [--epochs 5] [--repeats 3] [--threads 1]

Prints a Markdown table and writes it to ``benchmarks/results/attack_union.md``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import networkx as nx
import torch
import yaml
from _record import record

from graphprior.config import validate_config
from graphprior.data import load_dataset
from graphprior.nets.packed import PackedStack
from graphprior.nets.union import union_of
from graphprior.robustness import run_input_attacks
from graphprior.stages.attack import _architecture_key, load_group
from graphprior.stages.train_sparse_nets import train_graph_models

RESULTS = Path(__file__).parent / "results" / "attack_union.md"
CONFIG = Path(__file__).parents[1] / "config" / "config.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = yaml.safe_load(CONFIG.read_text())
    config["training"]["epochs"] = args.epochs
    config["device"] = "cpu"
    config = validate_config(config)
    acfg = config["attack"]
    n = int(acfg["n_samples"])
    x, y = load_dataset("digits", "test")
    x, y = x[:n], y[:n]
    with tempfile.TemporaryDirectory() as tmp:
        models = train_graph_models(nx.gnm_random_graph(50, 100, seed=1), "g", config, tmp)
        stacks = [load_group(sub)[0] for _, sub in models.groupby(_architecture_key(models))]
    union = union_of(stacks)[0]
    packed = PackedStack(union)
    times: dict[str, list[float]] = {"one union, packed": [], "one union": [], "stack by stack": []}
    for r in range(args.repeats):
        for name, net in (("one union, packed", packed), ("one union", union)):
            start = time.process_time()
            run_input_attacks(net, x, y, acfg, r, checks=[])
            times[name].append(time.process_time() - start)
        start = time.process_time()
        for net in stacks:
            run_input_attacks(net, x, y, acfg, r, checks=[])
        times["stack by stack"].append(time.process_time() - start)
    med = {k: statistics.median(v) for k, v in times.items()}
    k = sum(s.k for s in stacks)
    lines = [
        f"`python benchmarks/attack_union.py --epochs {args.epochs} --repeats {args.repeats} "
        f"--threads {args.threads}`, {time.strftime('%Y-%m-%d')}, "
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}: one G(50, 100) "
        f"graph, {len(stacks)} stacks ({', '.join(str(s.k) for s in stacks)} models), the default "
        f"`attack` section ({n} inputs, gates included), CPU s (median of {args.repeats}).",
        "",
        "| layout | s per graph | s per model | ratio |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {v:.2f} | {v / k:.3f} | {v / med['one union, packed']:.2f}x |"
        for name, v in med.items()
    ]
    record("# Input attacks of a graph: one union against stack by stack\n\n" + "\n".join(lines),
           RESULTS)  # fmt: skip


if __name__ == "__main__":
    main()
