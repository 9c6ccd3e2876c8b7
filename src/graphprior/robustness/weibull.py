"""Vectorised reverse-Weibull fits: scipy's ``weibull_min.fit`` + ``fmin``, for many problems at once.

CLEVER (``clever.py``) fits a reverse Weibull distribution to the ``n``
batch maxima of each (model, input, class): ``weibull_min.fit(-maxima, 1.0,
optimizer=scipy.optimize.fmin)``, as ART's ``clever_t``, and keeps the
location. One scipy fit costs ~17 ms, mostly Python overhead around a
3-parameter Nelder–Mead, and CLEVER needs hundreds. This module runs the
same computation for ``P`` problems in numpy arrays, step for step:

- start (scipy's ``weibull_min_gen.fit`` with a shape guess ``c0`` and no
  location or scale guess): ``scale0 = sqrt(var / (Γ(1+2/c0) − Γ(1+1/c0)²))``,
  ``loc0 = mean − scale0 · Γ(1+1/c0)`` (at ``c0 = 1``: std and mean − std);
- objective ``_penalized_nnlf((c, loc, scale), data)`` of
  ``rv_continuous``: ``inf`` for ``c ≤ 0`` or ``scale ≤ 0``, otherwise
  ``−Σ log pdf`` over the finite terms, plus ``100 · log(float max)`` for each
  point outside the support or with a non-finite log pdf, plus
  ``n · log(scale)``;
- scipy's Nelder–Mead (``_minimize_neldermead`` with fmin's defaults:
  xatol = fatol = 1e-4, at most 600 iterations and 600 function calls,
  initial simplex ×1.05 per coordinate or 0.00025 where it is 0): the
  termination test, the reflection / expansion / contraction / shrink
  choices, the call counting (a call past the limit ends the iteration where
  it stands) and the ``argsort`` ordering, each decided per problem.

The results equal scipy's fits up to rounding in the last bits (tested on
CLEVER-like maxima in ``tests/unit/test_weibull.py``).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special

__all__ = ["reverse_weibull_locations", "weibull_min_fit"]

_LOGXMAX = np.log(np.finfo(float).max)  # scipy's penalty per bad point: _LOGXMAX * 100
_XTOL = _FTOL = 1e-4  # fmin's defaults
_N_PARAMS = 3  # c, loc, scale
_MAX_CALLS = _MAX_ITER = 200 * _N_PARAMS
_RHO, _CHI, _PSI, _SIGMA = 1, 2, 0.5, 0.5  # non-adaptive Nelder–Mead


def _nnlf(theta: np.ndarray, data: np.ndarray) -> np.ndarray:
    """``weibull_min._penalized_nnlf`` of parameters ``(m, 3)`` on data ``(m, n)``: ``(m,)``."""
    c, loc, scale = theta[:, 0:1], theta[:, 1:2], theta[:, 2:3]
    out = np.full(theta.shape[0], np.inf)
    ok = (c[:, 0] > 0) & (scale[:, 0] > 0)
    if not ok.any():
        return out
    c, loc, scale, data = c[ok], loc[ok], scale[ok], data[ok]
    x = (data - loc) / scale
    inside = 0 <= x  # the support [0, inf]; NaN is outside
    with np.errstate(invalid="ignore"):  # points outside the support (scipy drops them first)
        logpdf = np.log(c) + special.xlogy(c - 1, x) - np.power(x, c)
    good = inside & np.isfinite(logpdf)
    total = np.where(good, logpdf, 0.0).sum(axis=1)
    n_bad = data.shape[1] - np.count_nonzero(good, axis=1)
    out[ok] = -total + n_bad * _LOGXMAX * 100 + data.shape[1] * np.log(scale[:, 0])
    return out


def _sort(sim: np.ndarray, fsim: np.ndarray, rows: np.ndarray) -> None:
    """Order the simplices ``rows`` by function value in place (scipy's ``np.argsort``)."""
    ind = np.argsort(fsim[rows], axis=1)
    fsim[rows] = np.take_along_axis(fsim[rows], ind, axis=1)
    sim[rows] = np.take_along_axis(sim[rows], ind[:, :, None], axis=1)


def _shrink(sim, fsim, calls, rows, data) -> np.ndarray:
    """Shrink the simplices ``rows`` towards their best vertex, one counted call per vertex.

    Returns the rows that ran out of calls (scipy's ``_MaxFuncCallError``):
    a vertex whose call is refused is moved but keeps its old value, and the
    vertices after it stay as they were.
    """
    out_of_calls = np.zeros(rows.size, dtype=bool)
    for j in range(1, _N_PARAMS + 1):
        live = rows[~out_of_calls]
        sim[live, j] = sim[live, 0] + _SIGMA * (sim[live, j] - sim[live, 0])
        allowed = calls[live] < _MAX_CALLS
        fsim[live[allowed], j] = _nnlf(sim[live[allowed], j], data[live[allowed]])
        calls[live[allowed]] += 1
        out_of_calls[~out_of_calls] = ~allowed
    return rows[out_of_calls]


def _step(sim, fsim, calls, rows, data) -> np.ndarray:
    """One Nelder–Mead iteration on the simplices ``rows``; returns those that ran out of calls."""
    xbar = (sim[rows, 0] + sim[rows, 1] + sim[rows, 2]) / _N_PARAMS
    worst = sim[rows, -1]
    xr = (1 + _RHO) * xbar - _RHO * worst
    fxr = _nnlf(xr, data[rows])
    calls[rows] += 1
    expand = fxr < fsim[rows, 0]
    accept_r = ~expand & (fxr < fsim[rows, -2])
    outside = ~expand & ~accept_r & (fxr < fsim[rows, -1])
    second = expand | ~accept_r  # the rows that make a second call
    trial = np.where(
        expand[:, None],
        (1 + _RHO * _CHI) * xbar - _RHO * _CHI * worst,
        np.where(
            outside[:, None],
            (1 + _PSI * _RHO) * xbar - _PSI * _RHO * worst,
            (1 - _PSI) * xbar + _PSI * worst,
        ),
    )
    allowed = ~second | (calls[rows] < _MAX_CALLS)
    ask = second & allowed
    ftrial = np.full(rows.size, np.nan)
    ftrial[ask] = _nnlf(trial[ask], data[rows[ask]])
    calls[rows[ask]] += 1
    take_e = expand & allowed & (ftrial < fxr)
    take_r = accept_r | (expand & allowed & ~take_e)
    inside = ~expand & ~accept_r & ~outside
    take_c = allowed & ((outside & (ftrial <= fxr)) | (inside & (ftrial < fsim[rows, -1])))
    shrink = ~expand & ~accept_r & allowed & ~take_c
    new = np.where(take_r[:, None], xr, trial)
    fnew = np.where(take_r, fxr, ftrial)
    upd = take_r | take_e | take_c
    sim[rows[upd], -1] = new[upd]
    fsim[rows[upd], -1] = fnew[upd]
    stopped = rows[~allowed]
    if shrink.any():
        stopped = np.concatenate([stopped, _shrink(sim, fsim, calls, rows[shrink], data)])
    return stopped


def _start(data: np.ndarray, c0: float) -> np.ndarray:
    """scipy's start point ``(P, 3)`` for a shape guess ``c0`` (moments for location and scale)."""
    scale = np.sqrt(
        np.var(data, axis=1) / (special.gamma(1 + 2 / c0) - special.gamma(1 + 1 / c0) ** 2)
    )
    loc = np.mean(data, axis=1) - scale * special.gamma(1 + 1 / c0)
    return np.stack([np.full(data.shape[0], float(c0)), loc, scale], axis=1)


def weibull_min_fit(data: np.ndarray, c0: float = 1.0) -> np.ndarray:
    """``(c, loc, scale)`` ``(P, 3)`` of ``weibull_min.fit(data[p], c0, optimizer=fmin)`` for each row.

    Raises ``ValueError`` on non-finite data and ``RuntimeError`` where a fit
    ends outside the parameter range, as scipy does (its ``FitError`` is a
    ``RuntimeError``).
    """
    data = np.ascontiguousarray(data, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"data must be (problems, samples), got shape {data.shape}")
    if not np.isfinite(data).all():
        raise ValueError("The data contains non-finite values.")
    n_prob = data.shape[0]
    x0 = _start(data, c0)
    sim = np.repeat(x0[:, None, :], _N_PARAMS + 1, axis=1)
    for k in range(_N_PARAMS):
        y = sim[:, k + 1, k]
        sim[:, k + 1, k] = np.where(y != 0, (1 + 0.05) * y, 0.00025)
    fsim = np.stack([_nnlf(sim[:, k], data) for k in range(_N_PARAMS + 1)], axis=1)
    calls = np.full(n_prob, _N_PARAMS + 1)
    everyone = np.arange(n_prob)
    _sort(sim, fsim, everyone)
    iterations = np.ones(n_prob, dtype=int)
    active = np.ones(n_prob, dtype=bool)
    while True:
        active &= (calls < _MAX_CALLS) & (iterations < _MAX_ITER)
        rows = everyone[active]
        with np.errstate(invalid="ignore"):  # inf − inf in the test: NaN, not converged
            xdone = np.abs(sim[rows, 1:] - sim[rows, :1]).max(axis=(1, 2)) <= _XTOL
            fdone = np.abs(fsim[rows, :1] - fsim[rows, 1:]).max(axis=1) <= _FTOL
        active[rows[xdone & fdone]] = False
        rows = everyone[active]
        if rows.size == 0:
            break
        stopped = _step(sim, fsim, calls, rows, data)
        iterations[rows] += 1
        iterations[stopped] -= 1  # scipy skips the count when a call is refused
        _sort(sim, fsim, rows)
    best = sim[:, 0]
    if not ((best[:, 0] > 0) & (best[:, 2] > 0)).all():
        raise RuntimeError(
            "Optimization converged to parameters that are outside the range allowed by the distribution."
        )
    return best


def reverse_weibull_locations(maxima: np.ndarray, c_init: float = 1.0) -> np.ndarray:
    """Upper end points ``(P,)`` of reverse Weibulls fitted to the rows of ``maxima`` ``(P, n)``.

    As ART's ``clever_t``: ``weibull_min`` fitted to ``−maxima`` from shape
    ``c_init``; the location of each fit, negated (a positive number for
    positive maxima).
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # nearly equal maxima (a model linear around x) make the fit ill-conditioned
        warnings.simplefilter("ignore", RuntimeWarning)
        params = weibull_min_fit(-np.asarray(maxima, dtype=np.float64), c_init)
    return -params[:, 1]
