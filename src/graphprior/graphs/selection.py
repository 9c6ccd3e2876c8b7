"""Which graphs a config studies, and the mapping options of each.

A pure function of the config: the workflow calls :func:`graph_specs` every
time it builds the DAG, so the list of graph ids is known without running a job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from graphprior.config import (
    ConfigError,
    config_hash,
    dataset_shape,
    derive_seed,
    read_config,
)
from graphprior.config.cost import NetSize
from graphprior.config.study import ExtraArmConfig, GraphsConfig, StudyConfig
from graphprior.config.validation import validated_study
from graphprior.graphs.dag import MappingOptions, build_layered_dag
from graphprior.graphs.generators import sized_size
from graphprior.graphs.grid import expand_grid, make_graph, strata_specs
from graphprior.graphs.netspec import spec_from_dag, spec_param_count
from graphprior.graphs.relational import config_relational_net, relational_section

__all__ = [
    "PARAM_COUNTS",
    "SELECTIONS",
    "validate_study",
    "load_study",
    "graph_specs",
    "param_count",
    "net_size",
    "select_graphs",
    "filter_report",
    "ArmMapping",
    "graph_mappings",
    "graph_variant",
    "orientation_rng_seed",
    "orientation_seeds",
    "arm_inits",
    "mapping_options",
    "held_inputs",
]


def validate_study(raw: Mapping[str, Any]) -> StudyConfig:
    """:func:`graphprior.config.validate_config`, then the checks that need the generators.

    Impossible generator parameters (``p`` outside [0, 1], an odd Watts–Strogatz
    ``k``) raise :class:`ConfigError` naming the generator and the parameter; a
    stratum a family cannot draw names the stratum and the family
    (``config key graphs.strata.sizes[1] (n=50, m=125): watts_strogatz needs
    2m/n to be an even integer, got 2*125/50 = 5``).
    """
    study = validated_study(raw)[1]
    graphs = study.graphs
    try:
        strata_specs(graphs.strata, graphs.twin_swaps_per_edge)
    except ValueError as exc:
        raise ConfigError(f"config key {exc}") from exc
    try:
        expand_grid(graphs)
    except ValueError as exc:
        raise ConfigError(f"config key graphs.generators: {exc}") from exc
    return study


def load_study(path) -> StudyConfig:
    """Read a YAML config and validate it fully (:func:`validate_study`)."""
    return validate_study(read_config(path))


def graph_specs(study: StudyConfig) -> list:
    """The graph specs of a config, after the parameter filter and the ``max_graphs`` cap.

    A pure function of the config: the workflow calls it every time it builds
    the DAG. Originals come first in config order, then their twins; see
    :func:`select_graphs` for the rules.
    """
    return list(select_graphs(study)["kept"])


#: ``graphs.filter.param_count`` choices (see :func:`param_count`).
PARAM_COUNTS = ("effective", "paper")
#: ``graphs.filter.selection`` choices (see :func:`select_graphs`).
SELECTIONS = ("passes", "random")


def param_count(study: StudyConfig, spec) -> int:
    """Parameters of the network a graph becomes, as ``graphs.filter.param_count`` defines them.

    ``effective``
        Weights that exist (mask entries) plus one bias per neuron: the
        ``n_params`` of the trained model (:func:`graphprior.graphs.netspec.spec_param_count`).
    ``paper``
        What the paper's code counted (``sum(p.numel() for p in
        model.parameters())`` in Ben Amor et al.'s ``SNN``): a dense
        ``784 × w_0`` input layer, for every later layer ``l`` a dense weight
        block from *every* earlier layer (``w_l × Σ_{j<l} w_j``, masked
        entries included), a dense ``w_last × classes`` output layer, and all
        biases. It depends only on the layer widths; for the paper's
        kept nets it is 1.4–12× the effective count.

    Computed from the layered DAG the network is built from, so the count
    follows the mapping options: those of the main arm at the first
    orientation seed (:func:`mapping_options`); cached inside the process.
    """
    method = study.graphs.filter.param_count
    if method not in PARAM_COUNTS:
        raise ConfigError(f"config key graphs.filter.param_count: {method!r} not in {PARAM_COUNTS}")
    opts = mapping_options(study, spec.graph_id)
    input_shape, n_classes = dataset_shape(study.dataset)
    return _param_count(spec, opts, tuple(input_shape), int(n_classes), method)


@lru_cache(maxsize=8192)
def _param_count(spec, opts, input_shape: tuple, n_classes: int, method: str) -> int:
    layered = build_layered_dag(make_graph(spec), opts)
    if method == "effective":
        return spec_param_count(spec_from_dag(layered, input_shape, n_classes))
    widths = layered.widths
    total = int(np.prod(input_shape)) * widths[0] + widths[0]
    for i in range(1, len(widths)):
        total += widths[i] * sum(widths[:i]) + widths[i]
    return total + widths[-1] * n_classes + n_classes


def net_size(study: StudyConfig, spec) -> NetSize:
    """The stack a graph's jobs train and attack, as the cost model sees it (graphprior.config.cost).

    One model's layers, present weights and neurons are those of the main arm
    at the first orientation seed (cached inside the process); the models
    count every arm, orientation seed, init and seed, an upper bound where an
    arm leaves some out.
    """
    opts = mapping_options(study, spec.graph_id)
    input_shape, n_classes = dataset_shape(study.dataset)
    shape = (tuple(input_shape), int(n_classes))
    layers, weights, neurons = _net_shape(spec, opts, *shape)
    m, t = study.mapping, study.training
    models = (1 + len(m.extra_arms)) * len(m.orientation_seeds)
    rel = relational_section(study, graph_variant(spec.graph_id))
    if rel is not None:  # one padded stack: the larger of the two shapes
        models += 1
        net = config_relational_net(make_graph(spec), rel, *shape).spec
        sizes = _shape([*net.hidden, net.output])
        layers, weights, neurons = (
            max(a, b) for a, b in zip((layers, weights, neurons), sizes, strict=True)
        )
    models *= len(t.inits) * len(t.seeds)
    return NetSize(max(models, 1), layers, weights, neurons, int(np.prod(input_shape)))


def _shape(layers: list) -> tuple[int, int, int]:
    return (
        len(layers),
        int(sum(int(la.mask.sum()) for la in layers)),
        sum(la.width for la in layers),
    )


@lru_cache(maxsize=8192)
def _net_shape(spec, opts, input_shape: tuple, n_classes: int) -> tuple[int, int, int]:
    net = spec_from_dag(build_layered_dag(make_graph(spec), opts), input_shape, n_classes)
    return _shape([*net.hidden, net.output])


def _in_param_range(study: StudyConfig, spec) -> bool:
    filt = study.graphs.filter
    lo, hi = filt.min_params, filt.max_params
    if lo is None and hi is None:
        return True
    n = param_count(study, spec)
    return (lo is None or n >= lo) and (hi is None or n <= hi)


def _pass_order(graphs: GraphsConfig) -> list:
    """Originals in the order the ``passes`` selection visits them.

    Pass ``i`` takes the ``i``-th seed of every generator entry and walks the
    entries' grids in config order (the paper's ``generate_SNNs`` loop:
    ``while found < 100: for n: for k: for p: draw a fresh graph``); the
    size-matched graphs follow in each pass, with the ``i``-th of
    ``graphs.strata.seeds``.
    """
    keyed = []
    position = 0
    swaps = graphs.twin_swaps_per_edge
    groups = [
        (entry.seeds, expand_grid(replace(graphs, generators=(entry,), strata=None, twins=False)))
        for entry in graphs.generators
    ]
    if graphs.strata is not None:
        groups.append((graphs.strata.seeds, strata_specs(graphs.strata, swaps)))
    for seeds, specs in groups:
        seed_rank = {int(s): r for r, s in enumerate(seeds)}
        for spec in specs:
            keyed.append((seed_rank[int(spec.seed)], position, spec))
            position += 1
    return [spec for _, _, spec in sorted(keyed, key=lambda t: (t[0], t[1]))]


def select_graphs(study: StudyConfig) -> dict:
    """Apply the parameter filter and the ``max_graphs`` cap; say what happened to each graph.

    Rules (``graphs.filter``):

    1. Every original graph of the grid is a candidate. If ``min_params`` or
       ``max_params`` is set, a graph stays only if its :func:`param_count`
       lies in ``[min_params, max_params]`` (inclusive).
    2. ``max_graphs`` (null: no cap) keeps at most that many originals:

       ``passes`` (the paper's procedure)
           Seeds are passes over the grid: the first seed of every entry in
           config order, then the second, and so on; graphs are taken in that
           order while they pass the filter, until ``max_graphs`` are found.
           Later graphs are never drawn (reported as ``not_evaluated``).
       ``random``
           A uniform random sample of ``max_graphs`` of the originals that
           pass the filter, drawn with ``numpy.random.default_rng(seed)``,
           ``seed = derive_seed("max_graphs", config_hash(key))`` where ``key``
           holds the generator entries, the bounds, ``param_count`` and
           ``max_graphs``; the sample is returned in config order.

    3. Twins (``graphs.twins``) pass the filter on their own. Without a cap
       every twin in range is kept; with a cap, only twins of kept originals
       are (a twin of an original the cap removed, or never reached, goes
       with it).

    Returns
    -------
    dict
        ``kept`` (specs: originals in config order, then twins),
        ``dropped_params`` (specs outside the range), ``dropped_max_graphs``
        (specs in range but over the cap, and their twins),
        ``not_evaluated`` (originals the ``passes`` rule never reached, and
        their twins), ``params`` (graph id → count, for every evaluated spec).
    """
    graphs = study.graphs
    filt = graphs.filter
    cap = filt.max_graphs
    rule = filt.selection
    if rule not in SELECTIONS:
        raise ConfigError(f"config key graphs.filter.selection: {rule!r} not in {SELECTIONS}")
    has_range = filt.min_params is not None or filt.max_params is not None
    specs = expand_grid(graphs)
    originals = [s for s in specs if s.variant == "original"]
    twins = [s for s in specs if s.variant == "twin"]
    params: dict[str, int] = {}

    def passes(spec) -> bool:
        ok = _in_param_range(study, spec)
        if has_range:
            params[spec.graph_id] = param_count(study, spec)
        return ok

    over_cap: list = []
    unseen: list = []
    if cap is not None and rule == "passes":
        in_range, dropped_params, unseen = _take_passes(graphs, cap, passes)
        chosen = {s.graph_id for s in in_range}
    else:
        in_range = []
        dropped_params = []
        for spec in originals:
            (in_range if passes(spec) else dropped_params).append(spec)
        chosen = {s.graph_id for s in in_range}
        if cap is not None and len(in_range) > cap:
            chosen = _random_sample(graphs, cap, in_range)
            over_cap = [s for s in in_range if s.graph_id not in chosen]
    kept_twins = _place_twins(twins, chosen, cap, passes, unseen, over_cap, dropped_params)
    order = {s.graph_id: i for i, s in enumerate(specs)}
    kept = sorted([s for s in originals if s.graph_id in chosen] + kept_twins,
                  key=lambda s: order[s.graph_id])  # fmt: skip
    return {
        "kept": kept,
        "dropped_params": sorted(dropped_params, key=lambda s: order[s.graph_id]),
        "dropped_max_graphs": sorted(over_cap, key=lambda s: order[s.graph_id]),
        "not_evaluated": sorted(unseen, key=lambda s: order[s.graph_id]),
        "params": params,
    }


def _take_passes(graphs: GraphsConfig, cap: int, passes) -> tuple[list, list, list]:
    """The ``passes`` rule: graphs in pass order until ``cap`` pass the filter.

    Returns ``(in_range, dropped_params, unseen)``; graphs after the last one
    needed are never drawn (``unseen``).
    """
    in_range: list = []
    dropped_params: list = []
    unseen: list = []
    for spec in _pass_order(graphs):
        if len(in_range) >= cap:
            unseen.append(spec)
        elif passes(spec):
            in_range.append(spec)
        else:
            dropped_params.append(spec)
    return in_range, dropped_params, unseen


def _random_sample(graphs: GraphsConfig, cap: int, in_range: list) -> set[str]:
    """The ``random`` rule: ids of a seeded uniform sample of ``cap`` graphs in range."""
    filt = graphs.filter
    key = {
        "generators": graphs.generators,
        "bounds": [filt.min_params, filt.max_params],
        "param_count": filt.param_count,
        "max_graphs": cap,
    }
    if graphs.strata is not None:  # classic studies keep their sample
        key["strata"] = graphs.strata
    rng = np.random.default_rng(derive_seed("max_graphs", config_hash(key)))
    pick = sorted(rng.choice(len(in_range), size=cap, replace=False).tolist())
    return {in_range[i].graph_id for i in pick}


def _place_twins(twins, chosen, cap, passes, unseen, over_cap, dropped_params) -> list:
    """Sort every twin into kept (returned), ``unseen``, ``over_cap`` or ``dropped_params``.

    A twin follows its parent when the cap removed the parent or never
    reached it; otherwise it passes the filter on its own (rule 3 of
    :func:`select_graphs`). The three lists are extended in place.
    """
    unseen_ids = {s.graph_id for s in unseen}
    over_ids = {s.graph_id for s in over_cap}
    kept_twins = []
    for twin in twins:
        if twin.parent_id in unseen_ids:
            unseen.append(twin)
        elif twin.parent_id in over_ids:
            over_cap.append(twin)
        elif twin.parent_id in chosen or cap is None:
            (kept_twins if passes(twin) else dropped_params).append(twin)
        else:  # capped study and the parent is outside the range: no slot for its twin
            (over_cap if passes(twin) else dropped_params).append(twin)
    return kept_twins


def filter_report(study: StudyConfig) -> dict:
    """Counts of the graph selection, for the report (see :func:`select_graphs`).

    Keys: ``param_count``, ``min_params``, ``max_params``, ``max_graphs``,
    ``selection`` (the settings); ``n_candidates`` (graphs in the grid,
    twins included), ``n_kept``, ``n_dropped_params`` (outside the parameter
    range), ``n_below_min``, ``n_above_max``, ``n_dropped_max_graphs`` (in
    range but over the cap), ``n_not_evaluated`` (never reached by the
    ``passes`` rule), ``kept_params_min`` / ``kept_params_max`` (range of
    the kept graphs' counts; None without a parameter range) and
    ``kept_ids``.
    """
    filt = study.graphs.filter
    sel = select_graphs(study)
    lo, hi = filt.min_params, filt.max_params
    counts = sel["params"]
    dropped = [counts[s.graph_id] for s in sel["dropped_params"] if s.graph_id in counts]
    kept_counts = [counts[s.graph_id] for s in sel["kept"] if s.graph_id in counts]
    n_candidates = sum(
        len(sel[key]) for key in ("kept", "dropped_params", "dropped_max_graphs", "not_evaluated")
    )
    return {
        "param_count": filt.param_count,
        "min_params": lo,
        "max_params": hi,
        "max_graphs": filt.max_graphs,
        "selection": filt.selection,
        "n_candidates": n_candidates,
        "n_kept": len(sel["kept"]),
        "n_dropped_params": len(sel["dropped_params"]),
        "n_below_min": sum(1 for n in dropped if lo is not None and n < lo),
        "n_above_max": sum(1 for n in dropped if hi is not None and n > hi),
        "n_dropped_max_graphs": len(sel["dropped_max_graphs"]),
        "n_not_evaluated": len(sel["not_evaluated"]),
        "kept_params_min": min(kept_counts) if kept_counts else None,
        "kept_params_max": max(kept_counts) if kept_counts else None,
        "kept_ids": [s.graph_id for s in sel["kept"]],
    }


class ArmMapping(NamedTuple):
    """One network a graph becomes: its arm, its orientation seed and the full mapping."""

    arm: str
    orientation_seed: int
    options: MappingOptions


def orientation_rng_seed(graph_id: str, orientation_seed: int) -> int:
    """The seed of a graph's random orientation: ``derive_seed("orientation", graph_id, o)``."""
    return derive_seed("orientation", graph_id, int(orientation_seed))


def orientation_seeds(study: StudyConfig) -> list[int]:
    """``mapping.orientation_seeds``; ``[0]`` for an index orientation, which has only one."""
    m = study.mapping
    if m.orientation != "random":
        return [0]
    return [int(o) for o in m.orientation_seeds]


def arm_inits(study: StudyConfig, arm: str) -> list[str]:
    """The initialisations an arm trains: ``training.inits``, or an extra arm's own subset."""
    inits = list(study.training.inits)
    m = study.mapping
    for extra in [*m.extra_arms, *([m.relational] if m.relational else [])]:
        if extra.name == arm and extra.inits is not None:
            return [i for i in inits if i in set(extra.inits)]
    return inits


def graph_variant(graph_id: str) -> str:
    """``twin`` for a rewired twin's id (it ends in ``-twin``), else ``original``."""
    return "twin" if graph_id.endswith("-twin") else "original"


def graph_mappings(
    study: StudyConfig, graph_id: str, variant: str | None = None
) -> list[ArmMapping]:
    """Every network one graph becomes: each arm × each orientation seed.

    The main arm (``mapping.arm``, the section's own wiring keys) comes
    first, then the ``mapping.extra_arms`` whose ``variants`` include the
    graph's ``variant`` (default: from the id, see :func:`graph_variant`), in
    config order; within an arm, :func:`orientation_seeds` in order. The
    orientation is shared: a graph and an orientation seed give the same DAG
    in every arm (seed :func:`orientation_rng_seed`); only the input wiring,
    readout and sink placement differ. An extra arm without
    ``sinks_to_last_layer`` (or null) takes the main arm's; one with
    ``orientation_seeds`` trains on those of the main arm's seeds only.
    """
    m = study.mapping
    variant = variant or graph_variant(graph_id)
    main = ExtraArmConfig(m.arm, m.input_wiring, m.readout, hold_params_at=m.hold_params_at)
    arms = [main, *(a for a in m.extra_arms if variant in a.variants)]
    out = []
    for arm in arms:
        sinks = arm.sinks_to_last_layer
        own = arm.orientation_seeds
        for o in orientation_seeds(study):
            if own is not None and o not in own:
                continue
            opts = MappingOptions(
                orientation=m.orientation,
                sinks_to_last_layer=bool(m.sinks_to_last_layer if sinks is None else sinks),
                input_wiring=arm.input_wiring,
                readout=arm.readout,
                seed=orientation_rng_seed(graph_id, o),
                **held_inputs(graph_id, arm.hold_params_at),
            )
            out.append(ArmMapping(arm.name, int(o), opts))
    return out


def mapping_options(study: StudyConfig, graph_id: str, orientation_seed: int | None = None):
    """The main arm's mapping options of one graph, at one orientation seed.

    ``orientation_seed`` defaults to the first of ``mapping.orientation_seeds``:
    the one mapping that the parameter filter, the graph-properties stage and
    the report describe (the DAG of the main arm's first orientation).
    """
    m = study.mapping
    o = orientation_seeds(study)[0] if orientation_seed is None else orientation_seed
    return MappingOptions.from_dict(
        {
            "orientation": m.orientation,
            "sinks_to_last_layer": m.sinks_to_last_layer,
            "input_wiring": m.input_wiring,
            "readout": m.readout,
            "seed": orientation_rng_seed(graph_id, o),
            **held_inputs(graph_id, m.hold_params_at),
        }
    )


def held_inputs(graph_id: str, hold_at: int | None) -> dict[str, int]:
    """``input_weights_removed`` and ``input_seed`` of a graph's net (``mapping.hold_params_at``).

    A graph of stratum (n, m) loses ``m - hold_at`` input weights; none
    without `hold_at` or for a graph outside the strata. The seed is the
    original's id, so a twin loses the same weights as its original.
    """
    size = sized_size(graph_id) if hold_at is not None else None
    if size is None:
        return {"input_weights_removed": 0, "input_seed": 0}
    m = size[1]
    if m < hold_at:
        raise ConfigError(
            f"config key mapping.hold_params_at: {hold_at} is above the edge count of "
            f"{graph_id!r} ({m}); a net cannot gain input weights"
        )
    base = graph_id.removesuffix("-twin")
    return {"input_weights_removed": m - hold_at, "input_seed": derive_seed("inputs", base)}
