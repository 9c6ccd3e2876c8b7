"""Graph specs and the study's grid: what graphs a config describes, and their ids.

Every graph of a study is described by a :class:`GraphSpec` (generator name,
parameters, seed, variant). :func:`make_graph` turns a spec into the same
``networkx.Graph`` every time (nodes ``0..n-1``, edges in sorted order, no node
or edge attributes), and :attr:`GraphSpec.graph_id` names it. Ids are produced
only from specs, never parsed back: the list of ids is a pure function of the
config, and a rule looks up its spec by id in
``{s.graph_id: s for s in expand_grid(study.graphs)}``.

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

Size-matched graphs (``graphs.strata``) use the ``sized_<family>``
generators, whose prefixes start with ``sm`` and whose first two parameters
are the stratum's ``n`` and ``m``, so the stratum is part of the id and ids of
different strata never collide: ``smws-n50-m100-p0.2-s1`` (stratum
``n50-m100``), ``smsbm-n50-m200-blocks2-ratio10.0-s3-twin``.
Every id matches :data:`graphprior.config.ID_REGEX`, so it is safe as a file
name and a Snakemake wildcard. Ids are stable across versions of graphprior;
the graph behind an id is reproducible for a fixed networkx version (networkx
does not promise identical draws across releases).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from numbers import Integral
from typing import Any

import networkx as nx

from graphprior.config import ID_PATTERN, ID_REGEX
from graphprior.config.study import GeneratorConfig, GraphsConfig, StrataConfig
from graphprior.graphs.generators import (
    Generator,
    ParamValue,
    canonical_graph,
    canonical_params,
    get_generator,
    sized_generator,
)
from graphprior.graphs.sized import stratum_name
from graphprior.graphs.twins import rewired_twin, twin_seed

__all__ = [
    "VARIANTS",
    "PAPER_N_VALUES",
    "PAPER_K_VALUES",
    "PAPER_P_VALUES",
    "GraphSpec",
    "expand_grid",
    "strata_specs",
    "make_graph",
    "paper_grid",
    "filter_by_params",
]

log = logging.getLogger(__name__)

#: ``original``: drawn from the generator; ``twin``: its degree-preserving rewiring.
VARIANTS = ("original", "twin")

#: The paper's Watts–Strogatz grid (Ben Amor, Stier, Granitzer 2021).
PAPER_N_VALUES = (150, 200, 250, 300, 350, 400, 500)
PAPER_K_VALUES = (2, 4, 6, 8, 10, 20)
PAPER_P_VALUES = (0.5, 0.6, 0.7, 0.8, 0.9)

# A spec built outside a config (tests, the report's example graph) gets the
# ``graphs.twin_swaps_per_edge`` default (GraphsConfig: the schema's).
_SCHEMA_SWAPS_PER_EDGE: int = GraphsConfig.twin_swaps_per_edge


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

    The stratum of a size-matched graph and its target edge count follow from
    the generator and its ``n`` and ``m`` (:attr:`stratum`,
    :attr:`target_edges`), so a twin keeps them.

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
    twin_swaps_per_edge: int = field(default=_SCHEMA_SWAPS_PER_EDGE)

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
        twin_swaps_per_edge: int = _SCHEMA_SWAPS_PER_EDGE,
    ) -> GraphSpec:
        """Validated spec with canonical parameter order and types."""
        return cls(
            generator=generator,
            params=canonical_params(generator, params),
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
        gen = get_generator(self.generator)
        values = self.params_dict
        parts = [gen.prefix]
        parts += [p.id_key + _format_value(p.kind, values[p.name]) for p in gen.params]
        parts.append(f"s{self.seed}")
        return "-".join(parts)

    @property
    def graph_id(self) -> str:
        """Readable, stable, file-name-safe id (see the module docstring)."""
        gid = self.base_id + ("-twin" if self.variant == "twin" else "")
        if not ID_PATTERN.match(gid):
            raise ValueError(f"graph id {gid!r} does not match {ID_REGEX}")
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

    @property
    def stratum(self) -> str | None:
        """``n{n}-m{m}`` for a size-matched graph (twins too), ``None`` for the classic grid."""
        if get_generator(self.generator).family is None:
            return None
        values = self.params_dict
        return stratum_name(int(values["n"]), int(values["m"]))  # type: ignore[arg-type]

    @property
    def target_edges(self) -> int | None:
        """The stratum's edge count m for a size-matched graph, ``None`` for the classic grid."""
        if get_generator(self.generator).family is None:
            return None
        return int(self.params_dict["m"])  # type: ignore[arg-type]

    def twin(self) -> GraphSpec:
        """The spec of this graph's degree-preserving twin."""
        return replace(self, variant="twin")

    def original(self) -> GraphSpec:
        """The spec of the original graph (itself for originals)."""
        return replace(self, variant="original")


def expand_grid(graphs: GraphsConfig) -> list[GraphSpec]:
    """All graph specs of a study, from the ``graphs`` section of the config.

    Parameters
    ----------
    graphs : GraphsConfig
        The ``graphs`` section (``GraphsConfig.from_dict`` of the YAML below;
        keys left out take the schema's defaults)::

            generators:
              - generator: watts_strogatz
                params: {n: [64], k: [4, 8], p: [0.1, 0.5]}  # lists: cartesian product
                seeds: [1, 2]
            strata: null               # or size-matched families, see strata_specs
            twins: true                # add a degree-preserving twin per graph
            twin_swaps_per_edge: 10    # double-edge swaps = this × edges

        Each parameter maps to a list of values (block ``sizes`` to a list of
        lists). ``generators`` (absent: none) and ``strata`` (absent or
        null: none) may each be left out, not both.

    Returns
    -------
    list of GraphSpec
        Originals in config order (entries in order; within an entry the
        cartesian product in the generator's parameter order, values in listed
        order, seeds innermost), then the size-matched originals
        (:func:`strata_specs`), then, if ``twins``, the twins in the same order.

    Raises
    ------
    ValueError
        On a malformed section, an invalid grid point (see
        :func:`graphprior.graphs.generators.validate_generator_params`) or a
        duplicate graph id.
    """
    if not graphs.generators and graphs.strata is None:
        raise ValueError("graphs config: no graphs; give graphs.generators, graphs.strata or both")
    swaps = graphs.twin_swaps_per_edge
    if isinstance(swaps, bool) or not isinstance(swaps, int) or swaps < 0:
        raise ValueError(
            f"graphs.twin_swaps_per_edge: must be a non-negative integer, got {swaps!r}"
        )
    originals: list[GraphSpec] = []
    for index, entry in enumerate(graphs.generators):
        originals += _entry_specs(f"graphs.generators[{index}]", entry, swaps)
    originals += strata_specs(graphs.strata, swaps)
    specs = originals + ([s.twin() for s in originals] if graphs.twins else [])
    seen: set[str] = set()
    for spec in specs:
        gid = spec.graph_id
        if gid in seen:
            raise ValueError(f"graphs config: duplicate graph id {gid!r}")
        seen.add(gid)
    return specs


def strata_specs(strata: StrataConfig | None, swaps: int) -> list[GraphSpec]:
    """The size-matched originals of ``graphs.strata`` (none for ``None``).

    ``strata`` holds ``sizes`` (each ``n`` and ``m``), ``families`` (names of
    :data:`graphprior.graphs.sized.FAMILIES`), ``seeds`` and ``params`` (each
    family's knobs). Specs come size by size in listed order, then family by
    family, seeds innermost; every graph of a size has that ``n`` and (where
    the family is exact) that ``m``.

    Raises
    ------
    ValueError
        Naming the size and the family, e.g. ``graphs.strata.sizes[1] (n=50,
        m=125): watts_strogatz needs 2m/n to be an even integer, got 2*125/50 = 5``.
    """
    if strata is None:
        return []
    specs: list[GraphSpec] = []
    for index, size in enumerate(strata.sizes):
        where = f"graphs.strata.sizes[{index}] (n={size.n}, m={size.m})"
        for family in strata.families:
            gen = sized_generator(family)
            point = {"n": size.n, "m": size.m, **strata.params.get(family, {})}
            for seed in strata.seeds:
                try:
                    spec = GraphSpec.create(gen.name, point, seed=seed, twin_swaps_per_edge=swaps)
                except ValueError as err:
                    message = str(err).removeprefix(f"{gen.name}: ")
                    raise ValueError(f"{where}: {message}") from None
                specs.append(spec)
    return specs


def _entry_specs(where: str, entry: GeneratorConfig, swaps: int) -> list[GraphSpec]:
    """The original specs of one generator entry: its grid's product times its seeds."""
    gen = get_generator(entry.generator)
    grid, seeds = entry.params, entry.seeds
    _check_entry(where, gen, grid, seeds)
    # Unknown/missing names are reported by canonical_params in GraphSpec.create.
    names = [p for p in gen.param_names if p in grid] + [
        p for p in grid if p not in gen.param_names
    ]
    specs = []
    for combo in itertools.product(*(grid[name] for name in names)):
        point = dict(zip(names, combo, strict=True))
        for seed in seeds:
            specs.append(GraphSpec.create(gen.name, point, seed=seed, twin_swaps_per_edge=swaps))
    return specs


def _check_entry(where: str, gen: Generator, grid: Any, seeds: Any) -> None:
    if not isinstance(grid, Mapping):
        raise ValueError(f"{where} ({gen.name}): params must be a mapping")
    if not isinstance(seeds, Sequence) or isinstance(seeds, str) or not seeds:
        raise ValueError(f"{where} ({gen.name}): seeds must be a non-empty list of integers")
    for name, values in grid.items():
        if not isinstance(values, Sequence) or isinstance(values, str) or not values:
            raise ValueError(
                f"{where} ({gen.name}): parameter {name!r} must be a non-empty list of values"
            )


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


def make_graph(spec: GraphSpec) -> nx.Graph:
    """Draw the graph of a spec.

    The same spec always gives the identical graph (for a fixed networkx
    version): nodes ``0..n-1`` as ints in ascending order, edges sorted, no
    attributes (random-geometric positions and block memberships are dropped).
    A twin is its original rewired by :func:`rewired_twin` with the seed
    :func:`twin_seed` of the parent id.
    """
    gen = get_generator(spec.generator)
    params = dict(canonical_params(spec.generator, spec.params_dict))
    graph = canonical_graph(gen.draw(params, spec.seed), spec.n_nodes)
    if spec.variant == "twin":
        graph = rewired_twin(graph, twin_seed(spec.base_id), spec.twin_swaps_per_edge)
    return graph
