"""Benchmark: seconds per graph for graph_properties and dag_properties.

Erdős–Rényi G(n, p = 10 / (n - 1)) and Watts–Strogatz (k = 10, p = 0.1) graphs,
mean degree 10, n = 100, 300, 1000, on one core (BLAS limited to one thread).
For reference, the time networkx needs for exact node plus edge betweenness
alone (the most expensive property) is measured on the same graphs.

Usage::

    make benchmarks BENCH=graph_properties [BENCH_ARGS="--repeats 3 --no-reference"]

Prints a Markdown table and writes it to ``benchmarks/results/graph_properties.md``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np
import scipy
from suite import record
from threadpoolctl import threadpool_limits

from graphprior.graphs.dag import MappingOptions, build_layered_dag
from graphprior.graphs.dag_properties import dag_properties
from graphprior.graphs.grid import GraphSpec, make_graph
from graphprior.graphs.properties import graph_properties

RESULTS = Path(__file__).parent / "results" / "graph_properties.md"
SIZES = (100, 300, 1000)
MEAN_DEGREE = 10


def specs(n: int) -> list[GraphSpec]:
    return [
        GraphSpec.create("erdos_renyi_gnp", {"n": n, "p": round(MEAN_DEGREE / (n - 1), 6)}, seed=1),
        GraphSpec.create("watts_strogatz", {"n": n, "k": MEAN_DEGREE, "p": 0.1}, seed=1),
    ]


#: The largest and densest graph of the paper's grid (mean degree 40).
PAPER_SPEC = GraphSpec.create("paper_watts_strogatz", {"n": 500, "k": 20, "p": 0.5}, seed=1)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def seconds(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(repeats: int, reference: bool) -> str:
    rows = []
    for spec in [s for n in SIZES for s in specs(n)] + [PAPER_SPEC]:
        n = spec.n_nodes
        graph = make_graph(spec)
        layered = build_layered_dag(graph, MappingOptions())
        t_graph = seconds(lambda g=graph: graph_properties(g), repeats)
        t_dag = seconds(
            lambda g=graph: dag_properties(build_layered_dag(g, MappingOptions()), 0), repeats
        )
        if reference:
            t_nx = seconds(
                lambda g=graph: (
                    nx.betweenness_centrality(g),
                    nx.edge_betweenness_centrality(g),
                ),
                1,
            )
            ref = f"{t_nx:.2f}"
        else:
            ref = "–"
        rows.append(
            f"| {spec.graph_id} | {n} | {graph.number_of_edges()} | {layered.depth} "
            f"| {t_graph:.3f} | {t_dag:.3f} | {t_graph + t_dag:.3f} | {ref} |"
        )
    header = (
        "| graph | n | edges | DAG depth | graph_properties (s) | build DAG + dag_properties (s) "
        "| total (s) | networkx node + edge betweenness (s) |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    env = (
        f"Median of {repeats} runs on one core ({cpu_name()}, "
        f"Python {platform.python_version()}, networkx {nx.__version__}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}); DAG with the default MappingOptions (random orientation)."
    )
    return "\n".join([header, *rows, "", env, ""])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-reference", action="store_true", help="skip the networkx timing")
    args = parser.parse_args(argv)
    with threadpool_limits(limits=1):
        table = run(args.repeats, reference=not args.no_reference)
    record("# Graph properties benchmark\n\n" + table, RESULTS)
