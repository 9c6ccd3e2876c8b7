"""Validation of a config document: the schema, then the rules no schema can state.

This is where a config enters as the YAML it was written in: the JSON schema
checks it (:mod:`graphprior.config.schema`), the defaults are filled in, and
the rules that need more than one key are checked on the typed study
(:class:`graphprior.config.study.StudyConfig`). Checks that need the graph
generators (impossible parameters) live with them:
:func:`graphprior.graphs.selection.validate_study`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphprior.config.errors import ConfigError
from graphprior.config.schema import _errors, with_defaults
from graphprior.config.study import MappingConfig, RelationalConfig, StudyConfig

__all__ = ["validate_config", "validated_study"]


def validate_config(raw: Mapping[str, Any]) -> dict:
    """Validate a config document against the JSON schema; return a copy with every default filled in.

    This is where a config enters as the YAML it was written in: the schema
    checks it, the defaults are filled in, and the rules no schema can state
    are checked on the typed study (:class:`graphprior.config.study.StudyConfig`,
    which every library function reads). Raises :class:`ConfigError` whose
    message names the offending key. Checks that need the graph generators
    (impossible parameters) live with them:
    :func:`graphprior.graphs.selection.validate_study`.
    """
    return validated_study(raw)[0]


def validated_study(raw: Mapping[str, Any]) -> tuple[dict, StudyConfig]:
    """:func:`validate_config`'s dict and the typed study it checked, built once."""
    lines = _errors(raw)
    if lines:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    config = with_defaults(raw)
    _check_orientation_seeds(config.get("mapping", {}))
    study = StudyConfig.from_dict(config)
    graphs = study.graphs
    if not graphs.generators and graphs.strata is None:
        raise ConfigError(
            "config key graphs: no graphs; give graphs.generators, graphs.strata or both"
        )
    lo, hi = graphs.filter.min_params, graphs.filter.max_params
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"config key graphs.filter: min_params {lo} > max_params {hi}")
    _check_mapping(study.mapping)
    _check_hold_params(study)
    _check_arm_inits(study)
    return config, study


def _check_hold_params(study: StudyConfig) -> None:
    """``hold_params_at`` of every arm is at most the edge count of every stratum."""
    m = study.mapping
    arms = [("mapping.hold_params_at", m.hold_params_at)] + [
        (f"mapping.extra_arms[{i}].hold_params_at", a.hold_params_at)
        for i, a in enumerate(m.extra_arms)
    ]
    sizes = study.graphs.strata.sizes if study.graphs.strata is not None else ()
    for key, hold in arms:
        low = [s for s in sizes if hold is not None and s.m < hold]
        if low:
            raise ConfigError(
                f"config key {key}: {hold} is above the edge count of stratum "
                f"n{low[0].n}-m{low[0].m}; a net cannot gain input weights"
            )


def _check_arm_inits(study: StudyConfig) -> None:
    """An extra arm trains a subset of ``training.inits`` (its models pair with the main arm's)."""
    inits = list(study.training.inits)
    m = study.mapping
    arms = [(f"mapping.extra_arms[{i}]", arm) for i, arm in enumerate(m.extra_arms)]
    arms += [("mapping.relational", m.relational)] if m.relational is not None else []
    for key, arm in arms:
        own = arm.inits
        if own is not None and not set(own) <= set(inits):
            raise ConfigError(
                f"config key {key}.inits: {list(own)} must be a subset of training.inits {inits}"
            )


def _check_orientation_seeds(m: Mapping[str, Any]) -> None:
    """An index orientation has one orientation: its seeds are ``[0]``.

    The schema default (``[0, 1]``) is collapsed to ``[0]`` where it is used
    (:func:`graphprior.graphs.selection.orientation_seeds`), so a config that
    leaves the key out, or was validated before, passes; any other list is an
    error. Checked on the document, where a key left out can be told from one
    written.
    """
    defaults = MappingConfig()
    orientation = m.get("orientation", defaults.orientation)
    seeds = list(m.get("orientation_seeds", [0]))
    if orientation != "random" and seeds not in ([0], list(defaults.orientation_seeds)):
        raise ConfigError(
            f"config key mapping.orientation_seeds: orientation {orientation!r} gives one "
            f"orientation per graph, so the list must be [0] (or left out), got {seeds}"
        )


def _check_mapping(m: MappingConfig) -> None:
    """The ``mapping`` rules a JSON schema cannot state: unique arms, variants with originals."""
    seen = {m.arm: "the main arm (mapping.arm)"}
    interfaces = {(m.input_wiring, m.readout, m.sinks_to_last_layer, m.hold_params_at): m.arm}
    for i, arm in enumerate(m.extra_arms):
        key = f"config key mapping.extra_arms[{i}]"
        name = arm.name
        if name in seen:
            raise ConfigError(f"{key}.name: {name!r} is already the name of {seen[name]}")
        seen[name] = f"mapping.extra_arms[{i}]"
        if "original" not in arm.variants:
            raise ConfigError(
                f"{key}.variants: {list(arm.variants)} must include 'original' "
                "(a twin is only compared with its original)"
            )
        seeds = arm.orientation_seeds
        if seeds is not None and not set(seeds) <= set(m.orientation_seeds):
            raise ConfigError(
                f"{key}.orientation_seeds: {list(seeds)} must be a subset of "
                f"mapping.orientation_seeds {list(m.orientation_seeds)}"
            )
        sinks = (
            m.sinks_to_last_layer if arm.sinks_to_last_layer is None else arm.sinks_to_last_layer
        )
        interface = (arm.input_wiring, arm.readout, sinks, arm.hold_params_at)
        if interface in interfaces:
            raise ConfigError(
                f"{key}: arm {name!r} has the same input_wiring, readout, "
                f"sinks_to_last_layer and hold_params_at as arm {interfaces[interface]!r}"
            )
        interfaces[interface] = name
    _check_relational(m.relational, seen)


def _check_relational(rel: RelationalConfig | None, seen: dict[str, str]) -> None:
    """The relational arm's name is new, its variants include originals, it has a reference."""
    if rel is None:
        return
    key = "config key mapping.relational"
    if rel.name in seen:
        raise ConfigError(f"{key}.name: {rel.name!r} is already the name of {seen[rel.name]}")
    if "original" not in rel.variants:
        raise ConfigError(
            f"{key}.variants: {list(rel.variants)} must include 'original' "
            "(a twin is only compared with its original)"
        )
    if rel.width is None and rel.params is None:
        raise ConfigError(f"{key}: give a reference width or a parameter budget (params)")
