"""Correlation coefficients and their p-values.

The paper's coefficients (Spearman and Kendall τ-b), Pearson, and a partial
Spearman correlation that controls for clean accuracy and parameter count.
Every statistic and p-value comes from :mod:`scipy.stats` or
:mod:`statsmodels`. Intervals are in :mod:`graphprior.analysis.stats.bootstrap`,
the whole table in :mod:`graphprior.analysis.correlation_table`.

References
----------
Ben Amor, Stier, Granitzer (2021). Correlation Analysis between the Robustness
of Sparse Neural Networks and their Random Hidden Structural Priors. Procedia
Computer Science 192. arXiv:2107.06158.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.stats

from graphprior.analysis.primitives import is_constant, require_columns, unique

__all__ = [
    "CorrelationMethod",
    "DEGENERATE_RTOL",
    "correlate",
    "partial_spearman",
    "residualise",
]

# Relative tolerance below which a residual variance counts as zero (x or y fully
# explained by the controls), so that a partial correlation is undefined.
DEGENERATE_RTOL = 1e-10


class CorrelationMethod(enum.StrEnum):
    """Correlation coefficients the report computes."""

    SPEARMAN = "spearman"  # rank correlation, the paper
    KENDALL = "kendall"  # Kendall tau-b (ties corrected), the paper
    PEARSON = "pearson"  # linear correlation on the raw values
    PARTIAL_SPEARMAN = "partial_spearman"  # Spearman after removing the controls


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
    if xv.size < 3 or is_constant(xv) or is_constant(yv):
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


def residualise(target: np.ndarray, controls: np.ndarray) -> tuple[np.ndarray, int]:
    """OLS residuals of `target` (n,) or (n, m) on an intercept and `controls` (n, k).

    Returns the residuals and the numerical rank of the centred controls, which
    is the number of degrees of freedom the controls use up.
    """
    centred_t = target - target.mean(axis=0)
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
    controls = [c for c in unique(controls) if c not in (x, y)]
    require_columns(df, [x, y, *controls])
    values = df[[x, y, *controls]].to_numpy(dtype=float)
    return partial_spearman_values(values[np.isfinite(values).all(axis=1)])


def partial_spearman_values(values: np.ndarray) -> tuple[float, float]:
    """:func:`partial_spearman` of complete rows ``values`` = columns x, y, controls…"""
    n = values.shape[0]
    if n < 3 or is_constant(values[:, 0]) or is_constant(values[:, 1]):
        return float("nan"), float("nan")
    ranks = scipy.stats.rankdata(values, axis=0)
    res_x, k = residualise(ranks[:, 0], ranks[:, 2:])
    res_y, _ = residualise(ranks[:, 1], ranks[:, 2:])
    dof = n - 2 - k
    ss_x, ss_y = float(res_x @ res_x), float(res_y @ res_y)
    if (
        dof < 1
        or ss_x <= DEGENERATE_RTOL * np.sum((ranks[:, 0] - ranks[:, 0].mean()) ** 2)
        or ss_y <= DEGENERATE_RTOL * np.sum((ranks[:, 1] - ranks[:, 1].mean()) ** 2)
    ):
        return float("nan"), float("nan")
    r = float(np.clip(res_x @ res_y / np.sqrt(ss_x * ss_y), -1.0, 1.0))
    if abs(r) == 1.0:
        return r, 0.0
    t = r * np.sqrt(dof / (1.0 - r * r))
    p = float(2.0 * scipy.stats.t.sf(abs(t), dof))
    return r, p
