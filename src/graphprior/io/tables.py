"""The data product: Parquet tables with explicit schemas (docs/data-dictionary.md).

Every table is written with a pyarrow schema, validated on write (types,
non-null keys, unique ids, no orphan rows), and carries file metadata: the
config hash, the study name, package versions and the workflow version. The
data dictionary is ``docs/data-dictionary.md``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import graphprior
from graphprior.io.columns import describe, int_properties

__all__ = [
    "is_missing",
    "GRAPHS_SCHEMA",
    "MODELS_SCHEMA",
    "ROBUSTNESS_SCHEMA",
    "CORRELATIONS_SCHEMA",
    "CLAIMS_SCHEMA",
    "FAILURES_SCHEMA",
    "ATTACK_CHECKS_SCHEMA",
    "TableError",
    "write_table",
    "read_table",
    "file_metadata",
    "properties_schema",
]


class TableError(ValueError):
    """A table violates its schema or its relations to other tables."""


GRAPHS_SCHEMA = pa.schema(
    [
        pa.field("graph_id", pa.string(), nullable=False),
        pa.field("generator", pa.string(), nullable=False),
        pa.field("params_json", pa.string(), nullable=False),
        pa.field("n_nodes_requested", pa.int64()),
        pa.field("seed", pa.int64(), nullable=False),
        pa.field("variant", pa.string(), nullable=False),
        pa.field("parent_id", pa.string()),
    ]
)

MODELS_SCHEMA = pa.schema(
    [
        pa.field("model_id", pa.string(), nullable=False),
        pa.field("family", pa.string(), nullable=False),
        pa.field("group", pa.string(), nullable=False),
        pa.field("graph_id", pa.string()),
        pa.field("dataset", pa.string(), nullable=False),
        pa.field("init", pa.string(), nullable=False),
        pa.field("seed", pa.int64(), nullable=False),
        pa.field("epochs", pa.int64()),
        pa.field("batch_size", pa.int64()),
        pa.field("optimizer", pa.string()),
        pa.field("lr", pa.float64()),
        pa.field("select", pa.string()),
        pa.field("arm", pa.string()),
        pa.field("orientation_seed", pa.int64()),
        pa.field("orientation", pa.string()),
        pa.field("sinks_to_last_layer", pa.bool_()),
        pa.field("input_wiring", pa.string()),
        pa.field("readout", pa.string()),
        pa.field("shape", pa.string()),
        pa.field("target_density", pa.float64()),
        pa.field("prune_step", pa.int64()),
        pa.field("n_params", pa.int64(), nullable=False),
        pa.field("n_weights", pa.int64()),
        pa.field("density", pa.float64()),
        pa.field("matched_density", pa.float64()),
        pa.field("depth", pa.int64()),
        pa.field("n_neurons", pa.int64()),
        pa.field("input_width", pa.int64()),
        pa.field("readout_width", pa.int64()),
        pa.field("best_epoch", pa.int64()),
        pa.field("train_accuracy", pa.float64()),
        pa.field("val_accuracy", pa.float64()),
        pa.field("test_accuracy", pa.float64()),
        pa.field("train_loss", pa.float64()),
        pa.field("val_loss", pa.float64()),
        pa.field("test_loss", pa.float64()),
        pa.field("gen_gap_accuracy", pa.float64()),
        pa.field("gen_gap_loss", pa.float64()),
        pa.field("status", pa.string(), nullable=False),
        pa.field("train_seconds", pa.float64()),
        pa.field("checkpoint", pa.string(), nullable=False),
        pa.field("device", pa.string()),
    ]
)

ROBUSTNESS_SCHEMA = pa.schema(
    [
        pa.field("model_id", pa.string(), nullable=False),
        pa.field("measure", pa.string(), nullable=False),
        pa.field("attack", pa.string(), nullable=False),
        pa.field("norm", pa.string(), nullable=False),
        pa.field("eps", pa.float64()),
        pa.field("layer", pa.int64()),
        pa.field("value", pa.float64()),
        pa.field("n", pa.int64()),
    ]
)

CORRELATIONS_SCHEMA = pa.schema(
    [
        pa.field("stratum", pa.string(), nullable=False),
        pa.field("aggregate", pa.string(), nullable=False),
        pa.field("x", pa.string(), nullable=False),
        pa.field("y", pa.string(), nullable=False),
        pa.field("method", pa.string(), nullable=False),
        pa.field("r", pa.float64()),
        pa.field("p", pa.float64()),
        pa.field("q", pa.float64()),
        pa.field("ci_low", pa.float64()),
        pa.field("ci_high", pa.float64()),
        pa.field("n", pa.int64()),
        pa.field("controls", pa.string(), nullable=False),
    ]
)

CLAIMS_SCHEMA = pa.schema(
    [
        pa.field("claim", pa.string(), nullable=False),
        pa.field("analysis", pa.string(), nullable=False),
        pa.field("stratum", pa.string(), nullable=False),
        pa.field("x", pa.string(), nullable=False),
        pa.field("y", pa.string(), nullable=False),
        pa.field("controls", pa.string(), nullable=False),
        pa.field("statistic", pa.string(), nullable=False),
        pa.field("r", pa.float64()),
        pa.field("ci_low", pa.float64()),
        pa.field("ci_high", pa.float64()),
        pa.field("p", pa.float64()),
        pa.field("p_method", pa.string(), nullable=False),
        pa.field("q", pa.float64()),
        pa.field("n", pa.int64(), nullable=False),
        pa.field("n_removed", pa.int64(), nullable=False),
        pa.field("verdict", pa.string(), nullable=False),
    ]
)

FAILURES_SCHEMA = pa.schema(
    [
        pa.field("rule", pa.string(), nullable=False),
        pa.field("group", pa.string(), nullable=False),
        pa.field("error", pa.string(), nullable=False),
        pa.field("message", pa.string()),
        pa.field("log", pa.string()),
    ]
)

ATTACK_CHECKS_SCHEMA = pa.schema(
    [
        pa.field("group", pa.string(), nullable=False),
        pa.field("model_id", pa.string(), nullable=False),
        pa.field("check", pa.string(), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("threshold", pa.float64(), nullable=False),
        pa.field("passed", pa.bool_(), nullable=False),
    ]
)

#: Key columns that must be non-null and unique, per table.
KEYS = {
    "graphs": ["graph_id"],
    "graph_properties": ["graph_id"],
    "models": ["model_id"],
    "study": ["model_id"],
}


def properties_schema(columns: Iterable[str]) -> pa.Schema:
    """`graph_properties`: graph_id, then every property: int64 for counts, else float64."""
    counts = int_properties()
    fields = [pa.field("graph_id", pa.string(), nullable=False)]
    fields += [
        pa.field(c, pa.int64() if c in counts else pa.float64()) for c in columns if c != "graph_id"
    ]
    return pa.schema(fields)


def _versions() -> dict[str, str]:
    out = {}
    for pkg in (
        "torch",
        "numpy",
        "pandas",
        "pyarrow",
        "networkx",
        "scipy",
        "statsmodels",
        "snakemake",
    ):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    return out


def file_metadata(config_hash: str = "", study: str = "") -> dict[str, str]:
    """Key/value metadata stored in every Parquet file footer."""
    return {
        "graphprior.workflow_version": graphprior.__version__,
        "graphprior.config_hash": config_hash,
        "graphprior.study": study,
        "graphprior.package_versions": json.dumps(_versions(), sort_keys=True),
    }


def _coerce(df: pd.DataFrame, schema: pa.Schema, name: str) -> pa.Table:
    missing = [f.name for f in schema if f.name not in df.columns]
    extra = [c for c in df.columns if c not in schema.names]
    if missing:
        raise TableError(f"table {name}: missing columns {missing}")
    if extra:
        raise TableError(f"table {name}: columns not in the schema {extra}")
    df = df[schema.names].copy()
    for f in schema:
        if pa.types.is_integer(f.type):
            df[f.name] = pd.array(
                [None if is_missing(v) else int(v) for v in df[f.name]], dtype="Int64"
            )
        elif pa.types.is_floating(f.type):
            df[f.name] = pd.to_numeric(df[f.name], errors="coerce").astype("float64")
        elif pa.types.is_string(f.type):
            df[f.name] = [None if is_missing(v) else str(v) for v in df[f.name]]
        elif pa.types.is_boolean(f.type):
            df[f.name] = pd.array(
                [None if is_missing(v) else bool(v) for v in df[f.name]], dtype="boolean"
            )
    try:
        table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
        raise TableError(f"table {name}: {exc}") from exc
    for f in schema:
        if not f.nullable and table.column(f.name).null_count:
            raise TableError(f"table {name}: column {f.name} has null values")
    return table


def is_missing(v) -> bool:
    """None, pandas' NA or a float NaN (what a Parquet null reads back as)."""
    if v is None or v is pd.NA:
        return True
    return isinstance(v, float) and math.isnan(v)


def write_table(
    df: pd.DataFrame,
    path: str | Path,
    schema: pa.Schema,
    name: str,
    meta: dict[str, str] | None = None,
) -> None:
    """Validate ``df`` against ``schema`` and write it atomically with metadata."""
    table = _coerce(df, describe(schema, name), name)
    for key in KEYS.get(name, []):
        col = table.column(key).to_pandas()
        if col.isna().any():
            raise TableError(f"table {name}: null {key}")
        dup = col[col.duplicated()]
        if len(dup):
            raise TableError(f"table {name}: duplicate {key} values {sorted(set(dup))[:5]}")
    table = table.replace_schema_metadata({**(schema.metadata or {}), **(meta or {})})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a Parquet part or table; a damaged file raises :class:`TableError` naming it."""
    try:
        return pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowInvalid) as exc:
        raise TableError(f"cannot read Parquet file {path}: {exc}") from exc


def check_relations(tables: dict[str, pd.DataFrame]) -> None:
    """No orphan rows: every reference points at an existing row."""
    graphs = set(tables["graphs"]["graph_id"])
    orphan_props = set(tables["graph_properties"]["graph_id"]) - graphs
    if orphan_props:
        raise TableError(f"graph_properties rows for unknown graphs: {sorted(orphan_props)[:5]}")
    gm = tables["models"]
    model_graphs = set(gm.loc[gm["graph_id"].notna(), "graph_id"]) - graphs
    if model_graphs:
        raise TableError(f"models rows for unknown graphs: {sorted(model_graphs)[:5]}")
    orphan_rob = set(tables["robustness"]["model_id"]) - set(gm["model_id"])
    if orphan_rob:
        raise TableError(f"robustness rows for unknown models: {sorted(orphan_rob)[:5]}")
    if "attack_checks" in tables:
        orphan_checks = set(tables["attack_checks"]["model_id"]) - set(gm["model_id"])
        if orphan_checks:
            raise TableError(f"attack_checks rows for unknown models: {sorted(orphan_checks)[:5]}")
