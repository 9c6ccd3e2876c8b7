"""Bootstrap intervals that resample graphs (clusters), never models.

A resample of n clusters is represented by its count vector w (how often each
original cluster was drawn), so a statistic on the resampled rows is a
weighted statistic on the original rows. That turns the whole bootstrap into a
few (n_boot, n) array operations: ranks of a resample need only cumulative
sums of counts over the sorted values, and Kendall's numerator is the
quadratic form w' S w with S = sign(x_i - x_j) sign(y_i - y_j). The unit tests
check every weighted statistic against a plain loop over :mod:`scipy.stats`.

:func:`paired_summary` is the interval of a median of per-graph values (the
paired claims of the report, docs/report.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.stats

from graphprior.analysis.primitives import as_rng, clip_r, is_constant, require_columns, unique
from graphprior.analysis.stats.correlation import DEGENERATE_RTOL, CorrelationMethod

__all__ = [
    "PairedSummary",
    "cluster_bootstrap_ci",
    "bootstrap_ci_arrays",
    "paired_summary",
    "resample_statistics",
]

logger = logging.getLogger(__name__)


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
        return clip_r(sab / np.sqrt(saa * sbb))


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
        return clip_r(numerator / np.sqrt(untied_x * untied_y))


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
    degenerate = ((counts * ex * ex).sum(axis=1) <= DEGENERATE_RTOL * ssx) | (
        (counts * ey * ey).sum(axis=1) <= DEGENERATE_RTOL * ssy
    )
    r[degenerate] = np.nan
    return r


def _constant_in_resample(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    drawn = counts > 0
    low = np.where(drawn, values, np.inf).min(axis=1)
    high = np.where(drawn, values, -np.inf).max(axis=1)
    return low == high


def resample_statistics(
    x: np.ndarray,
    y: np.ndarray,
    z: np.ndarray,
    method: CorrelationMethod,
    counts: np.ndarray,
) -> np.ndarray:
    """The statistic of each resample given by its (n_boot, n) row counts; NaN where undefined."""
    method = CorrelationMethod(method)
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


def bootstrap_ci_arrays(
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
    if n_boot <= 0 or n < 3 or is_constant(x) or is_constant(y):
        return float("nan"), float("nan")
    counts = _draw_counts(n, n_boot, rng)
    return _percentile_interval(resample_statistics(x, y, z, method, counts), level)


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
        [c for c in unique(controls) if c not in (x, y)]
        if method is CorrelationMethod.PARTIAL_SPEARMAN
        else []
    )
    cols = unique([x, y, *controls])
    require_columns(df, cols if cluster is None else [cluster, *cols])
    if cluster is None:
        per_cluster = df[cols].astype(float)
    else:
        per_cluster = df.groupby(cluster, sort=True)[cols].agg(how).astype(float)
    values = per_cluster.to_numpy()
    values = values[np.isfinite(values).all(axis=1)]
    return bootstrap_ci_arrays(
        values[:, 0], values[:, 1], values[:, 2:], method, n_boot, level, as_rng(rng)
    )


def _wilcoxon(v: np.ndarray, rng: np.random.Generator) -> tuple[float, str]:
    """Two-sided Wilcoxon signed-rank p of `v` against 0 and how it was computed."""
    if v.size >= 30:
        return float(scipy.stats.wilcoxon(v, method="asymptotic").pvalue), "asymptotic"
    nonzero = v[v != 0]
    if nonzero.size == np.unique(np.abs(nonzero)).size == v.size:
        return float(scipy.stats.wilcoxon(v, method="exact").pvalue), "exact"
    n_resamples = 9999
    method = scipy.stats.PermutationMethod(n_resamples=n_resamples, rng=rng)
    p = float(scipy.stats.wilcoxon(v, method=method).pvalue)
    return p, "exact" if 2**v.size <= n_resamples else "permutation"


@dataclass(frozen=True)
class PairedSummary:
    """The median of per-graph values, its interval and the Wilcoxon p (:func:`paired_summary`)."""

    n: int
    median: float
    ci_low: float
    ci_high: float
    p: float
    p_method: str


def paired_summary(
    values: Any, *, n_boot: int, rng: np.random.Generator, level: float = 0.95
) -> PairedSummary:
    """Median of per-graph values with a bootstrap interval and a Wilcoxon signed-rank test.

    Parameters
    ----------
    values : array_like
        One value per graph (e.g. perturbed − clean); NaN dropped.
    n_boot : int
        Bootstrap resamples of the graphs for the percentile interval of the median.
    rng : numpy.random.Generator
        Source of the resampling.
    level : float
        Coverage of the interval.

    Returns
    -------
    PairedSummary
        ``n``, ``median``, ``ci_low``, ``ci_high``, ``p`` (two-sided
        :func:`scipy.stats.wilcoxon` of the values against 0, zeros dropped;
        1 when all values are 0; NaN for fewer than 2 values) and
        ``p_method``: below 30 values the exact null distribution, or (with
        ties or zeros) 9 999 random sign flips, exact when 2ⁿ fits;
        ``asymptotic`` from 30 values on.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    nan = float("nan")
    if v.size == 0:
        return PairedSummary(0, nan, nan, nan, nan, "asymptotic")
    p, p_method = nan, "asymptotic"
    if v.size >= 2:
        if np.all(v == 0):
            p = 1.0
        else:
            p, p_method = _wilcoxon(v, rng)
    low = high = nan
    if n_boot > 0 and v.size >= 3:
        idx = rng.integers(0, v.size, size=(n_boot, v.size))
        medians = np.median(v[idx], axis=1)
        alpha = 1.0 - level
        low, high = (float(q) for q in np.quantile(medians, [alpha / 2, 1 - alpha / 2]))
    return PairedSummary(int(v.size), float(np.median(v)), low, high, float(p), p_method)
