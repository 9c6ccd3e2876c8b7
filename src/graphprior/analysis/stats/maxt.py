"""Selection-adjusted maximum of a correlation grid: Westfall–Young single-step maxT.

Taking the largest |r| of many (x, y) pairs and testing it as if it had been
chosen in advance overstates it (a winner's curse). The maxT procedure
(Westfall and Young 1993, "Resampling-Based Multiple Testing", §2.6)
permutes the rows of the y block as a whole — every measure keeps its
correlation with the others, every property its own — and records, for
each permutation, the largest |r| over the whole grid. A pair's adjusted p
is the share of permutations whose maximum reaches its |r|; it controls the
family-wise error over the grid in the strong sense (subset pivotality
holds for exchangeable rows).

Rows are exchanged only within their block (a size stratum), so a grid that
pools strata compares graphs of one size only (stratum fixed effects); a
cluster of rows (a graph with its twin) moves as one. With few enough
permutations in total every one is enumerated and the p-value is exact.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphprior.analysis.stats.permutation import cluster_permutations

__all__ = ["MaxT", "maxt_correlations"]

#: At most this many permutations in total are enumerated for an exact p-value.
EXACT_UP_TO = 20_000


@dataclass(frozen=True)
class MaxT:
    """The grid's correlations, their maxT-adjusted p-values and the null maximum."""

    r: np.ndarray  # (n_x, n_y)
    p_adjusted: np.ndarray  # (n_x, n_y)
    null_max: np.ndarray  # (n_perm,) largest |r| of each permutation
    exact: bool


def _standardise(a: np.ndarray, block: np.ndarray) -> np.ndarray:
    """Centre columns within each block and scale to unit norm (NaN columns stay NaN)."""
    out = a.astype(float).copy()
    for b in np.unique(block):
        rows = block == b
        out[rows] -= out[rows].mean(0)
    norm = np.sqrt((out**2).sum(0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(norm > 1e-12, out / norm, np.nan)


def _exact_targets(block: np.ndarray) -> np.ndarray | None:
    """Every within-block permutation as row indices, or None when there are too many."""
    groups = [np.flatnonzero(block == b) for b in np.unique(block)]
    total = math.prod(math.factorial(g.size) for g in groups)
    if total > EXACT_UP_TO:
        return None
    targets = []
    for combo in itertools.product(*(itertools.permutations(g) for g in groups)):
        t = np.empty(block.size, dtype=int)
        for g, perm in zip(groups, combo, strict=True):
            t[g] = perm
        targets.append(t)
    return np.stack(targets)


def _random_targets(
    block: np.ndarray, cluster: np.ndarray, n_perm: int, rng: np.random.Generator
) -> np.ndarray:
    targets = np.tile(np.arange(block.size), (n_perm, 1))
    for b in np.unique(block):
        rows = np.flatnonzero(block == b)
        targets[:, rows] = rows[cluster_permutations(cluster[rows], n_perm, rng)]
    return targets


def maxt_correlations(
    x: Any,
    y: Any,
    *,
    block: Any = None,
    cluster: Any = None,
    n_perm: int = 5000,
    rng: np.random.Generator | None = None,
) -> MaxT:
    """Pearson r of every column of `x` with every column of `y`, maxT-adjusted over the grid.

    Rank the columns first for Spearman's ρ. Rows with a NaN anywhere are
    dropped (one row set for the whole grid, so the permutations are shared).

    Parameters
    ----------
    x : array_like
        ``(n, n_x)`` properties.
    y : array_like
        ``(n, n_y)`` measures; its rows are permuted.
    block : array_like, optional
        Each row's block (stratum); rows are centred and permuted within blocks.
    cluster : array_like, optional
        Each row's cluster; a cluster's rows move together (random
        permutations only; clusters of one row allow exact enumeration).
    n_perm : int
        Random permutations when enumeration would exceed
        :data:`EXACT_UP_TO`.
    rng : numpy.random.Generator, optional
        Draws of the random permutations (a fixed seed when None).

    Returns
    -------
    MaxT
        ``p_adjusted = (1 + #{null max ≥ |r|}) / (1 + n_perm)`` for random
        permutations, ``#{null max ≥ |r|} / n_perm`` when enumerated (the
        identity is one of them).
    """
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    xa = xa[:, None] if xa.ndim == 1 else xa
    ya = ya[:, None] if ya.ndim == 1 else ya
    n = xa.shape[0]
    if ya.shape[0] != n:
        raise ValueError("x and y differ in rows")
    blocks = np.zeros(n, dtype=int) if block is None else np.asarray(block).astype(str)
    clusters = np.arange(n).astype(str) if cluster is None else np.asarray(cluster).astype(str)
    keep = np.isfinite(xa).all(1) & np.isfinite(ya).all(1)
    xa, ya, blocks, clusters = xa[keep], ya[keep], blocks[keep], clusters[keep]
    xs, ys = _standardise(xa, blocks), _standardise(ya, blocks)
    r = xs.T @ ys
    one_per_cluster = np.unique(clusters).size == clusters.size
    targets = _exact_targets(blocks) if one_per_cluster else None
    exact = targets is not None
    if targets is None:
        rng = rng if rng is not None else np.random.default_rng(0)
        targets = _random_targets(blocks, clusters, n_perm, rng)
    null_max = np.empty(len(targets))
    for start in range(0, len(targets), 256):
        chunk = targets[start : start + 256]
        permuted = np.einsum("nx,bny->bxy", xs, ys[chunk])
        null_max[start : start + len(chunk)] = np.nanmax(np.abs(permuted), axis=(1, 2))
    observed = np.abs(r)[..., None]
    reach = (null_max[None, None, :] >= observed - 1e-12).sum(-1)
    if exact:
        p = reach / len(targets)
    else:
        p = (1 + reach) / (1 + len(targets))
    p = np.where(np.isfinite(r), p, np.nan)
    return MaxT(r=r, p_adjusted=p, null_max=null_max, exact=exact)
