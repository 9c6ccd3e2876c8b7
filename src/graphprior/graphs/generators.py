"""Seeded random-graph generators, degree-preserving twins and stable graph ids.

Every graph of a study is described by a :class:`GraphSpec` (generator name,
parameters, seed, variant). :func:`make_graph` turns a spec into the same
``networkx.Graph`` every time (nodes ``0..n-1``, edges in sorted order, no node
or edge attributes), and :attr:`GraphSpec.graph_id` names it. Ids are produced
only from specs, never parsed back: the list of ids is a pure function of the
config (DESIGN §2), and a rule looks up its spec by id in
``{s.graph_id: s for s in expand_grid(config["graphs"])}``.

Generators
----------
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
=========================  ======  =============================  =========================================

``watts_strogatz`` and ``newman_watts_strogatz`` follow networkx: ``k`` is the
*total* number of ring neighbours (``k/2`` on each side), so ``k`` must be even.
``paper_watts_strogatz`` follows igraph, as the paper's code called
``igraph.Graph.Watts_Strogatz(1, N, k, p)``: ``k`` is igraph's ``nei``, the
number of neighbours on *each* side (mean degree ``2k``); see
:func:`paper_watts_strogatz_graph` for the exact rewiring rule.

Graph ids
---------
``<prefix>-<key><value>-...-s<seed>`` with the parameters in the generator's
fixed order (not the config's), and ``-twin`` appended for the rewired twin:

* integers as decimal (``n100``), floats by Python's shortest round-trip
  ``repr`` (``p0.3``, ``p1.0``, ``p1e-05``);
* parameter keys are the parameter names, except ``radius`` → ``r``,
  ``sizes`` → ``b``, ``p_in`` → ``pin``, ``p_out`` → ``pout``;
* block sizes are run-length encoded, runs joined by ``_``:
  ``[20, 20, 24]`` → ``b20x2_24``, ``[32, 32]`` → ``b32x2``, ``[64]`` → ``b64``.

Examples: ``ws-n100-k6-p0.3-s1``, ``ws-n100-k6-p0.3-s1-twin``,
``sbm-b20x2_24-pin0.3-pout0.02-s1``, ``rr-d4-n64-s3``, ``rg-n64-r0.2-s1``.
Every id matches :data:`GRAPH_ID_PATTERN`, so it is safe as a file name and a
Snakemake wildcard. Ids are stable across versions of graphprior; the graph
behind an id is reproducible for a fixed networkx version (networkx does not
promise identical draws across releases).

Twins
-----
The twin of a graph (DESIGN §3, the null model) has exactly the same degree
sequence and is obtained by ``twin_swaps_per_edge × m`` successful double-edge
swaps (:func:`rewired_twin`), seeded by :func:`twin_seed` of the parent id.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

__all__ = [
    "GRAPH_ID_PATTERN",
    "GENERATORS",
    "VARIANTS",
    "PAPER_N_VALUES",
    "PAPER_K_VALUES",
    "PAPER_P_VALUES",
    "ParamValue",
    "GraphSpec",
    "validate_generator_params",
    "expand_grid",
    "make_graph",
    "paper_watts_strogatz_graph",
    "rewired_twin",
    "twin_seed",
    "write_graph",
    "read_graph",
    "graph_record",
    "paper_grid",
    "filter_by_params",
]

log = logging.getLogger(__name__)

#: Every graph id matches this pattern (file-name and wildcard safe).
GRAPH_ID_PATTERN = r"^[A-Za-z0-9._-]+$"
_GRAPH_ID_RE = re.compile(GRAPH_ID_PATTERN)

#: ``original``: drawn from the generator; ``twin``: its degree-preserving rewiring.
VARIANTS = ("original", "twin")

#: The paper's Watts–Strogatz grid (Ben Amor, Stier, Granitzer 2021).
PAPER_N_VALUES = (150, 200, 250, 300, 350, 400, 500)
PAPER_K_VALUES = (2, 4, 6, 8, 10, 20)
PAPER_P_VALUES = (0.5, 0.6, 0.7, 0.8, 0.9)

#: A parameter value after canonicalisation.
ParamValue = int | float | tuple[int, ...]

_DEFAULT_SWAPS_PER_EDGE = 10


# ----------------------------------------------------------------------------
# Generator table
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Param:
    name: str
    kind: str  # "int", "float" or "int_list"
    id_key: str


@dataclass(frozen=True)
class _Generator:
    name: str
    prefix: str
    params: tuple[_Param, ...]
    draw: Callable[[dict[str, Any], int], nx.Graph]
    check: Callable[[str, dict[str, Any]], None]

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)


def _int(name: str) -> _Param:
    return _Param(name, "int", name)


def _float(name: str, id_key: str | None = None) -> _Param:
    return _Param(name, "float", id_key or name)


def _fail(generator: str, param: str, message: str, value: Any) -> None:
    raise ValueError(f"{generator}: parameter {param!r} {message}, got {value!r}")


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


def _check_paper_ws(g: str, params: dict[str, Any]) -> None:
    _check_n(g, params)
    n, k = params["n"], params["k"]
    if k < 1 or 2 * k >= n:
        _fail(g, "k", f"(neighbours on each side) must satisfy 1 <= k and 2k < n (n={n})", k)
    _check_prob(g, params, "p")


def _draw_sbm(params: dict[str, Any], seed: int) -> nx.Graph:
    sizes = list(params["sizes"])
    b = len(sizes)
    probs = [[params["p_in"] if i == j else params["p_out"] for j in range(b)] for i in range(b)]
    return nx.stochastic_block_model(sizes, probs, seed=seed)


GENERATORS: dict[str, _Generator] = {
    g.name: g
    for g in (
        _Generator(
            "erdos_renyi_gnp",
            "er",
            (_int("n"), _float("p")),
            lambda q, s: nx.gnp_random_graph(q["n"], q["p"], seed=s),
            _check_gnp,
        ),
        _Generator(
            "erdos_renyi_gnm",
            "gnm",
            (_int("n"), _int("m")),
            lambda q, s: nx.gnm_random_graph(q["n"], q["m"], seed=s),
            _check_gnm,
        ),
        _Generator(
            "watts_strogatz",
            "ws",
            (_int("n"), _int("k"), _float("p")),
            lambda q, s: nx.watts_strogatz_graph(q["n"], q["k"], q["p"], seed=s),
            _check_ring,
        ),
        _Generator(
            "newman_watts_strogatz",
            "nws",
            (_int("n"), _int("k"), _float("p")),
            lambda q, s: nx.newman_watts_strogatz_graph(q["n"], q["k"], q["p"], seed=s),
            _check_ring,
        ),
        _Generator(
            "barabasi_albert",
            "ba",
            (_int("n"), _int("m")),
            lambda q, s: nx.barabasi_albert_graph(q["n"], q["m"], seed=s),
            _check_preferential,
        ),
        _Generator(
            "powerlaw_cluster",
            "hk",
            (_int("n"), _int("m"), _float("p")),
            lambda q, s: nx.powerlaw_cluster_graph(q["n"], q["m"], q["p"], seed=s),
            _check_preferential,
        ),
        _Generator(
            "random_regular",
            "rr",
            (_int("d"), _int("n")),
            lambda q, s: nx.random_regular_graph(q["d"], q["n"], seed=s),
            _check_regular,
        ),
        _Generator(
            "stochastic_block",
            "sbm",
            (_Param("sizes", "int_list", "b"), _float("p_in", "pin"), _float("p_out", "pout")),
            _draw_sbm,
            _check_sbm,
        ),
        _Generator(
            "random_geometric",
            "rg",
            (_int("n"), _float("radius", "r")),
            lambda q, s: nx.random_geometric_graph(q["n"], q["radius"], seed=s),
            _check_geometric,
        ),
        _Generator(
            "paper_watts_strogatz",
            "pws",
            (_int("n"), _int("k"), _float("p")),
            lambda q, s: paper_watts_strogatz_graph(q["n"], q["k"], q["p"], seed=s),
            _check_paper_ws,
        ),
    )
}


def _generator(name: str) -> _Generator:
    try:
        return GENERATORS[name]
    except (KeyError, TypeError):
        known = ", ".join(GENERATORS)
        raise ValueError(f"unknown generator {name!r}; known generators: {known}") from None


def _coerce(generator: str, param: _Param, value: Any) -> ParamValue:
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


def _canonical_params(
    generator: str, params: Mapping[str, Any]
) -> tuple[tuple[str, ParamValue], ...]:
    gen = _generator(generator)
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
    _canonical_params(generator, params)


# ----------------------------------------------------------------------------
# Specs and ids
# ----------------------------------------------------------------------------


def _format_value(kind: str, value: ParamValue) -> str:
    if kind == "int":
        return str(value)
    if kind == "float":
        return repr(float(value))
    runs = [(size, len(list(group))) for size, group in itertools.groupby(value)]
    return "_".join(str(s) if count == 1 else f"{s}x{count}" for s, count in runs)


@dataclass(frozen=True)
class GraphSpec:
    """Everything needed to draw one graph, and its id.

    Build specs with :meth:`create` (or :func:`expand_grid`), which validates
    and canonicalises the parameters; the plain constructor trusts its input.

    Attributes
    ----------
    generator : str
        Config name of the generator.
    params : tuple of (name, value)
        Parameters in the generator's fixed order; values are ``int``,
        ``float`` or a tuple of ints (block sizes).
    seed : int
        Seed passed to the generator (``seed=``).
    variant : str
        ``"original"`` or ``"twin"`` (degree-preserving rewiring of the original).
    twin_swaps_per_edge : int
        For twins: successful double-edge swaps per edge. Not part of the id
        (the config fixes it for a whole study).

    Examples
    --------
    >>> spec = GraphSpec.create("watts_strogatz", {"p": 0.3, "n": 100, "k": 6}, seed=1)
    >>> spec.graph_id
    'ws-n100-k6-p0.3-s1'
    >>> spec.twin().graph_id, spec.twin().parent_id
    ('ws-n100-k6-p0.3-s1-twin', 'ws-n100-k6-p0.3-s1')
    """

    generator: str
    params: tuple[tuple[str, ParamValue], ...]
    seed: int
    variant: str = "original"
    twin_swaps_per_edge: int = field(default=_DEFAULT_SWAPS_PER_EDGE)

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {self.variant!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, Integral) or self.seed < 0:
            raise ValueError(
                f"{self.generator}: seed must be a non-negative integer, got {self.seed!r}"
            )
        if (
            isinstance(self.twin_swaps_per_edge, bool)
            or not isinstance(self.twin_swaps_per_edge, Integral)
            or self.twin_swaps_per_edge < 0
        ):
            raise ValueError(
                f"twin_swaps_per_edge must be a non-negative integer, got {self.twin_swaps_per_edge!r}"
            )

    @classmethod
    def create(
        cls,
        generator: str,
        params: Mapping[str, Any],
        seed: int,
        variant: str = "original",
        twin_swaps_per_edge: int = _DEFAULT_SWAPS_PER_EDGE,
    ) -> GraphSpec:
        """Validated spec with canonical parameter order and types."""
        return cls(
            generator=generator,
            params=_canonical_params(generator, params),
            seed=seed,
            variant=variant,
            twin_swaps_per_edge=twin_swaps_per_edge,
        )

    @property
    def params_dict(self) -> dict[str, ParamValue]:
        """Parameters as a dict (generator order)."""
        return dict(self.params)

    @property
    def base_id(self) -> str:
        """Id of the original graph (the id without ``-twin``)."""
        gen = _generator(self.generator)
        values = self.params_dict
        parts = [gen.prefix]
        parts += [p.id_key + _format_value(p.kind, values[p.name]) for p in gen.params]
        parts.append(f"s{self.seed}")
        return "-".join(parts)

    @property
    def graph_id(self) -> str:
        """Readable, stable, file-name-safe id (see the module docstring)."""
        gid = self.base_id + ("-twin" if self.variant == "twin" else "")
        if not _GRAPH_ID_RE.match(gid):
            raise ValueError(f"graph id {gid!r} does not match {GRAPH_ID_PATTERN}")
        return gid

    @property
    def parent_id(self) -> str | None:
        """Id of the original a twin was rewired from; ``None`` for originals."""
        return self.base_id if self.variant == "twin" else None

    @property
    def n_nodes(self) -> int:
        """Number of nodes the graph will have (``n``, or the sum of block sizes)."""
        values = self.params_dict
        if "n" in values:
            return int(values["n"])  # type: ignore[arg-type]
        return int(sum(values["sizes"]))  # type: ignore[arg-type]

    def twin(self) -> GraphSpec:
        """The spec of this graph's degree-preserving twin."""
        return replace(self, variant="twin")

    def original(self) -> GraphSpec:
        """The spec of the original graph (itself for originals)."""
        return replace(self, variant="original")


def expand_grid(graphs_config: Mapping[str, Any]) -> list[GraphSpec]:
    """All graph specs of a study, from the ``graphs`` section of the config.

    Parameters
    ----------
    graphs_config : mapping
        The ``graphs`` section::

            generators:
              - generator: watts_strogatz
                params: {n: [64], k: [4, 8], p: [0.1, 0.5]}  # lists: cartesian product
                seeds: [1, 2]
            twins: true                # add a degree-preserving twin per graph
            twin_swaps_per_edge: 10    # double-edge swaps = this × edges

        Each parameter maps to a list of values (block ``sizes`` to a list of
        lists). ``twins`` defaults to false, ``twin_swaps_per_edge`` to 10.

    Returns
    -------
    list of GraphSpec
        Originals in config order (entries in order; within an entry the
        cartesian product in the generator's parameter order, values in listed
        order, seeds innermost), then, if ``twins``, the twins in the same order.

    Raises
    ------
    ValueError
        On a malformed section, an invalid grid point (see
        :func:`validate_generator_params`) or a duplicate graph id.
    """
    if not isinstance(graphs_config, Mapping) or "generators" not in graphs_config:
        raise ValueError("graphs config: expected the `graphs` section with a `generators` list")
    entries = graphs_config["generators"]
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        raise ValueError("graphs.generators: must be a list of generator entries")
    twins = graphs_config.get("twins", False)
    if not isinstance(twins, bool):
        raise ValueError(f"graphs.twins: must be true or false, got {twins!r}")
    swaps = graphs_config.get("twin_swaps_per_edge", _DEFAULT_SWAPS_PER_EDGE)
    if isinstance(swaps, Real) and not isinstance(swaps, bool) and float(swaps).is_integer():
        swaps = int(swaps)  # accept 10.0 from a YAML/JSON number
    if isinstance(swaps, bool) or not isinstance(swaps, int) or swaps < 0:
        raise ValueError(
            f"graphs.twin_swaps_per_edge: must be a non-negative integer, got {swaps!r}"
        )

    originals: list[GraphSpec] = []
    for index, entry in enumerate(entries):
        where = f"graphs.generators[{index}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where}: must be a mapping with generator, params, seeds")
        extra = sorted(set(entry) - {"generator", "params", "seeds"})
        if extra:
            raise ValueError(f"{where}: unknown key {extra[0]!r}")
        gen = _generator(entry.get("generator"))
        grid = entry.get("params", {})
        seeds = entry.get("seeds")
        if not isinstance(grid, Mapping):
            raise ValueError(f"{where} ({gen.name}): params must be a mapping")
        if not isinstance(seeds, Sequence) or isinstance(seeds, str) or not seeds:
            raise ValueError(f"{where} ({gen.name}): seeds must be a non-empty list of integers")
        for name, values in grid.items():
            if not isinstance(values, Sequence) or isinstance(values, str) or not values:
                raise ValueError(
                    f"{where} ({gen.name}): parameter {name!r} must be a non-empty list of values"
                )
        # Unknown/missing names are reported by validate_generator_params below.
        names = [p for p in gen.param_names if p in grid] + [
            p for p in grid if p not in gen.param_names
        ]
        for combo in itertools.product(*(grid[name] for name in names)):
            point = dict(zip(names, combo, strict=True))
            for seed in seeds:
                originals.append(
                    GraphSpec.create(gen.name, point, seed=seed, twin_swaps_per_edge=swaps)
                )

    specs = originals + ([s.twin() for s in originals] if twins else [])
    seen: set[str] = set()
    for spec in specs:
        gid = spec.graph_id
        if gid in seen:
            raise ValueError(f"graphs config: duplicate graph id {gid!r}")
        seen.add(gid)
    return specs


def paper_grid(
    n_values: Iterable[int] = PAPER_N_VALUES,
    k_values: Iterable[int] = PAPER_K_VALUES,
    p_values: Iterable[float] = PAPER_P_VALUES,
    seeds: Iterable[int] = (1,),
) -> list[GraphSpec]:
    """Specs of the paper's igraph-style Watts–Strogatz grid (``paper_watts_strogatz``).

    Grid points that the generator cannot draw (``2k >= n``) are skipped; the
    paper's parameter-count filter is applied separately with
    :func:`filter_by_params`.
    """
    specs = []
    for n, k, p, seed in itertools.product(n_values, k_values, p_values, seeds):
        try:
            specs.append(GraphSpec.create("paper_watts_strogatz", {"n": n, "k": k, "p": p}, seed))
        except ValueError as err:
            log.info("paper grid: skipping n=%s k=%s p=%s: %s", n, k, p, err)
    return specs


def filter_by_params(
    specs: Iterable[GraphSpec],
    count_fn: Callable[[GraphSpec], int],
    min_params: int,
    max_params: int,
) -> tuple[list[GraphSpec], list[GraphSpec]]:
    """Split specs by the parameter count of their network (bounds inclusive).

    ``count_fn(spec)`` returns the number of trainable parameters of the net
    built from the graph (the paper kept nets with 50k–91k parameters).
    """
    kept: list[GraphSpec] = []
    dropped: list[GraphSpec] = []
    for spec in specs:
        (kept if min_params <= count_fn(spec) <= max_params else dropped).append(spec)
    return kept, dropped


# ----------------------------------------------------------------------------
# Drawing graphs
# ----------------------------------------------------------------------------


def _canonical_graph(graph: nx.Graph, n: int | None = None) -> nx.Graph:
    """Plain graph on nodes 0..n-1 with sorted edges and no attributes."""
    nodes = sorted(graph.nodes())
    if n is not None and nodes != list(range(n)):
        raise ValueError(f"expected nodes 0..{n - 1}, got {len(nodes)} nodes")
    out = nx.Graph()
    out.add_nodes_from(nodes)
    out.add_edges_from(sorted((min(u, v), max(u, v)) for u, v in graph.edges()))
    return out


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
    _check_paper_ws("paper_watts_strogatz", {"n": n, "k": k, "p": p})
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


def twin_seed(parent_id: str) -> int:
    """Seed of the rewiring that makes the twin of ``parent_id``.

    The first four bytes of the SHA-256 of ``"twin:" + parent_id`` as an
    unsigned integer; stable across processes (unlike the salted ``hash()``).
    """
    digest = hashlib.sha256(f"twin:{parent_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def rewired_twin(
    graph: nx.Graph, seed: int, swaps_per_edge: int = _DEFAULT_SWAPS_PER_EDGE
) -> nx.Graph:
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
    twin = _canonical_graph(graph)
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
    return _canonical_graph(twin)


def make_graph(spec: GraphSpec) -> nx.Graph:
    """Draw the graph of a spec.

    The same spec always gives the identical graph (for a fixed networkx
    version): nodes ``0..n-1`` as ints in ascending order, edges sorted, no
    attributes (random-geometric positions and block memberships are dropped).
    A twin is its original rewired by :func:`rewired_twin` with the seed
    :func:`twin_seed` of the parent id.
    """
    gen = _generator(spec.generator)
    params = dict(_canonical_params(spec.generator, spec.params_dict))
    graph = _canonical_graph(gen.draw(params, spec.seed), spec.n_nodes)
    if spec.variant == "twin":
        graph = rewired_twin(graph, twin_seed(spec.base_id), spec.twin_swaps_per_edge)
    return graph


# ----------------------------------------------------------------------------
# Records and GraphML
# ----------------------------------------------------------------------------


def _params_json(spec: GraphSpec) -> str:
    values = {k: list(v) if isinstance(v, tuple) else v for k, v in spec.params}
    return json.dumps(values, separators=(",", ":"))


def graph_record(spec: GraphSpec) -> dict[str, Any]:
    """Row of the ``graphs`` table for one spec.

    Keys: ``graph_id, generator, params_json`` (parameters as a JSON object in
    the generator's order), ``n_nodes_requested`` (``n``, or the sum of block
    sizes), ``seed, variant, parent_id`` (``None`` for originals).
    """
    return {
        "graph_id": spec.graph_id,
        "generator": spec.generator,
        "params_json": _params_json(spec),
        "n_nodes_requested": spec.n_nodes,
        "seed": int(spec.seed),
        "variant": spec.variant,
        "parent_id": spec.parent_id,
    }


def write_graph(graph: nx.Graph, spec: GraphSpec, path: str | os.PathLike[str]) -> None:
    """Write a graph as GraphML with its spec as graph attributes.

    Graph attributes: ``graph_id``, ``generator``, ``params`` (JSON string),
    ``seed``, ``variant``, ``parent_id`` (empty string for originals) and
    ``twin_swaps_per_edge``. Node and edge attributes are not written. The file
    is written to a temporary file in the same folder and renamed, so a
    crashed job never leaves a half-written graph behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = _canonical_graph(graph)
    out.graph.update(
        graph_id=spec.graph_id,
        generator=spec.generator,
        params=_params_json(spec),
        seed=int(spec.seed),
        variant=spec.variant,
        parent_id=spec.parent_id or "",
        twin_swaps_per_edge=int(spec.twin_swaps_per_edge),
    )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            nx.write_graphml(out, handle)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_graph(path: str | os.PathLike[str]) -> nx.Graph:
    """Read a graph written by :func:`write_graph`.

    Returns an undirected ``networkx.Graph`` with integer nodes in ascending
    order and sorted edges; the GraphML graph attributes are kept in
    ``graph.graph`` (``parent_id`` is ``None`` for originals).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        ``"corrupt graph file {path}: ..."`` if it cannot be parsed, is
        directed, or has non-integer node ids.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    try:
        raw = nx.read_graphml(path, node_type=int)
    except Exception as err:  # parse errors come from expat, networkx and int()
        raise ValueError(f"corrupt graph file {path}: {type(err).__name__}: {err}") from err
    if raw.is_directed() or raw.is_multigraph():
        raise ValueError(f"corrupt graph file {path}: expected a simple undirected graph")
    graph = _canonical_graph(raw)
    graph.graph.update(
        (k, v) for k, v in raw.graph.items() if k not in ("node_default", "edge_default")
    )
    if graph.graph.get("parent_id") == "":
        graph.graph["parent_id"] = None
    return graph
