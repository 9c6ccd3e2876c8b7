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

__all__ = [
    "GRAPHS_SCHEMA",
    "MODELS_SCHEMA",
    "ROBUSTNESS_SCHEMA",
    "CORRELATIONS_SCHEMA",
    "FAILURES_SCHEMA",
    "TableError",
    "write_table",
    "read_table",
    "measure_column",
    "build_study",
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
        pa.field("depth", pa.int64()),
        pa.field("n_neurons", pa.int64()),
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

FAILURES_SCHEMA = pa.schema(
    [
        pa.field("rule", pa.string(), nullable=False),
        pa.field("group", pa.string(), nullable=False),
        pa.field("error", pa.string(), nullable=False),
        pa.field("message", pa.string()),
        pa.field("log", pa.string()),
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
    """`graph_properties`: graph_id, then every property as float64."""
    fields = [pa.field("graph_id", pa.string(), nullable=False)]
    fields += [pa.field(c, pa.float64()) for c in columns if c != "graph_id"]
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
                [None if _isnull(v) else int(v) for v in df[f.name]], dtype="Int64"
            )
        elif pa.types.is_floating(f.type):
            df[f.name] = pd.to_numeric(df[f.name], errors="coerce").astype("float64")
        elif pa.types.is_string(f.type):
            df[f.name] = [None if _isnull(v) else str(v) for v in df[f.name]]
        elif pa.types.is_boolean(f.type):
            df[f.name] = pd.array(
                [None if _isnull(v) else bool(v) for v in df[f.name]], dtype="boolean"
            )
    try:
        table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
        raise TableError(f"table {name}: {exc}") from exc
    for f in schema:
        if not f.nullable and table.column(f.name).null_count:
            raise TableError(f"table {name}: column {f.name} has null values")
    return table


def _isnull(v) -> bool:
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
    table = _coerce(df, schema, name)
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


def _fmt(v: float) -> str:
    return f"{v:g}"


def measure_column(measure: str, attack: str, norm: str, eps: float, layer=None) -> str:
    """Wide-table column name of one robustness measure, e.g. ``robust_accuracy_pgd_linf_0.1``."""
    parts = [measure]
    if attack and attack != "none":
        parts.append(attack)
    if norm and norm != "none":
        parts.append(norm)
    if eps is not None and not (isinstance(eps, float) and math.isnan(eps)):
        parts.append(_fmt(float(eps)))
    if layer is not None and not _isnull(layer):
        parts.append(f"L{int(layer)}")
    return "_".join(parts)


def build_study(
    models: pd.DataFrame,
    graphs: pd.DataFrame,
    properties: pd.DataFrame,
    robustness: pd.DataFrame,
) -> pd.DataFrame:
    """One row per model: model columns, its graph's generator and properties, scalar measures.

    Layer-wise measures (``layer`` not null) stay in the long `robustness`
    table only; everything else becomes one column per (measure, attack,
    norm, eps).
    """
    rob = robustness[robustness["layer"].isna()].copy()
    if len(rob):
        rob["column"] = [
            measure_column(m, a, n, e)
            for m, a, n, e in zip(
                rob["measure"], rob["attack"], rob["norm"], rob["eps"], strict=True
            )
        ]
        dup = rob.duplicated(["model_id", "column"])
        if dup.any():
            first = rob.loc[dup].iloc[0]
            raise TableError(
                f"two robustness rows map to study column {first['column']!r} for model "
                f"{first['model_id']!r}: measure names must be unique per (attack, norm, eps)"
            )
        # pivot, not pivot_table: a measure that is NaN for every model keeps its column
        wide = rob.pivot(index="model_id", columns="column", values="value")
        wide.columns.name = None
        wide = wide.reset_index()
    else:
        wide = pd.DataFrame({"model_id": models["model_id"]})
    g = graphs[["graph_id", "generator", "variant", "parent_id"]]
    # A graph property named like a model column (density) becomes graph_<name>.
    clash = set(models.columns) | set(g.columns)
    props = properties.rename(
        columns={c: f"graph_{c}" for c in properties.columns if c != "graph_id" and c in clash}
    )
    study = models.merge(g, on="graph_id", how="left").merge(props, on="graph_id", how="left")
    study = study.merge(wide, on="model_id", how="left")
    study["generator"] = study["generator"].fillna(study["family"])
    return study


def study_schema(study: pd.DataFrame) -> pa.Schema:
    """Schema of the wide `study` table: known model columns typed, the rest float64."""
    known = {f.name: f for f in [*MODELS_SCHEMA, *GRAPHS_SCHEMA]}
    fields = []
    for c in study.columns:
        if c in known:
            f = known[c]
            fields.append(pa.field(c, f.type, nullable=c != "model_id"))
        elif study[c].dtype == object:
            fields.append(pa.field(c, pa.string()))
        else:
            fields.append(pa.field(c, pa.float64()))
    return pa.schema(fields)
