"""Size-matched generators: every family drawn with a given node count n and edge count m.

A *stratum* of ``graphs.strata`` fixes ``(n, m)``; each family below turns
``(n, m)`` into its own parameters, so graphs of one stratum differ in their
wiring only (docs/study-design.md, "Size-matched strata"). The functions here
are the checks and the seeded draws; :mod:`graphprior.graphs.generators`
registers them under their own id prefixes.

* ``gnm``: ``networkx.gnm_random_graph(n, m)``; exactly m edges.
* ``random_regular``: degree ``d = 2m/n`` (must be an integer); exactly m.
* ``watts_strogatz``: ring degree ``k = 2m/n`` (must be an even integer),
  rewiring keeps the edge count; exactly m.
* ``barabasi_albert``: attachment ``a`` (:func:`attachment`) with ``a(n - a)``
  closest to m; ``a(n - a)`` edges, so within n/2 of m for ``n - 1 <= m``
  (``m <= n²/4`` is required).
* ``holme_kim``: ``networkx.powerlaw_cluster_graph`` with the same ``a``; at
  most ``a(n - a)`` edges (networkx's triad step can pick a node the new node
  is already joined to, and that edge is lost).
* ``sbm``: a block model conditioned on exactly m edges
  (:func:`sized_sbm_graph`); exactly m.
* ``random_geometric``: the radius puts exactly m pairs of seeded points within
  reach (:func:`sized_geometric_graph`); exactly m unless distances tie.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
from scipy.spatial.distance import pdist
from scipy.stats import nchypergeom_fisher

from graphprior.config.choices import STRATA_FAMILIES

__all__ = [
    "FAMILIES",
    "stratum_name",
    "attachment",
    "check_sized",
    "derived_params",
    "block_sizes",
    "draw_sized",
    "sized_sbm_graph",
    "sized_geometric_graph",
]

#: The families of ``graphs.strata.families``, in documentation order.
FAMILIES = STRATA_FAMILIES


def stratum_name(n: int, m: int) -> str:
    """The stratum of a size-matched graph, ``n{n}-m{m}`` (e.g. ``n50-m100``)."""
    return f"n{n}-m{m}"


def attachment(n: int, m: int) -> int:
    """Barabási–Albert / Holme–Kim attachment count ``a`` whose ``a(n - a)`` is closest to m.

    networkx starts Barabási–Albert from a star on ``a + 1`` nodes (``a``
    edges) and joins each of the other ``n - a - 1`` nodes with ``a`` edges:
    ``a(n - a)`` edges. Ties go to the smaller ``a``; ``1 <= a < n``.
    """
    candidates = range(1, n)
    return min(candidates, key=lambda a: (abs(a * (n - a) - m), a))


def _two_m_over_n(family: str, n: int, m: int, even: bool) -> int:
    what = "an even integer" if even else "an integer"
    value = 2 * m / n
    if (2 * m) % n or (even and (2 * m // n) % 2):
        raise ValueError(f"{family} needs 2m/n to be {what}, got 2*{m}/{n} = {value:g}")
    return 2 * m // n


def check_sized(family: str, params: dict[str, Any]) -> None:
    """Refuse an ``(n, m)`` (and knobs) the family cannot draw; ``ValueError`` names the family."""
    n, m = params["n"], params["m"]
    if n < 2:
        raise ValueError(f"{family} needs n >= 2, got n = {n}")
    if m < 1 or m > n * (n - 1) // 2:
        raise ValueError(f"{family} needs 1 <= m <= n(n-1)/2 = {n * (n - 1) // 2}, got m = {m}")
    if family == "random_regular":
        d = _two_m_over_n(family, n, m, even=False)
        if d >= n or (n * d) % 2:  # n*d = 2m is even; d < n follows from m <= n(n-1)/2
            raise ValueError(f"{family} needs d = 2m/n < n and n*d even, got d = {d}, n = {n}")
    elif family == "watts_strogatz":
        k = _two_m_over_n(family, n, m, even=True)
        if k >= n:
            raise ValueError(f"{family} needs k = 2m/n < n, got k = {k}, n = {n}")
    elif family in ("barabasi_albert", "holme_kim") and m > n * n // 4:
        raise ValueError(f"{family} has at most a(n-a) <= n^2/4 = {n * n // 4} edges, got m = {m}")
    elif family == "sbm":
        if not 1 <= params["blocks"] <= n:
            raise ValueError(f"{family} needs 1 <= blocks <= n, got blocks = {params['blocks']}")
        if params["ratio"] <= 0:
            raise ValueError(f"{family} needs ratio > 0, got {params['ratio']}")
    if "p" in params and not 0.0 <= params["p"] <= 1.0:
        raise ValueError(f"{family} needs p in [0, 1], got p = {params['p']}")


def derived_params(family: str, params: dict[str, Any]) -> dict[str, Any]:
    """The networkx parameters a family draws with (the radius of a geometric graph is per seed)."""
    n, m = params["n"], params["m"]
    if family in ("random_regular", "watts_strogatz"):
        return {"d" if family == "random_regular" else "k": 2 * m // n}
    if family in ("barabasi_albert", "holme_kim"):
        return {"attachment": attachment(n, m)}
    if family == "sbm":
        return {"sizes": block_sizes(n, params["blocks"])}
    return {}


def block_sizes(n: int, blocks: int) -> list[int]:
    """``n`` nodes in ``blocks`` blocks as equal as possible, the larger blocks first."""
    base, extra = divmod(n, blocks)
    return [base + 1] * extra + [base] * (blocks - extra)


def sized_sbm_graph(n: int, m: int, blocks: int, ratio: float, seed: int) -> nx.Graph:
    """A stochastic block model conditioned on exactly m edges.

    Blocks of :func:`block_sizes`. Under an SBM in which a within-block pair's
    odds of being an edge are ``ratio`` times a between-block pair's odds, a
    graph's probability given its edge count is proportional to
    ``ratio ** (within-block edges)``. So, given m edges, the number ``w`` of
    within-block edges follows Fisher's noncentral hypergeometric law
    (``scipy.stats.nchypergeom_fisher`` with odds ``ratio``), and the ``w``
    within-block and ``m - w`` between-block edges are uniform samples without
    replacement of their pairs. Drawn with ``numpy.random.default_rng(seed)``.
    """
    label = np.repeat(np.arange(blocks), block_sizes(n, blocks))
    rows, cols = np.triu_indices(n, k=1)
    same = label[rows] == label[cols]
    inside, across = np.flatnonzero(same), np.flatnonzero(~same)
    rng = np.random.default_rng(seed)
    support = np.arange(max(0, m - len(across)), min(m, len(inside)) + 1)
    pmf = nchypergeom_fisher.pmf(support, len(same), len(inside), m, ratio)
    w = int(rng.choice(support, p=pmf / pmf.sum()))
    chosen = np.concatenate(
        [rng.choice(inside, size=w, replace=False), rng.choice(across, size=m - w, replace=False)]
    )
    graph = nx.empty_graph(n)
    graph.add_edges_from(zip(rows[chosen].tolist(), cols[chosen].tolist(), strict=True))
    return graph


def sized_geometric_graph(n: int, m: int, seed: int) -> nx.Graph:
    """A random geometric graph in the unit square whose radius gives m edges.

    The n points are ``numpy.random.default_rng(seed).random((n, 2))``. The
    pairwise distances are sorted; the radius is the midpoint between the
    distance whose rank (ties counted together) is closest to m and the next
    larger one, and ``networkx.random_geometric_graph`` joins every pair no
    farther apart. With distinct distances (almost sure) that is exactly m
    edges; with ties, the achievable count closest to m.
    """
    points = np.random.default_rng(seed).random((n, 2))
    distances, counts = np.unique(pdist(points), return_counts=True)
    edges_at = np.cumsum(counts)  # edges with radius distances[i]
    i = int(np.argmin(np.abs(edges_at - m)))
    upper = distances[i + 1] if i + 1 < len(distances) else distances[i] + 1.0
    radius = float((distances[i] + upper) / 2)
    pos = {v: points[v].tolist() for v in range(n)}
    return nx.random_geometric_graph(n, radius, pos=pos)


def draw_sized(family: str, params: dict[str, Any], seed: int) -> nx.Graph:
    """The seeded graph of one family at ``params`` (``n``, ``m`` and the family's knobs)."""
    n, m = params["n"], params["m"]
    if family == "gnm":
        return nx.gnm_random_graph(n, m, seed=seed)
    if family == "random_regular":
        return nx.random_regular_graph(2 * m // n, n, seed=seed)
    if family == "watts_strogatz":
        return nx.watts_strogatz_graph(n, 2 * m // n, params["p"], seed=seed)
    if family == "barabasi_albert":
        return nx.barabasi_albert_graph(n, attachment(n, m), seed=seed)
    if family == "holme_kim":
        return nx.powerlaw_cluster_graph(n, attachment(n, m), params["p"], seed=seed)
    if family == "sbm":
        return sized_sbm_graph(n, m, params["blocks"], params["ratio"], seed)
    if family == "random_geometric":
        return sized_geometric_graph(n, m, seed)
    raise ValueError(f"unknown size-matched family {family!r}; known: {', '.join(FAMILIES)}")
