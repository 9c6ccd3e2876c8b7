"""Tests of one (partial) Spearman correlation, with small-sample care and twin pairs as units.

:func:`correlation_test` is the inference of the claims table
(docs/report.md, "Claims"): the coefficient, a two-sided p-value and a 95 %
interval, where the resampling unit is the *cluster* — a graph, or an
original graph with its degree-preserving twins (:func:`cluster_ids`).

* At least :data:`PERMUTATION_BELOW` clusters: the asymptotic p-value
  (Student's t, as :func:`graphprior.analysis.stats.correlation.partial_spearman`)
  and a percentile cluster bootstrap.
* Fewer: a permutation p-value (:func:`scipy.stats.permutation_test`, exact
  when every permutation fits in the budget) and a BCa interval
  (:func:`scipy.stats.bootstrap`), or the Fisher-z interval when BCa is
  undefined (a resample without variation, a degenerate jackknife).

The controlled statistic permutes the residuals of y's ranks on the
controls' ranks (Kennedy 1995), which keeps the association of x and y with
the controls; without controls it is the usual permutation test of Spearman's
ρ. Clusters are permuted as wholes among clusters of the same size.
The claims' multiple-testing family (Holm) is in
:mod:`graphprior.analysis.stats.multiple_testing`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.stats

from graphprior.analysis.primitives import is_constant
from graphprior.analysis.stats.bootstrap import resample_statistics
from graphprior.analysis.stats.correlation import DEGENERATE_RTOL, CorrelationMethod
from graphprior.analysis.stats.permutation import cluster_permutations, monte_carlo_p

__all__ = [
    "PERMUTATION_BELOW",
    "INSUFFICIENT_BELOW",
    "CorrelationTest",
    "cluster_ids",
    "correlation_test",
    "partial_residuals",
]

#: Below this many clusters, permutation p-values and BCa / Fisher-z intervals.
PERMUTATION_BELOW = 30

#: Below this many clusters a claim gets no verdict (``insufficient``).
INSUFFICIENT_BELOW = 15

_NAN = float("nan")


@dataclass(frozen=True)
class CorrelationTest:
    """Result of :func:`correlation_test`.

    ``p_method`` is ``"asymptotic"``, ``"exact"`` (every permutation) or
    ``"permutation"`` (Monte Carlo); ``ci_method`` is ``"percentile"``,
    ``"BCa"`` or ``"fisher-z"``; ``n`` counts graphs, ``n_units`` clusters.
    """

    r: float
    p: float
    p_method: str
    ci_low: float
    ci_high: float
    ci_method: str
    n: int
    n_units: int


def cluster_ids(graphs: pd.DataFrame) -> np.ndarray:
    """The resampling unit of each graph: its original's id for a twin, else its own id.

    `graphs` needs ``graph_id``; ``variant`` and ``parent_id`` (the
    ``graphs`` table's columns) are used when present.
    """
    ids = graphs["graph_id"].astype(str).to_numpy()
    if "variant" not in graphs.columns or "parent_id" not in graphs.columns:
        return ids
    twin = (graphs["variant"].astype(str) != "original").to_numpy() & graphs[
        "parent_id"
    ].notna().to_numpy()
    parents = graphs["parent_id"].astype(object).to_numpy()
    return np.where(twin, parents.astype(str), ids)


def _centred_residuals(ranks: np.ndarray, controls: np.ndarray) -> np.ndarray:
    centred = ranks - ranks.mean()
    if controls.shape[1] == 0:
        return centred
    cz = controls - controls.mean(axis=0)
    coef = np.linalg.lstsq(cz, centred, rcond=None)[0]
    return centred - cz @ coef


def _residuals(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Residual ranks of x and y on the control ranks, and the controls' rank (dof used)."""
    rz = scipy.stats.rankdata(z, axis=0) if z.shape[1] else z
    k = int(np.linalg.matrix_rank(rz - rz.mean(axis=0))) if z.shape[1] else 0
    rx, ry = scipy.stats.rankdata(x), scipy.stats.rankdata(y)
    ex, ey = _centred_residuals(rx, rz), _centred_residuals(ry, rz)
    for raw, res in ((rx, ex), (ry, ey)):
        if res @ res <= DEGENERATE_RTOL * np.sum((raw - raw.mean()) ** 2):
            res[:] = np.nan
    return ex, ey, k


def _permutation_p(
    ex: np.ndarray, ey: np.ndarray, units: np.ndarray, n_perm: int, rng: np.random.Generator
) -> tuple[float, str]:
    """Two-sided permutation p of r(ex, ey).

    One graph per cluster: ey's order is permuted (exact when ``n! <= n_perm``).
    Otherwise whole clusters move among clusters of equal size, shuffled within
    (:func:`~graphprior.analysis.stats.permutation.cluster_permutations`), by Monte Carlo.
    """
    denom = math.sqrt(float(ex @ ex) * float(ey @ ey))
    if np.unique(units).size == units.size:
        res = scipy.stats.permutation_test(
            (ey,),
            lambda yp, axis=-1: yp @ ex / denom,
            permutation_type="pairings",
            n_resamples=n_perm,
            vectorized=True,
            alternative="two-sided",
            rng=rng,
        )
        exact = math.lgamma(units.size + 1) <= math.log(n_perm)
        return float(min(res.pvalue, 1.0)), "exact" if exact else "permutation"
    null = ey[cluster_permutations(units, n_perm, rng)] @ ex / denom
    return monte_carlo_p(null, float(ex @ ey) / denom, 1e-14), "permutation"


def _asymptotic_p(r: float, n: int, k: int) -> float:
    dof = n - 2 - k
    if dof < 1:
        return _NAN
    if abs(r) >= 1.0:
        return 0.0
    t = r * math.sqrt(dof / (1.0 - r * r))
    return float(2.0 * scipy.stats.t.sf(abs(t), dof))


def _unit_statistic(x, y, z, method, units_of_rows, n_units):
    """Statistic of a resample given as cluster indices (shape (..., m)), for scipy.stats.bootstrap."""

    def statistic(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        one = idx.ndim == 1
        idx = np.atleast_2d(idx.astype(int))
        flat = idx + n_units * np.arange(idx.shape[0])[:, None]
        counts = np.bincount(flat.ravel(), minlength=idx.shape[0] * n_units)
        counts = counts.reshape(idx.shape[0], n_units).astype(float)[:, units_of_rows]
        stats = resample_statistics(x, y, z, method, counts)
        return stats[0] if one else stats

    return statistic


def _interval(
    x, y, z, units, n_boot: int, level: float, rng, r: float, k: int, small: bool
) -> tuple[float, float, str]:
    method = CorrelationMethod.PARTIAL_SPEARMAN if z.shape[1] else CorrelationMethod.SPEARMAN
    names, inverse = np.unique(units, return_inverse=True)
    statistic = _unit_statistic(x, y, z, method, inverse, names.size)
    if n_boot > 0 and small:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.stats.DegenerateDataWarning)
            res = scipy.stats.bootstrap(
                (np.arange(names.size),),
                statistic,
                n_resamples=n_boot,
                confidence_level=level,
                method="BCa",
                vectorized=True,
                rng=rng,
            )
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if np.isfinite(lo) and np.isfinite(hi) and not np.isnan(res.bootstrap_distribution).any():
            return lo, hi, "BCa"
    elif n_boot > 0:
        idx = rng.integers(0, names.size, size=(n_boot, names.size))
        stats = statistic(idx)
        stats = stats[np.isfinite(stats)]
        if stats.size:
            alpha = 1.0 - level
            lo, hi = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
            return float(lo), float(hi), "percentile"
    # Fisher z with n − 3 − k degrees of freedom, over clusters
    se_dof = names.size - 3 - k
    if se_dof < 1 or not np.isfinite(r):
        return _NAN, _NAN, "fisher-z"
    half = scipy.stats.norm.ppf(0.5 + level / 2) / math.sqrt(se_dof)
    zr = math.atanh(float(np.clip(r, -1 + 1e-12, 1 - 1e-12)))
    return math.tanh(zr - half), math.tanh(zr + half), "fisher-z"


def correlation_test(
    x: Any,
    y: Any,
    controls: Any = None,
    units: Any = None,
    *,
    n_perm: int,
    n_boot: int,
    rng: np.random.Generator,
    level: float = 0.95,
) -> CorrelationTest:
    """Spearman ρ (no controls) or partial Spearman ρ of x and y, with p-value and interval.

    Parameters
    ----------
    x, y : array_like
        One value per graph.
    controls : array_like, optional
        (n, k) control values per graph; ``None`` or k = 0 for the raw ρ.
    units : array_like, optional
        Cluster of each graph (:func:`cluster_ids`); default: every graph its own.
    n_perm : int
        Permutations (exact when every graph is its own cluster and
        ``n! <= n_perm``); at least 2 000.
    n_boot : int
        Bootstrap resamples of the clusters (0: Fisher-z interval).
    rng : numpy.random.Generator
        Source of permutations and resamples.
    level : float
        Interval coverage.

    Returns
    -------
    CorrelationTest
        NaN coefficient, p and interval when fewer than 3 complete rows remain,
        x or y is constant, or either is a function of the controls.
    """
    if n_perm < 2000:
        raise ValueError(f"n_perm must be at least 2000, got {n_perm}")
    xv = np.asarray(x, dtype=float).ravel()
    yv = np.asarray(y, dtype=float).ravel()
    zv = np.zeros((xv.size, 0)) if controls is None else np.asarray(controls, dtype=float)
    zv = zv.reshape(xv.size, -1)
    uv = np.arange(xv.size).astype(str) if units is None else np.asarray(units).astype(str)
    keep = np.isfinite(xv) & np.isfinite(yv) & np.isfinite(zv).all(axis=1)
    xv, yv, zv, uv = xv[keep], yv[keep], zv[keep], uv[keep]
    n, n_units = int(xv.size), int(np.unique(uv).size)
    empty = CorrelationTest(_NAN, _NAN, "asymptotic", _NAN, _NAN, "percentile", n, n_units)
    if n_units < 3 or is_constant(xv) or is_constant(yv):
        return empty
    ex, ey, k = _residuals(xv, yv, zv)
    if np.isnan(ex).any() or np.isnan(ey).any() or n - 2 - k < 1:
        return empty
    r = float(np.clip(ex @ ey / math.sqrt(float(ex @ ex) * float(ey @ ey)), -1.0, 1.0))
    small = n_units < PERMUTATION_BELOW
    if small:
        p, p_method = _permutation_p(ex, ey, uv, n_perm, rng)
    else:
        p, p_method = _asymptotic_p(r, n, k), "asymptotic"
    lo, hi, ci_method = _interval(xv, yv, zv, uv, n_boot, level, rng, r, k, small)
    return CorrelationTest(r, p, p_method, lo, hi, ci_method, n, n_units)


def partial_residuals(x: Any, y: Any, controls: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Centred ranks of x and y with the control ranks regressed out (NaN rows kept as NaN).

    Their Pearson correlation is the partial Spearman ρ of :func:`correlation_test`
    (the added-variable plot of the report's first figure).
    """
    xv = np.asarray(x, dtype=float).ravel()
    yv = np.asarray(y, dtype=float).ravel()
    zv = np.zeros((xv.size, 0)) if controls is None else np.asarray(controls, dtype=float)
    zv = zv.reshape(xv.size, -1)
    keep = np.isfinite(xv) & np.isfinite(yv) & np.isfinite(zv).all(axis=1)
    ex, ey = np.full(xv.size, np.nan), np.full(xv.size, np.nan)
    if keep.sum() >= 3:
        ex[keep], ey[keep], _ = _residuals(xv[keep], yv[keep], zv[keep])
    return ex, ey
