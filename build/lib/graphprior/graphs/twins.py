"""Degree-preserving rewired twins: the null model of every graph.

The twin of a graph has exactly the same degree sequence and is obtained by
``twin_swaps_per_edge × m`` successful double-edge swaps (:func:`rewired_twin`),
seeded by :func:`twin_seed` of the parent id (the null model that separates
structure from degree sequence, see docs/reproduction.md).
"""

from __future__ import annotations

import hashlib
import logging

import networkx as nx

from graphprior.graphs.generators import canonical_graph

__all__ = ["twin_seed", "rewired_twin"]

log = logging.getLogger(__name__)


def twin_seed(parent_id: str) -> int:
    """Seed of the rewiring that makes the twin of ``parent_id``.

    The first four bytes of the SHA-256 of ``"twin:" + parent_id`` as an
    unsigned integer; stable across processes (unlike the salted ``hash()``).
    """
    digest = hashlib.sha256(f"twin:{parent_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def rewired_twin(graph: nx.Graph, seed: int, swaps_per_edge: int) -> nx.Graph:
    """Degree-preserving randomisation of a graph by double-edge swaps.

    ``swaps_per_edge × m`` successful swaps ``(u, v), (x, y) → (u, x), (v, y)``
    with ``networkx.double_edge_swap`` (no self-loops, no multi-edges), at most
    ``100`` attempts per requested swap. The degree of every node is preserved
    exactly. Graphs where no swap is possible (fewer than 4 nodes or 2 edges,
    complete graphs) are returned as an unchanged copy, and graphs where the
    attempts run out (e.g. stars) keep the swaps made so far; both cases log
    a warning.

    Parameters
    ----------
    graph : networkx.Graph
        The graph to rewire (not modified).
    seed : int
        Seed of the swaps (see :func:`twin_seed`).
    swaps_per_edge : int
        Successful swaps per edge.

    Returns
    -------
    networkx.Graph
        A new graph on the same nodes, nodes ascending and edges sorted.
    """
    twin = canonical_graph(graph)
    n, m = twin.number_of_nodes(), twin.number_of_edges()
    nswap = swaps_per_edge * m
    if n < 4 or m < 2 or m == n * (n - 1) // 2:
        log.warning("twin: no double-edge swap possible (n=%d, m=%d); returning a copy", n, m)
        return twin
    if nswap == 0:
        return twin
    try:
        nx.double_edge_swap(twin, nswap=nswap, max_tries=100 * nswap, seed=seed)
    except nx.NetworkXAlgorithmError:
        log.warning(
            "twin: fewer than %d double-edge swaps possible within %d attempts (n=%d, m=%d); "
            "keeping the swaps made",
            nswap,
            100 * nswap,
            n,
            m,
        )
    return canonical_graph(twin)
