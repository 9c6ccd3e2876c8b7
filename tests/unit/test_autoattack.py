"""APGD-CE, APGD-T, Square, APGD-CE through the smooth surrogate and their ensemble against the
reference AutoAttack; the validity gates."""

from __future__ import annotations

import contextlib
import importlib
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from graphprior.robustness import gates
from graphprior.robustness.apgd import ApgdBudget, apgd, checkpoints, dlr_targeted_loss
from graphprior.robustness.autoattack import AutoAttackBudget, autoattack
from graphprior.robustness.gates import WHITE_BOX, effort_gate, zero_gradient_share
from graphprior.robustness.reference import reference_autoattack
from graphprior.robustness.smooth import smooth_relu_gradients
from graphprior.robustness.square import p_schedule, square_attack
from graphprior.robustness.stacking import as_stacked, single_model

N = 80  # test inputs of the reference comparison (the `stack` fixture has 80)
STANDARD = AutoAttackBudget.standard()
#: the more-effort gate's usual test arguments: L-infinity 0.1, doubled effort, one point
LINF_01 = {"eps": 0.1, "norm": "linf", "factor": 2, "tol": 0.01}


pytestmark = pytest.mark.usefixtures("one_thread")


def test_checkpoints_follow_the_reference_schedule():
    # p_0 = 0, p_1 = 0.22, then shrinking by 0.03 down to at least 0.06 of the iterations
    assert checkpoints(100)[:4] == [21, 40, 56, 69]
    assert all(b - a >= 6 for a, b in zip(checkpoints(100), checkpoints(100)[1:], strict=False))


def test_dlr_targeted_loss_by_hand():
    logits = torch.tensor([[[4.0, 3.0, 2.0, 1.0, 0.0]]])
    y, t = torch.tensor([[0]]), torch.tensor([[1]])
    # -(z_y - z_t) / (z_1 - (z_3 + z_4) / 2) = -(4 - 3) / (4 - 1.5)
    assert float(dlr_targeted_loss(logits, y, t)) == pytest.approx(-1 / 2.5)


def test_square_schedule_rescales_the_standard_one():
    assert p_schedule(0.8, 0, 5000) == 0.8
    assert p_schedule(0.8, 4500, 5000) == pytest.approx(0.8 / 128)
    assert p_schedule(0.8, 450, 500) == pytest.approx(0.8 / 128)


@pytest.mark.parametrize(("norm", "eps"), [("linf", 0.1), ("l2", 0.5)])
def test_attacks_respect_budget_box_and_are_seeded(stack, norm, eps):
    net, x, y = stack
    for attack in ("ce", "dlr_targeted", "square"):

        def run(attack=attack):
            gen = torch.Generator().manual_seed(3)
            if attack == "square":
                return square_attack(
                    net, x, y, eps, norm=norm, n_queries=30, p_init=0.8, generator=gen
                )
            return apgd(
                net, x, y, eps, norm=norm, loss=attack, budget=ApgdBudget(10, 1, 2), generator=gen
            )

        robust, x_adv = run()
        again, _ = run()
        assert torch.equal(robust, again)
        assert x_adv.min() >= 0 and x_adv.max() <= 1
        d = (x_adv - x.unsqueeze(0)).flatten(2)
        size = d.abs().amax(2) if norm == "linf" else d.norm(dim=2)
        assert float(size.max()) <= eps * (1 + 1e-5)
        # every input counted as fooled is fooled by the returned point
        fooled = ~robust & (net(x).argmax(-1) == y)
        assert torch.all(net(x_adv).argmax(-1)[fooled] != y.expand_as(fooled)[fooled])


@pytest.mark.parametrize(("norm", "eps"), [("linf", 0.1), ("l2", 0.5)])
def test_square_with_a_check_every_few_queries_stays_in_budget_and_as_strong(stack, norm, eps):
    """A GPU looks for the inputs still to attack every few queries, a CPU every query: the
    finished inputs in between keep their result, and the attack is as strong."""
    net, x, y = stack
    runs = {
        period: square_attack(net, x, y, eps, norm=norm, n_queries=60, p_init=0.8,
                              generator=torch.Generator().manual_seed(3), check_every=period)
        for period in (1, 4)
    }  # fmt: skip
    for robust, x_adv in runs.values():
        delta = (x_adv - x.unsqueeze(0)).flatten(2)
        size = delta.abs().amax(2) if norm == "linf" else delta.norm(dim=2)
        assert size.max() <= eps + 1e-5 and x_adv.min() >= 0 and x_adv.max() <= 1
        clean = net(x).argmax(-1) == y
        assert not (robust & ~clean).any()
        fooled = (net(x_adv).argmax(-1) != y) & clean
        assert torch.equal(fooled, clean & ~robust)  # a fooled input keeps its adversarial
    share = {p: float(r.double().mean()) for p, (r, _) in runs.items()}
    assert abs(share[4] - share[1]) <= 3 / N  # other random draws, the same strength


@pytest.mark.parametrize("smooth", [False, True])
def test_stack_equals_each_model_alone(stack, smooth):
    net, x, y = stack
    budget = ApgdBudget(10, 1, 2)
    loss = "dlr_targeted"  # through the surrogate too: the mode must not mix the models
    with smooth_relu_gradients() if smooth else contextlib.nullcontext():
        both, _ = apgd(net, x, y, 0.1, norm="linf", loss=loss, budget=budget)
        for k in range(net.k):
            alone, _ = apgd(single_model(net, k), x, y, 0.1, norm="linf", loss=loss, budget=budget)
            assert torch.equal(both[k], alone[0])


@pytest.mark.slow
@pytest.mark.parametrize(("norm", "eps"), [("linf", 0.1), ("l2", 0.5)])
def test_ensemble_no_weaker_than_reference_standard(stack, norm, eps):
    """Our AutoAttack robust accuracy, unchained and chained as the reference runs it, is at most
    one input above the reference's standard version."""
    pyautoattack = pytest.importorskip("pyautoattack")
    net, x, y = stack
    ours = autoattack(net, x, y, eps, norm=norm, budget=STANDARD, seed=0)["autoattack"]
    chain = autoattack(net, x, y, eps, norm=norm, budget=STANDARD, seed=0, chained=True)
    # the option attack.autoattack.reference runs exactly this, one model of the stack at a time
    reference = reference_autoattack(net, x, y, eps, norm, seed=0)
    assert reference.shape == (net.k, N) and reference.dtype == torch.bool
    for k in range(net.k):
        model = single_model(net, k).eval()
        ref = pyautoattack.AutoAttack(
            model, norm={"linf": "Linf", "l2": "L2"}[norm], eps=eps, seed=0
        )
        ref.logger.setLevel(50)
        with torch.no_grad():
            x_adv = ref.run_standard_evaluation(x, y, batch_size=N)[0]
            ref_robust = int((model(x_adv).argmax(1) == y).sum())
        assert int(reference[k].sum()) == ref_robust
        assert int(ours[k].sum()) <= ref_robust + 1
        assert int(chain["autoattack"][k].sum()) <= ref_robust + 1


def test_the_reference_option_without_its_package_says_what_to_install(stack, monkeypatch):
    net, x, y = stack
    monkeypatch.setitem(sys.modules, "pyautoattack", None)  # an import of it now fails
    with pytest.raises(RuntimeError, match="pip install pyautoattack"):
        reference_autoattack(net, x[:4], y[:4], 0.1, "linf")


def test_the_chain_attacks_only_the_inputs_some_model_still_resists(stack, monkeypatch):
    aa = importlib.import_module("graphprior.robustness.autoattack")  # the module, not the function

    net, x, y = stack
    budget = AutoAttackBudget(ApgdBudget(10, 1), ApgdBudget(10, 1, 3), 50, 0.8)
    seen: list[tuple[str, int]] = []
    member = aa._member

    def counted(stacked, x, y, eps, norm, budget, name, generator, among=None):
        if among is None:  # the inputs the member really attacks
            seen.append((name, int(x.shape[0])))
        return member(stacked, x, y, eps, norm, budget, name, generator, among)

    monkeypatch.setattr(aa, "_member", counted)
    free = autoattack(net, x, y, 0.1, norm="linf", budget=budget, seed=0)
    assert seen == [(name, N) for name in aa.MEMBERS]  # unchained: every member, every input
    seen.clear()
    chain = autoattack(net, x, y, 0.1, norm="linf", budget=budget, seed=0, chained=True)
    assert [name for name, _ in seen] == list(aa.CHAIN)
    # APGD-CE (the same generator, every input) is the same run; each later member sees only
    # the inputs the chain so far left robust for some model
    assert torch.equal(chain["apgd_ce"], free["apgd_ce"])
    before = chain["apgd_ce"]
    for (name, n_seen), prev in zip(seen[1:], aa.CHAIN, strict=False):
        assert n_seen == int(chain[prev].any(0).sum()) < N, name
        assert not (chain[name] & ~chain[prev]).any()  # the chain only ever loses inputs
        before = chain[name]
    assert torch.equal(chain["autoattack"], before)


class Quantised(nn.Module):
    """A step function in front of a net: its input gradient is zero almost everywhere."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(torch.round(x * 4) / 4)


def test_gradient_masking_trips_the_gates(stack):
    net, x, y = stack
    masked = Quantised(single_model(net, 0)).eval()
    assert zero_gradient_share(masked, x, y)[0] == 1.0
    assert zero_gradient_share(net, x, y, smooth=False).max() == 0.0
    budget = AutoAttackBudget(ApgdBudget(20, 1), ApgdBudget(20, 1, 3), 300, 0.8)
    robust = autoattack(masked, x, y, 0.1, norm="linf", budget=budget, seed=0)
    white = min(float(robust[a].double().mean()) for a in WHITE_BOX)
    # the black-box member beats the (blinded) white-box ones by far, the surrogate's too
    assert float(white - robust["square"].double().mean()) > 0.1
    # on the honest nets it does not
    honest = autoattack(net, x, y, 0.1, norm="linf", budget=budget, seed=0)
    white = torch.stack([honest[a].double().mean(1) for a in WHITE_BOX]).amin(0)
    assert torch.all(white - honest["square"].double().mean(1) <= 0.02)


class DeadUnit(nn.Module):
    """Class 0 unless the pixel sum passes a threshold, read through one ReLU unit.

    On inputs near 0.5 the unit is inactive, so the input gradient is exactly
    zero, yet a perturbation of L∞ 0.1 on every pixel switches it on and moves
    the prediction to class 1: only a gradient through the surrogate finds that.
    """

    def __init__(self, d: int = 64):
        super().__init__()
        self.threshold = 0.55 * d
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.relu(x.flatten(-1).sum(-1) - self.threshold)
        zero = torch.zeros_like(h)
        return torch.stack([torch.ones_like(h), 100 * h, zero, zero], dim=-1)


def test_dead_units_are_attacked_through_the_smooth_surrogate():
    model = DeadUnit()
    x = 0.5 + 0.01 * torch.rand(8, 64, generator=torch.Generator().manual_seed(0))
    y = torch.zeros(8, dtype=torch.long)
    assert zero_gradient_share(model, x, y, smooth=False)[0] == 1.0
    assert zero_gradient_share(model, x, y)[0] == 0.0  # the surrogate has a direction
    budget = AutoAttackBudget(ApgdBudget(10, 1), ApgdBudget(10, 1, 2), 50, 0.8)
    robust = autoattack(model, x, y, 0.1, norm="linf", budget=budget, seed=0)
    assert robust["apgd_ce"].all() and robust["apgd_t"].all()  # blind: no input gradient
    assert not robust["apgd_smooth"].any()  # every input fooled through the surrogate
    assert not robust["autoattack"].any()
    with torch.no_grad():  # the surrogate changes the backward pass only
        base = model(x)
        with smooth_relu_gradients():
            assert torch.equal(model(x), base)


def test_effort_gate_passes_a_converged_budget(stack):
    net, x, y = stack
    budget = AutoAttackBudget(ApgdBudget(50, 1), ApgdBudget(50, 1, 5), 200, 0.8)
    robust = autoattack(net, x, y, 0.1, norm="linf", budget=budget, seed=0)["autoattack"]
    gens = tuple(torch.Generator().manual_seed(s) for s in (1, 2, 3))
    members = (budget.apgd_ce, budget.apgd_t)
    gate = {**LINF_01, "tol": 0.02}
    rows, _, _ = effort_gate(net, x, y, robust, **gate, budget=members, generators=gens)
    assert [r["check"] for r in rows] == ["more_effort:linf:0.1"] * net.k
    assert all(r["value"] >= 0 for r in rows)
    assert all(r["passed"] for r in rows)
    np.testing.assert_array_less([r["value"] for r in rows], 0.0251)


def test_effort_gate_reruns_each_member_with_factor_times_the_steps(stack, monkeypatch):
    net, x, y = stack
    seen = []

    def recording_apgd(*args, budget, **kwargs):
        seen.append(budget)
        return apgd(*args, budget=budget, **kwargs)

    monkeypatch.setattr(gates, "apgd", recording_apgd)
    members = (ApgdBudget(3, 2), ApgdBudget(4, 1, 2))
    robust = torch.ones((net.k, len(y)), dtype=torch.bool)
    gens = tuple(torch.Generator().manual_seed(s) for s in (1, 2, 3))
    effort_gate(net, x, y, robust, eps=0.1, norm="linf", budget=members, factor=3, tol=1.0,
                generators=gens)  # fmt: skip
    assert seen == [ApgdBudget(9, 2), ApgdBudget(12, 1, 2), ApgdBudget(9, 2)]


def test_empty_batches_and_no_robust_input(stack):
    net, x, y = stack
    budget = AutoAttackBudget(ApgdBudget(3, 1), ApgdBudget(3, 1, 2), 5, 0.8)
    empty = autoattack(net, x[:0], y[:0], 0.1, norm="l2", budget=budget, seed=0)
    assert all(v.shape == (net.k, 0) for v in empty.values())
    none_robust = torch.zeros((net.k, len(y)), dtype=torch.bool)
    gens = tuple(torch.Generator().manual_seed(s) for s in (1, 2, 3))
    members = (budget.apgd_ce, budget.apgd_t)
    rows, _, _ = effort_gate(net, x, y, none_robust, **LINF_01, budget=members, generators=gens)
    assert all(r["value"] == 0.0 and r["passed"] for r in rows)


def test_escalation_raises_the_effort_of_the_models_that_fail_until_they_converge(stack):
    net, x, y = stack
    weak = AutoAttackBudget(ApgdBudget(1, 1), ApgdBudget(1, 1, 2), 5, 0.8)
    base = autoattack(net, x, y, 0.1, norm="linf", budget=weak, seed=0)["autoattack"]
    members = (weak.apgd_ce, weak.apgd_t)

    def gens():
        return tuple(torch.Generator().manual_seed(s) for s in (1, 2, 3))

    once, _, _ = effort_gate(net, x, y, base, **LINF_01, budget=members, generators=gens())
    assert not all(r["passed"] for r in once)  # one APGD step is far from converged
    rows, worst, effort = effort_gate(
        net, x, y, base, **LINF_01, budget=members, generators=gens(), max_escalations=5
    )
    assert [r["check"] for r in rows] == ["more_effort:linf:0.1"] * net.k
    assert not (worst & ~base).any()  # every run counts: robust only where every run failed
    for first, last, e in zip(once, rows, effort, strict=True):
        assert e in (2, 4, 8, 16, 32, 64)
        # a model that passed at once is not attacked again; one that failed is
        assert (e == 2) == first["passed"]
        assert last["passed"] or e == 64
    assert (effort > 2).any() and all(r["passed"] for r in rows)
    # no escalation allowed: the gate of the first doubling, nothing more
    rows0, _, effort0 = effort_gate(
        net, x, y, base, **LINF_01, budget=members, generators=gens(), max_escalations=0
    )
    assert (effort0 == 2).all()
    assert [r["value"] for r in rows0] == pytest.approx([r["value"] for r in once])


def _in_place(method):
    def relu(t):
        u = t * 1  # a non-leaf copy the in-place call may overwrite
        method(u)
        return u

    return relu


@pytest.mark.parametrize(
    "relu",
    [
        torch.relu,
        F.relu,
        nn.ReLU(),
        lambda t: nn.ReLU(inplace=True)(t * 1),
        _in_place(torch.relu_),
        _in_place(torch.Tensor.relu_),
        _in_place(lambda u: F.relu(u, inplace=True)),
    ],
    ids=["torch.relu", "F.relu", "nn.ReLU", "nn.ReLU-inplace", "torch.relu_", "Tensor.relu_",
         "F.relu-inplace"],
)  # fmt: skip
def test_the_surrogate_keeps_every_relu_forward_and_smooths_its_backward(relu):
    z = torch.tensor([-3.0, -0.5, 0.0, 2.0], requires_grad=True)
    exact = relu(z)
    (g_exact,) = torch.autograd.grad(exact.sum(), z)
    with smooth_relu_gradients():
        out = relu(z)
        (g,) = torch.autograd.grad(out.sum(), z)
    assert torch.equal(out.detach(), exact.detach())
    assert torch.equal(g_exact, (z > 0).float())
    torch.testing.assert_close(g, torch.sigmoid(z.detach()))


def test_the_effort_gate_reruns_the_surrogate_member():
    """Robustness that only the surrogate breaks is not converged: the gate's third run finds it."""
    model = as_stacked(DeadUnit())
    x = 0.5 + 0.01 * torch.rand(8, 64, generator=torch.Generator().manual_seed(0))
    y = torch.zeros(8, dtype=torch.long)
    robust = torch.ones((1, 8), dtype=torch.bool)  # what APGD-CE and APGD-T leave
    budget = (ApgdBudget(5, 1), ApgdBudget(5, 1, 2))
    gens = [torch.Generator().manual_seed(s) for s in (1, 2, 3)]
    rows, worst, _ = effort_gate(
        model,
        x,
        y,
        robust,
        eps=0.1,
        norm="linf",
        budget=budget,
        factor=2,
        tol=0.01,
        generators=gens,
    )
    assert not worst.any() and rows[0]["value"] == 1.0 and not rows[0]["passed"]
