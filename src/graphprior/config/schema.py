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
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema import validators

from graphprior.config.errors import ConfigError

__all__ = [
    "SCHEMA_PATH",
    "schema",
    "with_defaults",
    "fill_defaults",
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


def _errors(raw: Mapping[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(_schema())
    errors = [_deepest(e) for e in validator.iter_errors(raw)]
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


def with_defaults(raw: Mapping[str, Any]) -> dict:
    """A deep copy of a config document (the YAML as read) with every schema default filled in."""
    out = copy.deepcopy(dict(raw))
    _DefaultFilling(_schema()).validate(out)
    return out


def fill_defaults(raw: Mapping[str, Any]) -> dict:
    """:func:`with_defaults` that does not validate: a part of a config (a rule's slice,
    which lacks required keys) gets every default of the keys it has and of those it lacks."""
    out = copy.deepcopy(dict(raw))
    for _ in _DefaultFilling(_schema()).iter_errors(out):
        pass
    return out


def read_config(path: str | Path) -> dict:
    """Read a YAML config (``yaml.safe_load``) without validating it."""
    with open(path) as f:
        raw = yaml.safe_load(f)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a config must be a mapping of keys to values")
    return raw
