"""Vectorised reverse-Weibull fits against scipy's weibull_min.fit + fmin, problem by problem."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import fmin
from scipy.stats import weibull_min

from graphprior.robustness.clever import reverse_weibull_location
from graphprior.robustness.weibull import reverse_weibull_locations, weibull_min_fit


def _scipy_fit(data: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.array(weibull_min.fit(data, 1.0, optimizer=fmin))


def _clever_like_maxima(n_problems: int, seed: int) -> np.ndarray:
    """Maxima of 5 batches of 20 positive gradient norms: spread, nearly equal, one outlier."""
    rng = np.random.default_rng(seed)
    out = []
    for p in range(n_problems):
        kind = p % 3
        scale = rng.uniform(0.05, 5.0)
        if kind == 0:  # ordinary spread of norms
            norms = scale * rng.gamma(rng.uniform(1.0, 8.0), size=(5, 20))
            out.append(norms.max(axis=1))
        elif kind == 1:  # nearly linear model: maxima equal to a few digits
            out.append(scale * (1 + rng.uniform(1e-6, 1e-3) * rng.random(5)))
        else:  # four alike, one batch caught a much larger norm
            m = scale * (1 + 0.05 * rng.random(5))
            m[rng.integers(5)] *= rng.uniform(1.5, 4.0)
            out.append(m)
    return np.array(out)


def _relative_gaps(maxima: np.ndarray) -> np.ndarray:
    ours = reverse_weibull_locations(maxima)
    ref = np.array([-_scipy_fit(-m)[1] for m in maxima])
    return np.abs(ours - ref) / np.abs(ref)


def test_locations_match_scipy_problem_by_problem():
    rel = _relative_gaps(_clever_like_maxima(201, seed=0))
    assert np.mean(rel <= 1e-6) >= 0.95, np.sort(rel)[-10:]
    assert rel.max() <= 1e-3, np.sort(rel)[-10:]


def test_all_parameters_match_scipy():
    """Shape and scale too, not only the location CLEVER keeps."""
    data = -_clever_like_maxima(30, seed=1)
    ours = weibull_min_fit(data)
    ref = np.array([_scipy_fit(d) for d in data])
    rel = np.abs(ours - ref) / np.abs(ref)
    assert np.mean(rel.max(axis=1) <= 1e-6) >= 0.9, rel


def test_fits_that_run_out_of_calls_match_scipy():
    """Maxima equal to 9 digits: scipy's fmin stops at its 600 calls; ours stops at the same point."""
    data = -(1 + 1e-9 * np.random.default_rng(4).random((12, 5)))
    stops = []

    def counting_fmin(func, x0, args=(), disp=0):
        x, _, _, _, warnflag = fmin(func, x0, args=args, disp=0, full_output=True)
        stops.append(warnflag)
        return x

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = np.array([weibull_min.fit(d, 1.0, optimizer=counting_fmin) for d in data])
    assert 1 in stops  # the call limit was reached at least once
    np.testing.assert_allclose(weibull_min_fit(data), ref, rtol=1e-9)


@pytest.mark.parametrize("value", [3.0, 0.1, 1e-4])
def test_equal_maxima_behave_as_scipy(value):
    """Zero variance: scale starts at 0 (the simplex puts 0.00025 there); scipy still returns a fit."""
    maxima = np.full((2, 5), value)
    ref = -_scipy_fit(-maxima[0])[1]
    ours = reverse_weibull_locations(maxima)
    assert np.isfinite(ref) == np.isfinite(ours).all()
    np.testing.assert_allclose(ours, ref, rtol=1e-6)


def test_single_problem_and_batch_agree():
    maxima = _clever_like_maxima(6, seed=2)
    batch = reverse_weibull_locations(maxima)
    single = [reverse_weibull_location(m) for m in maxima]
    np.testing.assert_array_equal(batch, single)


def test_problems_do_not_interact():
    """A problem's fit does not depend on which others are fitted with it."""
    maxima = _clever_like_maxima(12, seed=3)
    whole = reverse_weibull_locations(maxima)
    halves = np.concatenate(
        [reverse_weibull_locations(maxima[::2]), reverse_weibull_locations(maxima[1::2])]
    )
    np.testing.assert_array_equal(np.concatenate([whole[::2], whole[1::2]]), halves)


def test_non_finite_maxima_raise_as_scipy():
    bad = np.array([[1.0, 2.0, np.inf, 1.5, 1.2]])
    with pytest.raises(ValueError, match="non-finite"):
        _scipy_fit(-bad[0])
    with pytest.raises(ValueError, match="non-finite"):
        reverse_weibull_locations(bad)
