"""The correlations table: every graph property against every robustness measure.

:func:`correlation_table` computes the rows of one per-graph table;
:func:`correlation_rows` assembles the report's ``correlations`` table
(schema :data:`graphprior.io.tables.CORRELATIONS_SCHEMA`) from both
aggregates, the pooled stratum and the generators, within the compute budget
of docs/report.md.

* Confidence intervals are percentile bootstraps over graphs
  (:func:`graphprior.analysis.stats.bootstrap.cluster_bootstrap_ci`, one row per
  graph), ``n_boot`` resamples per row, drawn from ``rng`` in row order.
* **Multiple-testing family.** ``q`` is the Benjamini–Hochberg adjustment of
  ``p`` over all (x, y) pairs tested within one stratum with one method (and
  one aggregate). Strata and methods are not pooled: the methods measure the
  same association and are alternatives, not separate hypotheses, and each
  stratum answers its own question.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from graphprior.analysis.primitives import as_rng, is_constant, require_columns, unique
from graphprior.analysis.stats.bootstrap import bootstrap_ci_arrays
from graphprior.analysis.stats.correlation import (
    CorrelationMethod,
    correlate,
    partial_spearman_values,
)
from graphprior.analysis.stats.fixed_effects import pooled_frame
from graphprior.analysis.stats.multiple_testing import bh_qvalues
from graphprior.analysis.study.aggregate import iqr_filter
from graphprior.analysis.study.columns import CONTROLS, DESIGN_PROPERTIES, MIN_GRAPHS, bare
from graphprior.analysis.study.table import UNSTRATIFIED
from graphprior.config.choices import POOLED
from graphprior.io import tables as T

__all__ = [
    "CORRELATION_COLUMNS",
    "correlation_table",
    "correlation_rows",
    "empty_correlations",
    "corr_row",
]

logger = logging.getLogger(__name__)


#: Columns of :func:`correlation_table`, in order (the schema adds ``aggregate``; docs/data-dictionary.md).
CORRELATION_COLUMNS: tuple[str, ...] = (
    "stratum",
    "x",
    "y",
    "method",
    "r",
    "p",
    "q",
    "ci_low",
    "ci_high",
    "n",
    "controls",
)


def _non_constant(data: pd.DataFrame, cols: Sequence[str], stratum: str) -> list[str]:
    """The columns of `cols` that vary within `data` (logging the others)."""
    keep = []
    for col in unique(cols):
        if is_constant(data[col].to_numpy(dtype=float)):
            logger.info("stratum %s: %s is constant, skipped", stratum, col)
        else:
            keep.append(col)
    return keep


def correlation_table(
    per_graph_df: pd.DataFrame,
    x_cols: Sequence[str],
    y_cols: Sequence[str],
    methods: Sequence[str] = ("spearman", "kendall", "pearson"),
    strata_col: str | None = "generator",
    controls: Sequence[str] | None = CONTROLS,
    *,
    n_boot: int = 1000,
    rng: np.random.Generator | int,
    level: float = 0.95,
    min_graphs: int = MIN_GRAPHS,
    aggregate: str | None = None,
) -> pd.DataFrame:
    """Correlations of every graph property with every robustness measure.

    For the stratum ``pooled`` (all graphs) and for each value of
    `strata_col` (each generator), every pair (x, y), x ≠ y, gets one row per
    method in `methods` and, when `controls` is non-empty, one row of
    ``partial_spearman`` (a control equal to x or y is left out for that pair;
    the ``controls`` column says which were used). Strata with fewer than
    `min_graphs` graphs and constant columns are skipped; each pair uses the
    graphs where all its values are present (``n``). Intervals, the
    bootstrap draws and the multiple-testing family are described in the
    module docstring.

    Parameters
    ----------
    per_graph_df : DataFrame
        One row per graph (from :func:`graphprior.analysis.study.aggregate.aggregate_per_graph`).
    x_cols, y_cols : sequence of str
        Graph properties and robustness measures.
    methods : sequence of str
        Any of ``"spearman"``, ``"kendall"``, ``"pearson"`` (and
        ``"partial_spearman"``, which is also added by `controls`).
    strata_col : str or None
        Column defining the strata besides ``pooled``; ``None`` for pooled only.
    controls : sequence of str or None
        Controls of the partial Spearman correlation; those missing from the
        table are left out; empty or ``None`` for no partial correlation.
    n_boot : int
        Bootstrap resamples per row (0: no intervals, NaN bounds).
    rng : numpy.random.Generator or int
        Source of the bootstrap.
    level : float
        Coverage of the intervals.
    min_graphs : int
        Smallest stratum that is analysed.
    aggregate : str or None
        Name of the per-graph aggregate; when given, added as a last column
        ``aggregate``.

    Returns
    -------
    DataFrame
        Columns :data:`CORRELATION_COLUMNS` — ``stratum``, ``x``, ``y``,
        ``method``, ``r``, ``p`` (two-sided), ``q`` (BH), ``ci_low``,
        ``ci_high`` (bootstrap interval of r), ``n`` (graphs used),
        ``controls`` (``""`` or the controls joined by ``"+"``) — plus
        ``aggregate`` when given.
    """
    rng = as_rng(rng)
    method_list, present_controls = _methods(per_graph_df, methods, controls)
    require_columns(per_graph_df, [*x_cols, *y_cols])
    rows: list[dict[str, Any]] = []
    for stratum, data in _strata(per_graph_df, strata_col):
        if len(data) < min_graphs:
            logger.info("stratum %s: %d graphs < %d, skipped", stratum, len(data), min_graphs)
            continue
        rows += _stratum_rows(
            data, stratum, x_cols, y_cols, method_list, present_controls, n_boot, level, rng
        )
    table = pd.DataFrame(rows, columns=list(CORRELATION_COLUMNS))
    table["n"] = table["n"].astype("int64")
    for col in ("r", "p", "q", "ci_low", "ci_high"):
        table[col] = table[col].astype(float)
    if aggregate is not None:
        table["aggregate"] = aggregate
    return table


def _methods(
    per_graph_df: pd.DataFrame, methods: Sequence[str], controls: Sequence[str] | None
) -> tuple[list[CorrelationMethod], list[str]]:
    """The methods to compute (partial Spearman added with controls) and the controls present."""
    method_list = [CorrelationMethod(m) for m in methods]
    present_controls = [c for c in (controls or ()) if c in per_graph_df.columns]
    if controls and len(present_controls) < len(controls):
        logger.info(
            "partial Spearman: controls not in the table, skipped: %s",
            [c for c in controls if c not in per_graph_df.columns],
        )
    if present_controls and CorrelationMethod.PARTIAL_SPEARMAN not in method_list:
        method_list.append(CorrelationMethod.PARTIAL_SPEARMAN)
    return method_list, present_controls


def _strata(per_graph_df: pd.DataFrame, strata_col: str | None) -> list[tuple[str, pd.DataFrame]]:
    """``(POOLED, all rows)`` and one (name, rows) per value of `strata_col`."""
    strata: list[tuple[str, pd.DataFrame]] = [(POOLED, per_graph_df)]
    if strata_col is not None:
        require_columns(per_graph_df, [strata_col])
        strata += [
            (str(name), group)
            for name, group in per_graph_df.groupby(strata_col, sort=True, dropna=True)
        ]
    return strata


def _stratum_rows(
    data: pd.DataFrame,
    stratum: str,
    x_cols: Sequence[str],
    y_cols: Sequence[str],
    method_list: list[CorrelationMethod],
    present_controls: list[str],
    n_boot: int,
    level: float,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Rows of one stratum, q-values per method; bootstrap draws in row order."""
    xs = _non_constant(data, x_cols, stratum)
    ys = _non_constant(data, y_cols, stratum)
    # every column once as a float array: indexing the frame per pair was most of the time
    arrays = {
        c: data[c].to_numpy(dtype=float) for c in dict.fromkeys([*xs, *ys, *present_controls])
    }
    rows: list[dict[str, Any]] = []
    for x in xs:
        for y in ys:
            if x == y:
                continue
            for method in method_list:
                rows.append(
                    _pair_row(arrays, stratum, x, y, method, present_controls, n_boot, level, rng)
                )
    for method in method_list:
        family = [row for row in rows if row["method"] == method.value]
        for row, q in zip(family, bh_qvalues([row["p"] for row in family]), strict=True):
            row["q"] = float(q)
    return rows


def _pair_row(
    arrays: dict[str, np.ndarray],
    stratum: str,
    x: str,
    y: str,
    method: CorrelationMethod,
    present_controls: list[str],
    n_boot: int,
    level: float,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """One row of the table: coefficient, p-value and bootstrap interval of (x, y)."""
    pair_controls = (
        [c for c in present_controls if c not in (x, y)]
        if method is CorrelationMethod.PARTIAL_SPEARMAN
        else []
    )
    values = np.column_stack([arrays[c] for c in (x, y, *pair_controls)])
    values = values[np.isfinite(values).all(axis=1)]
    if method is CorrelationMethod.PARTIAL_SPEARMAN:
        r, p = partial_spearman_values(values)
    else:
        r, p = correlate(values[:, 0], values[:, 1], method)
    lo, hi = bootstrap_ci_arrays(
        values[:, 0], values[:, 1], values[:, 2:], method, n_boot, level, rng
    )
    return {
        "stratum": stratum,
        "x": x,
        "y": y,
        "method": method.value,
        "r": r,
        "p": p,
        "q": np.nan,
        "ci_low": lo,
        "ci_high": hi,
        "n": int(values.shape[0]),
        "controls": "+".join(pair_controls),
    }


def empty_correlations() -> pd.DataFrame:
    """A ``correlations`` table without rows (columns of the schema)."""
    return pd.DataFrame({name: pd.Series(dtype=object) for name in T.CORRELATIONS_SCHEMA.names})


def correlation_rows(
    per_graph: dict[str, pd.DataFrame],
    xs: Sequence[str],
    ys: Sequence[str],
    *,
    n_boot: int,
    rng: np.random.Generator,
    outlier_rule: bool = False,
    boot_partial_xs: Sequence[str] = (),
    strata: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``correlations`` table (schema :data:`graphprior.io.tables.CORRELATIONS_SCHEMA`).

    Rows, for each measure y and every property x:

    * pooled stratum, every aggregate (key of `per_graph`): Spearman with
      bootstrap intervals; Kendall τ-b and Pearson without; partial Spearman
      controlling for :data:`~graphprior.analysis.study.columns.CONTROLS`, with
      intervals only for the primary aggregate (the first key, the mean) and
      x in `boot_partial_xs`;
    * per size stratum (``size_stratum`` of the per-graph table, when there
      are several) and per generator within each, strata of at least 5
      graphs, primary aggregate only: Spearman and Kendall τ-b (the paper's
      methods), without intervals.

    When the graphs come from several size strata, the pooled rows are
    computed on values aligned within each stratum
    (:func:`graphprior.analysis.stats.align_within_strata`: stratum fixed
    effects, ``fixed_effects == "stratum"``), or, for a property the strata
    fix (density), within the strata of one parameter count
    (``fixed_effects == "size"``), never on raw values pooled across sizes.

    This is the bootstrap/compute budget documented in ``docs/report.md``.
    With `outlier_rule` the paper's 1.5×IQR rule removes, per aggregate and
    measure, the graphs outside the fences of that measure before any
    correlation with it. q-values are recomputed over each family (stratum,
    aggregate, method) at the end.

    Returns
    -------
    correlations : DataFrame
        Columns exactly ``CORRELATIONS_SCHEMA.names``.
    outliers : DataFrame
        ``aggregate``, ``y``, ``n_graphs``, ``n_removed`` (0 without the rule).
    """
    frames: list[pd.DataFrame] = []
    outlier_rows = []
    boot_partial = [x for x in xs if x in set(boot_partial_xs)]
    other_partial = [x for x in xs if x not in set(boot_partial_xs)]
    for index, (how, table) in enumerate(per_graph.items()):
        if "arm" in table.columns and table["arm"].nunique() > 1:
            raise ValueError("the per-graph table mixes mapping arms: pass one arm (the main one)")
        primary = index == 0
        for y in ys:
            data = table
            n_removed = 0
            if outlier_rule and len(data):
                data, n_removed = iqr_filter(data, [y])
            outlier_rows.append(
                {"aggregate": how, "y": y, "n_graphs": len(table), "n_removed": n_removed}
            )
            if len(data) < MIN_GRAPHS:
                continue
            sized = data.assign(_size=_sizes(data))
            for fixed, pooled, group in _pooled_groups(sized, xs, y):
                keep = ([x for x in boot_partial if x in group] if primary else [],
                        [x for x in other_partial if x in group] if primary else group)  # fmt: skip
                for frame in _measure_frames(pooled, how, y, group, keep, n_boot, rng):
                    frames.append(frame.assign(fixed_effects=fixed))
            if strata and primary:
                # a property the strata set varies within one only by a family's edge count
                within = [x for x in xs if not (_sized(sized) and bare(x) in DESIGN_PROPERTIES)]
                several = sized["_size"].nunique() > 1
                frames += _strata_frames(sized, how, y, within, rng, several)
    outliers = pd.DataFrame(outlier_rows, columns=["aggregate", "y", "n_graphs", "n_removed"])
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_correlations(), outliers
    return _finish(pd.concat(frames, ignore_index=True)), outliers


def _pooled_groups(
    data: pd.DataFrame, xs: Sequence[str], y: str
) -> list[tuple[str, pd.DataFrame, list[str]]]:
    """The pooled frames of one measure: (fixed effects, aligned frame, the properties it serves).

    With one size stratum, the frame as it is. With several, a property
    aligned within strata (``stratum``), and one the strata set (density,
    :data:`~graphprior.analysis.study.columns.DESIGN_PROPERTIES`) within the strata
    of one parameter count (``size``, left out when no two strata share a
    size; :func:`graphprior.analysis.stats.pooled_frame`).
    """
    design = [x for x in xs if bare(x) in DESIGN_PROPERTIES] if _sized(data) else []
    rest = [x for x in xs if x not in design]
    if data["_size"].nunique() < 2:
        return [("", data, rest)] if rest else []
    out = []
    for group, between in ((rest, False), (design, True)):
        if not group:
            continue
        columns = [*group, y, *CONTROLS]
        pooled, fixed = pooled_frame(data, columns, "_size", "n_params", between)
        if pooled is not None and len(pooled) >= MIN_GRAPHS:
            out.append((fixed, pooled, group))
    return out


def _sized(data: pd.DataFrame) -> bool:
    """Whether the graphs come from size-matched strata (not one unstratified set)."""
    return not set(data["_size"]) <= {"", UNSTRATIFIED}


def _sizes(data: pd.DataFrame) -> pd.Series:
    """Each graph's size stratum (``size_stratum``; one stratum when the table has none)."""
    if "size_stratum" in data.columns:
        return data["size_stratum"].fillna("").astype(str)
    return pd.Series("", index=data.index)


def _measure_frames(
    data: pd.DataFrame,
    how: str,
    y: str,
    xs: Sequence[str],
    partial: tuple[list[str], list[str]],
    n_boot: int,
    rng: np.random.Generator,
) -> list[pd.DataFrame]:
    """Pooled rows of one measure and aggregate; `partial`: x with and without intervals."""
    boot_partial, other_partial = partial
    calls: list[tuple[list[str], dict[str, Any]]] = [
        (list(xs), {"methods": ("spearman",), "controls": None, "n_boot": n_boot}),
        (list(xs), {"methods": ("kendall", "pearson"), "controls": None, "n_boot": 0}),
        (boot_partial, {"methods": (), "controls": CONTROLS, "n_boot": n_boot}),
        (other_partial, {"methods": (), "controls": CONTROLS, "n_boot": 0}),
    ]
    return [
        correlation_table(data, x_cols, [y], strata_col=None, rng=rng, aggregate=how, **kwargs)
        for x_cols, kwargs in calls
        if x_cols
    ]


def _strata_frames(
    data: pd.DataFrame,
    how: str,
    y: str,
    xs: Sequence[str],
    rng: np.random.Generator,
    several: bool,
) -> list[pd.DataFrame]:
    """Spearman and Kendall per size stratum (when there are several) and per generator in it.

    Strata with fewer than :data:`MIN_GRAPHS` graphs are skipped. A
    generator's stratum reads ``{size}/{generator}``, or the generator alone
    in a study of one size.
    """
    groups: list[tuple[str, pd.DataFrame]] = []
    for size, part in data.groupby("_size", sort=True):
        if several:
            groups.append((str(size), part))
        if "generator" in part.columns:
            for generator, group in part.groupby("generator", sort=True):
                groups.append((f"{size}/{generator}" if several else str(generator), group))
    frames = []
    for label, group in groups:
        if len(group) < MIN_GRAPHS:
            continue
        part = correlation_table(
            group.drop(columns="_size"),
            list(xs),
            [y],
            methods=("spearman", "kendall"),
            strata_col=None,
            controls=None,
            n_boot=0,
            rng=rng,
            aggregate=how,
        )
        part["stratum"] = label
        part["fixed_effects"] = ""
        frames.append(part)
    return frames


def _finish(corr: pd.DataFrame) -> pd.DataFrame:
    """BH q-values per (stratum, aggregate, method); pooled rows first; schema columns."""
    corr["q"] = corr.groupby(["stratum", "aggregate", "method"], sort=False)["p"].transform(
        lambda p: bh_qvalues(p.to_numpy())
    )
    corr["stratum_order"] = (corr["stratum"] != POOLED).astype(int)
    corr = corr.sort_values(["stratum_order", "stratum", "aggregate", "method"], kind="stable")
    corr = corr.drop(columns="stratum_order").reset_index(drop=True)
    return corr[list(T.CORRELATIONS_SCHEMA.names)]


def corr_row(
    corr: pd.DataFrame,
    x: str,
    y: str,
    method: str = "spearman",
    aggregate: str = "mean",
    stratum: str = POOLED,
) -> pd.Series | None:
    """The row of a correlations table for one pair, method, aggregate and stratum (or None)."""
    if corr.empty:
        return None
    hit = corr.loc[
        (corr["stratum"] == stratum)
        & (corr["aggregate"] == aggregate)
        & (corr["method"] == method)
        & (corr["x"] == x)
        & (corr["y"] == y)
    ]
    return None if hit.empty else hit.iloc[0]
