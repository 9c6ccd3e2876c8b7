"""Batched CLEVER against ART's clever_u; saturation flags and gate exclusions of the analysis."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from graphprior.analysis.study.gates import (
    failed_models,
    mask_failed_models,
    saturation_flags,
    study_flags,
)
from graphprior.robustness.clever import clever_u_batched, sample_ball
from tests.art_reference import clever_scores

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("norm", [2, math.inf])
def test_sample_ball_stays_in_the_ball(norm):
    pts = sample_ball(500, 64, 0.7, norm, torch.Generator().manual_seed(0))
    size = pts.abs().amax(1) if math.isinf(norm) else pts.norm(dim=1)
    assert float(size.max()) <= 0.7 + 1e-9 and float(size.mean()) > 0.5


def test_batched_clever_agrees_with_art_within_its_seed_spread(stack):
    """Same estimator as ART's clever_u (every class): our mean within ART's seed spread."""
    net, x, _ = stack
    x = x[:3]
    kw = {"nb_batches": 5, "batch_size": 10, "radius": 2.0}
    ours = np.stack(
        [clever_u_batched(net, x, norm=2, n_classes=None, seed=s, **kw).scores for s in range(3)]
    )
    art = np.stack([clever_scores(net, x, 3, norm=2, seed=s, **kw) for s in range(3)])
    spread = art.max(0) - art.min(0) + ours.max(0) - ours.min(0)
    diff = np.abs(ours.mean(0) - art.mean(0))
    assert np.all(diff <= spread + 0.02 * art.mean(0)), (ours.mean(0), art.mean(0), spread)
    # one fitted class (the default's trade) gives an upper bound close to every class
    one = clever_u_batched(net, x, norm=2, n_classes=1, seed=0, **kw).scores
    assert np.all(one >= ours[0] - 1e-9) and np.all(one <= 1.2 * ours[0] + 1e-9)


def test_batched_clever_caps_at_the_radius(stack):
    net, x, _ = stack
    res = clever_u_batched(
        net, x[:4], nb_batches=3, batch_size=5, radius=0.05, norm=2, n_classes=1, seed=0
    )
    assert np.all(res.scores <= 0.05) and res.capped.all()


def _robustness(values: dict[tuple, list[float]]) -> pd.DataFrame:
    rows = []
    for (measure, attack, norm, eps), vs in values.items():
        for i, v in enumerate(vs):
            rows.append(
                {"model_id": f"m{i}", "measure": measure, "attack": attack, "norm": norm,
                 "eps": eps, "layer": None, "value": v, "n": 100}
            )  # fmt: skip
    return pd.DataFrame(rows)


def test_saturation_flags_by_hand():
    rob = _robustness(
        {
            ("robust_accuracy", "pgd", "l2", 2.0): [0.0, 0.01, 0.02, 0.3],  # 3 of 4 low
            ("robust_accuracy", "pgd", "l2", 0.5): [0.4, 0.5, 0.01, 0.6],  # mid-range
            ("robust_accuracy", "pgd", "l2", 0.0): [0.99, 0.99, 0.99, 0.99],  # ε = 0: clean
            ("clever_capped_share", "clever", "l2", 0.3): [0.9, 0.8, 0.7, 0.1],
        }
    )
    flags = saturation_flags(rob).set_index("column")
    assert bool(flags.loc["robust_accuracy_pgd_l2_2", "flagged"])
    assert flags.loc["robust_accuracy_pgd_l2_2", "share_low"] == pytest.approx(0.75)
    assert not bool(flags.loc["robust_accuracy_pgd_l2_0p5", "flagged"])
    assert "robust_accuracy_pgd_l2_0" not in flags.index
    assert bool(flags.loc["clever_score_clever_l2_0p3", "flagged"])
    meta = study_flags(rob, None)
    assert "robust_accuracy_pgd_l2_2" in meta["graphprior.flagged_measures"]
    assert meta["graphprior.gate_failed_models"] == "[]"


def test_failed_gate_masks_only_that_models_attack_measures():
    checks = pd.DataFrame(
        {"group": ["g", "g"], "model_id": ["m0", "m1"], "check": ["zero_gradient_share"] * 2,
         "value": [1.0, 0.0], "threshold": [0.01, 0.01], "passed": [False, True]}
    )  # fmt: skip
    study = pd.DataFrame(
        {"model_id": ["m0", "m1"], "robust_accuracy_pgd_linf_0p1": [0.4, 0.5],
         "test_accuracy": [0.9, 0.95], "weight_worst_accuracy_pgd_l2_0p05": [0.7, 0.8]}
    )  # fmt: skip
    assert failed_models(checks) == {"m0"}
    masked = mask_failed_models(study, checks)
    assert math.isnan(masked.loc[0, "robust_accuracy_pgd_linf_0p1"])
    assert masked.loc[1, "robust_accuracy_pgd_linf_0p1"] == 0.5
    assert masked.loc[0, "test_accuracy"] == 0.9
    assert masked.loc[0, "weight_worst_accuracy_pgd_l2_0p05"] == 0.7
    assert study.loc[0, "robust_accuracy_pgd_linf_0p1"] == 0.4  # the input is left alone


def test_report_counts_failing_models_per_arm_with_baselines_as_one_row():
    from graphprior.report.sections.gates import _by_arm

    models = pd.DataFrame(
        {"model_id": ["a", "b", "c", "d"], "arm": ["fixed", "fixed", "paper", None]}
    )
    checks = pd.DataFrame(
        {
            "model_id": ["a", "a", "b", "c", "c", "d"],
            "check": ["more_effort:linf:0.1", "zero_gradient_share", "zero_gradient_share",
                      "zero_gradient_share", "largest_eps_fools:l2:4", "zero_gradient_share"],
            "passed": [True, True, True, False, False, True],
        }
    )  # fmt: skip
    table = _by_arm(checks, models).set_index("arm")
    assert table["models"].to_dict() == {"baselines": 1, "fixed": 2, "paper": 1}
    assert table["models failing a gate"].to_dict() == {"baselines": 0, "fixed": 0, "paper": 1}
    assert table.loc["paper", "gates failed"] == "largest_eps_fools, zero_gradient_share"


def test_clever_stays_on_the_inputs_device():
    """The pool is drawn on the CPU and moved once; every later op runs on the inputs'
    device. With the inputs and the net on `meta` (standing in for CUDA) any CPU tensor
    mixed in raises, as adding a CPU-drawn pool to the inputs did."""
    from graphprior.graphs.netspec import dense_spec
    from graphprior.nets.stacked import StackedNet
    from graphprior.robustness.clever import _pool_gradient_norms, clever_pool

    net = StackedNet(dense_spec((1, 8, 8), [6], 10), 2).to("meta").eval()
    x = torch.empty(3, 1, 8, 8, device="meta")
    pool = clever_pool(x, 4, 0.5, 2.0, seed=0)
    assert pool.device.type == "meta" and pool.shape == (3, 4, 1, 8, 8)
    logits, norms = _pool_gradient_norms(net, x, pool, 2.0)
    assert logits.device.type == "meta" and norms.shape == (2, 3, 4, 10)
    with pytest.raises(RuntimeError, match="device"):
        x.reshape(3, 1, 64).double() + torch.zeros(3, 4, 64, dtype=torch.float64)


def test_clever_pool_gradient_norms_are_those_of_the_full_gradient_tensor():
    """One class's gradient at a time gives the dual norms of ∇(f_pred − f_j) exactly."""
    from graphprior.graphs.netspec import dense_spec
    from graphprior.nets.stacked import StackedNet
    from graphprior.robustness.clever import _pool_gradient_norms, clever_pool

    torch.manual_seed(0)
    net = StackedNet(dense_spec((1, 8, 8), [6], 10), 2).eval()
    x = torch.rand(3, 1, 8, 8)
    pool = clever_pool(x, 4, 0.5, 2.0, seed=1)
    logits, norms = _pool_gradient_norms(net, x, pool, 1.0)
    pts = pool.reshape(12, 1, 8, 8).unsqueeze(0).expand(2, 12, 1, 8, 8).clone().requires_grad_()
    jac = torch.stack([torch.autograd.grad(net(pts)[..., j].sum(), pts)[0].reshape(2, 3, 4, -1)
                       for j in range(10)], dim=3)  # fmt: skip
    pred = logits.argmax(-1).view(2, 3, 1, 1, 1).expand(2, 3, 4, 1, 64)
    expected = (jac.gather(3, pred) - jac).norm(p=1.0, dim=-1)
    torch.testing.assert_close(norms, expected)
