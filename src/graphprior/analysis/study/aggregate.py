"""Per-graph aggregation and the paper's 1.5×IQR outlier rule.

The unit of analysis is the *graph* within one mapping arm: models that share
a graph (its initialisations, seeds and orientation seeds) are not
independent, so every statistic of the report starts from one row per
(graph, arm), the models aggregated by the mean or the median (the paper
reports both). Arms are never averaged together: they are different
networks. See docs/report.md.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import pandas as pd

from graphprior.analysis.primitives import require_columns, unique
from graphprior.analysis.study.table import ok_rows
from graphprior.config.choices import GRAPH_FAMILY

__all__ = ["aggregate_per_graph", "iqr_filter"]

logger = logging.getLogger(__name__)


def aggregate_per_graph(
    study: pd.DataFrame,
    x_cols: Sequence[str],
    y_cols: Sequence[str],
    how: Literal["mean", "median"] = "mean",
    controls: Sequence[str] = ("test_accuracy", "n_params"),
    *,
    graph_col: str = "graph_id",
    arm_col: str | None = "arm",
    family: str | None = GRAPH_FAMILY,
    ok_only: bool = True,
) -> pd.DataFrame:
    """One row per (graph, arm): the models of a graph in one mapping arm aggregated.

    As the paper (mean and median over the initialisations of a graph), over
    initialisations, seeds and orientation seeds alike; never over two arms.
    Undirected properties come back unchanged; ``dag_*`` ones differ between
    orientations and are aggregated like the measures.

    Parameters
    ----------
    study : DataFrame
        The ``study`` table, one row per trained model.
    x_cols, y_cols : sequence of str
        Graph-property and robustness-measure columns to aggregate.
    how : {"mean", "median"}
        Aggregate over the models of a unit. NaN values are skipped.
    controls : sequence of str
        Extra columns to aggregate (the controls of the partial correlation);
        names missing from `study` are skipped with a log message.
    graph_col, arm_col : str
        Columns naming the graph and the mapping arm; the unit is (graph,
        arm) when the table has `arm_col` (``None``: graph only).
    family : str or None
        Keep only models of this ``family`` (default the graph nets), when the
        table has a ``model_family`` column; ``None`` keeps every family.
    ok_only : bool
        Drop models whose ``status`` is not ``Status.OK`` (docs/report.md).

    Returns
    -------
    DataFrame
        Columns: `graph_col`, `arm_col` (when present), ``generator`` (when
        present), ``n_models`` (models aggregated), then the aggregated
        columns once each, in the order x, y, controls; sorted by the unit.

    Examples
    --------
    >>> study = pd.DataFrame({"graph_id": ["a", "a", "b"], "generator": "ws",
    ...                       "density": [0.1, 0.1, 0.2], "rob": [1.0, 3.0, 5.0]})
    >>> aggregate_per_graph(study, ["density"], ["rob"], controls=())
      graph_id generator  n_models  density  rob
    0        a        ws         2      0.1  2.0
    1        b        ws         1      0.2  5.0
    """
    if how not in ("mean", "median"):
        raise ValueError(f"how must be 'mean' or 'median', got {how!r}")
    present_controls = [c for c in controls if c in study.columns]
    if len(present_controls) < len(controls):
        logger.info(
            "controls not in the table, skipped: %s",
            [c for c in controls if c not in study.columns],
        )
    value_cols = unique([*x_cols, *y_cols, *present_controls])
    require_columns(study, [graph_col, *value_cols])

    data = _graph_rows(study, graph_col, family, ok_only)
    keys = [graph_col]
    if arm_col is not None and arm_col in data.columns:
        keys.append(arm_col)
    grouped = data.groupby(keys, sort=True, dropna=False)
    out = grouped[value_cols].agg(how)
    out.insert(0, "n_models", grouped.size())
    if "generator" in data.columns:
        n_gen = grouped["generator"].nunique()
        if (n_gen > 1).any():
            raise ValueError("a graph_id maps to more than one generator")
        out.insert(0, "generator", grouped["generator"].first())
    out = out.reset_index()
    return out[[*keys, *[c for c in out.columns if c not in keys]]]


def _graph_rows(study: pd.DataFrame, graph_col: str, family, ok_only: bool) -> pd.DataFrame:
    """The models of `family` (all without a ``model_family`` column), ``ok`` ones, with a graph."""
    data = study
    if family is not None and "model_family" in data.columns:
        data = data.loc[data["model_family"] == family]
    if ok_only:
        data = ok_rows(data)
    return data.loc[data[graph_col].notna()]


def iqr_filter(df: pd.DataFrame, cols: Sequence[str], k: float = 1.5) -> tuple[pd.DataFrame, int]:
    """Remove rows outside Tukey's fences in any listed column (the paper's rule).

    For each column the quartiles Q1, Q3 (pandas' default linear
    interpolation) and IQR = Q3 − Q1 are computed on the non-missing values; a
    row is removed if any listed value lies outside
    ``[Q1 − k·IQR, Q3 + k·IQR]``. All fences are computed on the input table
    (not sequentially). Missing values never remove a row.

    Parameters
    ----------
    df : DataFrame
        Usually the per-graph table.
    cols : sequence of str
        Columns the rule is applied to.
    k : float
        Fence multiplier (the paper: 1.5).

    Returns
    -------
    kept : DataFrame
        The rows of `df` inside every fence (original index kept).
    n_removed : int
        Number of rows removed.

    Examples
    --------
    >>> df = pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0, 100.0]})
    >>> kept, n_removed = iqr_filter(df, ["v"])
    >>> n_removed, kept["v"].tolist()
    (1, [1.0, 2.0, 3.0, 4.0])
    """
    require_columns(df, cols)
    outside = pd.Series(False, index=df.index)
    for col in cols:
        values = df[col].astype(float)
        q1, q3 = values.quantile(0.25), values.quantile(0.75)
        iqr = q3 - q1
        low, high = q1 - k * iqr, q3 + k * iqr
        outside |= (values < low) | (values > high)
    return df.loc[~outside], int(outside.sum())
