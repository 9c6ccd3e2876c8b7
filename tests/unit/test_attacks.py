"""Input-space attacks: known answers on a linear model, invariants on small trained
nets, and cross-checks against ART on the same model."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from graphprior.config import validate_config
from graphprior.config.sections import AttackConfig, OnePixelConfig, PgdNormConfig
from graphprior.data import load_dataset
from graphprior.graphs.netspec import dense_spec
from graphprior.nets.inits import initialise
from graphprior.nets.stacked import SingleNet, StackedNet
from graphprior.robustness import run
from graphprior.robustness.accuracy import (
    auc_robust_accuracy,
    clean_correct,
    correct_at,
    mean_adversarial_confidence,
    paper_robustness,
    robust_accuracy,
    robust_correct,
    success_rate_on_correct,
)
from graphprior.robustness.apgd import ApgdBudget, apgd, apgd_chain
from graphprior.robustness.fgsm_pgd import fgsm, pgd
from graphprior.robustness.metrics import accuracy_and_f1, loss_sensitivity
from graphprior.robustness.minimal import (
    min_perturbation_apgd_bisection,
    min_perturbation_fgsm_linesearch,
    min_perturbation_pgd_bisection,
    restricted_mean,
    summarize_min_perturbation,
)
from graphprior.robustness.onepixel import (
    onepixel_attack,
    onepixel_exhaustive,
    onepixel_success_rate,
)
from graphprior.robustness.run import run_input_attacks
from graphprior.robustness.stacking import single_model
from tests.art_reference import (
    art_classifier,
    clever_scores,
    loss_sensitivity_art,
    numpy_global_seed,
)

N_TEST = 120  # test samples used by the trained-net tests


pytestmark = pytest.mark.usefixtures("one_thread")


# ---------------------------------------------------------------------------
# A linear two-class model with known minimal perturbations


class TwoClassLinear(nn.Module):
    """Logits ``[-z/2, z/2]`` with ``z = w·x + b``: the class flips where ``z`` changes sign."""

    def __init__(self, w: torch.Tensor, b: float):
        super().__init__()
        self.w = nn.Parameter(w.clone())
        self.b = nn.Parameter(torch.tensor(float(b)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = x.flatten(1) @ self.w + self.b
        return torch.stack([-z / 2, z / 2], dim=-1)


@pytest.fixture(scope="module")
def linear_case():
    """Inputs near 0.5 (far from the box walls) with margins ``z`` chosen per sample."""
    gen = torch.Generator().manual_seed(1)
    d = 16
    w = torch.randn(d, generator=gen, dtype=torch.float64).float()
    b = -0.5 * float(w.sum())
    sign = torch.where(torch.rand(24, generator=gen) < 0.5, -1.0, 1.0)
    z = sign * (0.2 + 0.6 * torch.rand(24, generator=gen))
    x = 0.5 + z[:, None] * w[None, :] / w.dot(w)
    model = TwoClassLinear(w, b)
    y = (z > 0).long()
    assert x.min() > 0.3 and x.max() < 0.7
    with torch.no_grad():
        z_model = x @ w + b
    return model, x, y, z_model.abs(), w


def test_linear_min_perturbation_pgd_bisection_linf(linear_case):
    model, x, y, margin, w = linear_case
    expected = margin / w.abs().sum()
    got = min_perturbation_pgd_bisection(
        model, x, y, norm="linf", eps_max=0.5, steps=20, n_bisect=14, rel_step=0.25
    )[0]
    assert torch.all(torch.isfinite(got))
    rel = (got.float() - expected).abs() / expected
    assert rel.max() < 0.02, rel.max()


def test_linear_min_perturbation_pgd_bisection_l2(linear_case):
    model, x, y, margin, w = linear_case
    expected = margin / w.norm()
    got = min_perturbation_pgd_bisection(
        model, x, y, norm="l2", eps_max=1.0, steps=20, n_bisect=14, rel_step=0.25
    )[0]
    rel = (got.float() - expected).abs() / expected
    assert rel.max() < 0.02, rel.max()


@pytest.mark.parametrize(("norm", "eps_max"), [("linf", 0.5), ("l2", 1.0)])
def test_linear_min_perturbation_apgd_bisection(linear_case, norm, eps_max):
    model, x, y, margin, w = linear_case
    expected = margin / (w.abs().sum() if norm == "linf" else w.norm())
    budgets = (ApgdBudget(steps=20, restarts=1), ApgdBudget(steps=20, restarts=1, n_targets=1))
    got = min_perturbation_apgd_bisection(
        model, x, y, norm=norm, eps_max=eps_max, n_bisect=14, budgets=budgets
    )[0]
    assert torch.all(torch.isfinite(got))
    rel = (got.float() - expected).abs() / expected
    assert rel.max() < 0.02, rel.max()


def test_apgd_chain_is_at_least_as_strong_as_its_first_member(trained):
    net, x, y = trained
    ce, t = ApgdBudget(steps=10, restarts=1), ApgdBudget(steps=10, restarts=1, n_targets=2)
    gen = torch.Generator().manual_seed(5)
    robust, x_adv = apgd_chain(
        net, x[:60], y[:60], 0.1, norm="linf", budgets=(ce, t), generator=gen
    )
    alone, _ = apgd(net, x[:60], y[:60], 0.1, norm="linf", loss="ce", budget=ce,
                    generator=torch.Generator().manual_seed(5))  # fmt: skip
    assert torch.equal(robust & ~alone, torch.zeros_like(robust))  # never robust where CE fooled
    fooled = ~robust & clean_correct(net, x[:60], y[:60])
    assert torch.equal(~correct_at(net, x_adv, y[:60]) & fooled, fooled)
    assert (x_adv - x[:60]).abs().amax() <= 0.1 + 1e-6


def test_linear_fgsm_flips_exactly_above_linf_minimum(linear_case):
    model, x, y, margin, w = linear_case
    eps_min = margin / w.abs().sum()
    above = fgsm(model, x, y, eps_min * 1.01)
    below = fgsm(model, x, y, eps_min * 0.99)
    with torch.no_grad():
        assert torch.all(model(above[0]).argmax(-1) != y)
        assert torch.all(model(below[0]).argmax(-1) == y)


def test_linear_fgsm_linesearch_is_the_grid_ceiling(linear_case):
    model, x, y, margin, w = linear_case
    eps_min = (margin / w.abs().sum()).double()
    got = min_perturbation_fgsm_linesearch(model, x, y)[0]
    # smallest grid point 0.001 + 0.01 j strictly above the minimum
    expected = 0.001 + 0.01 * torch.ceil((eps_min - 0.001) / 0.01 + 1e-9)
    fits = expected <= 0.26
    assert torch.allclose(got[fits], expected[fits], atol=1e-9)
    assert torch.all(torch.isinf(got[~fits]))


def test_linear_pgd_respects_budget_and_box(linear_case):
    model, x, y, _, _ = linear_case
    gen = torch.Generator().manual_seed(0)
    for norm, eps in (("linf", 0.05), ("l2", 0.3)):
        x_adv = pgd(model, x, y, eps, norm=norm, steps=10, generator=gen)[0]
        delta = (x_adv - x).flatten(1)
        size = delta.abs().amax(1) if norm == "linf" else delta.norm(dim=1)
        assert torch.all(size <= eps + 1e-6)
        assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0


def test_plain_linear_module_is_a_stack_of_one():
    torch.manual_seed(0)
    lin = nn.Linear(4, 3)
    x, y = torch.rand(5, 4), torch.tensor([0, 1, 2, 0, 1])
    adv = fgsm(lin, x, y, 0.1)
    assert adv.shape == (1, 5, 4)
    xs = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(lin(xs), y, reduction="sum"), xs)
    torch.testing.assert_close(adv[0], (x + 0.1 * g.sign()).clamp(0.0, 1.0))
    acc = robust_accuracy(lin, x, y, "pgd", [0.0, 0.1], steps=3)
    assert acc.shape == (1, 2)
    with torch.no_grad():
        assert acc[0, 0] == pytest.approx(float((lin(x).argmax(-1) == y).float().mean()))
    assert acc[0, 1] <= acc[0, 0]


# ---------------------------------------------------------------------------
# Small trained nets (K = 3 stacked) on digits


def _train_stack(k: int, epochs: int = 15, seed: int = 0) -> StackedNet:
    x_train, y_train = load_dataset("digits", "train")
    net = StackedNet(dense_spec((1, 8, 8), [32], 10), k)
    initialise(net, ["he_normal"] * k, [seed + i for i in range(k)])
    flat = x_train.reshape(len(x_train), -1)
    # one global mean/std: per-pixel statistics blow up the constant border pixels
    net.set_normalisation(
        torch.full((64,), float(flat.mean())), torch.full((64,), float(flat.std()))
    )
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(x_train), generator=gen)
        for i in range(0, len(x_train), 64):
            idx = perm[i : i + 64]
            logits = net(x_train[idx])
            loss = F.cross_entropy(logits.reshape(-1, 10), y_train[idx].repeat(k))
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net.eval()


@pytest.fixture(scope="module")
def trained():
    net = _train_stack(3)
    x, y = load_dataset("digits", "test")
    return net, x[:N_TEST], y[:N_TEST]


def test_trained_nets_are_accurate(trained):
    net, x, y = trained
    acc, f1 = accuracy_and_f1(net, x, y)
    assert acc.shape == (3,) and np.all(acc > 0.9)
    np.testing.assert_allclose(acc, f1)


@pytest.mark.parametrize(
    ("attack", "kwargs"),
    [("fgsm", {}), ("pgd", {"norm": "linf", "steps": 5}), ("pgd", {"norm": "l2", "steps": 5})],
)
def test_eps_zero_equals_clean_accuracy(trained, attack, kwargs):
    net, x, y = trained
    clean = clean_correct(net, x, y).double().mean(-1)
    acc = robust_accuracy(net, x, y, attack, [0.0], **kwargs)[:, 0]
    assert torch.equal(acc, clean)


def test_robust_accuracy_never_rises_with_eps(trained):
    net, x, y = trained
    grid = [0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3]
    fgsm_acc = robust_accuracy(net, x, y, "fgsm", grid)
    # FGSM is not monotone in ε by construction: allow one sample of noise
    assert torch.all(fgsm_acc.diff(dim=1) <= 1.0 / N_TEST + 1e-9)
    gen = torch.Generator().manual_seed(0)
    pgd_acc = robust_accuracy(
        net, x, y, "pgd", grid, nested=True, steps=10, rel_step=0.25, generator=gen
    )
    assert torch.all(pgd_acc.diff(dim=1) <= 0)
    # PGD never weaker than FGSM at the same ε
    assert torch.all(pgd_acc <= fgsm_acc)


def test_pgd_at_eps_one_fools_everything(trained):
    """Gradient-masking check: the whole box is reachable, so nothing survives."""
    net, x, y = trained
    acc = robust_accuracy(net, x, y, "pgd", [1.0], steps=20, rel_step=0.25)
    assert torch.all(acc <= 0.01)


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_batched_attack_equals_attacking_each_model(trained, norm):
    net, x, y = trained
    eps = 0.05 if norm == "linf" else 0.5
    kw = {"norm": norm, "steps": 8, "rel_step": 0.25}
    x_all = pgd(net, x, y, eps, generator=torch.Generator().manual_seed(7), **kw)
    c_all = robust_correct(
        net, x, y, "pgd", [eps], generator=torch.Generator().manual_seed(7), **kw
    )
    for k in range(net.k):
        single = SingleNet(net.select(k))
        x_k = pgd(single, x, y, eps, generator=torch.Generator().manual_seed(7), **kw)
        assert torch.allclose(x_all[k], x_k[0], atol=1e-5)
        c_k = robust_correct(
            single, x, y, "pgd", [eps], generator=torch.Generator().manual_seed(7), **kw
        )
        assert torch.equal(c_all[k], c_k[0])
    assert torch.allclose(fgsm(net, x, y, 0.1)[1], fgsm(SingleNet(net.select(1)), x, y, 0.1)[0])


def test_bisection_batched_equals_single(trained):
    net, x, y = trained
    kw = {"norm": "linf", "eps_max": 0.3, "steps": 5, "n_bisect": 4, "rel_step": 0.25}
    all_k = min_perturbation_pgd_bisection(
        net, x[:40], y[:40], generator=torch.Generator().manual_seed(3), **kw
    )
    one = min_perturbation_pgd_bisection(
        net.select(2), x[:40], y[:40], generator=torch.Generator().manual_seed(3), **kw
    )
    assert torch.allclose(all_k[2], one[0], equal_nan=True, atol=1e-6)
    clean = clean_correct(net, x[:40], y[:40])
    assert torch.equal(torch.isnan(all_k), ~clean)


def test_per_model_inputs_match_shared_inputs(trained):
    net, x, y = trained
    x_k = x.unsqueeze(0).expand(net.k, *x.shape)
    y_k = y.unsqueeze(0).expand(net.k, -1)
    assert torch.equal(fgsm(net, x, y, 0.05), fgsm(net, x_k, y_k, 0.05))


def test_attacks_are_deterministic_given_a_seed(trained):
    net, x, y = trained
    a = pgd(net, x, y, 0.1, generator=torch.Generator().manual_seed(5), steps=3)
    b = pgd(net, x, y, 0.1, generator=torch.Generator().manual_seed(5), steps=3)
    assert torch.equal(a, b)


def test_mode_and_gradients_restored(trained):
    net, x, y = trained
    net.zero_grad(set_to_none=True)
    net.train()
    try:
        pgd(net, x[:10], y[:10], 0.1, steps=2)
        fgsm(net, x[:10], y[:10], 0.1)
        clever_scores(
            net.select(0), x[:1], n_samples=1, nb_batches=2, batch_size=4, radius=0.3, norm=2
        )
        assert net.training and all(m.training for m in net.modules())
        assert all(p.requires_grad and p.grad is None for p in net.parameters())
    finally:
        net.eval()
    pgd(net, x[:10], y[:10], 0.1, steps=2)
    assert not net.training


def test_success_rate_and_paper_robustness(trained):
    net, x, y = trained
    rate, n_correct = success_rate_on_correct(net, x, y, 0.1)
    clean = clean_correct(net, x, y)
    x_adv = fgsm(net, x, y, 0.1)
    adv_correct = clean_correct(net, x_adv, y.unsqueeze(0).expand(net.k, -1))
    expected = (clean & ~adv_correct).sum(-1).double() / clean.sum(-1)
    assert torch.allclose(rate, expected)
    assert torch.equal(n_correct, clean.sum(-1))
    assert np.allclose(paper_robustness(rate.numpy()), 1 - expected.numpy())


def test_adversarial_confidence_counts_successful_only(trained):
    net, x, y = trained
    x_adv = fgsm(net, x, y, 0.1)
    conf, n = mean_adversarial_confidence(net, x_adv, y)
    with torch.no_grad():
        probs = torch.softmax(net(x_adv), -1)
    fooled = probs.argmax(-1) != y
    assert np.array_equal(n, fooled.sum(-1).numpy())
    expected = [probs[k].max(-1).values[fooled[k]].mean().item() for k in range(net.k)]
    np.testing.assert_allclose(conf, expected, rtol=1e-6)
    assert np.all((conf > 0.1) & (conf <= 1.0))


# ---------------------------------------------------------------------------
# Against ART on the same model


def _art(net: StackedNet, k: int = 0):
    return art_classifier(SingleNet(net.select(k)), (1, 8, 8), 10)


def test_fgsm_matches_art(trained):
    from art.attacks.evasion import FastGradientMethod

    net, x, y = trained
    clf = _art(net, 0)
    for eps in (0.05, 0.1, 0.2):
        art_adv = FastGradientMethod(clf, norm=np.inf, eps=eps, batch_size=256).generate(
            x.numpy(), y=np.eye(10, dtype=np.float32)[y.numpy()]
        )
        art_correct = clf.predict(art_adv).argmax(1) == y.numpy()
        art_correct &= clf.predict(x.numpy()).argmax(1) == y.numpy()
        ours = robust_correct(net, x, y, "fgsm", [eps])[0, 0].numpy()
        assert abs(int(ours.sum()) - int(art_correct.sum())) <= 1


@pytest.mark.parametrize(("norm", "eps"), [("linf", 0.05), ("l2", 0.5)])
def test_pgd_at_least_as_strong_as_art(trained, norm, eps):
    from art.attacks.evasion import ProjectedGradientDescent

    net, x, y = trained
    clf = _art(net, 0)
    steps, step = 20, 0.25 * eps
    with numpy_global_seed(0):
        art_adv = ProjectedGradientDescent(
            clf,
            norm=np.inf if norm == "linf" else 2,
            eps=eps,
            eps_step=step,
            max_iter=steps,
            num_random_init=1,
            batch_size=256,
            verbose=False,
        ).generate(x.numpy(), y=np.eye(10, dtype=np.float32)[y.numpy()])
    art_acc = float(
        np.mean(
            (clf.predict(art_adv).argmax(1) == y.numpy())
            & (clf.predict(x.numpy()).argmax(1) == y.numpy())
        )
    )
    ours = robust_accuracy(
        net.select(0),
        x,
        y,
        "pgd",
        [eps],
        norm=norm,
        steps=steps,
        step_size=step,
        generator=torch.Generator().manual_seed(0),
    )[0, 0].item()
    assert ours <= art_acc


def test_loss_sensitivity_matches_direct_gradients(trained):
    net, x, y = trained
    got = loss_sensitivity(net, x[:30], y[:30])
    expected = []
    for k in range(net.k):
        xs = x[:30].clone().requires_grad_(True)
        loss = F.cross_entropy(net(xs)[k], y[:30], reduction="sum")
        (g,) = torch.autograd.grad(loss, xs)
        expected.append(g.flatten(1).norm(dim=1).mean().item())
    np.testing.assert_allclose(got, expected, rtol=1e-4)


def test_loss_sensitivity_equals_arts_model_by_model(trained):
    net, x, y = trained
    got = loss_sensitivity(net, x[:40], y[:40])
    np.testing.assert_allclose(got, loss_sensitivity_art(net, x[:40], y[:40]), rtol=1e-5)
    one = loss_sensitivity(single_model(net, 1), x[:40], y[:40])  # model 1 alone
    np.testing.assert_allclose(one, got[1:2], rtol=1e-5)


def test_clever_is_seeded_bounded_and_leaves_global_rng(trained):
    net, x, _ = trained
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    kw = {"n_samples": 2, "nb_batches": 3, "batch_size": 5, "radius": 0.3, "norm": 2, "seed": 4}
    a = clever_scores(net.select(0), x, **kw)
    b = clever_scores(net.select(0), x, **kw)
    assert a.shape == (1, 2)
    np.testing.assert_array_equal(a, b)
    assert np.all((a > 0) & (a <= 0.3))
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002


# ---------------------------------------------------------------------------
# One-pixel attack


class OnePixelLinear(nn.Module):
    """Three classes on 1×4×4 images; pixel (2, 1) decides class 2 against class 0."""

    def __init__(self, gain: float):
        super().__init__()
        self.gain = gain

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = x[:, 0, 2, 1]
        zero = torch.zeros_like(p)
        return torch.stack([torch.full_like(p, 0.5), zero - 1.0, self.gain * p], dim=-1)


def test_onepixel_finds_the_one_pixel():
    x = torch.full((3, 1, 4, 4), 0.1)
    y = torch.zeros(3, dtype=torch.long)
    success, x_adv = onepixel_attack(OnePixelLinear(2.0), x, y, maxiter=20, popsize=10, seed=0)
    assert success.all()
    changed = (x_adv != x).flatten(1).sum(1)
    assert torch.all(changed == 1)
    assert torch.all(x_adv[:, 0, 2, 1] > 0.25)
    # gain 0.4: even a white pixel cannot beat the logit 0.5 of class 0
    success, x_adv = onepixel_attack(OnePixelLinear(0.4), x, y, maxiter=5, popsize=5, seed=0)
    assert not success.any() and torch.equal(x_adv, x)


def test_exhaustive_onepixel_finds_the_known_answer_on_a_linear_model():
    """A linear model: an input is one-pixel fooled iff some pixel at 0 or 1 flips the sign of z."""
    gen = torch.Generator().manual_seed(4)
    w = torch.where(torch.rand(16, generator=gen) < 0.5, -0.3, 0.3)
    x = torch.rand(60, 16, generator=gen)
    b = -float((x @ w).median())
    model = TwoClassLinear(w, b)
    z = x @ w + b
    y = (z > 0).long()
    # z after setting pixel p to v: z + w_p (v - x_p), extreme at v = 0 or v = 1
    moved = torch.cat([z[:, None] + w[None] * (v - x) for v in (0.0, 1.0)], dim=1)
    expected = torch.where(z > 0, moved.amin(1) < 0, moved.amax(1) > 0)
    x = x.reshape(-1, 1, 4, 4)
    success, conf = onepixel_exhaustive(model, x, y)
    assert 0 < int(expected.sum()) < len(expected)
    assert torch.equal(success[0], expected)
    assert torch.all(conf[0][expected] >= 0.5) and torch.all(conf[0][~expected].isnan())
    r = onepixel_success_rate(model, x, y, len(y), maxiter=10, popsize=10)
    assert r.exhaustive and r.success_rate[0] == pytest.approx(float(expected.double().mean()))


def test_onepixel_success_rate_on_stack_is_seeded(trained):
    net, x, y = trained
    a = onepixel_success_rate(net, x, y, 4, maxiter=3, popsize=5, seed=1)
    b = onepixel_success_rate(net, x, y, 4, maxiter=3, popsize=5, seed=1)
    np.testing.assert_array_equal(a.success_rate, b.success_rate)
    assert not a.exhaustive  # 3 × 5 × 4 = 60 DE evaluations < 64 pixels × 2 values
    # the same first 4 inputs for every model, attacked where classified correctly
    correct = clean_correct(net, x[:4], y[:4]).sum(1).numpy()
    assert a.success_rate.shape == (3,) and np.array_equal(a.n_attacked, correct)
    assert np.all((a.success_rate >= 0) & (a.success_rate <= 1))


# ---------------------------------------------------------------------------
# Summaries and orchestration


def test_summarize_min_perturbation_by_hand():
    eps = torch.tensor([[0.1, 0.3, math.inf, math.nan, 0.2], [math.nan] * 5])
    s = summarize_min_perturbation(eps, 0.5)
    assert s.mean[0] == pytest.approx(0.2) and s.median[0] == pytest.approx(0.2)
    # censored: the never-fooled input counts at the search maximum 0.5
    assert s.median_censored[0] == pytest.approx(0.25) and math.isnan(s.median_censored[1])
    assert s.min[0] == pytest.approx(0.1) and s.max[0] == pytest.approx(0.3)
    assert s.never_fooled_share[0] == pytest.approx(0.25)
    assert s.n_fooled[0] == 3 and s.n_correct[0] == 4
    assert math.isnan(s.mean[1]) and math.isnan(s.never_fooled_share[1])
    # restricted mean over all five: 0.1 + 0.3 + 0.5 (censored) + 0 (misclassified) + 0.2
    assert s.rmean[0] == pytest.approx(1.1 / 5) and s.rmean[1] == 0.0 and s.n[0] == 5


def test_restricted_mean_is_the_area_under_the_robust_accuracy_curve():
    rng = np.random.default_rng(0)
    eps = rng.exponential(0.2, size=(3, 400))
    eps[:, :40] = math.nan  # misclassified
    eps[:, 40:60] = math.inf  # never fooled
    grid = np.linspace(0, 0.5, 5001)
    robust = (np.nan_to_num(eps, nan=-1.0)[:, None, :] > grid[None, :, None]).mean(-1)
    area = np.trapezoid(robust, grid, axis=1)
    assert restricted_mean(eps, 0.5) == pytest.approx(area, abs=2e-4)


def test_auc_by_hand():
    assert auc_robust_accuracy([0, 1, 2], np.array([0.8, 0.8, 0.8])) == pytest.approx(0.8)
    assert auc_robust_accuracy([0.0, 0.5], torch.tensor([[1.0, 0.0]]))[0] == pytest.approx(0.5)
    # unsorted grid gives the same area
    assert auc_robust_accuracy([1, 0, 2], [0.5, 1.0, 0.0]) == pytest.approx(0.5)


GRAPHS = {
    "generators": [
        {"generator": "erdos_renyi_gnp", "params": {"n": [10], "p": [0.3]}, "seeds": [1]}
    ]
}


def _attack_section(attack: dict) -> AttackConfig:
    """The ``attack`` section with the schema's defaults filled in, typed as the stage builds it."""
    validated = validate_config({"dataset": "digits", "graphs": GRAPHS, "attack": attack})
    return AttackConfig.from_dict(validated["attack"])


def test_attack_defaults_come_from_the_schema():
    cfg = _attack_section({"pgd": {"linf": {"steps": 3}}, "onepixel": {"n_samples": 0}})
    linf = PgdNormConfig(eps=(0.0, 0.02, 0.05, 0.1, 0.2), steps=3, rel_step=0.25, clean_start=True)
    assert cfg.pgd.linf == linf
    l2 = PgdNormConfig(eps=(0.0, 0.25, 0.5, 1.0, 2.0), steps=20, rel_step=0.25, clean_start=True)
    assert cfg.pgd.l2 == l2
    assert cfg.onepixel == OnePixelConfig(n_samples=0, maxiter=10, popsize=10)
    assert _attack_section({}).min_perturbation.linf_max == 0.5
    assert _attack_section({}) == AttackConfig()


def test_run_input_attacks_rows(trained):
    net, x, y = trained
    cfg = _attack_section(
        {
            "n_samples": 60,
            "pgd": {"linf": {"steps": 5}, "l2": {"steps": 5}},
            "min_perturbation": {"bisection_steps": 3, "pgd_steps": 5},
            "onepixel": {"n_samples": 2, "maxiter": 2, "popsize": 3},
            "autoattack": {
                "apgd_ce": {"steps": 5},
                "apgd_t": {"steps": 5, "n_targets": 2},
                "square": {"queries": 10},
            },
            "clever": {"n_samples": 1, "nb_batches": 2, "batch_size": 4},
        }
    )
    rows = run_input_attacks(net, x, y, cfg, generator_seed=0)
    keys = {"model_index", "measure", "attack", "norm", "eps", "layer", "value", "n"}
    assert all(set(r) == keys for r in rows)
    measures = {r["measure"] for r in rows}
    assert measures == {
        "clean_accuracy", "clean_f1_micro", "robust_accuracy", "success_rate",
        "paper_robustness", "robust_auc", "min_perturbation_mean", "min_perturbation_median",
        "min_perturbation_rmean",
        "min_perturbation_median_censored", "min_perturbation_min", "min_perturbation_max",
        "never_fooled_share", "onepixel_success_rate", "onepixel_exhaustive",
        "adv_confidence_mean", "clever_score", "clever_capped_share", "loss_sensitivity",
        "autoattack_effort", "zero_gradient_share",
    }  # fmt: skip
    attacks = {r["attack"] for r in rows if r["measure"] == "robust_accuracy"}
    assert attacks == {"fgsm", "pgd", "apgd_ce", "apgd_t", "square", "apgd_smooth", "autoattack"}
    assert {r["model_index"] for r in rows} == {0, 1, 2}
    assert all(r["norm"] in ("linf", "l2", "none") for r in rows)
    clean = {r["model_index"]: r["value"] for r in rows if r["measure"] == "clean_accuracy"}
    for r in rows:
        if r["measure"] == "robust_accuracy" and r["eps"] == 0.0:
            assert r["value"] == clean[r["model_index"]]
    again = run_input_attacks(net, x, y, cfg, generator_seed=0)
    assert [r["value"] for r in rows] == pytest.approx([r["value"] for r in again], nan_ok=True)
    # the paper's measures alone: the same rows as the full suite's, nothing else
    paper = run_input_attacks(net, x, y, cfg, generator_seed=0, suite="paper")
    key = ("measure", "attack", "norm", "eps", "model_index", "value")
    full = {tuple(r[k] for k in key) for r in rows}
    assert {tuple(r[k] for k in key) for r in paper} <= full
    assert {(r["measure"], r["attack"]) for r in paper} >= {
        ("clean_accuracy", "none"), ("robust_accuracy", "fgsm"), ("paper_robustness", "fgsm"),
        ("min_perturbation_rmean", "fgsm_linesearch"),
    }  # fmt: skip
    assert {r["attack"] for r in paper} == {"none", "fgsm", "fgsm_linesearch"}
    with pytest.raises(ValueError, match="suite"):
        run_input_attacks(net, x, y, cfg, generator_seed=0, suite="half")


@pytest.mark.slow
def test_the_reference_autoattack_option_adds_its_rows(trained):
    """``attack.autoattack.reference: true``: the reference's standard AutoAttack per model, as
    rows with attack ``autoattack_reference``, no higher than the clean accuracy."""
    pytest.importorskip("pyautoattack")
    net, x, y = trained
    cfg = _attack_section(
        {
            "n_samples": 12,
            "fgsm": {"eps": [0.1]},
            "pgd": {"linf": {"eps": [0.1], "steps": 2}, "l2": {"eps": [0.5], "steps": 2}},
            "autoattack": {
                "reference": True,
                "linf": {"eps": [0.1]},
                "l2": {"eps": [0.5]},
                "apgd_ce": {"steps": 2},
                "apgd_t": {"steps": 2, "n_targets": 1},
                "square": {"queries": 5},
            },
        }
    )
    rows = run_input_attacks(net, x, y, cfg, generator_seed=0, suite="full", checks=None)
    ref = [r for r in rows if r["attack"] == "autoattack_reference"]
    assert {(r["measure"], r["norm"], r["eps"]) for r in ref} == {
        ("robust_accuracy", "linf", 0.1), ("robust_accuracy", "l2", 0.5),
    }  # fmt: skip
    assert {r["model_index"] for r in ref} == {0, 1, 2} and all(r["n"] == 12 for r in ref)
    clean = {r["model_index"]: r["value"] for r in rows if r["measure"] == "clean_accuracy"}
    assert all(r["value"] <= clean[r["model_index"]] for r in ref)


def test_the_costly_attacks_run_on_a_fixed_subset_and_the_gates_compare_like_with_like(trained):
    """``subset_samples``: FGSM and the line search on every input, the rest on the subset;
    ``effort_samples``: the more-effort gate on the first inputs of the subset only."""
    net, x, y = trained

    def small():
        return {"steps": 3}

    cfg = _attack_section(
        {
            "n_samples": 60, "subset_samples": 20,
            "pgd": {"linf": small(), "l2": small()},
            "min_perturbation": {"bisection_steps": 2, "pgd_steps": 3},
            "primary": {"bisection_steps": 2},
            "onepixel": {"n_samples": 0}, "clever": {"n_samples": 0},
            "autoattack": {"apgd_ce": small(), "apgd_t": {"steps": 3, "n_targets": 2},
                           "square": {"queries": 5}, "chained": True},
            "checks": {"effort_samples": 8, "max_escalations": 0},
        }
    )  # fmt: skip
    checks: list = []
    rows = run_input_attacks(net, x, y, cfg, generator_seed=0, checks=checks)
    n_of = {(r["measure"], r["attack"]): r["n"] for r in rows if r["model_index"] == 0}
    for key in [
        ("clean_accuracy", "none"),
        ("robust_accuracy", "fgsm"),
        ("loss_sensitivity", "none"),
    ]:
        assert n_of[key] == 60, key
    for key in [("robust_accuracy", "pgd"), ("robust_accuracy", "autoattack"),
                ("min_perturbation_rmean", "pgd_bisection"), ("min_perturbation_rmean", "apgd_bisection")]:  # fmt: skip
        assert n_of[key] == 20, key
    assert n_of[("min_perturbation_rmean", "fgsm_linesearch")] == 60
    # ε = 0 of the PGD grid against clean accuracy on the same 20 inputs: exactly equal
    eps0 = [c for c in checks if c["check"].startswith("eps0_equals_clean")]
    assert eps0 and all(c["value"] == 0 and c["passed"] for c in eps0)
    xs, ys = run.attack_subset(x[:60], y[:60], 20)
    assert len(ys) == 20 and torch.equal(run.attack_subset(x[:60], y[:60], 20)[0], xs)
    assert run.attack_subset(x, y, None)[0] is x
    assert run.attack_subset(x[:60], y[:60], 60)[1].tolist() == y[:60].tolist()


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_pgd_grid_with_the_clean_start_is_robust_only_where_both_runs_fail(trained, norm):
    net, x, y = trained
    eps = [0.0, 0.02, 0.05] if norm == "linf" else [0.0, 0.25, 0.5]

    def grid(clean_start: bool) -> np.ndarray:
        pgd_cfg = {"eps": eps, "steps": 4, "clean_start": clean_start}
        cfg = _attack_section({"pgd": {norm: pgd_cfg}})
        rows = run.Rows(net.k)
        run._pgd_grids(rows, net, x, y, cfg, seed=3)
        values = [
            r["value"] for r in rows if r["norm"] == norm and r["measure"] == "robust_accuracy"
        ]
        return np.array(values).reshape(len(eps), net.k)

    kw = {"nested": True, "norm": norm, "steps": 4, "rel_step": 0.25, "early_stop": True}
    rand = robust_correct(net, x, y, "pgd", eps, generator=torch.Generator().manual_seed(3), **kw)
    clean = robust_correct(net, x, y, "pgd", eps, random_start=False, **kw)
    both = (rand & clean).double().mean(-1).numpy().T
    np.testing.assert_allclose(grid(True), both)
    np.testing.assert_allclose(grid(False), rand.double().mean(-1).numpy().T)
    assert (grid(True) <= grid(False)).all()


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_early_stop_only_saves_work(trained, norm):
    net, x, y = trained
    eps = 0.05 if norm == "linf" else 0.5
    kw = {"norm": norm, "steps": 10, "rel_step": 0.25}
    fast = pgd(net, x, y, eps, generator=torch.Generator().manual_seed(2), early_stop=True, **kw)
    full = pgd(net, x, y, eps, generator=torch.Generator().manual_seed(2), **kw)
    yk = y.unsqueeze(0).expand(net.k, -1)
    assert torch.equal(clean_correct(net, fast, yk), clean_correct(net, full, yk))
