"""Benchmark: worst-case weight perturbation, one ascent per delta vs every delta at once.

The default study's setting (3 deltas, L2, 40 steps) on a 3-model stack of a
fixed-interface G(50, 100) graph net and 100 digits test inputs, one thread;
the two are timed side by side in one run and the ratio printed.

Usage::

    .venv/bin/python benchmarks/weight_batch.py
"""

from __future__ import annotations

import time

import networkx as nx
import torch

from graphprior.config import dataset_shape
from graphprior.data import load_dataset
from graphprior.graphs.dag import MappingOptions, build_layered_dag
from graphprior.graphs.netspec import spec_from_dag
from graphprior.nets.inits import initialise
from graphprior.nets.stacked import StackedNet
from graphprior.robustness import weights as W

DELTAS = [0.02, 0.05, 0.1]
STEPS = 40


def main() -> None:
    torch.set_num_threads(1)
    graph = nx.gnm_random_graph(50, 100, seed=1)
    opts = MappingOptions(input_wiring="all", readout="all", seed=3)
    net = StackedNet(spec_from_dag(build_layered_dag(graph, opts), *dataset_shape("digits")), k=3)
    initialise(net, ["he_normal"] * 3, [1, 2, 3])
    x, y = load_dataset("digits", "test")
    x, y = x[:100], y[:100]
    norm = W.WeightNorm("l2")

    def one_per_delta() -> None:
        gen = torch.Generator().manual_seed(0)
        weights = W.present_weights(net)
        masks = [net.mask(i) for i in range(net.n_layers)]
        base = [W._layer_norm(w, norm) for w in weights]
        with W.frozen_eval(net):
            for d in DELTAS:
                radii = [d * b for b in base]
                start = W._start(masks, radii, norm, gen, x.device)
                W._ascend(net, x, y, weights, start, radii, norm, STEPS, 2.5 / STEPS)

    def all_at_once() -> None:
        gen = torch.Generator().manual_seed(0)
        W.worst_case_weight_perturbation_accuracy(
            net, x, y, DELTAS, "l2", STEPS, gen, step_size=None
        )

    for _ in range(3):
        t = time.perf_counter()
        one_per_delta()
        a = time.perf_counter() - t
        t = time.perf_counter()
        all_at_once()
        b = time.perf_counter() - t
        print(f"one ascent per delta {a:.3f} s, every delta at once {b:.3f} s, ratio {a / b:.2f}")


if __name__ == "__main__":
    main()
