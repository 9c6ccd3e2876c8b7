"""Structural properties of an undirected random graph (the ``graph_properties`` columns).

:func:`graph_properties` gives one table row per graph; the ``dag_*`` columns
of the same row describe the network's layered DAG
(:mod:`graphprior.graphs.dag_properties`), and :mod:`graphprior.graphs.records`
joins both. The exact definition of every column, and how disconnected and
edgeless graphs are handled, is in ``docs/graph-properties.md``; the short
version is in the docstrings below. Unreachable pairs never enter a mean: path
lengths and eccentricities are taken on the largest connected component, and
global efficiency is the disconnected-safe variant. Every shortest-path
quantity comes from one exact Brandes pass (:mod:`graphprior.graphs.paths`).
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from graphprior.graphs.paths import PathStats, closeness_centrality, path_statistics

__all__ = ["GRAPH_PROPERTY_COLUMNS", "DENSE_EIGEN_MAX_NODES", "graph_properties"]

#: Keys of :func:`graph_properties`, in order.
GRAPH_PROPERTY_COLUMNS = (
    "n_nodes",
    "n_edges",
    "density",
    "degree_mean",
    "degree_std",
    "degree_max",
    "degree_gini",
    "avg_clustering",
    "transitivity",
    "assortativity",
    "n_components",
    "largest_component_fraction",
    "avg_path_length",
    "diameter",
    "radius",
    "avg_eccentricity",
    "global_efficiency",
    "betweenness_mean",
    "betweenness_max",
    "closeness_mean",
    "closeness_max",
    "edge_betweenness_mean",
    "algebraic_connectivity",
    "spectral_radius",
    "small_world_index",
)

#: Up to this many nodes the Laplacian and adjacency spectra are computed densely.
DENSE_EIGEN_MAX_NODES = 2000

NAN = math.nan


def _gini(values: np.ndarray) -> float:
    """Gini coefficient, Σ_i Σ_j |x_i − x_j| / (2 n² mean); NaN if all values are 0."""
    total = values.sum()
    if len(values) == 0 or total == 0:
        return NAN
    x = np.sort(values.astype(float))
    ranks = np.arange(1, len(x) + 1)
    return float(2.0 * (ranks * x).sum() / (len(x) * total) - (len(x) + 1) / len(x))


def _assortativity(edges: np.ndarray, degree: np.ndarray) -> float:
    """Degree assortativity (Newman 2003): Pearson r of the degrees at both ends of each edge.

    Every edge counts in both directions, which makes the result equal to
    ``networkx.degree_assortativity_coefficient``. NaN without edges or when
    all edge ends have the same degree (e.g. regular graphs).
    """
    if len(edges) == 0:
        return NAN
    x = np.concatenate([degree[edges[:, 0]], degree[edges[:, 1]]]).astype(float)
    y = np.concatenate([degree[edges[:, 1]], degree[edges[:, 0]]]).astype(float)
    x -= x.mean()
    y -= y.mean()
    denom = math.sqrt(float((x * x).sum() * (y * y).sum()))
    if denom == 0.0:
        return NAN
    return float((x * y).sum() / denom)


def _largest_component(graph: nx.Graph) -> tuple[int, list[int]]:
    """Number of components and the nodes of the largest (ties: smallest node id)."""
    components = sorted(
        (sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c[0])
    )
    return len(components), (components[0] if components else [])


def _algebraic_connectivity(graph: nx.Graph, adj: sp.csr_array, n_components: int) -> float:
    n = adj.shape[0]
    if n < 2:
        return NAN
    if n_components > 1:
        return 0.0
    if n <= DENSE_EIGEN_MAX_NODES:
        dense = adj.toarray()
        laplacian = np.diag(dense.sum(axis=1)) - dense
        second = scipy.linalg.eigvalsh(laplacian, subset_by_index=[1, 1])[0]
        return float(max(second, 0.0))
    return float(nx.algebraic_connectivity(graph, method="tracemin_lu", seed=0))


def _spectral_radius(adj: sp.csr_array) -> float:
    n = adj.shape[0]
    if n == 0:
        return NAN
    if adj.nnz == 0:
        return 0.0
    if n <= DENSE_EIGEN_MAX_NODES:
        return float(scipy.linalg.eigvalsh(adj.toarray(), subset_by_index=[n - 1, n - 1])[0])
    value = spla.eigsh(adj.astype(float), k=1, which="LA", v0=np.ones(n), return_eigenvectors=False)
    return float(value[0])


def graph_properties(graph: nx.Graph) -> dict[str, float | int]:
    """Structural properties of an undirected graph (one row of ``graph_properties``).

    Nodes are taken in sorted order; self-loops and edge weights are ignored.
    Path lengths, diameter, radius and eccentricity are computed on the
    largest connected component (ties: the one holding the smallest node);
    global efficiency, betweenness, closeness and the spectra on the whole
    graph. Edgeless graphs give NaN or 0 and never raise. The full definitions
    are in ``docs/graph-properties.md``.

    Parameters
    ----------
    graph : networkx.Graph
        Undirected graph.

    Returns
    -------
    dict
        One value per name in :data:`GRAPH_PROPERTY_COLUMNS`.

    Examples
    --------
    >>> props = graph_properties(nx.path_graph(5))
    >>> props["avg_path_length"], props["diameter"], props["radius"]
    (2.0, 4, 2)
    """
    if graph.is_directed():
        raise ValueError(
            "graph_properties expects an undirected graph; use dag_properties for DAGs"
        )
    g = _plain_graph(graph)
    n, m = g.number_of_nodes(), g.number_of_edges()
    if n == 0:
        empty: dict[str, float | int] = dict.fromkeys(GRAPH_PROPERTY_COLUMNS, NAN)
        empty.update(n_nodes=0, n_edges=0, n_components=0)
        return empty
    edges = np.array(list(g.edges()), dtype=np.int64).reshape(-1, 2)
    degree = np.array([d for _, d in g.degree()], dtype=np.int64)
    adj = nx.to_scipy_sparse_array(g, nodelist=range(n), weight=None, format="csr", dtype=float)

    props: dict[str, float | int] = {
        "n_nodes": n,
        "n_edges": m,
        "density": 2.0 * m / (n * (n - 1)) if n > 1 else NAN,
        "degree_mean": float(degree.mean()),
        "degree_std": float(degree.std()),
        "degree_max": int(degree.max()),
        "degree_gini": _gini(degree),
        "avg_clustering": float(nx.average_clustering(g)),
        "transitivity": float(nx.transitivity(g)),
        "assortativity": _assortativity(edges, degree),
    }
    n_components, lcc = _largest_component(g)
    props["n_components"] = n_components
    props["largest_component_fraction"] = len(lcc) / n
    props.update(_distance_properties(path_statistics(adj), lcc, n, m))
    props["algebraic_connectivity"] = _algebraic_connectivity(g, adj, n_components)
    props["spectral_radius"] = _spectral_radius(adj)
    props["small_world_index"] = _small_world_index(
        n, props["degree_mean"], props["transitivity"], props["avg_path_length"]
    )
    return {key: props[key] for key in GRAPH_PROPERTY_COLUMNS}


def _plain_graph(graph: nx.Graph) -> nx.Graph:
    """The graph relabelled to ``0..n-1`` in sorted node order, without self-loops."""
    try:
        nodes = sorted(graph.nodes())
    except TypeError:
        nodes = list(graph.nodes())
    g = nx.Graph()
    g.add_nodes_from(range(len(nodes)))
    index = {v: i for i, v in enumerate(nodes)}
    g.add_edges_from((index[u], index[v]) for u, v in graph.edges() if u != v)
    return g


def _distance_properties(stats: PathStats, lcc: list[int], n: int, m: int) -> dict[str, float]:
    """Path lengths and eccentricities (largest component), efficiency and centralities."""
    props: dict[str, float] = {}
    size = len(lcc)
    if size >= 2:
        ecc = stats.eccentricity[lcc]
        props["avg_path_length"] = float(stats.dist_out[lcc].sum() / (size * (size - 1)))
        props["diameter"] = int(ecc.max())
        props["radius"] = int(ecc.min())
        props["avg_eccentricity"] = float(ecc.mean())
    else:  # a single node: no pairs; a lone node has eccentricity 0
        props["avg_path_length"] = NAN
        props["diameter"] = 0
        props["radius"] = 0
        props["avg_eccentricity"] = 0.0
    pairs = n * (n - 1)
    props["global_efficiency"] = stats.inverse_distance_sum / pairs if pairs else NAN

    betweenness = stats.betweenness / ((n - 1) * (n - 2)) if n > 2 else np.zeros(n)
    closeness = closeness_centrality(stats.reach_out, stats.dist_out, n)
    props["betweenness_mean"] = float(betweenness.mean())
    props["betweenness_max"] = float(betweenness.max())
    props["closeness_mean"] = float(closeness.mean())
    props["closeness_max"] = float(closeness.max())
    # Each undirected edge collects both of its arcs (networkx's convention).
    props["edge_betweenness_mean"] = stats.arc_betweenness_sum / (pairs * m) if m else NAN
    return props


def _small_world_index(
    n: int, mean_degree: float, transitivity: float, path_length: float
) -> float:
    """Humphries & Gurney (2008) S = (C / C_rand) / (L / L_rand) with analytic ER references.

    C = transitivity, L = average path length on the largest component,
    C_rand = <k> / n, L_rand = ln n / ln <k>. NaN when <k> <= 1 or L undefined.
    """
    if n < 2 or not mean_degree > 1.0 or not path_length > 0:
        return NAN
    c_rand = mean_degree / n
    l_rand = math.log(n) / math.log(mean_degree)
    return float((transitivity / c_rand) / (path_length / l_rand))
