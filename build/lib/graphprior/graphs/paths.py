"""Every shortest-path statistic of a (di)graph in one exact pass of Brandes' algorithm.

Path lengths, eccentricities, closeness, efficiency, node and edge betweenness
of both property tables (:mod:`graphprior.graphs.properties`,
:mod:`graphprior.graphs.dag_properties`) come from :func:`path_statistics`:
Brandes' algorithm (Brandes 2001, "A faster algorithm for betweenness
centrality") run for a block of sources at once with sparse matrix products.
The values equal networkx's ``betweenness_centrality``,
``edge_betweenness_centrality``, ``closeness_centrality`` and
``global_efficiency`` (tested), at a fraction of the time. No sampling is used
at any size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["PathStats", "path_statistics", "closeness_centrality"]

#: Entries of one (nodes × sources) block in the batched Brandes pass (memory bound).
_BLOCK_ENTRIES = 1 << 21


@dataclass
class PathStats:
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


def path_statistics(adj: sp.csr_array, block_entries: int = _BLOCK_ENTRIES) -> PathStats:
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
    stats = PathStats(
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


def closeness_centrality(reach: np.ndarray, dist_sum: np.ndarray, n: int) -> np.ndarray:
    """networkx closeness with ``wf_improved=True``: (r / Σd) · (r / (n − 1)), 0 if Σd = 0."""
    if n < 2:
        return np.zeros(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (reach / dist_sum) * (reach / (n - 1))
    return np.where(dist_sum > 0, value, 0.0)
