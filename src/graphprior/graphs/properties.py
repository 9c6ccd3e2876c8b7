"""Structural properties of a graph and of the layered DAG its network is built on.

Two functions, one table row each (DESIGN §3):

* :func:`graph_properties` describes the undirected random graph;
* :func:`dag_properties` describes the layered DAG of :mod:`graphprior.graphs.dag`
  (the exact structure of the trained network), with every key prefixed ``dag_``.

The exact definition of every column, and how disconnected and edgeless graphs
are handled, is in ``docs/graph-properties.md``; the short version is in the
docstrings below. Unreachable pairs never enter a mean: path lengths and
eccentricities are taken on the largest connected component (undirected) or
over reachable ordered pairs (DAG), and global efficiency is the
disconnected-safe variant.

All shortest-path quantities (path lengths, eccentricities, closeness,
efficiency, node and edge betweenness) come from one exact pass of Brandes'
algorithm (Brandes 2001, "A faster algorithm for betweenness centrality")
run for a block of sources at once with sparse matrix products
(:func:`_path_statistics`); the values equal networkx's
``betweenness_centrality``, ``edge_betweenness_centrality``,
``closeness_centrality`` and ``global_efficiency`` (tested), at a fraction of
the time. No sampling is used at any size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla

from graphprior.graphs.dag import LayeredDAG

__all__ = [
    "properties_record",
    "GRAPH_PROPERTY_COLUMNS",
    "DAG_PROPERTY_COLUMNS",
    "DENSE_EIGEN_MAX_NODES",
    "graph_properties",
    "dag_properties",
]

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

#: Up to this many nodes the Laplacian and adjacency spectra are computed densely.
DENSE_EIGEN_MAX_NODES = 2000

#: Entries of one (nodes × sources) block in the batched Brandes pass (memory bound).
_BLOCK_ENTRIES = 1 << 21

NAN = math.nan


# ----------------------------------------------------------------------------
# Batched Brandes: every shortest-path statistic in one pass
# ----------------------------------------------------------------------------


@dataclass
class _PathStats:
    """Raw all-pairs shortest-path statistics of a (di)graph on nodes 0..n-1.

    Arrays indexed by node unless noted; "reachable" excludes the node itself.
    """

    betweenness: np.ndarray  # sum over ordered (s, t), s != v != t, of sigma_st(v) / sigma_st
    arc_betweenness_sum: float  # the same summed over arcs, for arcs instead of nodes
    eccentricity: np.ndarray  # largest distance to a reachable node (0 if none)
    reach_out: np.ndarray  # number of nodes reachable from v
    dist_out: np.ndarray  # sum of distances from v to them
    reach_in: np.ndarray  # number of nodes that reach v
    dist_in: np.ndarray  # sum of distances from them to v
    inverse_distance_sum: float  # sum over reachable ordered pairs of 1 / d


def _path_statistics(adj: sp.csr_array, block_entries: int = _BLOCK_ENTRIES) -> _PathStats:
    """Brandes' algorithm for a block of sources at a time, as sparse products.

    ``adj[u, v] = 1`` for an arc ``u → v`` (symmetric for undirected graphs).
    For a block of sources, a breadth-first search advances all of them one
    level per product ``adjᵀ @ frontier`` and counts shortest paths
    (``sigma``); the dependency accumulation walks the levels back with
    ``adj @ coef``. Cost O(n · (m + n · D)) for diameter D, memory O(block).
    """
    n = adj.shape[0]
    adj = sp.csr_array((np.ones(adj.nnz), adj.indices, adj.indptr), shape=(n, n))
    adj_t = adj.T.tocsr()
    arcs = adj.tocoo()
    tail, head = arcs.row, arcs.col
    stats = _PathStats(
        betweenness=np.zeros(n),
        arc_betweenness_sum=0.0,
        eccentricity=np.zeros(n, dtype=np.int64),
        reach_out=np.zeros(n, dtype=np.int64),
        dist_out=np.zeros(n, dtype=np.int64),
        reach_in=np.zeros(n, dtype=np.int64),
        dist_in=np.zeros(n, dtype=np.int64),
        inverse_distance_sum=0.0,
    )
    block = max(1, min(n, block_entries // max(n, 1)))
    arc_block = max(1, block_entries // block)
    for start in range(0, n, block):
        sources = np.arange(start, min(start + block, n))
        cols = np.arange(len(sources))
        dist = np.full((n, len(sources)), -1, dtype=np.int32)
        sigma = np.zeros((n, len(sources)))
        dist[sources, cols] = 0
        sigma[sources, cols] = 1.0
        frontier = sigma.copy()
        depth = 0
        while True:
            reached = adj_t @ frontier
            new = (reached > 0) & (dist < 0)
            if not new.any():
                break
            depth += 1
            dist[new] = depth
            frontier = np.where(new, reached, 0.0)
            sigma += frontier
        safe_sigma = np.where(sigma > 0, sigma, 1.0)
        delta = np.zeros_like(sigma)
        for level in range(depth, 0, -1):
            coef = np.where(dist == level, (1.0 + delta) / safe_sigma, 0.0)
            delta += np.where(dist == level - 1, sigma * (adj @ coef), 0.0)
        delta[sources, cols] = 0.0
        stats.betweenness += delta.sum(axis=1)
        coef = (1.0 + delta) / safe_sigma
        for e0 in range(0, len(tail), arc_block):
            t, h = tail[e0 : e0 + arc_block], head[e0 : e0 + arc_block]
            d_t, d_h = dist[t], dist[h]
            on_path = (d_t >= 0) & (d_h == d_t + 1)
            stats.arc_betweenness_sum += float(np.where(on_path, sigma[t] * coef[h], 0.0).sum())
        hit = dist > 0
        d = np.where(hit, dist, 0).astype(np.int64)
        stats.reach_out[sources] = hit.sum(axis=0)
        stats.dist_out[sources] = d.sum(axis=0)
        stats.eccentricity[sources] = d.max(axis=0)
        stats.reach_in += hit.sum(axis=1)
        stats.dist_in += d.sum(axis=1)
        stats.inverse_distance_sum += float((1.0 / dist[hit]).sum())
    return stats


def _closeness(reach: np.ndarray, dist_sum: np.ndarray, n: int) -> np.ndarray:
    """networkx closeness with ``wf_improved=True``: (r / Σd) · (r / (n − 1)), 0 if Σd = 0."""
    if n < 2:
        return np.zeros(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (reach / dist_sum) * (reach / (n - 1))
    return np.where(dist_sum > 0, value, 0.0)


# ----------------------------------------------------------------------------
# Undirected graph
# ----------------------------------------------------------------------------


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
    try:
        nodes = sorted(graph.nodes())
    except TypeError:
        nodes = list(graph.nodes())
    g = nx.Graph()
    g.add_nodes_from(range(len(nodes)))
    index = {v: i for i, v in enumerate(nodes)}
    g.add_edges_from((index[u], index[v]) for u, v in graph.edges() if u != v)
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

    stats = _path_statistics(adj)
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
    closeness = _closeness(stats.reach_out, stats.dist_out, n)
    props["betweenness_mean"] = float(betweenness.mean())
    props["betweenness_max"] = float(betweenness.max())
    props["closeness_mean"] = float(closeness.mean())
    props["closeness_max"] = float(closeness.max())
    # Each undirected edge collects both of its arcs (networkx's convention).
    props["edge_betweenness_mean"] = stats.arc_betweenness_sum / (pairs * m) if m else NAN

    props["algebraic_connectivity"] = _algebraic_connectivity(g, adj, n_components)
    props["spectral_radius"] = _spectral_radius(adj)
    props["small_world_index"] = _small_world_index(
        n, props["degree_mean"], props["transitivity"], props["avg_path_length"]
    )
    return {key: props[key] for key in GRAPH_PROPERTY_COLUMNS}


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


# ----------------------------------------------------------------------------
# Layered DAG
# ----------------------------------------------------------------------------


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

    stats = _path_statistics(adj)
    pairs = int(stats.reach_out.sum())
    has_successor = out_degree > 0
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
    props["dag_closeness_mean"] = float(_closeness(stats.reach_in, stats.dist_in, n).mean())
    props["dag_edge_betweenness_mean"] = stats.arc_betweenness_sum / (n * (n - 1) * m) if m else NAN
    props["dag_io_path_mean"], props["dag_io_path_longest"] = _io_paths(
        dag, adj, list(layered.input_nodes), list(layered.readout_nodes)
    )
    props["dag_n_params"] = int(n_params)
    return {key: props[key] for key in DAG_PROPERTY_COLUMNS}


def properties_record(graph: nx.Graph, graph_id: str, config: dict) -> dict[str, float | int]:
    """One `graph_properties` row: undirected properties plus the ``dag_`` ones.

    The DAG is built with the same mapping options (and orientation seed) the
    network builder uses, so ``dag_*`` describe the network that is trained.
    Needs no PyTorch.
    """
    from graphprior.data import dataset_shape
    from graphprior.graphs.dag import build_layered_dag
    from graphprior.graphs.netspec import spec_from_dag, spec_param_count
    from graphprior.graphs.selection import mapping_options

    input_shape, n_classes = dataset_shape(config["dataset"])
    layered = build_layered_dag(graph, mapping_options(config, graph_id))
    n_params = spec_param_count(spec_from_dag(layered, input_shape, n_classes))
    row: dict[str, float | int] = {"graph_id": graph_id}  # type: ignore[dict-item]
    row.update(graph_properties(graph))
    row.update(dag_properties(layered, n_params))
    return row
