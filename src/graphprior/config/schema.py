"""The configuration schema: the one source of defaults, and validation against it.

Every config is validated against the JSON schema shipped with the package
(``graphprior/config/schema.yaml``; the workflow's ``workflow/schemas`` links to
it) before any job runs. Every key of the schema has a ``description`` and a
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
    "load_config",
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


def _errors(config: dict) -> list[str]:
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    return [
        f"config key {'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}"
        for e in errors[:10]
    ]


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
    return config


def read_config(path: str | Path) -> dict:
    """Read a YAML config (``yaml.safe_load``) without validating it."""
    with open(path) as f:
        raw = yaml.safe_load(f)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a config must be a mapping of keys to values")
    return raw


def load_config(path: str | Path) -> dict:
    """Read a YAML config and validate it against the schema (defaults filled in)."""
    return validate_config(read_config(path))
