"""The wide ``study`` table: one row per model with its graph and its scalar measures.

:func:`build_study` joins the ``models``, ``graphs``, ``graph_properties`` and
(scalar rows of) ``robustness`` tables; :func:`measure_column` names the
column of one measure; :func:`study_schema` types the table for Parquet. The
columns are described in docs/data-dictionary.md.
"""

from __future__ import annotations

import math

import pandas as pd
import pyarrow as pa

from graphprior.io.columns import int_properties
from graphprior.io.tables import GRAPHS_SCHEMA, MODELS_SCHEMA, TableError, is_missing

__all__ = ["measure_column", "build_study", "study_schema"]


def _fmt(v: float) -> str:
    """A float as in a column name (``%g``: 0.1, 1e-05)."""
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
    if layer is not None and not is_missing(layer):
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
    counts = int_properties()
    fields = []
    for c in study.columns:
        if c in known:
            f = known[c]
            fields.append(pa.field(c, f.type, nullable=c != "model_id"))
        elif c in counts or (c.startswith("graph_") and c[6:] in counts):
            fields.append(pa.field(c, pa.int64()))
        elif study[c].dtype == object:
            fields.append(pa.field(c, pa.string()))
        else:
            fields.append(pa.field(c, pa.float64()))
    return pa.schema(fields)
