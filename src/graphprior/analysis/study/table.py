"""The wide ``study`` table: one row per model with its graph and its scalar measures.

:func:`build_study` joins the ``models``, ``graphs``, ``graph_properties`` and
(scalar rows of) ``robustness`` tables; :func:`measure_column` names the
column of one measure; :func:`study_schema` types the table for Parquet. The
columns are described in docs/data-dictionary.md.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import pyarrow as pa

from graphprior.config.choices import Status
from graphprior.io.columns import int_properties
from graphprior.io.tables import (
    GRAPHS_SCHEMA,
    MODELS_TABLE_SCHEMA,
    PROPERTY_KEYS,
    TableError,
    is_missing,
)

__all__ = [
    "GRAPH_COLUMNS",
    "ok_rows",
    "UNSTRATIFIED",
    "measure_column",
    "build_study",
    "arm_stratum",
    "size_strata",
    "study_schema",
]

logger = logging.getLogger(__name__)


def _fmt(v: float) -> str:
    """A float as in a column name: ``%g`` digits, written out, ``p`` for the point.

    No dot and no minus sign, so SQL reads the name unquoted.

    >>> _fmt(0.1), _fmt(1.0), _fmt(8 / 255), _fmt(1e-05)
    ('0p1', '1', '0p0313725', '0p00001')
    """
    return np.format_float_positional(float(f"{v:g}"), trim="-").replace(".", "p")


def measure_column(measure: str, attack: str, norm: str, eps: float, layer=None) -> str:
    """Wide-table column name of one robustness measure, e.g. ``robust_accuracy_pgd_linf_0p1``
    (ε 0.1: ``p`` for the point, :func:`_fmt`)."""
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

    Graph nets get the property row of their (``graph_id``,
    ``orientation_seed``), so the ``dag_*`` columns describe the orientation
    each model was trained under; ``stratum`` (when `graphs` has one) becomes
    ``{stratum}/{arm}`` (:func:`arm_stratum`).

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
    g = graphs[[c for c in (*GRAPH_COLUMNS, "stratum") if c in graphs.columns]]
    # A graph property named like a model column (density) becomes graph_<name>.
    clash = set(models.columns) | set(g.columns)
    props = properties.rename(
        columns={
            c: f"graph_{c}" for c in properties.columns if c not in PROPERTY_KEYS and c in clash
        }
    )
    study = _join_properties(models.merge(g, on="graph_id", how="left"), props)
    study = study.merge(wide, on="model_id", how="left")
    study["generator"] = study["generator"].fillna(study["model_family"])
    if "stratum" in study.columns:
        study["stratum"] = arm_stratum(study)
    return study


#: Columns of the `graphs` table every study row gets (``stratum`` too, when present).
GRAPH_COLUMNS = ("graph_id", "generator", "variant", "parent_id", "pair_id")


def arm_stratum(study: pd.DataFrame) -> pd.Series:
    """``{graphs.stratum}/{arm}`` where the graph has a stratum, else null.

    A stratum then names a size (n, m) *and* a mapping arm, so no stratum mixes
    arms. Without an ``arm`` column (or a null arm) the graph's stratum is kept.
    """
    base = study["stratum"]
    out = pd.Series(
        [None if is_missing(v) else str(v) for v in base], index=study.index, dtype=object
    )
    if "arm" in study.columns:
        has_arm = study["arm"].notna() & out.notna()
        out[has_arm] = out[has_arm] + "/" + study.loc[has_arm, "arm"].astype(str)
    return out


#: The stratum of a graph drawn outside the size-matched design.
UNSTRATIFIED = "all"


def size_strata(models: pd.DataFrame, graphs: pd.DataFrame) -> pd.Series:
    """Each row's size stratum (``graphs.stratum`` of its ``graph_id``, e.g. ``n50-m100``), else ``"all"``.

    Graphs drawn outside the size-matched design (the classic grid) form one
    stratum: a variance decomposition then counts their size differences as
    graph variance, which the report says by naming the stratum ``all``.
    """
    if "stratum" in graphs.columns and graphs["stratum"].notna().any():
        out = models["graph_id"].map(graphs.set_index("graph_id")["stratum"])
    else:
        out = pd.Series(None, index=models.index, dtype=object)
    return out.fillna(UNSTRATIFIED).astype(str)


def _join_properties(study: pd.DataFrame, props: pd.DataFrame) -> pd.DataFrame:
    """Each graph net gets the property row of its (graph_id, orientation_seed).

    A table with one row per graph (an orientation that ignores the seed, or
    a table before orientation seeds) gives that row to every model of the
    graph; baselines (no graph) get none.
    """
    one_per_graph = not props["graph_id"].duplicated().any()
    if "orientation_seed" not in props.columns or one_per_graph:
        return study.merge(props.drop(columns="orientation_seed", errors="ignore"), on="graph_id",
                           how="left")  # fmt: skip
    if "orientation_seed" not in study.columns:
        raise TableError(
            "graph_properties has several orientation seeds per graph but models has no "
            "orientation_seed column"
        )
    key = pd.to_numeric(study["orientation_seed"], errors="coerce").astype(float)
    right = props.rename(columns={"orientation_seed": "_seed"}).astype({"_seed": float})
    joined = study.assign(_seed=key.to_numpy()).merge(right, on=["graph_id", "_seed"], how="left")
    return joined.drop(columns="_seed")


def study_schema(study: pd.DataFrame) -> pa.Schema:
    """Schema of the wide `study` table: known model columns typed, the rest float64."""
    known = {f.name: f for f in [*MODELS_TABLE_SCHEMA, *GRAPHS_SCHEMA]}
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


def ok_rows(study: pd.DataFrame) -> pd.DataFrame:
    """Keep models whose status is ``Status.OK`` (docs/report.md), logging how many were dropped.

    A table without a ``status`` column is returned whole.
    """
    if "status" not in study.columns:
        return study
    keep = study["status"] == Status.OK
    n_dropped = int((~keep).sum())
    if n_dropped:
        logger.info(
            "excluding %d of %d models with status != 'ok' (%s)",
            n_dropped,
            len(study),
            study.loc[~keep, "status"].value_counts().to_dict(),
        )
    return study.loc[keep]
