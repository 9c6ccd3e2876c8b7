"""The configuration schema: the one source of defaults, and validation against it.

Every config is validated against the JSON schema shipped with the package
(``graphprior/config/schema.yaml``; ``workflow/schemas/config.schema.yaml`` is a
copy, checked equal by a test) before any job runs. Every key of the schema has a ``description`` and a
``default``; :func:`with_defaults` fills the defaults in the same way
``snakemake.utils.validate(config, schema, set_default=True)`` does in the
workflow, so the package and the workflow see the same values. Errors name the
key, e.g. ``config key training.epochs: -1 is less than the minimum of 1``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml
from jsonschema import validators

from graphprior.config.errors import ConfigError

__all__ = [
    "SCHEMA_PATH",
    "schema",
    "validate_config",
    "with_defaults",
    "read_config",
]

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")


@lru_cache(maxsize=1)
def _schema() -> dict:
    with open(SCHEMA_PATH) as f:
        return yaml.safe_load(f)


def schema() -> dict:
    """A copy of the configuration schema."""
    return copy.deepcopy(_schema())


def _set_defaults(validator, properties, instance, subschema) -> Iterator:
    """Fill a missing key with a copy of its ``default``, then validate as usual."""
    if isinstance(instance, dict):
        for key, sub in properties.items():
            if "default" in sub and key not in instance:
                instance[key] = copy.deepcopy(sub["default"])
    yield from validators.Draft202012Validator.VALIDATORS["properties"](
        validator, properties, instance, subschema
    )


_DefaultFilling = validators.extend(validators.Draft202012Validator, {"properties": _set_defaults})


def _deepest(error):
    """An error under anyOf (a nullable object) stands for its deepest cause, whose key it names."""
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
    return error


def _errors(config: dict) -> list[str]:
    validator = jsonschema.Draft202012Validator(_schema())
    errors = [_deepest(e) for e in validator.iter_errors(config)]
    errors = sorted(errors, key=lambda e: list(e.absolute_path))
    return [
        f"config key {'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}"
        + _number_hint(e.instance)
        for e in errors[:10]
    ]


def _number_hint(value) -> str:
    """Why a number can arrive as text: YAML 1.1 reads ``3e-3`` (no dot) as a string.

    >>> _number_hint("3e-3")
    " (YAML reads '3e-3' as text; write 3.0e-3 or 0.003)"
    >>> _number_hint("adam"), _number_hint(0.1)
    ('', '')
    """
    if not isinstance(value, str):
        return ""
    try:
        number = float(value)
    except ValueError:
        return ""
    mantissa, _, exponent = value.lower().partition("e")
    dotted = f"{float(mantissa):.1f}e{int(exponent)}" if exponent else f"{number}"
    return f" (YAML reads {value!r} as text; write {dotted} or {number:g})"


def with_defaults(config: dict) -> dict:
    """A deep copy of ``config`` with every schema default filled in."""
    out = copy.deepcopy(config)
    _DefaultFilling(_schema()).validate(out)
    return out


def validate_config(config: dict) -> dict:
    """Validate against the JSON schema; return a copy with every default filled in.

    Raises :class:`ConfigError` whose message names the offending key. Checks
    that need the graph generators (impossible parameters) live with them:
    :func:`graphprior.graphs.selection.validate_study`.
    """
    lines = _errors(config)
    if lines:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    config = with_defaults(config)
    if not config["graphs"]["generators"] and config["graphs"]["strata"] is None:
        raise ConfigError(
            "config key graphs: no graphs; give graphs.generators, graphs.strata or both"
        )
    filt = config["graphs"]["filter"]
    lo, hi = filt["min_params"], filt["max_params"]
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"config key graphs.filter: min_params {lo} > max_params {hi}")
    _check_orientation_seeds(config["mapping"])
    _check_mapping(config["mapping"])
    _check_hold_params(config)
    _check_arm_inits(config)
    return config


def _check_hold_params(config: dict) -> None:
    """``hold_params_at`` of every arm is at most the edge count of every stratum."""
    m = config["mapping"]
    arms = [("mapping.hold_params_at", m["hold_params_at"])] + [
        (f"mapping.extra_arms[{i}].hold_params_at", a.get("hold_params_at"))
        for i, a in enumerate(m["extra_arms"])
    ]
    sizes = (config["graphs"]["strata"] or {}).get("sizes") or []
    for key, hold in arms:
        low = [s for s in sizes if hold is not None and s["m"] < hold]
        if low:
            raise ConfigError(
                f"config key {key}: {hold} is above the edge count of stratum "
                f"n{low[0]['n']}-m{low[0]['m']}; a net cannot gain input weights"
            )


def _check_arm_inits(config: dict) -> None:
    """An extra arm trains a subset of ``training.inits`` (its models pair with the main arm's)."""
    inits = config["training"]["inits"]
    m = config["mapping"]
    arms = [(f"mapping.extra_arms[{i}]", arm) for i, arm in enumerate(m["extra_arms"])]
    arms += [("mapping.relational", m["relational"])] if m.get("relational") else []
    for key, arm in arms:
        own = arm.get("inits")
        if own is not None and not set(own) <= set(inits):
            raise ConfigError(
                f"config key {key}.inits: {own} must be a subset of training.inits {inits}"
            )


def _check_orientation_seeds(m: dict) -> None:
    """An index orientation has one orientation: its seeds are ``[0]``.

    The schema default (``[0, 1]``) is collapsed to ``[0]`` where it is used
    (:func:`graphprior.graphs.selection.orientation_seeds`), so a config that
    leaves the key out, or was validated before, passes; any other list is an
    error.
    """
    props = _schema()["properties"]["mapping"]["properties"]
    orientation = m.get("orientation", props["orientation"]["default"])
    seeds = list(m.get("orientation_seeds", [0]))
    if orientation != "random" and seeds not in ([0], props["orientation_seeds"]["default"]):
        raise ConfigError(
            f"config key mapping.orientation_seeds: orientation {orientation!r} gives one "
            f"orientation per graph, so the list must be [0] (or left out), got {seeds}"
        )


def _check_mapping(m: dict) -> None:
    """The ``mapping`` rules a JSON schema cannot state: unique arms, variants with originals."""
    seen = {m["arm"]: "the main arm (mapping.arm)"}
    interfaces = {
        (m["input_wiring"], m["readout"], m["sinks_to_last_layer"], m["hold_params_at"]): m["arm"]
    }
    for i, arm in enumerate(m["extra_arms"]):
        key = f"config key mapping.extra_arms[{i}]"
        name = arm["name"]
        if name in seen:
            raise ConfigError(f"{key}.name: {name!r} is already the name of {seen[name]}")
        seen[name] = f"mapping.extra_arms[{i}]"
        if "original" not in arm.get("variants", ["original"]):
            raise ConfigError(
                f"{key}.variants: {arm['variants']} must include 'original' "
                "(a twin is only compared with its original)"
            )
        seeds = arm.get("orientation_seeds")
        if seeds is not None and not set(seeds) <= set(m["orientation_seeds"]):
            raise ConfigError(
                f"{key}.orientation_seeds: {seeds} must be a subset of "
                f"mapping.orientation_seeds {m['orientation_seeds']}"
            )
        sinks = arm.get("sinks_to_last_layer")
        sinks = m["sinks_to_last_layer"] if sinks is None else sinks
        interface = (arm["input_wiring"], arm["readout"], sinks, arm.get("hold_params_at"))
        if interface in interfaces:
            raise ConfigError(
                f"{key}: arm {name!r} has the same input_wiring, readout, "
                f"sinks_to_last_layer and hold_params_at as arm {interfaces[interface]!r}"
            )
        interfaces[interface] = name
    _check_relational(m.get("relational"), seen)


def _check_relational(rel: dict | None, seen: dict[str, str]) -> None:
    """The relational arm's name is new, its variants include originals, it has a reference."""
    if rel is None:
        return
    key = "config key mapping.relational"
    if rel["name"] in seen:
        raise ConfigError(f"{key}.name: {rel['name']!r} is already the name of {seen[rel['name']]}")
    if "original" not in rel["variants"]:
        raise ConfigError(
            f"{key}.variants: {rel['variants']} must include 'original' "
            "(a twin is only compared with its original)"
        )
    if rel["width"] is None and rel["params"] is None:
        raise ConfigError(f"{key}: give a reference width or a parameter budget (params)")


def read_config(path: str | Path) -> dict:
    """Read a YAML config (``yaml.safe_load``) without validating it."""
    with open(path) as f:
        raw = yaml.safe_load(f)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a config must be a mapping of keys to values")
    return raw
