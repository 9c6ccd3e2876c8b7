"""Split-half reliability of a per-unit mean, with the Spearman–Brown step-up.

A unit (a graph) is measured by several replicates (models). Its mean is a
*reliable* measure when two independent halves of its replicates rank the
units alike: the Pearson correlation r of the half means across units
estimates the reliability of a half, and Spearman–Brown, 2r / (1 + r), that
of the whole mean (Spearman 1910; Brown 1910). A correlation with a measure
of reliability R is attenuated by √R, so a measure near 0 can correlate with
nothing, whatever the truth.

Halves are formed by the caller (:func:`split_half_reliability` takes each
replicate's half, 0 or 1): by orientation of the graph (two DAGs of one
graph), or by replicate within each DAG. The interval resamples units
(percentile bootstrap of the stepped-up value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["SplitHalf", "spearman_brown", "split_half_reliability"]


def spearman_brown(r: Any, factor: float = 2.0) -> Any:
    """Reliability of a mean over `factor` times as many replicates as the one of reliability `r`.

    Examples
    --------
    >>> round(float(spearman_brown(0.5)), 4)
    0.6667
    """
    r = np.asarray(r, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = factor * r / (1 + (factor - 1) * r)
    return out if out.ndim else float(out)


@dataclass(frozen=True)
class SplitHalf:
    """Correlation of the half means, its Spearman–Brown step-up and the step-up's interval."""

    r_split_half: float
    reliability: float
    ci_low: float
    ci_high: float
    n_units: int


def _pearson_rows(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted Pearson r of a and b for each row of weights `w` ``(B, n)``."""
    total = w.sum(1, keepdims=True)
    ma, mb = (w @ a)[:, None] / total, (w @ b)[:, None] / total
    da, db = a[None, :] - ma, b[None, :] - mb
    cov = (w * da * db).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return cov / np.sqrt((w * da**2).sum(1) * (w * db**2).sum(1))


def split_half_reliability(
    values: Any,
    unit: Any,
    half: Any,
    *,
    block: Any = None,
    n_boot: int = 1000,
    level: float = 0.95,
    rng: np.random.Generator | None = None,
) -> SplitHalf:
    """Split-half reliability of the unit means of `values`.

    Parameters
    ----------
    values : array_like
        One value per replicate.
    unit : array_like
        Each replicate's unit (a graph).
    half : array_like
        Each replicate's half, 0 or 1; a unit without both halves is left out.
    block : array_like, optional
        Each replicate's block (a stratum, an init): values are centred on
        their block's mean before the halves are averaged, so that blocks
        the design fixes do not read as reliability.
    n_boot : int
        Bootstrap resamples of the units (0: no interval).
    level : float
        Interval coverage.
    rng : numpy.random.Generator, optional
        Draws of the bootstrap (a fixed seed when None).

    Returns
    -------
    SplitHalf
        NaN values when fewer than 3 units have both halves or a half is constant.
    """
    y = np.asarray(values, dtype=float).ravel()
    units = np.asarray(unit).astype(str).ravel()
    halves = np.asarray(half).ravel().astype(int)
    if not (y.size == units.size == halves.size):
        raise ValueError("values, unit and half differ in length")
    if not set(np.unique(halves)) <= {0, 1}:
        raise ValueError("half must hold 0 and 1 only")
    finite = np.isfinite(y)
    y, units, halves = y[finite], units[finite], halves[finite]
    if block is not None:
        blocks = np.asarray(block).astype(str).ravel()[finite]
        _, b_codes = np.unique(blocks, return_inverse=True)
        y = y - (np.bincount(b_codes, weights=y) / np.bincount(b_codes))[b_codes]
    names, u_codes = np.unique(units, return_inverse=True)
    means = np.full((names.size, 2), np.nan)
    for h in (0, 1):
        sel = halves == h
        count = np.bincount(u_codes[sel], minlength=names.size)
        total = np.bincount(u_codes[sel], weights=y[sel], minlength=names.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            means[:, h] = np.where(count > 0, total / count, np.nan)
    both = np.isfinite(means).all(1)
    a, b = means[both, 0], means[both, 1]
    k = int(both.sum())
    nan = float("nan")
    if k < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return SplitHalf(nan, nan, nan, nan, k)
    r = float(_pearson_rows(a, b, np.ones((1, k)))[0])
    low = high = nan
    if n_boot > 0:
        rng = rng if rng is not None else np.random.default_rng(0)
        draws = rng.integers(0, k, size=(n_boot, k))
        w = np.zeros((n_boot, k))
        np.add.at(w, (np.arange(n_boot)[:, None], draws), 1.0)
        stepped = spearman_brown(_pearson_rows(a, b, w))
        tail = (1 - level) / 2 * 100
        with np.errstate(all="ignore"):
            low, high = (float(v) for v in np.nanpercentile(stepped, [tail, 100 - tail]))
    return SplitHalf(r, float(spearman_brown(r)), low, high, k)
