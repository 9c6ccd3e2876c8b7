"""Permutation p-values of the rank tests behind claims C1 and R1, for small samples.

Below :data:`~graphprior.analysis.inference.PERMUTATION_BELOW` graphs the
claims do not trust the asymptotic χ² or normal approximations
(docs/report.md, "Claims"). Each function returns ``(p, p_method)`` with
``p_method`` ``"exact"`` when every permutation fits in ``n_perm`` (scipy
then enumerates them) and ``"permutation"`` otherwise (``n_perm`` seeded
Monte Carlo permutations, scipy's ``(b + 1) / (n_perm + 1)`` estimate). All
go through :func:`scipy.stats.permutation_test` with a vectorised statistic
that is a strictly increasing function of the test's own statistic under the
permutations it draws, so the p-values are those of the tests themselves:

* :func:`friedman_permutation_p`: values permuted among the treatments
  within each block; statistic Σ_j R_j² (R_j: rank sum of treatment j), which
  the tie-corrected Friedman χ² is an increasing function of, since within-block
  permutations keep every block's ties;
* :func:`kruskal_permutation_p`: observations permuted among the groups;
  statistic Σ_j R_j² / n_j on the pooled ranks (Kruskal–Wallis H up to a
  constant and its tie correction, both fixed by the pooled sample);
* :func:`kendall_permutation_p`: y permuted against x, whole clusters (an
  original graph with its twins) among clusters of the same size when
  ``units`` are given; statistic Σ sign(x_i − x_j)·sign(y_i − y_j), the
  numerator of τ-b (its denominator is fixed by the tie patterns of x and y).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.stats

__all__ = ["friedman_permutation_p", "kruskal_permutation_p", "kendall_permutation_p"]


def _check(n_perm: int) -> None:
    if n_perm < 2000:
        raise ValueError(f"n_perm must be at least 2000, got {n_perm}")


def friedman_permutation_p(values: Any, n_perm: int, rng: np.random.Generator) -> tuple[float, str]:
    """Permutation p of the Friedman test on ``values`` (blocks × treatments).

    Exact when ``(k!)^n_blocks <= n_perm``. Every block tied: p = 1.
    """
    _check(n_perm)
    v = np.asarray(values, dtype=float)
    n, k = v.shape
    if n < 2 or k < 2:
        raise ValueError(f"Friedman needs at least 2 blocks and 2 treatments, got {v.shape}")
    if (v.max(axis=1) == v.min(axis=1)).all():
        return 1.0, "exact"

    def statistic(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
        data = np.stack(samples, axis=-1)  # (..., n, k)
        ranks = scipy.stats.rankdata(data, axis=-1)
        return np.sum(ranks.sum(axis=-2) ** 2, axis=-1)

    res = scipy.stats.permutation_test(
        tuple(v.T),
        statistic,
        permutation_type="samples",
        n_resamples=n_perm,
        vectorized=True,
        alternative="greater",
        rng=rng,
    )
    exact = n * math.log(math.factorial(k)) <= math.log(n_perm)
    return float(min(res.pvalue, 1.0)), "exact" if exact else "permutation"


def kruskal_permutation_p(
    samples: list[Any], n_perm: int, rng: np.random.Generator
) -> tuple[float, str]:
    """Permutation p of the Kruskal–Wallis test of independent ``samples``.

    Exact when the number of distinct assignments (the multinomial
    coefficient) is at most ``n_perm``. Every value tied: p = 1.
    """
    _check(n_perm)
    groups = [np.asarray(s, dtype=float).ravel() for s in samples]
    sizes = [g.size for g in groups]
    if len(groups) < 2 or min(sizes) < 1:
        raise ValueError(f"Kruskal–Wallis needs at least 2 non-empty groups, got sizes {sizes}")
    pooled = np.concatenate(groups)
    if pooled.min() == pooled.max():
        return 1.0, "exact"
    ranks = scipy.stats.rankdata(pooled)
    split = np.split(ranks, np.cumsum(sizes)[:-1])

    def statistic(*rank_samples: np.ndarray, axis: int = -1) -> np.ndarray:
        return sum(r.sum(axis=axis) ** 2 / r.shape[axis] for r in rank_samples)

    res = scipy.stats.permutation_test(
        tuple(split),
        statistic,
        permutation_type="independent",
        n_resamples=n_perm,
        vectorized=True,
        alternative="greater",
        rng=rng,
    )
    log_count = math.lgamma(sum(sizes) + 1) - sum(math.lgamma(s + 1) for s in sizes)
    return float(min(res.pvalue, 1.0)), "exact" if log_count <= math.log(n_perm) else "permutation"


def kendall_permutation_p(
    x: Any, y: Any, n_perm: int, rng: np.random.Generator, units: Any = None
) -> tuple[float, str]:
    """Two-sided permutation p of Kendall's τ-b between x and y (complete rows only).

    Without ``units`` (or when every unit holds one row) y's order is
    permuted, exact when ``n! <= n_perm``; otherwise whole clusters are
    permuted among clusters of the same size, by Monte Carlo. NaN when fewer
    than 3 rows remain or x or y is constant.
    """
    _check(n_perm)
    xv, yv = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    uv = np.arange(xv.size) if units is None else np.asarray(units).astype(str)
    keep = np.isfinite(xv) & np.isfinite(yv)
    xv, yv, uv = xv[keep], yv[keep], uv[keep]
    if xv.size < 3 or xv.min() == xv.max() or yv.min() == yv.max():
        return float("nan"), "permutation"
    sx = np.sign(xv[:, None] - xv[None, :])

    def numerator(yp: np.ndarray) -> np.ndarray:
        sy = np.sign(yp[..., :, None] - yp[..., None, :])
        return np.einsum("ij,...ij->...", sx, sy)

    _, first, inverse = np.unique(uv, return_index=True, return_inverse=True)
    if np.unique(inverse).size == xv.size:
        res = scipy.stats.permutation_test(
            (yv,),
            lambda yp, axis=-1: numerator(yp),
            permutation_type="pairings",
            n_resamples=n_perm,
            vectorized=True,
            alternative="two-sided",
            rng=rng,
        )
        exact = math.lgamma(xv.size + 1) <= math.log(n_perm)
        return float(min(res.pvalue, 1.0)), "exact" if exact else "permutation"
    layout = [np.flatnonzero(inverse == u) for u in np.argsort(first)]
    sizes = np.array([len(rows) for rows in layout])
    target = np.empty((n_perm, xv.size), dtype=int)
    for size in np.unique(sizes):
        rows = np.stack([layout[i] for i in np.flatnonzero(sizes == size)])
        perms = rng.permuted(np.tile(np.arange(len(rows)), (n_perm, 1)), axis=1)
        target[:, rows.ravel()] = rows[perms].reshape(n_perm, -1)
    observed = float(numerator(yv))
    null = np.concatenate([numerator(yv[chunk]) for chunk in np.array_split(target, 10)])
    eps = 1e-9 * max(1.0, abs(observed))
    greater = (np.sum(null >= observed - eps) + 1) / (n_perm + 1)
    less = (np.sum(null <= observed + eps) + 1) / (n_perm + 1)
    return float(min(1.0, 2 * min(greater, less))), "permutation"
