"""Claim Y1 (You et al. 2020): robustness is a smooth function of clustering C and path length L.

You, Leskovec, He and Xie found a network's accuracy to vary smoothly over
the plane of the graph's average clustering coefficient C and average path
length L, with a "sweet spot" inside it. Y1 asks the same of robustness: does
a quadratic surface in (C, L) explain the per-graph primary measure?

Statistic (``surface_r``): the adjusted multiple correlation of the surface,
``sqrt(max(0, adjusted R²))``, where R² is the share of the per-graph
variance within strata that ``C, L, C², L², C·L`` explain beyond stratum
means. C, L and the measure enter as ranks within their stratum, scaled to
[0, 1] (the Spearman convention of the other claims: robust to a long tail).
The p-value permutes the measure within strata (a graph and its twin move
together, :func:`graphprior.analysis.stats.cluster_permutations`); the
interval resamples graphs within strata (percentile bootstrap). The verdict
is the directional rule with a positive sign: ``supported`` when q < α and
the interval excludes 0, ``negligible`` when the whole interval lies below
the smallest effect of interest (``report.smallest_effect.rho``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphprior.analysis.claims.rows import ClaimRow, claim_row
from graphprior.analysis.stats import cluster_permutations
from graphprior.analysis.study.columns import study_name
from graphprior.config.choices import POOLED

__all__ = ["SURFACE_CLAIM", "SURFACE_PROPERTIES", "surface_r", "surface_claim"]

#: The claim's id and the two properties of its surface (names in `graph_properties`).
SURFACE_CLAIM = "Y1"
SURFACE_PROPERTIES: tuple[str, str] = ("avg_clustering", "avg_path_length")

#: Graphs per quadratic term a surface needs (five terms: at least 15 graphs).
_PER_TERM = 3


def _scaled_ranks(values: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    ranks = pd.Series(values).groupby(blocks).rank(pct=True).to_numpy(dtype=float)
    return ranks - pd.Series(ranks).groupby(blocks).transform("mean").to_numpy(dtype=float)


def _design(c: np.ndarray, path: np.ndarray, blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The null design (stratum indicators) and the full one (plus the quadratic surface)."""
    null = pd.get_dummies(pd.Series(blocks)).to_numpy(dtype=float)
    terms = np.column_stack([c, path, c * c, path * path, c * path])
    return null, np.column_stack([null, terms])


def _residual_ss(design: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Residual sums of squares of every column of ``y`` (n, B) on ``design``.

    Least squares by SVD, so a rank-deficient design (a resample whose
    terms coincide) projects on its column space and nothing more.
    """
    beta = np.linalg.lstsq(design, y, rcond=None)[0]
    resid = y - design @ beta
    return np.einsum("ij,ij->j", resid, resid)


def surface_r(c, path, y, blocks=None) -> float:
    """Adjusted multiple correlation of the quadratic surface in (C, L) with y, within blocks."""
    c, path, y = (np.asarray(v, dtype=float) for v in (c, path, y))
    blocks = np.zeros(c.size, dtype=int) if blocks is None else np.asarray(blocks)
    return float(
        _adjusted(*_design(*_prepared(c, path, blocks), blocks), _prepared_y(y, blocks))[0]
    )


def _prepared(c: np.ndarray, path: np.ndarray, blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _scaled_ranks(c, blocks), _scaled_ranks(path, blocks)


def _prepared_y(y: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    return _scaled_ranks(y, blocks)[:, None]


def _adjusted(null: np.ndarray, full: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sqrt(max(0, adjusted R²)) of `full` over `null`, for every column of y."""
    rss_null, rss_full = _residual_ss(null, y), _residual_ss(full, y)
    n, k_null, k_full = len(y), np.linalg.matrix_rank(null), np.linalg.matrix_rank(full)
    df_full, df_null = n - k_full, n - k_null
    if df_full < 1 or k_full == k_null:
        return np.full(y.shape[1], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        adjusted = 1 - (rss_full / df_full) / (rss_null / df_null)
    return np.sqrt(np.clip(adjusted, 0.0, None))


def _within_strata(units: np.ndarray, blocks: np.ndarray, n_perm: int, rng) -> np.ndarray:
    """``(n_perm, n)`` targets permuting whole units within each block."""
    target = np.tile(np.arange(units.size), (n_perm, 1))
    for block in np.unique(blocks):
        rows = np.flatnonzero(blocks == block)
        target[:, rows] = rows[cluster_permutations(units[rows], n_perm, rng)]
    return target


def _bootstrap(c, path, y, units, blocks, n_boot: int, rng) -> tuple[float, float]:
    if n_boot < 1:
        return float("nan"), float("nan")
    draws = []
    for _ in range(n_boot):
        rows = []
        for block in np.unique(blocks):
            own = np.unique(units[blocks == block])
            for u in rng.choice(own, own.size, replace=True):
                rows.extend(np.flatnonzero((units == u) & (blocks == block)))
        rows = np.asarray(rows)
        draws.append(surface_r(c[rows], path[rows], y[rows], blocks[rows]))
    low, high = np.nanpercentile(np.asarray(draws, dtype=float), [2.5, 97.5])
    return float(low), float(high)


def surface_claim(
    frame: pd.DataFrame | None,
    study: pd.DataFrame,
    y: str | None,
    *,
    n_perm: int,
    n_boot: int,
    rho: float,
    rng: np.random.Generator,
    unreliable: bool = False,
) -> list[ClaimRow]:
    """Y1's pooled row on the claims' per-graph frame (``stratum``, ``unit``, C, L and `y`)."""
    names = [study_name(p, study) for p in SURFACE_PROPERTIES]
    x = ",".join(n or p for n, p in zip(names, SURFACE_PROPERTIES, strict=True))
    empty = claim_row(SURFACE_CLAIM, analysis="raw", stratum=POOLED, x=x, y=y or "",
                      statistic="surface_r", sign=1, equivalence=rho)  # fmt: skip
    if frame is None or y is None or None in names or y not in frame.columns:
        return [empty]
    sub = frame.dropna(subset=[*names, y])
    blocks = sub["stratum"].astype(str).to_numpy()
    units = sub["unit"].astype(str).to_numpy()
    n_strata = len(np.unique(blocks))
    if len(sub) < _PER_TERM * 5 + n_strata:
        empty.n, empty.n_units = len(sub), len(np.unique(units))
        return [empty]
    c, path, yv = (sub[col].to_numpy(dtype=float) for col in (*names, y))
    null, full = _design(*_prepared(c, path, blocks), blocks)
    observed = float(_adjusted(null, full, _prepared_y(yv, blocks))[0])
    perms = _within_strata(units, blocks, n_perm, rng)
    y_ranks = _prepared_y(yv, blocks)[:, 0]
    permuted = _adjusted(null, full, y_ranks[perms].T)
    # one-sided (R >= 0): the share of permutations at least as large, scipy's (b + 1) / (n + 1)
    p = float((np.sum(np.nan_to_num(permuted) >= observed - 1e-12) + 1) / (n_perm + 1))
    low, high = _bootstrap(c, path, yv, units, blocks, n_boot, rng)
    return [
        claim_row(
            SURFACE_CLAIM, analysis="raw", stratum=POOLED, x=x, y=y, statistic="surface_r",
            r=observed, ci_low=low, ci_high=high, p=p, p_method="permutation",
            n=len(sub), n_units=len(np.unique(units)), sign=1,
            fixed_effects="stratum" if n_strata > 1 else "", equivalence=rho,
            unreliable=unreliable,
        )
    ]  # fmt: skip
