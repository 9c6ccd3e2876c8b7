"""Intervals of a share: a count of successes among ``n`` trials (e.g. robust inputs)."""

from __future__ import annotations

import numpy as np
from statsmodels.stats.proportion import proportion_confint

__all__ = ["wilson_interval"]


def wilson_interval(
    share: np.ndarray, n: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval of each ``share`` of ``n`` trials (NaN where ``n`` < 1).

    ``share * n`` is rounded to the count it stands for. Wilson's interval keeps
    its coverage near the nominal level at shares near 0 or 1 and at small
    ``n``, where the normal approximation's collapses to a point.
    """
    share = np.asarray(share, dtype=float)
    n = np.asarray(n, dtype=float)
    ok = np.isfinite(share) & np.isfinite(n) & (n >= 1)
    low, high = np.full(share.shape, np.nan), np.full(share.shape, np.nan)
    count = np.round(share[ok] * n[ok])
    low[ok], high[ok] = proportion_confint(count, n[ok], alpha=1 - level, method="wilson")
    return low, high
