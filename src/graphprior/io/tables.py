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
    "graphs_schema",
    "MODELS_SCHEMA",
    "ROBUSTNESS_SCHEMA",
    "ROBUSTNESS_TABLE_SCHEMA",
    "MODELS_TABLE_SCHEMA",
    "GRAPHS_SUMMARY_SCHEMA",
    "CORRELATIONS_SCHEMA",
    "CLAIMS_SCHEMA",
    "FAILURES_SCHEMA",
    "ATTACK_CHECKS_SCHEMA",
    "VARIANCE_SCHEMA",
    "RELIABILITY_SCHEMA",
    "TableError",
    "write_table",
    "read_table",
    "file_metadata",
    "properties_schema",
    "PROPERTY_KEYS",
]


class TableError(ValueError):
    """A table violates its schema or its relations to other tables."""


GRAPHS_SCHEMA = pa.schema(
    [
        pa.field("graph_id", pa.string(), nullable=False),
        pa.field("generator", pa.string(), nullable=False),
        pa.field("params_json", pa.string(), nullable=False),
        # one field per generator parameter of the study (graphs_schema sets them)
        pa.field("params", pa.struct([])),
        pa.field("n_nodes_requested", pa.int64()),
        pa.field("seed", pa.int64(), nullable=False),
        pa.field("variant", pa.string(), nullable=False),
        pa.field("parent_id", pa.string()),
        pa.field("pair_id", pa.string(), nullable=False),
        pa.field("stratum", pa.string()),
        pa.field("target_edges", pa.int64()),
    ]
)


def graphs_schema(struct: pa.StructType) -> pa.Schema:
    """:data:`GRAPHS_SCHEMA` with the study's ``params`` struct
    (:func:`graphprior.io.graph_params.params_type`)."""
    i = GRAPHS_SCHEMA.get_field_index("params")
    return GRAPHS_SCHEMA.set(i, pa.field("params", struct))


MODELS_SCHEMA = pa.schema(
    [
        pa.field("model_id", pa.string(), nullable=False),
        pa.field("model_family", pa.string(), nullable=False),
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
        pa.field("mapping", pa.string()),
        pa.field("rounds", pa.int64()),
        pa.field("width", pa.int64()),
        pa.field("node_widths", pa.string()),
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

#: The aggregated ``models`` table: the per-group rows and the AutoAttack budget they were
#: evaluated at (the study's ``attack.autoattack``, known when the tables are joined).
MODELS_TABLE_SCHEMA = pa.schema([*MODELS_SCHEMA, pa.field("autoattack_budget", pa.string())])

#: The aggregated ``robustness`` table: the per-group rows; for every share of ``n``
#: inputs (clean and robust accuracy, success rates), its 95 % Wilson interval; and what
#: the row's ``eps`` holds (``parameter``: ``eps``, ``delta`` or ``kept_fraction``).
ROBUSTNESS_TABLE_SCHEMA = pa.schema(
    [
        *ROBUSTNESS_SCHEMA,
        pa.field("ci_low", pa.float64()),
        pa.field("ci_high", pa.float64()),
        pa.field("parameter", pa.string()),
    ]
)

#: One row per (graph, mapping arm, main measure): the graph's mean over its models.
GRAPHS_SUMMARY_SCHEMA = pa.schema(
    [
        pa.field("graph_id", pa.string(), nullable=False),
        pa.field("arm", pa.string(), nullable=False),
        pa.field("generator", pa.string()),
        pa.field("stratum", pa.string()),
        pa.field("pair_id", pa.string()),
        pa.field("measure", pa.string(), nullable=False),
        pa.field("mean", pa.float64()),
        pa.field("ci_low", pa.float64()),
        pa.field("ci_high", pa.float64()),
        pa.field("n_models", pa.int64()),
        pa.field("n_inputs", pa.int64()),
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
        pa.field("fixed_effects", pa.string(), nullable=False),
    ]
)

CLAIMS_SCHEMA = pa.schema(
    [
        pa.field("claim", pa.string(), nullable=False),
        pa.field("arm", pa.string(), nullable=False),
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
        pa.field("fixed_effects", pa.string(), nullable=False),
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

VARIANCE_SCHEMA = pa.schema(
    [
        pa.field("stratum", pa.string(), nullable=False),
        pa.field("arm", pa.string(), nullable=False),
        pa.field("measure", pa.string(), nullable=False),
        pa.field("primary", pa.bool_(), nullable=False),
        pa.field("component", pa.string(), nullable=False),
        pa.field("variance", pa.float64()),
        pa.field("share", pa.float64()),
        pa.field("ci_low", pa.float64()),
        pa.field("ci_high", pa.float64()),
        pa.field("decision", pa.string(), nullable=False),
        pa.field("n_graphs", pa.int64(), nullable=False),
        pa.field("n_models", pa.int64(), nullable=False),
    ]
)

RELIABILITY_SCHEMA = pa.schema(
    [
        pa.field("stratum", pa.string(), nullable=False),
        pa.field("arm", pa.string(), nullable=False),
        pa.field("measure", pa.string(), nullable=False),
        pa.field("split", pa.string(), nullable=False),
        pa.field("r_split_half", pa.float64()),
        pa.field("reliability", pa.float64()),
        pa.field("ci_low", pa.float64()),
        pa.field("ci_high", pa.float64()),
        pa.field("n_graphs", pa.int64(), nullable=False),
    ]
)

#: The key of each table: its columns are non-null and unique together (a key
#: column the table lacks is left out: `graph_properties` before orientation seeds).
KEYS = {
    "graphs": ["graph_id"],
    "graph_properties": ["graph_id", "orientation_seed"],
    "models": ["model_id"],
    "study": ["model_id"],
    "variance": ["stratum", "arm", "measure", "component"],
    "reliability": ["stratum", "arm", "measure", "split"],
    "graphs_summary": ["graph_id", "arm", "measure"],
}


#: The key of a `graph_properties` row (``orientation_seed`` absent in tables before arms).
PROPERTY_KEYS = ("graph_id", "orientation_seed")


def properties_schema(columns: Iterable[str]) -> pa.Schema:
    """`graph_properties`: graph_id, orientation_seed (when present), then every property.

    Properties are int64 for counts, else float64. One row per (graph_id,
    orientation_seed): the ``dag_*`` properties differ between orientations.
    """
    columns = list(columns)
    counts = int_properties()
    keys = [k for k in PROPERTY_KEYS if k in columns or k == "graph_id"]
    fields = [pa.field("graph_id", pa.string(), nullable=False)]
    if "orientation_seed" in keys:
        fields.append(pa.field("orientation_seed", pa.int64(), nullable=False))
    fields += [
        pa.field(c, pa.int64() if c in counts else pa.float64()) for c in columns if c not in keys
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
    key = [k for k in KEYS.get(name, []) if k in table.column_names]
    for k in key:
        if table.column(k).null_count:
            raise TableError(f"table {name}: null {k}")
    if key:
        rows = table.select(key).to_pandas()
        dup = rows[rows.duplicated()]
        if len(dup):
            values = sorted(set(map(tuple, dup.to_numpy().tolist())))[:5]
            values = [v[0] for v in values] if len(key) == 1 else values
            raise TableError(f"table {name}: duplicate {'+'.join(key)} values {values}")
    table = _as_categories(table)
    table = table.replace_schema_metadata({**(schema.metadata or {}), **(meta or {})})
    path = Path(path)
    if path.exists() and not path.is_file():
        # the write goes through a temporary file renamed over the target, which
        # would replace a device such as /dev/null with a regular file
        raise TableError(f"cannot write table {name!r} to {path}: not a regular file")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a Parquet part or table; a damaged file raises :class:`TableError` naming it.

    Category columns come back as plain strings: the package compares and fills them
    as text (users' readers get categoricals, :data:`CATEGORY_COLUMNS`).
    """
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise TableError(f"cannot read Parquet file {path}: {exc}") from exc
    for i, f in enumerate(table.schema):
        if pa.types.is_dictionary(f.type):
            table = table.set_column(
                i, f.with_type(f.type.value_type), table.column(i).cast(f.type.value_type)
            )
    return table.to_pandas()


#: String columns with a handful of distinct values: written dictionary-encoded, so that
#: pandas reads them as ``category``, polars as ``Categorical`` and DuckDB as VARCHAR.
CATEGORY_COLUMNS = frozenset(
    {
        "generator", "variant", "stratum", "model_family", "dataset", "arm", "mapping",
        "init", "orientation", "input_wiring", "readout", "status", "device",
        "autoattack_budget", "measure", "attack", "norm", "parameter", "check",
        "analysis", "statistic", "verdict", "p_method", "component", "decision", "split",
        "method", "aggregate", "rule", "error",
    }
)  # fmt: skip


def _as_categories(table: pa.Table) -> pa.Table:
    """``table`` with its :data:`CATEGORY_COLUMNS` dictionary-encoded (descriptions kept)."""
    for i, f in enumerate(table.schema):
        if f.name in CATEGORY_COLUMNS and pa.types.is_string(f.type):
            column = table.column(i).dictionary_encode()
            table = table.set_column(i, f.with_type(column.type), column)
    return table


def _check_orientations(props: pd.DataFrame, models: pd.DataFrame) -> None:
    """One property row per (graph, orientation seed); every model's orientation has one.

    A table with a single row per graph (an orientation that ignores the
    seed) serves every orientation seed of the models.
    """
    keys = [k for k in PROPERTY_KEYS if k in props.columns]
    dup = props.duplicated(keys)
    if dup.any():
        first = props.loc[dup, keys].iloc[0].to_dict()
        raise TableError(f"two graph_properties rows for {first}: keys {keys} must be unique")
    if "orientation_seed" not in props.columns or "orientation_seed" not in models.columns:
        return
    if not props["graph_id"].duplicated().any():
        return
    multi = models.loc[models["graph_id"].isin(set(props["graph_id"]))]
    multi = multi.loc[multi["orientation_seed"].notna()]
    have = set(zip(props["graph_id"], props["orientation_seed"].astype("Int64"), strict=True))
    missing = [
        (g, int(s))
        for g, s in zip(multi["graph_id"], multi["orientation_seed"], strict=True)
        if (g, int(s)) not in have
    ]
    if missing:
        raise TableError(
            f"models trained under orientations without a graph_properties row: {missing[:5]}"
        )


def check_relations(tables: dict[str, pd.DataFrame]) -> None:
    """No orphan rows: every reference points at an existing row."""
    graphs = set(tables["graphs"]["graph_id"])
    props = tables["graph_properties"]
    orphan_props = set(props["graph_id"]) - graphs
    if orphan_props:
        raise TableError(f"graph_properties rows for unknown graphs: {sorted(orphan_props)[:5]}")
    gm = tables["models"]
    model_graphs = set(gm.loc[gm["graph_id"].notna(), "graph_id"]) - graphs
    if model_graphs:
        raise TableError(f"models rows for unknown graphs: {sorted(model_graphs)[:5]}")
    _check_orientations(props, gm)
    orphan_rob = set(tables["robustness"]["model_id"]) - set(gm["model_id"])
    if orphan_rob:
        raise TableError(f"robustness rows for unknown models: {sorted(orphan_rob)[:5]}")
    if "attack_checks" in tables:
        orphan_checks = set(tables["attack_checks"]["model_id"]) - set(gm["model_id"])
        if orphan_checks:
            raise TableError(f"attack_checks rows for unknown models: {sorted(orphan_checks)[:5]}")
