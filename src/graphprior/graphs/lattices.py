"""Ring-lattice generators: the paper's igraph-style Watts–Strogatz and WS-flex.

Both start from a ring lattice and rewire edges on a seeded numpy Generator.
:func:`paper_watts_strogatz_graph` is the published code's generator (every
node has ``k`` neighbours on each side); :func:`ws_flex_graph` is the WS-flex
generator of You, Leskovec, He and Xie (2020), whose average degree need not
be an even integer, so that a grid over ``(k, p)`` at one ``n`` covers the
plane of clustering coefficient and average path length.
"""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
import numpy as np

__all__ = [
    "param_error",
    "check_paper_ws",
    "check_ws_flex",
    "paper_watts_strogatz_graph",
    "ws_flex_graph",
    "WS_FLEX_TRIES",
]

#: Draws of a WS-flex graph before giving up on a connected one.
WS_FLEX_TRIES = 100


def param_error(generator: str, param: str, message: str, value: Any) -> ValueError:
    """The error for an impossible generator parameter, naming generator, parameter and value."""
    return ValueError(f"{generator}: parameter {param!r} {message}, got {value!r}")


def _check_n_p(g: str, params: dict[str, Any], least: int) -> None:
    if params["n"] < least:
        raise param_error(g, "n", f"must be at least {least}", params["n"])
    if not 0.0 <= params["p"] <= 1.0:
        raise param_error(g, "p", "must be a probability in [0, 1]", params["p"])


def check_paper_ws(g: str, params: dict[str, Any]) -> None:
    """Refuse a paper Watts–Strogatz grid point whose lattice cannot exist."""
    _check_n_p(g, params, 1)
    n, k = params["n"], params["k"]
    if k < 1 or 2 * k >= n:
        raise param_error(
            g, "k", f"(neighbours on each side) must satisfy 1 <= k and 2k < n (n={n})", k
        )


def _ws_flex_edges(n: int, k: float) -> int:
    return int(round(n * k / 2))


def check_ws_flex(g: str, params: dict[str, Any]) -> None:
    """Refuse a WS-flex grid point: ``n >= 3``, ``k >= 2`` and a ring lattice of ``round(nk/2)`` edges.

    The lattice joins node ``i`` to its next ``ceil(m/n)`` nodes at most, which
    must stay below half the ring (else an edge would be drawn twice): so
    ``k <= 2·floor((n-1)/2)``.
    """
    _check_n_p(g, params, 3)
    n, k = params["n"], params["k"]
    top = 2 * ((n - 1) // 2)
    if not 2 <= k or math.ceil(_ws_flex_edges(n, k) / n) > (n - 1) // 2:
        raise param_error(g, "k", f"(average degree) must satisfy 2 <= k <= {top} (n={n})", k)


def ws_flex_graph(n: int, k: float, p: float, seed: int) -> nx.Graph:
    """A connected WS-flex graph: ``n`` nodes, ``round(n·k/2)`` edges, rewired with probability ``p``.

    1. Ring lattice: with ``m = round(n·k/2)`` edges, every node ``i`` is
       joined to its next ``m // n`` nodes ``i+1, ..., i + m//n`` (mod ``n``),
       and ``m mod n`` nodes drawn without replacement to one more, so the
       average degree is ``2m/n`` (``k`` up to rounding) and degrees differ by
       at most one.
    2. Rewiring: every lattice edge ``(i, j)``, in lattice order, is picked
       with probability ``p`` and moved to ``(i, w)``, ``w`` uniform over the
       nodes that are neither ``i`` nor a neighbour of ``i`` (skipped when
       ``i`` is joined to every node). The edge count stays ``m``.
    3. A disconnected draw is drawn again from the same generator, up to
       :data:`WS_FLEX_TRIES` times (the average path length needs one
       component); then ``ValueError``.
    """
    check_ws_flex("ws_flex", {"n": n, "k": k, "p": p})
    rng = np.random.default_rng(seed)
    for _ in range(WS_FLEX_TRIES):
        graph = _ws_flex_draw(n, _ws_flex_edges(n, k), p, rng)
        if nx.is_connected(graph):
            return graph
    raise ValueError(
        f"ws_flex: no connected graph with n={n}, k={k}, p={p} in {WS_FLEX_TRIES} draws "
        f"(seed {seed}); raise k or lower p"
    )


def _ws_flex_draw(n: int, m: int, p: float, rng: np.random.Generator) -> nx.Graph:
    reach = np.full(n, m // n)
    reach[rng.choice(n, m % n, replace=False)] += 1
    lattice = [(i, (i + d) % n) for i in range(n) for d in range(1, int(reach[i]) + 1)]
    adjacency: list[set[int]] = [set() for _ in range(n)]
    for a, b in lattice:
        adjacency[a].add(b)
        adjacency[b].add(a)
    for (a, b), picked in zip(lattice, rng.random(len(lattice)) < p, strict=True):
        if not picked or len(adjacency[a]) >= n - 1:
            continue
        free = np.setdiff1d(np.arange(n), [a, *adjacency[a]])
        w = int(free[rng.integers(free.size)])
        adjacency[a].discard(b)
        adjacency[b].discard(a)
        adjacency[a].add(w)
        adjacency[w].add(a)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((a, b) for a in range(n) for b in adjacency[a] if a < b)
    return graph


def paper_watts_strogatz_graph(n: int, k: int, p: float, seed: int) -> nx.Graph:
    """igraph-style Watts–Strogatz graph, as in the paper's code.

    The definition of igraph's ``Watts_Strogatz(dim=1, size=n, nei=k, p,
    loops=False, multiple=False)`` (``igraph_watts_strogatz_game`` followed by
    ``igraph_rewire_edges``), re-implemented on a seeded numpy Generator:

    1. Ring lattice: node ``i`` is joined to ``i ± 1, ..., i ± k`` (mod ``n``),
       so every node has degree ``2k`` and there are ``n·k`` edges.
    2. Rewiring, two passes over the edges ``(i, i + j mod n)`` in lattice
       order (``i`` ascending, then ``j``): the first pass rewires the second
       endpoint, the second pass the first endpoint. In each pass every edge is
       picked independently with probability ``p``; a picked edge ``(a, b)``
       whose endpoint ``b`` is rewired gets a new endpoint drawn uniformly from
       the nodes that are neither ``a`` nor a current neighbour of ``a``, plus
       ``b`` itself (drawing ``b`` keeps the edge). So each endpoint of each
       edge is rewired with probability ``p``, and no self-loops or multi-edges
       arise; the number of edges stays ``n·k``.

    igraph's graphs are not reproduced draw for draw: it uses its own RNG and
    visits the edges sorted by their fixed endpoint. The rule per endpoint is
    the same; since each draw depends on the edges rewired before it, the
    visiting order can change fine details of the joint distribution.

    Parameters
    ----------
    n : int
        Number of nodes.
    k : int
        Neighbours on each side in the ring lattice (igraph's ``nei``).
    p : float
        Rewiring probability per edge endpoint.
    seed : int
        Seed of the numpy Generator.
    """
    check_paper_ws("paper_watts_strogatz", {"n": n, "k": k, "p": p})
    rng = np.random.default_rng(seed)
    edges = [[i, (i + j) % n] for i in range(n) for j in range(1, k + 1)]
    adjacency = [set() for _ in range(n)]
    for a, b in edges:
        adjacency[a].add(b)
        adjacency[b].add(a)
    for moving in (1, 0):  # pass 1 rewires the second endpoint, pass 2 the first
        picked = rng.random(len(edges)) < p
        for e in np.flatnonzero(picked):
            fixed, old = edges[e][1 - moving], edges[e][moving]
            taken = adjacency[fixed]
            # Rejection sampling: uniform over the nodes other than `fixed`,
            # accepted if not yet a neighbour of `fixed` or if it is `old`.
            while True:
                new = int(rng.integers(n - 1))
                new = n - 1 if new == fixed else new
                if new == old or new not in taken:
                    break
            if new != old:
                taken.discard(old)
                adjacency[old].discard(fixed)
                taken.add(new)
                adjacency[new].add(fixed)
                edges[e][moving] = new
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(edges)
    return graph
