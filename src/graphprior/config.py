"""Configuration: schema validation, defaults, derived ids and seeds.

The workflow validates every config against ``workflow/schemas/config.schema.yaml``
before any job runs (:func:`validate_config`); semantic checks that a schema
cannot express (impossible generator parameters, say) follow, and every error
names the config key. Seeds derive from config values and ids
(:func:`derive_seed`), so any single job reruns to identical numbers.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "ConfigError",
    "SCHEMA_PATH",
    "ID_PATTERN",
    "load_config",
    "validate_config",
    "with_defaults",
    "derive_seed",
    "config_hash",
    "model_id",
    "graph_specs",
    "check_id",
]

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"
ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")


class ConfigError(ValueError):
    """An invalid configuration; the message names the key."""


def _schema_path() -> Path:
    if SCHEMA_PATH.is_file():
        return SCHEMA_PATH
    # installed without the workflow folder next to it: use the packaged copy
    return Path(__file__).with_name("config.schema.yaml")


@lru_cache(maxsize=1)
def _schema() -> dict:
    with open(_schema_path()) as f:
        return yaml.safe_load(f)


def _apply_defaults(instance: Any, schema: dict, root: dict) -> Any:
    """Fill ``default`` values of the schema into a dict, recursively."""
    if "$ref" in schema:
        ref = schema["$ref"].split("/")[-1]
        schema = root["definitions"][ref]
    if not isinstance(instance, dict) or schema.get("type") != "object":
        return instance
    for key, sub in schema.get("properties", {}).items():
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if key in instance:
            instance[key] = _apply_defaults(instance[key], sub, root)
    return instance


def validate_config(config: dict) -> dict:
    """Validate against the JSON schema and semantic rules; return it with defaults.

    Raises :class:`ConfigError` whose message names the offending key, e.g.
    ``config key training.epochs: -1 is less than the minimum of 1``.
    """
    import jsonschema

    schema = _schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors[:10]:
            key = ".".join(str(p) for p in e.absolute_path) or "(top level)"
            lines.append(f"config key {key}: {e.message}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    config = with_defaults(config)
    from graphprior.graphs import expand_grid

    try:
        expand_grid(config["graphs"])
    except ValueError as exc:
        raise ConfigError(f"config key graphs.generators: {exc}") from exc
    filt = config["graphs"].get("filter", {})
    lo, hi = filt.get("min_params"), filt.get("max_params")
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"config key graphs.filter: min_params {lo} > max_params {hi}")
    return config


def with_defaults(config: dict) -> dict:
    """A deep copy of ``config`` with every schema default filled in."""
    out = copy.deepcopy(config)
    for section in ("graphs", "mapping", "training", "attack", "measures", "baseline", "report"):
        out.setdefault(section, {})
    return _apply_defaults(out, _schema(), _schema())


def load_config(path: str | Path) -> dict:
    """Read a YAML config (``yaml.safe_load``) and validate it."""
    with open(path) as f:
        raw = yaml.safe_load(f)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a config must be a mapping of keys to values")
    return validate_config(raw)


def derive_seed(*parts: object) -> int:
    """A 31-bit seed from any values (config values, ids), stable across runs and machines.

    Python's ``hash`` is salted per process, so it is never used for seeds.

    Examples
    --------
    >>> derive_seed("ws-n100-k6-p0.3-s1", "he_normal", 0) == derive_seed("ws-n100-k6-p0.3-s1", "he_normal", 0)
    True
    """
    text = json.dumps([str(p) for p in parts])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") & 0x7FFFFFFF


def config_hash(config: dict) -> str:
    """SHA-256 (first 16 hex digits) of the canonical JSON of a config."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_id(value: str, what: str = "id") -> str:
    """Refuse ids that are unsafe as file names before they become paths."""
    if not ID_PATTERN.match(value) or value in (".", ".."):
        raise ConfigError(f"{what} {value!r} is not a safe identifier (letters, digits, . _ -)")
    return value


def model_id(group: str, init: str, seed: int, suffix: str = "") -> str:
    """Readable model id: ``{group}--{init}--s{seed}{suffix}``."""
    return check_id(f"{group}--{init}--s{seed}{suffix}", "model id")


def graph_specs(config: dict) -> list:
    """The graph specs of a config, after the optional parameter-count filter.

    A pure function of the config: the workflow calls it when it builds the DAG.
    """
    from graphprior.graphs import expand_grid

    specs = expand_grid(config["graphs"])
    filt = config["graphs"].get("filter") or {}
    lo, hi = filt.get("min_params"), filt.get("max_params")
    if lo is None and hi is None:
        return specs
    kept, _ = filter_specs_by_params(config, specs)
    return kept


def filter_specs_by_params(config: dict, specs: Iterable) -> tuple[list, list]:
    """Split specs into those whose derived network has ``min ≤ params ≤ max`` and the rest.

    Twins keep their parent's verdict only if they pass themselves: the filter
    applies to every graph on its own.
    """
    from graphprior.dag import build_layered_dag
    from graphprior.data import dataset_shape
    from graphprior.graphs import make_graph
    from graphprior.models import spec_from_dag, spec_param_count

    filt = config["graphs"].get("filter") or {}
    lo, hi = filt.get("min_params"), filt.get("max_params")
    input_shape, n_classes = dataset_shape(config["dataset"])
    kept, dropped = [], []
    for spec in specs:
        graph = make_graph(spec)
        opts = mapping_options(config, spec.graph_id)
        n = spec_param_count(spec_from_dag(build_layered_dag(graph, opts), input_shape, n_classes))
        ok = (lo is None or n >= lo) and (hi is None or n <= hi)
        (kept if ok else dropped).append(spec)
    return kept, dropped


def alternation(ids: list[str]) -> str:
    """A regex matching exactly these ids (for Snakemake wildcard constraints)."""
    if not ids:
        return "(?!x)x"  # matches nothing
    return "|".join(re.escape(i) for i in ids)


def mapping_options(config: dict, graph_id: str):
    """The mapping options of one graph; the random orientation is seeded by the graph id."""
    from graphprior.dag import MappingOptions

    m = dict(config.get("mapping", {}))
    m["seed"] = derive_seed("orientation", graph_id)
    return MappingOptions.from_dict(m)
