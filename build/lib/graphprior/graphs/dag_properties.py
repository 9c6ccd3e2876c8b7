"""Structural properties of the layered DAG a network is built on (the ``dag_*`` columns).

:func:`dag_properties` describes the layered DAG of :mod:`graphprior.graphs.dag`,
the exact structure of the trained network. Distances are directed and taken
over reachable ordered pairs only; every shortest-path quantity comes from one
exact Brandes pass (:mod:`graphprior.graphs.paths`). Definitions:
``docs/graph-properties.md``.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph

from graphprior.graphs.dag import LayeredDAG
from graphprior.graphs.paths import PathStats, closeness_centrality, path_statistics

__all__ = ["DAG_PROPERTY_COLUMNS", "dag_properties"]

NAN = math.nan

#: Keys of :func:`dag_properties`, in order.
DAG_PROPERTY_COLUMNS = (
    "dag_depth",
    "dag_width_mean",
    "dag_width_max",
    "dag_width_std",
    "dag_skip_edges",
    "dag_skip_span_mean",
    "dag_sources",
    "dag_sinks",
    "dag_n_nodes",
    "dag_n_edges",
    "dag_density",
    "dag_degree_mean",
    "dag_degree_std",
    "dag_degree_max",
    "dag_avg_path_length",
    "dag_diameter",
    "dag_radius",
    "dag_avg_eccentricity",
    "dag_betweenness_mean",
    "dag_closeness_mean",
    "dag_edge_betweenness_mean",
    "dag_io_path_mean",
    "dag_io_path_longest",
    "dag_n_params",
)


def _io_paths(
    dag: nx.DiGraph, adj: sp.csr_array, inputs: list[int], readouts: list[int]
) -> tuple[float, float]:
    """Mean shortest and longest input→output path, in weight layers crossed (hidden edges + 2)."""
    if not inputs or not readouts:
        return NAN, NAN
    shortest = csgraph.shortest_path(adj, directed=True, unweighted=True, indices=inputs)
    shortest = shortest[:, readouts]
    finite = shortest[np.isfinite(shortest)]
    mean = float(finite.mean()) + 2.0 if finite.size else NAN
    longest = np.full(dag.number_of_nodes(), -1, dtype=np.int64)  # -1: not reached from an input
    longest[inputs] = 0
    for v in nx.topological_sort(dag):
        if longest[v] < 0:
            continue
        for w in dag.successors(v):
            longest[w] = max(longest[w], longest[v] + 1)
    reached = longest[readouts]
    reached = reached[reached >= 0]
    return mean, (float(reached.max()) + 2.0 if reached.size else NAN)


def dag_properties(layered: LayeredDAG, n_params: int) -> dict[str, float | int]:
    """Structural properties of the layered DAG a network is built from (keys ``dag_*``).

    Distances are directed and taken over reachable ordered pairs only:
    ``dag_avg_path_length`` is their mean, ``dag_diameter`` their maximum.
    The out-eccentricity of a node is its largest distance to a node it
    reaches; it is undefined for sinks, so ``dag_radius`` and
    ``dag_avg_eccentricity`` are the minimum and mean over nodes with at least
    one successor. (The undirected eccentricity of the DAG would repeat the
    graph's ``avg_eccentricity``: orienting edges does not change the
    undirected graph.) Betweenness, closeness and edge betweenness follow
    networkx on the ``DiGraph`` (normalised; closeness from incoming
    distances). Input→output paths count the weight layers a signal crosses:
    hidden edges + 2 (input → first neuron, last neuron → classifier).

    Parameters
    ----------
    layered : LayeredDAG
        From :func:`graphprior.graphs.dag.build_layered_dag` (nodes ``0..n-1``).
    n_params : int
        Trainable parameters of the network built from it (reported as ``dag_n_params``).

    Returns
    -------
    dict
        One value per name in :data:`DAG_PROPERTY_COLUMNS`.
    """
    dag = layered.dag
    n, m = dag.number_of_nodes(), dag.number_of_edges()
    if n == 0 or sorted(dag.nodes()) != list(range(n)):
        raise ValueError("dag_properties expects a LayeredDAG with nodes 0..n-1, n >= 1")
    widths = np.array(layered.widths, dtype=float)
    spans = np.array(
        [layered.layer_of[v] - layered.layer_of[u] for u, v in dag.edges()], dtype=float
    )
    skips = spans[spans > 1]
    degree = np.array([dag.degree(v) for v in range(n)], dtype=float)
    in_degree = np.array([dag.in_degree(v) for v in range(n)])
    out_degree = np.array([dag.out_degree(v) for v in range(n)])
    adj = nx.to_scipy_sparse_array(dag, nodelist=range(n), weight=None, format="csr", dtype=float)

    props: dict[str, float | int] = {
        "dag_depth": int(layered.depth),
        "dag_width_mean": float(widths.mean()),
        "dag_width_max": int(widths.max()),
        "dag_width_std": float(widths.std()),
        "dag_skip_edges": int(skips.size),
        "dag_skip_span_mean": float(skips.mean()) if skips.size else NAN,
        "dag_sources": int((in_degree == 0).sum()),
        "dag_sinks": int((out_degree == 0).sum()),
        "dag_n_nodes": n,
        "dag_n_edges": m,
        "dag_density": m / (n * (n - 1)) if n > 1 else NAN,
        "dag_degree_mean": float(degree.mean()),
        "dag_degree_std": float(degree.std()),
        "dag_degree_max": int(degree.max()),
    }

    props.update(_distance_properties(path_statistics(adj), out_degree > 0, n, m))
    props["dag_io_path_mean"], props["dag_io_path_longest"] = _io_paths(
        dag, adj, list(layered.input_nodes), list(layered.readout_nodes)
    )
    props["dag_n_params"] = int(n_params)
    return {key: props[key] for key in DAG_PROPERTY_COLUMNS}


def _distance_properties(
    stats: PathStats, has_successor: np.ndarray, n: int, m: int
) -> dict[str, float | int]:
    """Directed path lengths, out-eccentricities and centralities of the DAG."""
    props: dict[str, float | int] = {}
    pairs = int(stats.reach_out.sum())
    if pairs:
        ecc = stats.eccentricity[has_successor]
        props["dag_avg_path_length"] = float(stats.dist_out.sum() / pairs)
        props["dag_diameter"] = int(stats.eccentricity.max())
        props["dag_radius"] = int(ecc.min())
        props["dag_avg_eccentricity"] = float(ecc.mean())
    else:
        for key in ("dag_avg_path_length", "dag_diameter", "dag_radius", "dag_avg_eccentricity"):
            props[key] = NAN
    betweenness = stats.betweenness / ((n - 1) * (n - 2)) if n > 2 else np.zeros(n)
    props["dag_betweenness_mean"] = float(betweenness.mean())
    props["dag_closeness_mean"] = float(
        closeness_centrality(stats.reach_in, stats.dist_in, n).mean()
    )
    props["dag_edge_betweenness_mean"] = stats.arc_betweenness_sum / (n * (n - 1) * m) if m else NAN
    return props
