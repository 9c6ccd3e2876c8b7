"""Permutation p-values of the rank tests behind claims C1 and R1, for small samples.

Below :data:`~graphprior.analysis.stats.inference.PERMUTATION_BELOW` graphs the
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

Cluster permutations (:func:`cluster_permutations`) move a cluster's y values
as one block onto another cluster's rows *in a random order*: the rows of a
cluster (an original and its twin) are positions, not labels, so keeping their
order would carry any original-versus-twin contrast of x and y into every
permutation and centre the null away from zero.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.stats

__all__ = [
    "friedman_permutation_p",
    "kruskal_permutation_p",
    "kendall_permutation_p",
    "cluster_permutations",
    "monte_carlo_p",
]


def _check(n_perm: int) -> None:
    if n_perm < 2000:
        raise ValueError(f"n_perm must be at least 2000, got {n_perm}")


def cluster_permutations(units: Any, n_perm: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_perm, n)`` row indices: permutation ``b`` of y is ``y[target[b]]``.

    Clusters are the rows sharing a unit; each permutation maps every
    cluster's rows onto those of a random cluster of the same size, in a
    random order within the cluster, so that, for centred x and y, the
    permuted statistic x·y[target] has mean exactly zero.
    """
    _, first, inverse = np.unique(np.asarray(units).astype(str), return_index=True,
                                  return_inverse=True)  # fmt: skip
    layout = [np.flatnonzero(inverse == u) for u in np.argsort(first)]
    sizes = np.array([len(rows) for rows in layout])
    target = np.empty((n_perm, inverse.size), dtype=int)
    for size in np.unique(sizes):
        rows = np.stack([layout[i] for i in np.flatnonzero(sizes == size)])  # (clusters, size)
        perms = rng.permuted(np.tile(np.arange(len(rows)), (n_perm, 1)), axis=1)
        moved = rng.permuted(rows[perms], axis=2)  # (n_perm, clusters, size), shuffled within
        target[:, rows.ravel()] = moved.reshape(n_perm, -1)
    return target


def monte_carlo_p(null: np.ndarray, observed: float, rtol: float) -> float:
    """Two-sided Monte Carlo p, scipy's ``(b + 1) / (n + 1)`` on each side, doubled."""
    eps = rtol * max(1.0, abs(observed))
    greater = (np.sum(null >= observed - eps) + 1) / (null.size + 1)
    less = (np.sum(null <= observed + eps) + 1) / (null.size + 1)
    return float(min(1.0, 2 * min(greater, less)))


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
    labels = np.repeat(np.arange(len(groups)), sizes)

    # The ranks' order is permuted against fixed group labels (one-sample
    # "pairings": n! orderings), which, unlike scipy's "independent" type, allows
    # groups of a single observation.
    def statistic(r: np.ndarray) -> float:
        return float(sum(r[labels == j].sum() ** 2 / sizes[j] for j in range(len(sizes))))

    res = scipy.stats.permutation_test(
        (ranks,),
        statistic,
        permutation_type="pairings",
        n_resamples=n_perm,
        alternative="greater",
        rng=rng,
    )
    exact = math.lgamma(len(pooled) + 1) <= math.log(n_perm)
    return float(min(res.pvalue, 1.0)), "exact" if exact else "permutation"


def kendall_permutation_p(
    x: Any, y: Any, n_perm: int, rng: np.random.Generator, units: Any = None
) -> tuple[float, str]:
    """Two-sided permutation p of Kendall's τ-b between x and y (complete rows only).

    Without ``units`` (or when every unit holds one row) y's order is
    permuted, exact when ``n! <= n_perm``; otherwise whole clusters are
    permuted among clusters of the same size (:func:`cluster_permutations`),
    by Monte Carlo. NaN when fewer
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

    if np.unique(uv).size == xv.size:
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
    target = cluster_permutations(uv, n_perm, rng)
    observed = float(numerator(yv))
    null = np.concatenate([numerator(yv[chunk]) for chunk in np.array_split(target, 10)])
    return monte_carlo_p(null, observed, 1e-9), "permutation"
