"""The generator registry: names, parameters, parameter checks and drawing.

Every generator a config may name is an entry of :data:`GENERATORS`: its id
prefix, its parameters in a fixed order (the order of the graph id, see
:mod:`graphprior.graphs.grid`), a check of impossible values and a seeded
drawing function. :func:`canonical_params` turns a config's grid point into
the canonical parameter tuple; :func:`canonical_graph` gives every drawn graph
the same plain form (nodes ``0..n-1``, sorted edges, no attributes).

=========================  ======  =============================  =========================================
config name                prefix  parameters                     implementation
=========================  ======  =============================  =========================================
``erdos_renyi_gnp``        ``er``  ``n, p``                       ``networkx.gnp_random_graph``
``erdos_renyi_gnm``        ``gnm`` ``n, m``                       ``networkx.gnm_random_graph``
``watts_strogatz``         ``ws``  ``n, k, p``                    ``networkx.watts_strogatz_graph``
``newman_watts_strogatz``  ``nws`` ``n, k, p``                    ``networkx.newman_watts_strogatz_graph``
``barabasi_albert``        ``ba``  ``n, m``                       ``networkx.barabasi_albert_graph``
``powerlaw_cluster``       ``hk``  ``n, m, p``                    ``networkx.powerlaw_cluster_graph``
``random_regular``         ``rr``  ``d, n``                       ``networkx.random_regular_graph``
``stochastic_block``       ``sbm`` ``sizes, p_in, p_out``         ``networkx.stochastic_block_model``
``random_geometric``       ``rg``  ``n, radius``                  ``networkx.random_geometric_graph``
``paper_watts_strogatz``   ``pws`` ``n, k, p``                    :func:`paper_watts_strogatz_graph`
``ws_flex``                ``wsf`` ``n, k, p``                    :func:`ws_flex_graph`
=========================  ======  =============================  =========================================

``watts_strogatz`` and ``newman_watts_strogatz`` follow networkx: ``k`` is the
*total* number of ring neighbours (``k/2`` on each side), so ``k`` must be even.
``paper_watts_strogatz`` follows igraph, as the paper's code called
``igraph.Graph.Watts_Strogatz(1, N, k, p)``: ``k`` is igraph's ``nei``, the
number of neighbours on *each* side (mean degree ``2k``); see
:func:`paper_watts_strogatz_graph` for the exact rewiring rule. ``ws_flex``
is the WS-flex generator of You et al. (2020): ``k`` is the *average degree*
and may be any real number, so one ``n`` can cover the plane of clustering
and path length (:func:`ws_flex_graph`).

The ``sized_<family>`` generators are the families of ``graphs.strata``:
their ``n`` and ``m`` are the node and edge count of a stratum, and each
derives its networkx parameters from them (:mod:`graphprior.graphs.sized`).
Their :attr:`Generator.family` is the family's name in
``graphs.strata.families``; parameters ``n, m`` plus the family's knobs, id
prefixes ``smgnm`` (``gnm``), ``smrr`` (``random_regular``), ``smws``
(``watts_strogatz``, knob ``p``), ``smba`` (``barabasi_albert``), ``smhk``
(``holme_kim``, knob ``p``), ``smsbm`` (``sbm``, knobs ``blocks, ratio``) and
``smrg`` (``random_geometric``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import networkx as nx

from graphprior.graphs.lattices import (
    check_paper_ws,
    check_ws_flex,
    paper_watts_strogatz_graph,
    param_error,
    ws_flex_graph,
)
from graphprior.graphs.sized import FAMILIES, check_sized, draw_sized

__all__ = [
    "GENERATORS",
    "ParamValue",
    "Param",
    "Generator",
    "get_generator",
    "sized_generator",
    "sized_size",
    "canonical_params",
    "validate_generator_params",
    "canonical_graph",
    "paper_watts_strogatz_graph",
    "ws_flex_graph",
]

#: A parameter value after canonicalisation.
ParamValue = int | float | tuple[int, ...]


@dataclass(frozen=True)
class Param:
    """One generator parameter: its name, its kind and its key in the graph id."""

    name: str
    kind: str  # "int", "float" or "int_list"
    id_key: str


@dataclass(frozen=True)
class Generator:
    """One registry entry: id prefix, parameters in id order, value check, seeded draw."""

    name: str
    prefix: str
    params: tuple[Param, ...]
    draw: Callable[[dict[str, Any], int], nx.Graph]
    check: Callable[[str, dict[str, Any]], None]
    #: For size-matched generators, the family name in ``graphs.strata.families``.
    family: str | None = None

    @property
    def param_names(self) -> tuple[str, ...]:
        """Parameter names in the generator's fixed order."""
        return tuple(p.name for p in self.params)


def _int(name: str) -> Param:
    return Param(name, "int", name)


def _float(name: str, id_key: str | None = None) -> Param:
    return Param(name, "float", id_key or name)


def _fail(generator: str, param: str, message: str, value: Any) -> None:
    raise param_error(generator, param, message, value)


def _check_n(generator: str, params: dict[str, Any]) -> None:
    if params["n"] < 1:
        _fail(generator, "n", "must be at least 1", params["n"])


def _check_prob(generator: str, params: dict[str, Any], name: str) -> None:
    if not 0.0 <= params[name] <= 1.0:
        _fail(generator, name, "must be a probability in [0, 1]", params[name])


def _check_gnp(g: str, params: dict[str, Any]) -> None:
    _check_n(g, params)
    _check_prob(g, params, "p")


def _check_gnm(g: str, params: dict[str, Any]) -> None:
    _check_n(g, params)
    n, m = params["n"], params["m"]
    if m < 0 or m > n * (n - 1) // 2:
        _fail(g, "m", f"must lie in [0, n(n-1)/2] = [0, {n * (n - 1) // 2}] for n={n}", m)


def _check_ring(g: str, params: dict[str, Any]) -> None:
    # networkx joins k // 2 neighbours on each side; an odd k would silently
    # become k - 1, so it is refused.
    _check_n(g, params)
    n, k = params["n"], params["k"]
    if k < 2 or k >= n:
        _fail(g, "k", f"must satisfy 2 <= k < n (n={n})", k)
    if k % 2:
        _fail(g, "k", "must be even (networkx joins k/2 neighbours on each side)", k)
    _check_prob(g, params, "p")


def _check_preferential(g: str, params: dict[str, Any]) -> None:
    _check_n(g, params)
    n, m = params["n"], params["m"]
    if m < 1 or m >= n:
        _fail(g, "m", f"must satisfy 1 <= m < n (n={n})", m)
    if "p" in params:
        _check_prob(g, params, "p")


def _check_regular(g: str, params: dict[str, Any]) -> None:
    _check_n(g, params)
    n, d = params["n"], params["d"]
    if d < 0 or d >= n:
        _fail(g, "d", f"must satisfy 0 <= d < n (n={n})", d)
    if (n * d) % 2:
        _fail(g, "d", f"times n must be even (n={n})", d)


def _check_sbm(g: str, params: dict[str, Any]) -> None:
    sizes = params["sizes"]
    if len(sizes) == 0 or any(s < 1 for s in sizes):
        _fail(g, "sizes", "must be a non-empty list of positive block sizes", list(sizes))
    _check_prob(g, params, "p_in")
    _check_prob(g, params, "p_out")


def _check_geometric(g: str, params: dict[str, Any]) -> None:
    _check_n(g, params)
    if params["radius"] < 0:
        _fail(g, "radius", "must be non-negative", params["radius"])


def _draw_sbm(params: dict[str, Any], seed: int) -> nx.Graph:
    sizes = list(params["sizes"])
    b = len(sizes)
    probs = [[params["p_in"] if i == j else params["p_out"] for j in range(b)] for i in range(b)]
    return nx.stochastic_block_model(sizes, probs, seed=seed)


GENERATORS: dict[str, Generator] = {
    g.name: g
    for g in (
        Generator(
            "erdos_renyi_gnp",
            "er",
            (_int("n"), _float("p")),
            lambda q, s: nx.gnp_random_graph(q["n"], q["p"], seed=s),
            _check_gnp,
        ),
        Generator(
            "erdos_renyi_gnm",
            "gnm",
            (_int("n"), _int("m")),
            lambda q, s: nx.gnm_random_graph(q["n"], q["m"], seed=s),
            _check_gnm,
        ),
        Generator(
            "watts_strogatz",
            "ws",
            (_int("n"), _int("k"), _float("p")),
            lambda q, s: nx.watts_strogatz_graph(q["n"], q["k"], q["p"], seed=s),
            _check_ring,
        ),
        Generator(
            "newman_watts_strogatz",
            "nws",
            (_int("n"), _int("k"), _float("p")),
            lambda q, s: nx.newman_watts_strogatz_graph(q["n"], q["k"], q["p"], seed=s),
            _check_ring,
        ),
        Generator(
            "barabasi_albert",
            "ba",
            (_int("n"), _int("m")),
            lambda q, s: nx.barabasi_albert_graph(q["n"], q["m"], seed=s),
            _check_preferential,
        ),
        Generator(
            "powerlaw_cluster",
            "hk",
            (_int("n"), _int("m"), _float("p")),
            lambda q, s: nx.powerlaw_cluster_graph(q["n"], q["m"], q["p"], seed=s),
            _check_preferential,
        ),
        Generator(
            "random_regular",
            "rr",
            (_int("d"), _int("n")),
            lambda q, s: nx.random_regular_graph(q["d"], q["n"], seed=s),
            _check_regular,
        ),
        Generator(
            "stochastic_block",
            "sbm",
            (Param("sizes", "int_list", "b"), _float("p_in", "pin"), _float("p_out", "pout")),
            _draw_sbm,
            _check_sbm,
        ),
        Generator(
            "random_geometric",
            "rg",
            (_int("n"), _float("radius", "r")),
            lambda q, s: nx.random_geometric_graph(q["n"], q["radius"], seed=s),
            _check_geometric,
        ),
        Generator(
            "paper_watts_strogatz",
            "pws",
            (_int("n"), _int("k"), _float("p")),
            lambda q, s: paper_watts_strogatz_graph(q["n"], q["k"], q["p"], seed=s),
            check_paper_ws,
        ),
        Generator(
            "ws_flex",
            "wsf",
            (_int("n"), _float("k"), _float("p")),
            lambda q, s: ws_flex_graph(q["n"], q["k"], q["p"], seed=s),
            check_ws_flex,
        ),
    )
}


#: id prefix and knobs (besides ``n``, ``m``) of each size-matched family.
_SIZED_KNOBS: dict[str, tuple[str, tuple[Param, ...]]] = {
    "gnm": ("smgnm", ()),
    "random_regular": ("smrr", ()),
    "watts_strogatz": ("smws", (_float("p"),)),
    "barabasi_albert": ("smba", ()),
    "holme_kim": ("smhk", (_float("p"),)),
    "sbm": ("smsbm", (_int("blocks"), _float("ratio"))),
    "random_geometric": ("smrg", ()),
}


def sized_size(graph_id: str) -> tuple[int, int] | None:
    """The stratum ``(n, m)`` of a size-matched graph's id (twins too); ``None`` for others.

    >>> sized_size("smws-n50-m200-p0.2-s1-twin"), sized_size("ws-n50-k4-p0.2-s1")
    ((50, 200), None)
    """
    prefix, _, rest = graph_id.partition("-")
    if prefix not in {p for p, _ in _SIZED_KNOBS.values()}:
        return None
    n, m = rest.split("-")[:2]
    return int(n[1:]), int(m[1:])


def _sized(family: str) -> Generator:
    prefix, knobs = _SIZED_KNOBS[family]

    def check(g: str, params: dict[str, Any]) -> None:
        try:
            check_sized(family, params)
        except ValueError as err:
            raise ValueError(f"{g}: {err}") from None

    return Generator(
        f"sized_{family}",
        prefix,
        (_int("n"), _int("m"), *knobs),
        lambda q, s: draw_sized(family, q, s),
        check,
        family=family,
    )


GENERATORS.update((g.name, g) for g in map(_sized, FAMILIES))


def sized_generator(family: str) -> Generator:
    """The registry entry of a size-matched family (``ValueError`` listing the families)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown size-matched family {family!r}; known: {', '.join(FAMILIES)}")
    return GENERATORS[f"sized_{family}"]


def get_generator(name: str) -> Generator:
    """The registry entry of a generator; ``ValueError`` listing the known names otherwise."""
    try:
        return GENERATORS[name]
    except (KeyError, TypeError):
        known = ", ".join(GENERATORS)
        raise ValueError(f"unknown generator {name!r}; known generators: {known}") from None


def _coerce(generator: str, param: Param, value: Any) -> ParamValue:
    """Canonical type of one parameter value (int, float or tuple of ints)."""

    def as_int(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, Integral | Real):
            _fail(generator, param.name, "must be an integer", v)
        if isinstance(v, Integral):
            return int(v)
        if not math.isfinite(v) or int(v) != v:
            _fail(generator, param.name, "must be an integer", v)
        return int(v)

    if param.kind == "int":
        return as_int(value)
    if param.kind == "float":
        if isinstance(value, bool) or not isinstance(value, Real):
            _fail(generator, param.name, "must be a number", value)
        out = float(value)
        if not math.isfinite(out):
            _fail(generator, param.name, "must be finite", value)
        return out
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        _fail(generator, param.name, "must be a list of integers", value)
    return tuple(as_int(v) for v in value)


def canonical_params(
    generator: str, params: Mapping[str, Any]
) -> tuple[tuple[str, ParamValue], ...]:
    """Parameters of one grid point in the generator's order and canonical types, checked.

    Raises ``ValueError`` naming the generator and the parameter (see
    :func:`validate_generator_params`).
    """
    gen = get_generator(generator)
    if not isinstance(params, Mapping):
        raise ValueError(f"{generator}: params must be a mapping, got {params!r}")
    unknown = sorted(set(params) - set(gen.param_names))
    if unknown:
        raise ValueError(
            f"{generator}: unknown parameter {unknown[0]!r}; expected {', '.join(gen.param_names)}"
        )
    missing = [p for p in gen.param_names if p not in params]
    if missing:
        raise ValueError(
            f"{generator}: missing parameter {missing[0]!r}; expected {', '.join(gen.param_names)}"
        )
    canonical = tuple((p.name, _coerce(generator, p, params[p.name])) for p in gen.params)
    gen.check(generator, dict(canonical))
    return canonical


def validate_generator_params(generator: str, params: Mapping[str, Any]) -> None:
    """Check that a generator can draw a graph from these parameters.

    Parameters
    ----------
    generator : str
        Config name of the generator (a key of :data:`GENERATORS`).
    params : mapping
        One value per parameter (a single grid point, not lists of values).

    Raises
    ------
    ValueError
        For an unknown generator, a missing or unknown parameter, a value of
        the wrong type, or an impossible value; the message names the
        generator and the parameter.

    Examples
    --------
    >>> validate_generator_params("watts_strogatz", {"n": 64, "k": 4, "p": 0.1})
    >>> validate_generator_params("watts_strogatz", {"n": 64, "k": 5, "p": 0.1})
    Traceback (most recent call last):
    ...
    ValueError: watts_strogatz: parameter 'k' must be even (networkx joins k/2 neighbours on each side), got 5
    """
    canonical_params(generator, params)


def canonical_graph(graph: nx.Graph, n: int | None = None) -> nx.Graph:
    """Plain graph on nodes 0..n-1 with sorted edges and no attributes."""
    nodes = sorted(graph.nodes())
    if n is not None and nodes != list(range(n)):
        raise ValueError(f"expected nodes 0..{n - 1}, got {len(nodes)} nodes")
    out = nx.Graph()
    out.add_nodes_from(nodes)
    out.add_edges_from(sorted((min(u, v), max(u, v)) for u, v in graph.edges()))
    return out
