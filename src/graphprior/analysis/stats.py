"""Statistics behind the correlation report (DESIGN §8).

Pure functions on :class:`pandas.DataFrame` objects and arrays; nothing here
reads or writes files. The unit of analysis is the *graph*: models that share a
graph (its initialisations and seeds) are not independent, so

* point estimates are computed on one row per graph, aggregated over the
  initialisations and seeds by the mean or the median (the paper reports both,
  :func:`aggregate_per_graph`);
* confidence intervals resample graphs, never models
  (:func:`cluster_bootstrap_ci`).

Correlations follow the paper (Spearman and Kendall τ-b) and add Pearson and a
partial Spearman correlation that controls for clean accuracy and parameter
count. p-values are adjusted by Benjamini–Hochberg within a documented family
(:func:`correlation_table`). Claim C1 (no dependence on the initialisation) is
tested with a Friedman test blocked by graph and a Kruskal–Wallis test
(:func:`init_independence`); graph nets are compared with pruned dense
baselines at matched density by :func:`matched_density_comparison`.

Every test statistic and p-value comes from :mod:`scipy.stats` or
:mod:`statsmodels`; only the vectorised bootstrap is written here, and the unit
tests check it against a plain loop over :mod:`scipy.stats` calls.

References
----------
Ben Amor, Stier, Granitzer (2021). Correlation Analysis between the Robustness
of Sparse Neural Networks and their Random Hidden Structural Priors. Procedia
Computer Science 192. arXiv:2107.06158.
"""

from __future__ import annotations

import enum
import logging
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.stats
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.outliers_influence import variance_inflation_factor

__all__ = [
    "CorrelationMethod",
    "CORRELATION_COLUMNS",
    "aggregate_per_graph",
    "iqr_filter",
    "correlate",
    "partial_spearman",
    "cluster_bootstrap_ci",
    "bh_qvalues",
    "correlation_table",
    "init_independence",
    "ols_hc3",
    "compare_groups",
    "cliffs_delta",
    "matched_density_comparison",
    "claim_verdict",
    "weak_correlation_verdict",
]

logger = logging.getLogger(__name__)

#: Columns of the ``correlations`` table, in order (DESIGN §7).
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

Verdict = Literal["supported", "contradicted", "inconclusive"]

# Relative tolerance below which a residual variance counts as zero (x or y fully
# explained by the controls), so that a partial correlation is undefined.
_DEGENERATE_RTOL = 1e-10


class CorrelationMethod(enum.StrEnum):
    """Correlation coefficients the report computes."""

    SPEARMAN = "spearman"  # rank correlation, the paper
    KENDALL = "kendall"  # Kendall tau-b (ties corrected), the paper
    PEARSON = "pearson"  # linear correlation on the raw values
    PARTIAL_SPEARMAN = "partial_spearman"  # Spearman after removing the controls


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------


def _unique(names: Iterable[str]) -> list[str]:
    """Names in first-seen order without repeats."""
    return list(dict.fromkeys(names))


def _require_columns(df: pd.DataFrame, cols: Iterable[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in the table: {missing}")


def _ok_rows(study: pd.DataFrame, ok_only: bool) -> pd.DataFrame:
    """Keep models with ``status == "ok"`` (DESIGN §4), logging how many were dropped."""
    if not ok_only or "status" not in study.columns:
        return study
    keep = study["status"] == "ok"
    n_dropped = int((~keep).sum())
    if n_dropped:
        logger.info(
            "excluding %d of %d models with status != 'ok' (%s)",
            n_dropped,
            len(study),
            study.loc[~keep, "status"].value_counts().to_dict(),
        )
    return study.loc[keep]


def _as_rng(rng: np.random.Generator | int) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _is_constant(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return finite.size == 0 or bool(finite.min() == finite.max())


def _clip_r(r: np.ndarray) -> np.ndarray:
    return np.clip(r, -1.0, 1.0)


# ----------------------------------------------------------------------------
# 1-2: per-graph aggregation and the outlier rule
# ----------------------------------------------------------------------------


def aggregate_per_graph(
    study: pd.DataFrame,
    x_cols: Sequence[str],
    y_cols: Sequence[str],
    how: Literal["mean", "median"] = "mean",
    controls: Sequence[str] = ("test_accuracy", "n_params"),
    *,
    graph_col: str = "graph_id",
    family: str | None = "graph_prior",
    ok_only: bool = True,
) -> pd.DataFrame:
    """One row per graph: every model of a graph aggregated over inits and seeds.

    The paper aggregates each measure over the six initialisations of a graph by
    the mean and by the median; graph properties are constant within a graph, so
    aggregating them returns them unchanged.

    Parameters
    ----------
    study : DataFrame
        The ``study`` table, one row per trained model.
    x_cols, y_cols : sequence of str
        Graph-property and robustness-measure columns to aggregate.
    how : {"mean", "median"}
        Aggregate over the models of a graph. NaN values are skipped.
    controls : sequence of str
        Extra columns to aggregate (the controls of the partial correlation);
        names missing from `study` are skipped with a log message.
    graph_col : str
        Column naming the graph (the cluster).
    family : str or None
        Keep only models of this ``family`` (default the graph nets), when the
        table has a ``family`` column; ``None`` keeps every family.
    ok_only : bool
        Drop models whose ``status`` is not ``"ok"`` (untrainable or diverged;
        DESIGN §4), when the table has a ``status`` column.

    Returns
    -------
    DataFrame
        Columns: `graph_col`; ``generator`` (when present in `study`);
        ``n_models`` (number of models aggregated into the row); then the
        aggregated columns, each once, in the order x, y, controls. Sorted by
        `graph_col`, with a fresh integer index.

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
    value_cols = _unique([*x_cols, *y_cols, *present_controls])
    _require_columns(study, [graph_col, *value_cols])

    data = study
    if family is not None and "family" in data.columns:
        data = data.loc[data["family"] == family]
    data = _ok_rows(data, ok_only)
    data = data.loc[data[graph_col].notna()]

    grouped = data.groupby(graph_col, sort=True)
    out = grouped[value_cols].agg(how)
    out.insert(0, "n_models", grouped.size())
    if "generator" in data.columns:
        n_gen = grouped["generator"].nunique()
        if (n_gen > 1).any():
            raise ValueError("a graph_id maps to more than one generator")
        out.insert(0, "generator", grouped["generator"].first())
    return out.reset_index()


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
    _require_columns(df, cols)
    outside = pd.Series(False, index=df.index)
    for col in cols:
        values = df[col].astype(float)
        q1, q3 = values.quantile(0.25), values.quantile(0.75)
        iqr = q3 - q1
        low, high = q1 - k * iqr, q3 + k * iqr
        outside |= (values < low) | (values > high)
    return df.loc[~outside], int(outside.sum())


# ----------------------------------------------------------------------------
# 3-4: correlations
# ----------------------------------------------------------------------------


def _finite_pairs(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    xv = np.asarray(x, dtype=float).ravel()
    yv = np.asarray(y, dtype=float).ravel()
    if xv.shape != yv.shape:
        raise ValueError(f"x and y differ in length: {xv.size} vs {yv.size}")
    keep = np.isfinite(xv) & np.isfinite(yv)
    return xv[keep], yv[keep]


def correlate(x: Any, y: Any, method: str | CorrelationMethod = "spearman") -> tuple[float, float]:
    """Correlation coefficient and two-sided p-value from :mod:`scipy.stats`.

    Parameters
    ----------
    x, y : array_like
        Paired samples of equal length. Pairs where either value is NaN or
        infinite are dropped.
    method : {"spearman", "kendall", "pearson"}
        :func:`scipy.stats.spearmanr`, :func:`scipy.stats.kendalltau`
        (τ-b, which corrects for ties) or :func:`scipy.stats.pearsonr`.

    Returns
    -------
    r : float
        The coefficient; NaN when fewer than 3 complete pairs remain or either
        variable is constant (no warning is raised).
    p : float
        Two-sided p-value for r = 0 (scipy's default for each method); NaN
        whenever r is.

    Examples
    --------
    >>> correlate([1, 2, 3, 4], [1, 3, 2, np.nan], "spearman")[0]
    0.5
    """
    method = CorrelationMethod(method)
    xv, yv = _finite_pairs(x, y)
    if xv.size < 3 or _is_constant(xv) or _is_constant(yv):
        return float("nan"), float("nan")
    if method is CorrelationMethod.SPEARMAN:
        res = scipy.stats.spearmanr(xv, yv)
    elif method is CorrelationMethod.KENDALL:
        res = scipy.stats.kendalltau(xv, yv, variant="b")
    elif method is CorrelationMethod.PEARSON:
        res = scipy.stats.pearsonr(xv, yv)
    else:
        raise ValueError("use partial_spearman() for the partial correlation")
    return float(res.statistic), float(res.pvalue)


def _residualise(target: np.ndarray, controls: np.ndarray) -> tuple[np.ndarray, int]:
    """OLS residuals of `target` on an intercept and `controls` (n, k).

    Returns the residuals and the numerical rank of the centred controls, which
    is the number of degrees of freedom the controls use up.
    """
    centred_t = target - target.mean()
    if controls.shape[1] == 0:
        return centred_t, 0
    centred_c = controls - controls.mean(axis=0)
    coef, _, rank, _ = np.linalg.lstsq(centred_c, centred_t, rcond=None)
    return centred_t - centred_c @ coef, int(rank)


def partial_spearman(
    df: pd.DataFrame, x: str, y: str, controls: Sequence[str]
) -> tuple[float, float]:
    """Spearman correlation of `x` and `y` after removing the `controls`.

    Rows with a missing value in any of the columns are dropped. Every column
    is rank-transformed (average ranks for ties); the ranks of `x` and of `y`
    are each regressed by OLS on an intercept and the ranks of the controls,
    and the result is the Pearson correlation of the two residual vectors. The
    p-value is two-sided from Student's t, ``t = r·sqrt(dof / (1 − r²))`` with
    ``dof = n − 2 − k``, where k is the rank of the (centred) control ranks, so
    a constant or duplicated control uses no degree of freedom. This is the
    rank version of the usual partial correlation (as in pingouin's
    ``partial_corr(method="spearman")``).

    Parameters
    ----------
    df : DataFrame
        Usually the per-graph table.
    x, y : str
        Column names.
    controls : sequence of str
        Columns to partial out; may be empty (then this is Spearman's ρ with a
        t-based p-value).

    Returns
    -------
    r : float
        Partial Spearman correlation; NaN when ``dof < 1``, `x` or `y` is
        constant, or either is a function of the controls.
    p : float
        Two-sided p-value; NaN whenever r is.
    """
    controls = [c for c in _unique(controls) if c not in (x, y)]
    _require_columns(df, [x, y, *controls])
    data = df[[x, y, *controls]].astype(float)
    data = data.loc[np.isfinite(data.to_numpy()).all(axis=1)]
    n = len(data)
    if n < 3 or _is_constant(data[x].to_numpy()) or _is_constant(data[y].to_numpy()):
        return float("nan"), float("nan")
    ranks = scipy.stats.rankdata(data.to_numpy(), axis=0)
    res_x, k = _residualise(ranks[:, 0], ranks[:, 2:])
    res_y, _ = _residualise(ranks[:, 1], ranks[:, 2:])
    dof = n - 2 - k
    ss_x, ss_y = float(res_x @ res_x), float(res_y @ res_y)
    if (
        dof < 1
        or ss_x <= _DEGENERATE_RTOL * np.sum((ranks[:, 0] - ranks[:, 0].mean()) ** 2)
        or ss_y <= _DEGENERATE_RTOL * np.sum((ranks[:, 1] - ranks[:, 1].mean()) ** 2)
    ):
        return float("nan"), float("nan")
    r = float(np.clip(res_x @ res_y / np.sqrt(ss_x * ss_y), -1.0, 1.0))
    if abs(r) == 1.0:
        return r, 0.0
    t = r * np.sqrt(dof / (1.0 - r * r))
    p = float(2.0 * scipy.stats.t.sf(abs(t), dof))
    return r, p


# ----------------------------------------------------------------------------
# 5: cluster bootstrap, vectorised over resamples
#
# A resample of n clusters is represented by its count vector w (how often each
# original cluster was drawn), so a statistic on the resampled rows is a
# weighted statistic on the original rows. That turns the whole bootstrap into
# a few (n_boot, n) array operations: ranks of a resample need only cumulative
# sums of counts over the sorted values, and Kendall's numerator is the
# quadratic form w' S w with S = sign(x_i - x_j) sign(y_i - y_j).
# ----------------------------------------------------------------------------


def _draw_counts(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, n) counts of each cluster in each resample.

    The clusters of resample b are ``rng.integers(0, n, size=(n_boot, n))[b]``.
    """
    idx = rng.integers(0, n, size=(n_boot, n))
    flat = idx + n * np.arange(n_boot)[:, None]
    return np.bincount(flat.ravel(), minlength=n_boot * n).reshape(n_boot, n).astype(float)


def _tie_groups(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order that sorts `values`, start of each tie group in it, group of each value."""
    _, inverse = np.unique(values, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    sorted_groups = inverse[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    return order, starts, inverse


def _group_counts(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per resample, the count of each distinct value, and each value's group."""
    order, starts, inverse = _tie_groups(values)
    return np.add.reduceat(counts[:, order], starts, axis=1), inverse


def _weighted_ranks(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Average rank each original value gets in each resample (scipy's ``rankdata``)."""
    group_counts, inverse = _group_counts(values, counts)
    below = np.cumsum(group_counts, axis=1) - group_counts
    return (below + (group_counts + 1.0) / 2.0)[:, inverse]


def _weighted_pearson(a: np.ndarray, b: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Pearson r of each resample; `a`, `b` broadcast against `counts` (n_boot, n)."""
    total = counts.sum(axis=1, keepdims=True)
    da = a - (counts * a).sum(axis=1, keepdims=True) / total
    db = b - (counts * b).sum(axis=1, keepdims=True) / total
    sab = (counts * da * db).sum(axis=1)
    saa = (counts * da * da).sum(axis=1)
    sbb = (counts * db * db).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _clip_r(sab / np.sqrt(saa * sbb))


def _weighted_kendall(x: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Kendall τ-b of each resample (the ``kendalltau`` of the resampled rows)."""
    concordance = np.sign(x[:, None] - x[None, :]) * np.sign(y[:, None] - y[None, :])
    numerator = np.einsum("bi,bi->b", counts @ concordance, counts)
    total = counts.sum(axis=1)
    gx, _ = _group_counts(x, counts)
    gy, _ = _group_counts(y, counts)
    # ordered pairs not tied in x (resp. y); duplicates of one cluster are tied
    untied_x = total**2 - (gx**2).sum(axis=1)
    untied_y = total**2 - (gy**2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _clip_r(numerator / np.sqrt(untied_x * untied_y))


def _weighted_partial_spearman(
    x: np.ndarray, y: np.ndarray, z: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """Partial Spearman r of each resample (see :func:`partial_spearman`)."""
    total = counts.sum(axis=1, keepdims=True)

    def centred_ranks(values: np.ndarray) -> np.ndarray:
        ranks = _weighted_ranks(values, counts)
        return ranks - (counts * ranks).sum(axis=1, keepdims=True) / total

    rx, ry = centred_ranks(x), centred_ranks(y)
    if z.shape[1] == 0:
        return _weighted_pearson(rx, ry, counts)
    rz = np.stack([centred_ranks(z[:, j]) for j in range(z.shape[1])], axis=2)
    rz_w = rz * counts[:, :, None]
    gram = np.einsum("bni,bnj->bij", rz_w, rz)
    gram_inv = np.linalg.pinv(gram, rcond=1e-10, hermitian=True)

    def residuals(target: np.ndarray) -> np.ndarray:
        coef = np.einsum("bij,bj->bi", gram_inv, np.einsum("bni,bn->bi", rz_w, target))
        return target - np.einsum("bni,bi->bn", rz, coef)

    ex, ey = residuals(rx), residuals(ry)
    r = _weighted_pearson(ex, ey, counts)
    ssx = (counts * rx * rx).sum(axis=1)
    ssy = (counts * ry * ry).sum(axis=1)
    degenerate = ((counts * ex * ex).sum(axis=1) <= _DEGENERATE_RTOL * ssx) | (
        (counts * ey * ey).sum(axis=1) <= _DEGENERATE_RTOL * ssy
    )
    r[degenerate] = np.nan
    return r


def _constant_in_resample(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    drawn = counts > 0
    low = np.where(drawn, values, np.inf).min(axis=1)
    high = np.where(drawn, values, -np.inf).max(axis=1)
    return low == high


def _bootstrap_statistics(
    x: np.ndarray,
    y: np.ndarray,
    z: np.ndarray,
    method: CorrelationMethod,
    counts: np.ndarray,
) -> np.ndarray:
    """The statistic on every resample; NaN where it is undefined (constant resample)."""
    if method is CorrelationMethod.SPEARMAN:
        r = _weighted_pearson(_weighted_ranks(x, counts), _weighted_ranks(y, counts), counts)
    elif method is CorrelationMethod.PEARSON:
        r = _weighted_pearson(x[None, :], y[None, :], counts)
    elif method is CorrelationMethod.KENDALL:
        r = _weighted_kendall(x, y, counts)
    else:
        r = _weighted_partial_spearman(x, y, z, counts)
    constant = _constant_in_resample(x, counts) | _constant_in_resample(y, counts)
    r[constant] = np.nan
    return r


def _percentile_interval(stats: np.ndarray, level: float) -> tuple[float, float]:
    valid = stats[np.isfinite(stats)]
    if valid.size == 0:
        return float("nan"), float("nan")
    if valid.size < 0.9 * stats.size:
        logger.warning(
            "bootstrap: statistic undefined in %d of %d resamples; interval from the rest",
            stats.size - valid.size,
            stats.size,
        )
    alpha = 1.0 - level
    lo, hi = np.quantile(valid, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(lo), float(hi)


def _bootstrap_ci_arrays(
    x: np.ndarray,
    y: np.ndarray,
    z: np.ndarray,
    method: CorrelationMethod,
    n_boot: int,
    level: float,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Percentile interval for one pair of complete per-cluster vectors."""
    n = x.size
    if n_boot <= 0 or n < 3 or _is_constant(x) or _is_constant(y):
        return float("nan"), float("nan")
    counts = _draw_counts(n, n_boot, rng)
    return _percentile_interval(_bootstrap_statistics(x, y, z, method, counts), level)


def cluster_bootstrap_ci(
    df: pd.DataFrame,
    x: str,
    y: str,
    method: str | CorrelationMethod = "spearman",
    *,
    cluster: str | None = "graph_id",
    controls: Sequence[str] = (),
    n_boot: int = 1000,
    level: float = 0.95,
    rng: np.random.Generator | int,
    how: Literal["mean", "median"] = "mean",
) -> tuple[float, float]:
    """Percentile bootstrap interval of a correlation, resampling clusters.

    The rows of `df` are first aggregated to one row per cluster (by `how`);
    clusters with a missing value in `x`, `y` or a control are dropped. Each of
    the `n_boot` resamples then draws as many clusters as there are, with
    replacement — ``rng.integers(0, n_clusters, size=(n_boot, n_clusters))``,
    clusters in sorted order of their id — and recomputes the statistic on the
    resampled per-cluster rows (a cluster drawn twice counts as two rows, as
    in any bootstrap). Rows are never resampled individually, so the interval
    reflects the number of graphs, not of models. When `df` already has one row
    per graph this is the ordinary bootstrap over graphs.

    The statistic on a resample equals the scipy statistic on the resampled
    rows (tested), but it is computed for all resamples at once from the counts
    of each cluster. Resamples where the statistic is undefined (a constant
    variable) are left out of the percentiles.

    Parameters
    ----------
    df : DataFrame
        Per-model or per-graph rows.
    x, y : str
        Columns to correlate.
    method : {"spearman", "kendall", "pearson", "partial_spearman"}
        The statistic (see :func:`correlate` and :func:`partial_spearman`).
    cluster : str or None
        Cluster column; ``None`` makes every row its own cluster.
    controls : sequence of str
        Controls of ``partial_spearman``; ignored by the other methods.
    n_boot : int
        Number of resamples.
    level : float
        Coverage of the interval (0.95: the 2.5 % and 97.5 % percentiles,
        numpy's default linear interpolation).
    rng : numpy.random.Generator or int
        Source of the resampling (an int is used as a seed).
    how : {"mean", "median"}
        Aggregate of the rows within a cluster.

    Returns
    -------
    ci_low, ci_high : float
        Interval bounds; NaN when fewer than 3 clusters remain, a variable is
        constant, or `n_boot` is 0.
    """
    method = CorrelationMethod(method)
    controls = (
        [c for c in _unique(controls) if c not in (x, y)]
        if method is CorrelationMethod.PARTIAL_SPEARMAN
        else []
    )
    cols = _unique([x, y, *controls])
    _require_columns(df, cols if cluster is None else [cluster, *cols])
    if cluster is None:
        per_cluster = df[cols].astype(float)
    else:
        per_cluster = df.groupby(cluster, sort=True)[cols].agg(how).astype(float)
    values = per_cluster.to_numpy()
    values = values[np.isfinite(values).all(axis=1)]
    return _bootstrap_ci_arrays(
        values[:, 0], values[:, 1], values[:, 2:], method, n_boot, level, _as_rng(rng)
    )


# ----------------------------------------------------------------------------
# 6-7: multiple testing and the correlations table
# ----------------------------------------------------------------------------


def bh_qvalues(pvalues: Any) -> np.ndarray:
    """Benjamini–Hochberg q-values (adjusted p-values), NaN kept in place.

    The family is every non-NaN entry of `pvalues`; NaN entries stay NaN and
    do not count towards the number of tests. Computed by
    ``statsmodels.stats.multitest.multipletests(method="fdr_bh")``.

    Parameters
    ----------
    pvalues : array_like
        p-values of one family of tests.

    Returns
    -------
    ndarray
        q-values, same shape as `pvalues`.

    Examples
    --------
    >>> bh_qvalues([0.01, np.nan, 0.04, 0.03]).round(3).tolist()
    [0.03, nan, 0.04, 0.04]
    """
    p = np.asarray(pvalues, dtype=float)
    q = np.full(p.shape, np.nan)
    present = ~np.isnan(p)
    if present.any():
        q[present] = multipletests(p[present], method="fdr_bh")[1]
    return q


def _non_constant(data: pd.DataFrame, cols: Sequence[str], stratum: str) -> list[str]:
    """The columns of `cols` that vary within `data` (logging the others)."""
    keep = []
    for col in _unique(cols):
        if _is_constant(data[col].to_numpy(dtype=float)):
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
    controls: Sequence[str] | None = ("test_accuracy", "n_params"),
    *,
    n_boot: int = 1000,
    rng: np.random.Generator | int,
    level: float = 0.95,
    min_graphs: int = 5,
    aggregate: str | None = None,
) -> pd.DataFrame:
    """Correlations of every graph property with every robustness measure.

    For the stratum ``"pooled"`` (all graphs) and for each value of
    `strata_col` (each generator), every pair (x, y) gets one row per method in
    `methods` and, when `controls` is non-empty, one row of
    ``partial_spearman`` controlling for those controls (a control equal to x
    or y is left out for that pair; the ``controls`` column says which were
    used).

    * Strata with fewer than `min_graphs` graphs are skipped (no rows).
    * Within a stratum, x or y columns that are constant (or all missing) are
      skipped; pairs are formed from the remaining ones, x ≠ y.
    * Each pair uses the graphs where x, y (and for the partial correlation the
      controls) are all present; ``n`` counts them.
    * Confidence intervals are percentile bootstraps over graphs
      (:func:`cluster_bootstrap_ci`, one row per graph), `n_boot` resamples per
      row, drawn from `rng` in row order.

    **Multiple-testing family.** ``q`` is the Benjamini–Hochberg adjustment of
    ``p`` over all (x, y) pairs tested within one stratum with one method (and
    one aggregate — one call of this function). Strata and methods are not
    pooled: the methods measure the same association and are alternatives,
    not separate hypotheses, and each stratum answers its own question.

    Parameters
    ----------
    per_graph_df : DataFrame
        One row per graph (from :func:`aggregate_per_graph`).
    x_cols, y_cols : sequence of str
        Graph properties and robustness measures.
    methods : sequence of str
        Any of ``"spearman"``, ``"kendall"``, ``"pearson"`` (and
        ``"partial_spearman"``, which is also added by `controls`).
    strata_col : str or None
        Column defining the strata besides ``"pooled"``; ``None`` for pooled
        only.
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
        Name of the per-graph aggregate (``"mean"``/``"median"``); when given,
        added as a last column ``aggregate``.

    Returns
    -------
    DataFrame
        Columns :data:`CORRELATION_COLUMNS` — ``stratum`` (``"pooled"`` or a
        stratum value), ``x``, ``y``, ``method``, ``r`` (coefficient), ``p``
        (two-sided p-value), ``q`` (BH q-value, family above), ``ci_low``,
        ``ci_high`` (bootstrap interval of r), ``n`` (graphs used),
        ``controls`` (``""`` or the controls joined by ``"+"``) — plus
        ``aggregate`` when given.
    """
    rng = _as_rng(rng)
    method_list = [CorrelationMethod(m) for m in methods]
    present_controls = [c for c in (controls or ()) if c in per_graph_df.columns]
    if controls and len(present_controls) < len(controls):
        logger.info(
            "partial Spearman: controls not in the table, skipped: %s",
            [c for c in controls if c not in per_graph_df.columns],
        )
    if present_controls and CorrelationMethod.PARTIAL_SPEARMAN not in method_list:
        method_list.append(CorrelationMethod.PARTIAL_SPEARMAN)
    _require_columns(per_graph_df, [*x_cols, *y_cols])

    strata: list[tuple[str, pd.DataFrame]] = [("pooled", per_graph_df)]
    if strata_col is not None:
        _require_columns(per_graph_df, [strata_col])
        strata += [
            (str(name), group)
            for name, group in per_graph_df.groupby(strata_col, sort=True, dropna=True)
        ]

    rows: list[dict[str, Any]] = []
    for stratum, data in strata:
        if len(data) < min_graphs:
            logger.info("stratum %s: %d graphs < %d, skipped", stratum, len(data), min_graphs)
            continue
        xs = _non_constant(data, x_cols, stratum)
        ys = _non_constant(data, y_cols, stratum)
        stratum_rows: list[dict[str, Any]] = []
        for x in xs:
            for y in ys:
                if x == y:
                    continue
                for method in method_list:
                    pair_controls = (
                        [c for c in present_controls if c not in (x, y)]
                        if method is CorrelationMethod.PARTIAL_SPEARMAN
                        else []
                    )
                    values = data[[x, y, *pair_controls]].to_numpy(dtype=float)
                    values = values[np.isfinite(values).all(axis=1)]
                    if method is CorrelationMethod.PARTIAL_SPEARMAN:
                        r, p = partial_spearman(data, x, y, pair_controls)
                    else:
                        r, p = correlate(values[:, 0], values[:, 1], method)
                    lo, hi = _bootstrap_ci_arrays(
                        values[:, 0], values[:, 1], values[:, 2:], method, n_boot, level, rng
                    )
                    stratum_rows.append(
                        {
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
                    )
        for method in method_list:
            family = [row for row in stratum_rows if row["method"] == method.value]
            for row, q in zip(family, bh_qvalues([row["p"] for row in family]), strict=True):
                row["q"] = float(q)
        rows += stratum_rows

    table = pd.DataFrame(rows, columns=list(CORRELATION_COLUMNS))
    table["n"] = table["n"].astype("int64")
    for col in ("r", "p", "q", "ci_low", "ci_high"):
        table[col] = table[col].astype(float)
    if aggregate is not None:
        table["aggregate"] = aggregate
    return table


# ----------------------------------------------------------------------------
# 8: initialisation independence (claim C1)
# ----------------------------------------------------------------------------


def init_independence(
    study: pd.DataFrame,
    measure: str,
    block: str = "graph_id",
    group: str = "init",
    *,
    ok_only: bool = True,
) -> dict[str, Any]:
    """Does a measure depend on the initialisation? Friedman and Kruskal–Wallis.

    Models are first averaged over seeds within each (graph, init) cell.

    * **Friedman** (:func:`scipy.stats.friedmanchisquare`, tie-corrected)
      compares the inits within each graph, using only complete blocks (graphs
      with a value for every init). Effect size Kendall's
      ``W = χ² / (n_blocks·(k − 1))`` in [0, 1]: 0 = no consistent ordering of
      the inits across graphs, 1 = the same ordering in every graph. Needs
      k ≥ 3 inits and 2 blocks, otherwise NaN.
    * **Kruskal–Wallis** (:func:`scipy.stats.kruskal`) compares the inits on
      all cells, ignoring the blocking by graph (so graph-to-graph variation
      counts as noise). Effect size ``ε² = H·(n + 1)/(n² − 1)``, n the number
      of cells.

    When every value being ranked is tied (e.g. the measure is identical for
    all inits) the tie-corrected statistics are 0/0; they are reported as 0
    with p = 1 (no evidence of a difference), the limit of the uncorrected
    statistics.

    Parameters
    ----------
    study : DataFrame
        One row per model.
    measure : str
        Robustness measure column.
    block, group : str
        Blocking column (graph) and treatment column (initialisation).
    ok_only : bool
        Drop models whose ``status`` is not ``"ok"``.

    Returns
    -------
    dict
        ``measure``; ``k`` (number of inits); ``n_blocks`` (complete graphs
        used by Friedman); ``n_blocks_dropped`` (graphs lacking an init);
        ``friedman_chi2``, ``friedman_p``, ``kendall_w``; ``n_obs`` (cells used
        by Kruskal–Wallis); ``kruskal_h``, ``kruskal_p``, ``epsilon_squared``;
        ``group_medians`` (dict init → median over cells).
    """
    _require_columns(study, [block, group, measure])
    data = _ok_rows(study, ok_only)
    data = data.loc[np.isfinite(data[measure].astype(float))]
    cells = data.groupby([block, group], sort=True)[measure].mean()
    wide = cells.unstack(group)
    k = wide.shape[1]
    complete = wide.dropna()
    n_blocks = len(complete)
    nan = float("nan")
    result: dict[str, Any] = {
        "measure": measure,
        "k": int(k),
        "n_blocks": int(n_blocks),
        "n_blocks_dropped": int(len(wide) - n_blocks),
        "friedman_chi2": nan,
        "friedman_p": nan,
        "kendall_w": nan,
        "n_obs": int(cells.size),
        "kruskal_h": nan,
        "kruskal_p": nan,
        "epsilon_squared": nan,
        "group_medians": {str(g): float(v) for g, v in wide.median().items()},
    }

    if k >= 3 and n_blocks >= 2:
        block_values = complete.to_numpy(dtype=float)
        if (block_values.max(axis=1) == block_values.min(axis=1)).all():
            chi2, p = 0.0, 1.0
        else:
            res = scipy.stats.friedmanchisquare(*block_values.T)
            chi2, p = float(res.statistic), float(res.pvalue)
        result.update(friedman_chi2=chi2, friedman_p=p, kendall_w=chi2 / (n_blocks * (k - 1)))
    else:
        logger.info("Friedman test needs >= 3 inits and >= 2 complete graphs; skipped")

    samples = [wide[g].dropna().to_numpy(dtype=float) for g in wide.columns]
    samples = [s for s in samples if s.size]
    n_obs = sum(s.size for s in samples)
    if len(samples) >= 2 and n_obs >= 3:
        pooled = np.concatenate(samples)
        if pooled.min() == pooled.max():
            h, p = 0.0, 1.0
        else:
            res = scipy.stats.kruskal(*samples)
            h, p = float(res.statistic), float(res.pvalue)
        result.update(kruskal_h=h, kruskal_p=p, epsilon_squared=h * (n_obs + 1) / (n_obs**2 - 1))
    return result


# ----------------------------------------------------------------------------
# 9: regression
# ----------------------------------------------------------------------------


def ols_hc3(
    df: pd.DataFrame,
    y: str,
    x_cols: Sequence[str],
    controls: Sequence[str] = (),
) -> dict[str, Any]:
    """OLS of a measure on standardised predictors, with HC3 robust errors and VIFs.

    Rows with a missing or infinite value in `y` or a predictor are dropped.
    Predictors (x columns, then controls) that are constant are dropped, as is
    any predictor that is a linear combination of the intercept and the
    predictors kept before it (so a rank-deficient design never reaches the
    fit). Kept predictors are z-scored (mean 0, sample SD 1, ``ddof=1``); `y`
    keeps its units, so a coefficient is the change in `y` per standard
    deviation of the predictor, holding the others fixed. The fit is
    ``statsmodels.OLS(...).fit(cov_type="HC3")`` (MacKinnon–White HC3
    heteroskedasticity-consistent errors, normal-based p-values), and each
    predictor's VIF is
    :func:`statsmodels.stats.outliers_influence.variance_inflation_factor`
    on the design with the constant.

    Parameters
    ----------
    df : DataFrame
        Usually the per-graph table.
    y : str
        Response column.
    x_cols : sequence of str
        Predictors of interest (graph properties).
    controls : sequence of str
        Control predictors (e.g. clean accuracy, parameter count).

    Returns
    -------
    dict
        ``y``; ``n`` (rows used); ``r2`` and ``r2_adj`` (NaN if the model
        cannot be fitted: fewer rows than coefficients + 1); ``dropped``
        (dict predictor → reason); ``coefficients``: DataFrame indexed by term
        (``"const"`` first) with columns ``role`` (``"intercept"``, ``"x"`` or
        ``"control"``), ``coef``, ``se_hc3``, ``z``, ``p``, ``ci_low``,
        ``ci_high`` (95 %) and ``vif`` (NaN for the constant).
    """
    x_cols = _unique(x_cols)
    controls = [c for c in _unique(controls) if c not in x_cols]
    predictors = [c for c in [*x_cols, *controls] if c != y]
    _require_columns(df, [y, *predictors])
    data = df[[y, *predictors]].astype(float)
    data = data.loc[np.isfinite(data.to_numpy()).all(axis=1)]
    n = len(data)

    dropped: dict[str, str] = {}
    kept: list[str] = []
    design = np.ones((n, 1))
    for col in predictors:
        values = data[col].to_numpy()
        if n == 0 or values.min() == values.max():
            dropped[col] = "constant"
            continue
        z = (values - values.mean()) / values.std(ddof=1)
        candidate = np.column_stack([design, z])
        if np.linalg.matrix_rank(candidate) < candidate.shape[1]:
            dropped[col] = "collinear"
            continue
        design, kept = candidate, [*kept, col]
    for col, reason in dropped.items():
        logger.info("OLS %s: predictor %s dropped (%s)", y, col, reason)

    columns = ["role", "coef", "se_hc3", "z", "p", "ci_low", "ci_high", "vif"]
    terms = ["const", *kept]
    roles = ["intercept", *("x" if c in x_cols else "control" for c in kept)]
    result: dict[str, Any] = {
        "y": y,
        "n": int(n),
        "r2": float("nan"),
        "r2_adj": float("nan"),
        "dropped": dropped,
        "coefficients": pd.DataFrame(columns=columns, index=pd.Index([], name="term")),
    }
    if n < design.shape[1] + 2:
        logger.warning("OLS %s: %d rows for %d coefficients, not fitted", y, n, design.shape[1])
        return result

    exog = pd.DataFrame(design, columns=terms, index=data.index)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        # HC3 divides by (1 - leverage)^2: infinite SE for a point of leverage 1.
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = sm.OLS(data[y], exog).fit(cov_type="HC3")
        vif = [np.nan] + [variance_inflation_factor(design, i) for i in range(1, len(terms))]
    ci = fit.conf_int(alpha=0.05)
    coefficients = pd.DataFrame(
        {
            "role": roles,
            "coef": fit.params.to_numpy(),
            "se_hc3": fit.bse.to_numpy(),
            "z": fit.tvalues.to_numpy(),
            "p": fit.pvalues.to_numpy(),
            "ci_low": ci.iloc[:, 0].to_numpy(),
            "ci_high": ci.iloc[:, 1].to_numpy(),
            "vif": vif,
        },
        index=pd.Index(terms, name="term"),
    )
    result.update(r2=float(fit.rsquared), r2_adj=float(fit.rsquared_adj), coefficients=coefficients)
    return result


# ----------------------------------------------------------------------------
# 10: graph nets vs pruned baselines
# ----------------------------------------------------------------------------


def cliffs_delta(a: Any, b: Any) -> float:
    """Cliff's δ = P(A > B) − P(A < B) over all pairs, in [−1, 1].

    NaN values are dropped; NaN if either sample is empty. Computed by
    counting with a sorted copy of `b` (O(n log n)).

    Examples
    --------
    >>> cliffs_delta([3, 4], [1, 2, 3])
    0.8333333333333334
    """
    av = np.asarray(a, dtype=float)
    bv = np.sort(np.asarray(b, dtype=float))
    av, bv = av[~np.isnan(av)], bv[~np.isnan(bv)]
    if av.size == 0 or bv.size == 0:
        return float("nan")
    greater = np.searchsorted(bv, av, side="left").sum()
    less = (bv.size - np.searchsorted(bv, av, side="right")).sum()
    return float((greater - less) / (av.size * bv.size))


def compare_groups(a: Any, b: Any) -> dict[str, float]:
    """Two-sided Mann–Whitney U test of two independent samples, with effect sizes.

    Parameters
    ----------
    a, b : array_like
        The two samples (e.g. graph nets and pruned baselines); NaN dropped.

    Returns
    -------
    dict
        ``n_a``, ``n_b``; ``median_a``, ``median_b``; ``u`` (U statistic of
        `a`, scipy's convention); ``p`` (two-sided,
        :func:`scipy.stats.mannwhitneyu` default method); ``rank_biserial``
        ``= 2·U/(n_a·n_b) − 1`` (positive when `a` tends to be larger);
        ``cliffs_delta`` (:func:`cliffs_delta`). The two effect sizes are the
        same number for this test (ties count one half); both names are
        common in the literature, and computing them two ways checks the U
        statistic. All NaN except the counts when either sample is empty.
    """
    av = np.asarray(a, dtype=float)
    bv = np.asarray(b, dtype=float)
    av, bv = av[~np.isnan(av)], bv[~np.isnan(bv)]
    nan = float("nan")
    out: dict[str, float] = {
        "n_a": int(av.size),
        "n_b": int(bv.size),
        "median_a": float(np.median(av)) if av.size else nan,
        "median_b": float(np.median(bv)) if bv.size else nan,
        "u": nan,
        "p": nan,
        "rank_biserial": nan,
        "cliffs_delta": nan,
    }
    if av.size == 0 or bv.size == 0:
        return out
    res = scipy.stats.mannwhitneyu(av, bv, alternative="two-sided")
    u = float(res.statistic)
    out.update(
        u=u,
        p=float(res.pvalue),
        rank_biserial=2.0 * u / (av.size * bv.size) - 1.0,
        cliffs_delta=cliffs_delta(av, bv),
    )
    return out


def matched_density_comparison(
    graph_df: pd.DataFrame,
    baseline_df: pd.DataFrame,
    measure: str,
    density_col: str = "density",
    *,
    family_col: str = "family",
    decimals: int | None = None,
) -> pd.DataFrame:
    """Graph nets against pruned dense baselines of the nearest density.

    For each baseline family (value of `family_col` in `baseline_df`; one
    family ``"baseline"`` when the column is absent) the *density levels* are
    the distinct densities of its models (rounded to `decimals` first, if
    given, so models pruned to the same target share a level). Each graph net
    (row of `graph_df`, typically one per graph) is matched to the nearest
    level (the lower one on a tie); its partner value is the mean of the
    measure over all baseline models at that level. With paired differences
    ``d = graph value − matched baseline mean``:

    * ``wilcoxon_p``: two-sided Wilcoxon signed-rank test of d
      (:func:`scipy.stats.wilcoxon`, zero differences dropped; p = 1 when all
      differences are zero);
    * ``cliffs_delta``: Cliff's δ between the graph values and their matched
      baseline means (positive: graph nets tend to be higher).

    Parameters
    ----------
    graph_df : DataFrame
        Graph nets, with `density_col` and `measure`.
    baseline_df : DataFrame
        Baseline models, with `density_col`, `measure` and (optionally)
        `family_col`.
    measure : str
        Measure compared.
    density_col : str
        Density column in both tables.
    family_col : str
        Column naming the baseline family.
    decimals : int or None
        Rounding of baseline densities before forming levels.

    Returns
    -------
    DataFrame
        One row per baseline family: ``family``, ``measure``, ``n`` (graph
        nets paired), ``n_levels`` (density levels of the family),
        ``median_graph``, ``median_baseline`` (of the matched means),
        ``median_difference`` (median of d), ``wilcoxon_statistic``,
        ``wilcoxon_p``, ``cliffs_delta``, ``median_density_gap`` and
        ``max_density_gap`` (absolute density distance of the matches).
    """
    _require_columns(graph_df, [density_col, measure])
    _require_columns(baseline_df, [density_col, measure])
    graphs = graph_df[[density_col, measure]].astype(float)
    graphs = graphs.loc[np.isfinite(graphs.to_numpy()).all(axis=1)]
    g_density = graphs[density_col].to_numpy()
    g_value = graphs[measure].to_numpy()

    baseline = baseline_df.copy()
    if family_col not in baseline.columns:
        baseline[family_col] = "baseline"
    baseline = baseline.loc[
        np.isfinite(baseline[density_col].astype(float))
        & np.isfinite(baseline[measure].astype(float))
    ]

    rows = []
    for fam, models in baseline.groupby(family_col, sort=True):
        density = models[density_col].astype(float)
        if decimals is not None:
            density = density.round(decimals)
        level_means = models[measure].astype(float).groupby(density.to_numpy()).mean()
        levels = level_means.index.to_numpy(dtype=float)
        row: dict[str, Any] = {
            "family": fam,
            "measure": measure,
            "n": int(g_value.size),
            "n_levels": int(levels.size),
        }
        if g_value.size == 0:
            rows.append(row)
            continue
        nearest = np.abs(g_density[:, None] - levels[None, :]).argmin(axis=1)
        matched = level_means.to_numpy()[nearest]
        diff = g_value - matched
        gap = np.abs(g_density - levels[nearest])
        if np.all(diff == 0):
            w_stat, w_p = 0.0, 1.0
        else:
            res = scipy.stats.wilcoxon(diff)
            w_stat, w_p = float(res.statistic), float(res.pvalue)
        row.update(
            median_graph=float(np.median(g_value)),
            median_baseline=float(np.median(matched)),
            median_difference=float(np.median(diff)),
            wilcoxon_statistic=w_stat,
            wilcoxon_p=w_p,
            cliffs_delta=cliffs_delta(g_value, matched),
            median_density_gap=float(np.median(gap)),
            max_density_gap=float(gap.max()),
        )
        rows.append(row)
    columns = [
        "family",
        "measure",
        "n",
        "n_levels",
        "median_graph",
        "median_baseline",
        "median_difference",
        "wilcoxon_statistic",
        "wilcoxon_p",
        "cliffs_delta",
        "median_density_gap",
        "max_density_gap",
    ]
    return pd.DataFrame(rows, columns=columns)


# ----------------------------------------------------------------------------
# 11: verdicts for the claims table
# ----------------------------------------------------------------------------


def _sign(expected_sign: int | float | str) -> int:
    if isinstance(expected_sign, str):
        table = {"positive": 1, "+": 1, "negative": -1, "-": -1}
        if expected_sign.lower() not in table:
            raise ValueError(f"expected_sign must be positive/negative, got {expected_sign!r}")
        return table[expected_sign.lower()]
    if expected_sign == 0 or np.isnan(expected_sign):
        raise ValueError("expected_sign must be non-zero")
    return 1 if expected_sign > 0 else -1


def claim_verdict(
    r: float,
    ci_low: float,
    ci_high: float,
    q: float,
    expected_sign: int | float | str,
    alpha: float = 0.05,
) -> Verdict:
    """Verdict on a directional claim ("higher X goes with lower robustness").

    Rule:

    * ``"supported"`` if q < `alpha`, the bootstrap interval excludes 0 on the
      expected side (``ci_low > 0`` for a positive claim, ``ci_high < 0`` for a
      negative one) and r has the expected sign;
    * ``"contradicted"`` if q < `alpha`, the interval excludes 0 on the
      opposite side and r has the opposite sign;
    * ``"inconclusive"`` otherwise, including any NaN input.

    Parameters
    ----------
    r : float
        Point estimate of the correlation.
    ci_low, ci_high : float
        Its confidence interval.
    q : float
        Its BH q-value.
    expected_sign : int, float or str
        Sign the claim predicts: ``-1``/``"negative"`` or ``+1``/``"positive"``.
    alpha : float
        False discovery rate threshold.

    Returns
    -------
    str
        ``"supported"``, ``"contradicted"`` or ``"inconclusive"``.

    Examples
    --------
    >>> claim_verdict(-0.3, -0.45, -0.12, 0.01, "negative")
    'supported'
    """
    sign = _sign(expected_sign)
    values = np.array([r, ci_low, ci_high, q], dtype=float)
    if np.isnan(values).any() or not q < alpha:
        return "inconclusive"
    if sign > 0:
        if ci_low > 0 and r > 0:
            return "supported"
        if ci_high < 0 and r < 0:
            return "contradicted"
    else:
        if ci_high < 0 and r < 0:
            return "supported"
        if ci_low > 0 and r > 0:
            return "contradicted"
    return "inconclusive"


def weak_correlation_verdict(
    r: Any,
    q: Any,
    *,
    ci_low: Any = None,
    ci_high: Any = None,
    alpha: float = 0.05,
    weak: float = 0.3,
    strong: float = 0.5,
) -> Verdict:
    """Verdict on the paper's claim C5, "all correlations are weak".

    Thresholds follow Cohen's conventions for r (0.3 medium, 0.5 large).
    A correlation is *significant* when its q-value is below `alpha`. Rule:

    * ``"contradicted"`` if any significant |r| ≥ `strong`;
    * ``"supported"`` if every significant |r| < `weak` and — when intervals
      are given — no interval reaches ±`strong` (so no correlation could
      plausibly be strong). With no significant correlation at all the first
      part holds trivially; the interval condition then guards against a
      study too small to see anything;
    * ``"inconclusive"`` otherwise (a significant |r| in [weak, strong), a
      wide interval, or no usable correlation at all).

    Parameters
    ----------
    r, q : array_like
        Correlations and their q-values (same length); pairs with NaN r or q
        are ignored.
    ci_low, ci_high : array_like, optional
        Their confidence intervals (NaN bounds are ignored).
    alpha : float
        Significance threshold on q.
    weak, strong : float
        |r| thresholds.

    Returns
    -------
    str
        ``"supported"``, ``"contradicted"`` or ``"inconclusive"``.
    """
    rv = np.asarray(r, dtype=float).ravel()
    qv = np.asarray(q, dtype=float).ravel()
    if rv.shape != qv.shape:
        raise ValueError("r and q differ in length")
    usable = ~np.isnan(rv) & ~np.isnan(qv)
    if not usable.any():
        return "inconclusive"
    significant = np.abs(rv[usable & (qv < alpha)])
    if (significant >= strong).any():
        return "contradicted"
    if (significant >= weak).any():
        return "inconclusive"
    if ci_low is not None and ci_high is not None:
        bounds = np.abs(
            np.concatenate(
                [np.asarray(ci_low, dtype=float)[usable], np.asarray(ci_high, dtype=float)[usable]]
            )
        )
        if (bounds[~np.isnan(bounds)] >= strong).any():
            return "inconclusive"
    return "supported"
