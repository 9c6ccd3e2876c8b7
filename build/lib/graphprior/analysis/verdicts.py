"""Verdict rules of the claims table: supported, contradicted or inconclusive.

:func:`claim_verdict` decides a directional claim from a coefficient, its
interval and its q-value; :func:`weak_correlation_verdict` decides the
paper's claim C5 ("all correlations are weak"). The rules are written out in
docs/report.md and in the report itself.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

__all__ = ["ALPHA", "Verdict", "claim_verdict", "weak_correlation_verdict"]

#: Significance level of every verdict (on q-values where a family exists).
ALPHA = 0.05

Verdict = Literal["supported", "contradicted", "inconclusive"]


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
