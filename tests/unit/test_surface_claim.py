"""Claim Y1: the quadratic surface in clustering and path length, on data whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphprior.analysis.claims.rows import finish_claims
from graphprior.analysis.claims.surface import surface_claim, surface_r


def _frame(y_of, n=40, strata=("a", "b"), seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for s in strata:
        c, path = rng.uniform(0, 1, n), rng.uniform(1, 3, n)
        for i in range(n):
            rows.append({"stratum": s, "unit": f"{s}{i}", "avg_clustering": c[i],
                         "avg_path_length": path[i], "y": y_of(c[i], path[i], rng)})  # fmt: skip
    return pd.DataFrame(rows)


def _claim(frame, n_perm=2000, n_boot=100, seed=1):
    study = pd.DataFrame(columns=["avg_clustering", "avg_path_length", "y"])
    rows = surface_claim(frame, study, "y", n_perm=n_perm, n_boot=n_boot, rho=0.1,
                         rng=np.random.default_rng(seed))  # fmt: skip
    return finish_claims(rows, "relational").iloc[0]


def test_a_sweet_spot_is_found_and_supported():
    # robustness peaks at C = 0.5 whatever L: a quadratic the surface fits almost exactly
    row = _claim(_frame(lambda c, path, rng: -((c - 0.5) ** 2) + 0.001 * rng.normal()))
    assert row["r"] > 0.9 and row["ci_low"] > 0.5
    assert row["p"] == 1 / 2001  # no permutation reaches it: (0 + 1) / (2000 + 1)
    assert row["verdict"] == "supported" and row["arm"] == "relational"
    assert row["fixed_effects"] == "stratum" and row["n"] == 80


def test_noise_is_not_a_surface():
    row = _claim(_frame(lambda c, path, rng: rng.normal()), seed=3)
    assert row["r"] < 0.3 and row["p"] > 0.05
    assert row["verdict"] in ("negligible", "inconclusive")


def test_monotone_in_path_length_is_fitted_exactly_on_ranks():
    c, path = np.random.default_rng(0).uniform(size=(2, 50))
    assert surface_r(c, path, 3 * path) > 0.999
    assert np.isnan(surface_r(c[:5], path[:5], path[:5]))  # five terms, five graphs: no df left


def test_too_few_graphs_give_an_empty_row():
    row = _claim(_frame(lambda c, path, rng: c, n=5))
    assert np.isnan(row["r"]) and row["verdict"] == "insufficient"
