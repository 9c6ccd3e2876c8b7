"""Training speed: K stacked models per job vs one at a time, and the dense equivalent.

Measures per-model training seconds on digits for a 100-node Watts-Strogatz
graph net with K = 1 and K = 6 models per batched job, and for a dense fully
connected net with the same neuron count and depth. Writes a Markdown table to
benchmarks/results/train.md (copy it into docs/benchmarks.md).

Usage: python benchmarks/train.py [--epochs 10] [--threads 1]
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time

import networkx as nx
import torch
from _record import record

from graphprior.config import INITS, validate_config
from graphprior.data import load_dataset
from graphprior.graphs.dag import MappingOptions, build_layered_dag
from graphprior.graphs.netspec import dense_spec, spec_from_dag
from graphprior.nets.inits import initialise
from graphprior.nets.stacked import StackedNet
from graphprior.nets.train import TrainConfig, set_normalisation, train_stack

#: A minimal valid study; its ``training`` section holds the schema's defaults.
_STUDY = {
    "dataset": "digits",
    "graphs": {
        "generators": [
            {"generator": "erdos_renyi_gnp", "params": {"n": [10], "p": [0.3]}, "seeds": [1]}
        ]
    },
}


def train_config(epochs: int, lr: float) -> TrainConfig:
    """The schema's training settings with these epochs and this learning rate, on CPU."""
    training = validate_config({**_STUDY, "training": {"epochs": epochs, "lr": lr}})["training"]
    return TrainConfig.from_dict(training, "cpu")


def run(spec, k: int, data, epochs: int, repeats: int) -> float:
    """Median wall seconds per model of training a stack of k models."""
    times = []
    warm = StackedNet(spec, k=k)  # first call pays one-off costs (allocator, kernels)
    initialise(warm, [INITS[0]] * k, list(range(k)))
    train_stack(warm, data, list(range(k)), train_config(epochs=1, lr=1e-3), progress=False)
    for r in range(repeats):
        net = StackedNet(spec, k=k)
        set_normalisation(net, data["train"][0])
        inits = [INITS[i % len(INITS)] for i in range(k)]
        initialise(net, inits, [r * 100 + i for i in range(k)])
        t0 = time.perf_counter()
        train_stack(
            net, data, list(range(k)), train_config(epochs=epochs, lr=0.003), progress=False
        )
        times.append((time.perf_counter() - t0) / k)
    times.sort()
    return times[len(times) // 2]


def job_seconds(k: int, epochs: int, threads: int, repeats: int) -> float:
    """Median wall seconds per model of a whole job (process start, imports, data, training)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--job",
                str(k),
                "--epochs",
                str(epochs),
                "--threads",
                str(threads),
            ],
            check=True,
        )
        times.append((time.perf_counter() - t0) / k)
    times.sort()
    return times[len(times) // 2]


def graph_spec():
    graph = nx.watts_strogatz_graph(100, 6, 0.3, seed=1)
    layered = build_layered_dag(graph, MappingOptions(seed=1))
    return layered, spec_from_dag(layered, (1, 8, 8), 10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--job", type=int, default=0, help="internal: train one job of K models and exit"
    )
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="benchmarks/results/train.md")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = {s: load_dataset("digits", s) for s in ("train", "val", "test")}
    layered, spec = graph_spec()
    if args.job:
        net = StackedNet(spec, k=args.job)
        set_normalisation(net, data["train"][0])
        initialise(net, [INITS[i % len(INITS)] for i in range(args.job)], list(range(args.job)))
        train_stack(
            net,
            data,
            list(range(args.job)),
            train_config(epochs=args.epochs, lr=0.003),
            progress=False,
        )
        return
    depth = layered.depth
    widths = [100 // depth + (1 if i < 100 % depth else 0) for i in range(depth)]
    dense = dense_spec((1, 8, 8), widths, 10)
    rows = []
    for label, s in (
        ("graph net (WS n=100, k=6)", spec),
        (f"dense FC {depth}x~{100 // depth}", dense),
    ):
        t1 = run(s, 1, data, args.epochs, args.repeats)
        t6 = run(s, 6, data, args.epochs, args.repeats)
        rows.append((label, "training loop", t1, t6, t1 / t6))
        if s is spec:
            j1 = job_seconds(1, args.epochs, args.threads, args.repeats)
            j6 = job_seconds(6, args.epochs, args.threads, args.repeats)
            rows.append((label, "whole job (process, imports, data, training)", j1, j6, j1 / j6))
    lines = [
        f"Digits, {args.epochs} epochs, batch 64, Adam, {args.threads} thread(s), "
        f"median of {args.repeats}; {platform.processor() or platform.machine()}, torch {torch.__version__}.",
        "",
        "| network | what is timed | s/model, K=1 | s/model, K=6 | speed-up per model |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {a} | {w} | {b:.3f} | {c:.3f} | {d:.1f}x |" for a, w, b, c, d in rows]
    text = "\n".join(lines)
    record(text, args.out)


if __name__ == "__main__":
    main()
