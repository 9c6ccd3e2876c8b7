"""Verdict rules of the claims table (:class:`graphprior.config.choices.Verdict`).

:func:`claim_verdict` decides a directional claim from a coefficient, its
interval, its q-value and the pre-registered equivalence bound, so that "no
effect" can be decided (``negligible``) as well as an effect;
:func:`weak_correlation_verdict` decides the paper's claim C5 ("all
correlations are weak") on simultaneous intervals and the selection-adjusted
(maxT) p-values of the whole grid. The rules are written out in
docs/report.md and in the report itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.stats

from graphprior.config.choices import Verdict

__all__ = [
    "ALPHA",
    "Verdict",
    "claim_verdict",
    "simultaneous_intervals",
    "weak_correlation_verdict",
]

#: Significance level of every verdict (on q-values where a family exists).
ALPHA = 0.05


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
    alpha: float = ALPHA,
    equivalence: float | None = None,
) -> Verdict:
    """Verdict on a directional claim ("higher X goes with lower robustness").

    Rule, in order:

    * ``"not testable"`` if r is NaN (no estimate exists: the design fixes x);
    * ``"negligible"`` if an `equivalence` bound is given and the whole
      interval lies inside (−bound, bound): whatever the sign, the effect is
      smaller than the smallest effect of interest;
    * ``"supported"`` if q < `alpha`, the interval excludes 0 on the
      expected side and r has the expected sign;
    * ``"contradicted"`` if q < `alpha` and the interval excludes 0 on the
      opposite side;
    * ``"inconclusive"`` otherwise (an interval that reaches past the bound
      and covers 0, or a NaN interval or q).

    Parameters
    ----------
    r : float
        Point estimate of the correlation.
    ci_low, ci_high : float
        Its confidence interval.
    q : float
        Its multiplicity-adjusted p-value.
    expected_sign : int, float or str
        Sign the claim predicts: ``-1``/``"negative"`` or ``+1``/``"positive"``.
    alpha : float
        Threshold on q.
    equivalence : float, optional
        The pre-registered smallest |r| of interest (``report.smallest_effect.rho``).

    Returns
    -------
    Verdict

    Examples
    --------
    >>> claim_verdict(-0.3, -0.45, -0.12, 0.01, "negative").value
    'supported'
    >>> claim_verdict(0.02, -0.1, 0.14, 0.7, "negative", equivalence=0.2).value
    'negligible'
    """
    sign = _sign(expected_sign)
    if not np.isfinite(r):
        return Verdict.NOT_TESTABLE
    interval = np.isfinite(ci_low) and np.isfinite(ci_high)
    if equivalence is not None and interval and -equivalence < ci_low and ci_high < equivalence:
        return Verdict.NEGLIGIBLE
    if not (interval and np.isfinite(q) and q < alpha):
        return Verdict.INCONCLUSIVE
    if ci_low > 0 and r > 0:
        return Verdict.SUPPORTED if sign > 0 else Verdict.CONTRADICTED
    if ci_high < 0 and r < 0:
        return Verdict.SUPPORTED if sign < 0 else Verdict.CONTRADICTED
    return Verdict.INCONCLUSIVE


def simultaneous_intervals(
    r: Any, n_eff: Any, alpha: float = ALPHA
) -> tuple[np.ndarray, np.ndarray]:
    """Fisher-z intervals of every r at level 1 − alpha/m (Bonferroni over the m finite r).

    `n_eff` is the sample size less the controls (n − k); below 4 the bounds are NaN.
    """
    rv = np.asarray(r, dtype=float).ravel()
    nv = np.asarray(n_eff, dtype=float).ravel()
    m = max(int(np.isfinite(rv).sum()), 1)
    z = scipy.stats.norm.ppf(1 - alpha / (2 * m))
    with np.errstate(divide="ignore", invalid="ignore"):
        half = np.where(nv > 3, z / np.sqrt(nv - 3), np.nan)
        centre = np.arctanh(np.clip(rv, -1 + 1e-12, 1 - 1e-12))
    return np.tanh(centre - half), np.tanh(centre + half)


def weak_correlation_verdict(
    r: Any,
    p_maxt: Any,
    ci_low: Any,
    ci_high: Any,
    *,
    alpha: float = ALPHA,
    weak: float = 0.3,
) -> Verdict:
    """Verdict on the paper's claim C5, "all correlations are weak" (|r| < `weak`).

    Decided on the whole grid with its selection accounted for: `p_maxt` are
    the maxT-adjusted p-values (:func:`graphprior.analysis.stats.maxt.maxt_correlations`)
    and `ci_low`, `ci_high` simultaneous intervals (:func:`simultaneous_intervals`).
    `weak` is 0.3 after Cohen's medium r. Rule:

    * ``"contradicted"`` if some pair's adjusted p is below `alpha` and its
      interval lies beyond ±`weak` (that correlation is not weak);
    * ``"supported"`` if every pair's interval lies inside (−`weak`, `weak`);
    * ``"not testable"`` if no pair has an estimate;
    * ``"inconclusive"`` otherwise.

    Examples
    --------
    >>> weak_correlation_verdict([0.05, -0.6], [0.8, 0.001], [-0.2, -0.8], [0.25, -0.35]).value
    'contradicted'
    """
    rv, pv = np.asarray(r, dtype=float).ravel(), np.asarray(p_maxt, dtype=float).ravel()
    lo, hi = np.asarray(ci_low, dtype=float).ravel(), np.asarray(ci_high, dtype=float).ravel()
    if not (rv.shape == pv.shape == lo.shape == hi.shape):
        raise ValueError("r, p_maxt, ci_low and ci_high differ in length")
    usable = np.isfinite(rv)
    if not usable.any():
        return Verdict.NOT_TESTABLE
    rv, pv, lo, hi = rv[usable], pv[usable], lo[usable], hi[usable]
    strong = (pv < alpha) & ((lo > weak) | (hi < -weak))
    if strong.any():
        return Verdict.CONTRADICTED
    if np.isfinite(lo).all() and np.isfinite(hi).all() and ((lo > -weak) & (hi < weak)).all():
        return Verdict.SUPPORTED
    return Verdict.INCONCLUSIVE
