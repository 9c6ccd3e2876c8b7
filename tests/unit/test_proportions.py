"""Wilson intervals of shares, and the robustness table's intervals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from graphprior.analysis.stats import wilson_interval
from graphprior.stages.aggregate_parquet import with_share_intervals


def test_wilson_interval_of_known_shares():
    low, high = wilson_interval(np.array([0.5, 0.0, 1.0]), np.array([10, 100, 4]))
    # 5 of 10: p ± z·sqrt(p(1-p)/n + z²/4n²) around (p + z²/2n) / (1 + z²/n), z = 1.95996
    z = 1.959963984540054
    centre, half = (
        (0.5 + z**2 / 20) / (1 + z**2 / 10),
        z * math.sqrt(0.025 + z**2 / 400) / (1 + z**2 / 10),
    )
    assert low[0] == pytest.approx(centre - half) and high[0] == pytest.approx(centre + half)
    assert (low[0], high[0]) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    # 0 of 100: [0, z²/(n + z²)]; 4 of 4: [n/(n + z²), 1]
    assert low[1] == pytest.approx(0.0, abs=1e-12) and high[1] == pytest.approx(z**2 / (100 + z**2))
    assert low[2] == pytest.approx(4 / (4 + z**2)) and high[2] == pytest.approx(1.0)


def test_no_interval_without_inputs():
    low, high = wilson_interval(np.array([0.5, np.nan]), np.array([0, 10]))
    assert np.isnan(low).all() and np.isnan(high).all()


def test_only_shares_get_an_interval_in_the_robustness_table():
    rows = pd.DataFrame({
        "model_id": ["m"] * 4,
        "measure": ["robust_accuracy", "clean_accuracy", "nc1", "paper_robustness"],
        "attack": ["pgd", "none", "none", "fgsm"], "norm": ["linf", "none", "none", "linf"],
        "eps": [0.1, np.nan, np.nan, 0.1], "layer": [None] * 4, "value": [0.25, 0.9, 3.0, 0.25],
        "n": [100, 100, 500, 100],
    })  # fmt: skip
    out = with_share_intervals(rows)
    assert out.loc[0, "ci_low"] < 0.25 < out.loc[0, "ci_high"]
    assert out.loc[1, "ci_low"] < 0.9 < out.loc[1, "ci_high"] <= 1.0
    assert np.isnan(out.loc[2, "ci_low"]) and np.isnan(out.loc[2, "ci_high"])
    # the paper's robustness is a share too: the same interval as the same share's
    assert out.loc[3, ["ci_low", "ci_high"]].tolist() == pytest.approx(
        [out.loc[0, "ci_low"], out.loc[0, "ci_high"]]
    )
