"""Auto-PGD on stacks of models: APGD-CE and APGD-T (targeted DLR loss), L∞ and L2.

Croce, Hein 2020, "Reliable evaluation of adversarial robustness with an
ensemble of diverse parameter-free attacks", ICML. APGD is PGD with momentum
(α = 0.75) and a step size that starts at 2ε and is halved at checkpoints
(after 22 %, then 19 %, 16 %, … of the iterations, never less than 6 %)
where the loss rose in at most ρ = 75 % of the steps since the last
checkpoint, or where the step was not halved at the last checkpoint and the
best loss has not improved; a halving restarts from the best point so far.
APGD-CE ascends the cross-entropy; APGD-T ascends the targeted
difference-of-logits-ratio loss
``−(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2)`` towards the t-th most likely
class, for each of ``n_targets`` runner-up classes in turn.

Follows the contract of :mod:`graphprior.robustness.stacking`. Every sample
of every model runs its own trajectory (per-sample step sizes and
checkpoints), so attacking a stack equals attacking each model alone with the
same random start: starts have the shape of one batch ``(B, …)`` and are
shared by the K models. An input is dropped from the iterations once every
model of the stack misclassifies it; a restart (or the next target class)
runs on the inputs that some model still classifies correctly. Definitions:
``docs/measures.md``, section "AutoAttack".
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from graphprior.nets.stacked import cross_entropy_per_sample
from graphprior.robustness.fgsm_pgd import Norm
from graphprior.robustness.stacking import (
    CHECK_EVERY,
    bcast,
    default_generator,
    device_generator,
    frozen_eval,
    layout,
    logits_of,
)

__all__ = ["ApgdBudget", "dlr_targeted_loss", "apgd", "apgd_chain", "checkpoints"]

MOMENTUM = 0.75
RHO = 0.75


@dataclass(frozen=True)
class ApgdBudget:
    """Iterations per run, restarts per target and (APGD-T) runner-up classes targeted."""

    steps: int
    restarts: int
    n_targets: int = 1

    def __post_init__(self):
        if self.steps < 1 or self.restarts < 1 or self.n_targets < 1:
            raise ValueError(f"APGD budget needs steps, restarts, n_targets >= 1; got {self}")


def checkpoints(steps: int) -> list[int]:
    """The iterations (0-based) after which APGD checks its step size."""
    k = max(int(0.22 * steps), 1)
    decr, k_min = max(int(0.03 * steps), 1), max(int(0.06 * steps), 1)
    out, i = [], k - 1
    while i < steps:
        out.append(i)
        k = max(k - decr, k_min)
        i += k
    return out


def dlr_targeted_loss(logits: torch.Tensor, y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Targeted DLR loss per sample ``(K, B)`` (Croce, Hein 2020); needs at least 4 classes."""
    if logits.shape[-1] < 4:
        raise ValueError(f"the targeted DLR loss needs at least 4 classes, got {logits.shape[-1]}")
    z = logits.sort(dim=-1).values
    z_y = logits.gather(-1, y.unsqueeze(-1)).squeeze(-1)
    z_t = logits.gather(-1, target.unsqueeze(-1)).squeeze(-1)
    return -(z_y - z_t) / (z[..., -1] - 0.5 * (z[..., -3] + z[..., -4]) + 1e-12)


def _flat_norm(v: torch.Tensor, norm: Norm) -> torch.Tensor:
    flat = v.flatten(2)
    n = flat.abs().amax(2) if norm is Norm.LINF else flat.norm(dim=2)
    return bcast(n, v)


def _start(x: torch.Tensor, eps: torch.Tensor, norm: Norm, gen: torch.Generator) -> torch.Tensor:
    """The reference's random start, one draw ``(B, …)`` shared by the K models."""
    shape = tuple(x.shape[1:])
    if norm is Norm.LINF:
        t = torch.rand(shape, generator=gen, device=gen.device, dtype=x.dtype) * 2 - 1
    else:
        t = torch.randn(shape, generator=gen, device=gen.device, dtype=x.dtype)
    t = t.to(x.device).unsqueeze(0).expand_as(x)
    return (x + eps * t / (_flat_norm(t, norm) + 1e-12)).clamp(0.0, 1.0)


def _project(z: torch.Tensor, x: torch.Tensor, eps: torch.Tensor, norm: Norm) -> torch.Tensor:
    if norm is Norm.LINF:
        return torch.minimum(torch.maximum(z, x - eps), x + eps).clamp(0.0, 1.0)
    d = z - x
    n = _flat_norm(d, norm)
    return (x + d / (n + 1e-12) * torch.minimum(eps, n)).clamp(0.0, 1.0)


class _Run:
    """State of one APGD run over the columns (inputs) still iterating, all ``(K, A, …)``."""

    FIELDS = ("x", "y", "t", "eps", "x_adv", "x_old", "grad", "x_best", "grad_best", "loss_best",
              "step", "last_best", "reduced", "acc", "x_adv_best", "losses")  # fmt: skip

    def __init__(self, **tensors: torch.Tensor):
        self.cols = torch.arange(tensors["x"].shape[1], device=tensors["x"].device)
        for name, value in tensors.items():
            setattr(self, name, value)

    def keep(self, mask: torch.Tensor) -> None:
        self.cols = self.cols[mask]
        for name in self.FIELDS:
            value = getattr(self, name)
            setattr(self, name, value[:, :, mask] if name == "losses" else value[:, mask])


def _loss_grad(stacked, x_adv, y, target, targeted: bool):
    """Per-sample loss, its input gradient and the logits at ``x_adv``."""
    x_adv = x_adv.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = stacked(x_adv)
        if not targeted:
            loss = cross_entropy_per_sample(logits, y)
        else:
            loss = dlr_targeted_loss(logits, y, target)
        (grad,) = torch.autograd.grad(loss.sum(), x_adv)
    return loss.detach(), grad, logits.detach()


def _step(r: _Run, i: int, norm: Norm) -> torch.Tensor:
    a = MOMENTUM if i > 0 else 1.0
    momentum = r.x_adv - r.x_old
    r.x_old = r.x_adv
    if norm is Norm.LINF:
        z = _project(r.x_adv + r.step * r.grad.sign(), r.x, r.eps, norm)
    else:
        z = r.x_adv + r.step * r.grad / (_flat_norm(r.grad, norm) + 1e-12)
        z = _project(z, r.x, r.eps, norm)
    return _project(r.x_adv + (z - r.x_adv) * a + momentum * (1 - a), r.x, r.eps, norm)


def _checkpoint(r: _Run, i: int, k: int) -> None:
    """Halve the step where the loss oscillates or stalls; restart those from the best point."""
    rises = torch.zeros_like(r.loss_best)
    for c in range(k):  # index -1 wraps to a not yet written (zero) entry, as in the reference
        rises += (r.losses[i - c] > r.losses[i - c - 1]).to(rises.dtype)
    halve = (rises <= k * RHO) | (~r.reduced & (r.last_best >= r.loss_best))
    r.reduced, r.last_best = halve, r.loss_best.clone()
    r.step = torch.where(bcast(halve, r.step), r.step / 2, r.step)
    r.x_adv = torch.where(bcast(halve, r.x_adv), r.x_best, r.x_adv)
    r.grad = torch.where(bcast(halve, r.grad), r.grad_best, r.grad)


def _single_run(stacked, r: _Run, norm: Norm, steps: int, targeted: bool) -> None:
    """One APGD run in place: ``r.acc`` (still correct) and ``r.x_adv_best`` (an adversarial)."""
    checks = set(checkpoints(steps))
    k = max(int(0.22 * steps), 1)
    decr, k_min = max(int(0.03 * steps), 1), max(int(0.06 * steps), 1)
    for i in range(steps):
        r.x_adv = _step(r, i, norm)
        loss, r.grad, logits = _loss_grad(stacked, r.x_adv, r.y, r.t, targeted)
        wrong = logits.argmax(-1) != r.y
        r.x_adv_best = torch.where(bcast(wrong & r.acc, r.x_adv), r.x_adv, r.x_adv_best)
        r.acc = r.acc & ~wrong
        r.losses[i] = loss
        better = loss > r.loss_best
        r.x_best = torch.where(bcast(better, r.x_adv), r.x_adv, r.x_best)
        r.grad_best = torch.where(bcast(better, r.grad), r.grad, r.grad_best)
        r.loss_best = torch.where(better, loss, r.loss_best)
        if i in checks:
            _checkpoint(r, i, k)
            k = max(k - decr, k_min)
        if (i + 1) % CHECK_EVERY:
            continue  # finished inputs step on until the check; their results are frozen
        alive = r.acc.any(0)
        if not bool(alive.all()):  # every model already misclassifies these inputs
            _finish_cols(r, alive)
            if r.cols.numel() == 0:
                return


def _finish_cols(r: _Run, alive: torch.Tensor) -> None:
    """Drop the finished columns, writing their results out first."""
    done = ~alive
    r.out_acc[:, r.cols[done]] = r.acc[:, done]
    r.out_adv[:, r.cols[done]] = r.x_adv_best[:, done]
    r.keep(alive)


def _run_on(stacked, x, y, target, eps, acc, x_adv, norm, steps, gen) -> None:
    """One random-start run on the columns where ``acc`` has a correct model; updates in place."""
    cols = torch.nonzero(acc.any(0)).flatten()
    if cols.numel() == 0:
        return
    targeted = target is not None
    xs, ys, es = x[:, cols], y[:, cols], eps[:, cols]
    ts = target[:, cols] if targeted else ys
    start = _start(xs, es, norm, gen)
    loss, grad, logits = _loss_grad(stacked, start, ys, ts, targeted)
    acc_c = acc[:, cols] & (logits.argmax(-1) == ys)
    adv_c = torch.where(bcast(acc[:, cols] & ~acc_c, start), start, x_adv[:, cols])
    r = _Run(
        x=xs, y=ys, t=ts, eps=es, x_adv=start, x_old=start, grad=grad,
        x_best=start, grad_best=grad, loss_best=loss, step=2.0 * es, last_best=loss.clone(),
        reduced=torch.ones_like(acc_c), acc=acc_c, x_adv_best=adv_c,
        losses=torch.zeros((steps, *ys.shape), dtype=x.dtype, device=x.device),
    )  # fmt: skip
    r.out_acc, r.out_adv = acc_c.clone(), adv_c.clone()
    if bool(acc_c.any()):
        _single_run(stacked, r, norm, steps, targeted)
    if r.cols.numel():
        r.out_acc[:, r.cols], r.out_adv[:, r.cols] = r.acc, r.x_adv_best
    acc[:, cols], x_adv[:, cols] = r.out_acc, r.out_adv


def apgd(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float | torch.Tensor,
    *,
    norm: Norm | str,
    loss: str,
    budget: ApgdBudget,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """APGD-CE (``loss="ce"``) or APGD-T (``loss="dlr_targeted"``) on a stack of models.

    Parameters
    ----------
    model : nn.Module
        Stack ``(K, B, …) → (K, B, C)`` or single model.
    x, y : torch.Tensor
        Inputs in [0, 1] and labels, laid out as in :func:`~graphprior.robustness.fgsm_pgd.fgsm`.
    eps : float or torch.Tensor
        Budget, a scalar or per sample ``(B,)`` / ``(K, B)``.
    norm : {"linf", "l2"}
        Threat model.
    loss : {"ce", "dlr_targeted"}
        APGD-CE, or APGD-T over ``budget.n_targets`` runner-up classes.
    budget : ApgdBudget
        Iterations per run, restarts (per target class).
    generator : torch.Generator, optional
        Source of the random starts; None means one seeded with 0.

    Returns
    -------
    (robust, x_adv)
        ``robust`` bool ``(K, B)``: correctly classified at ``x`` and at every
        iterate of every run; ``x_adv`` ``(K, B, …)``: the first misclassified
        iterate found, else ``x``.
    """
    if loss not in ("ce", "dlr_targeted"):
        raise ValueError(f"loss must be 'ce' or 'dlr_targeted', got {loss!r}")
    return _chain(model, x, y, eps, Norm(norm), [(loss, budget)], generator)


def _chain(
    model, x, y, eps, norm: Norm, members, generator, skip_targeted_below_4: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run APGD `members` ((loss, budget) pairs) in turn, each on the inputs still robust.

    With `skip_targeted_below_4` a targeted member is skipped on models of
    fewer than four classes (its DLR loss needs four), as AutoAttack does.
    """
    stacked, x, y = layout(model, x, y)
    gen = device_generator(default_generator(generator), x.device)
    e = bcast(torch.as_tensor(eps, dtype=x.dtype, device=x.device).expand(y.shape), x)
    if y.numel() == 0:  # no inputs: nothing to attack
        return torch.zeros(y.shape, dtype=torch.bool, device=x.device), x.clone()
    with frozen_eval(stacked):
        logits = logits_of(stacked, x)
        acc = logits.argmax(-1) == y
        x_adv = x.clone()
        if float(e.max()) == 0.0:
            return acc, x_adv
        for loss, budget in members:
            if skip_targeted_below_4 and loss == "dlr_targeted" and logits.shape[-1] < 4:
                continue
            _attack_into(stacked, x, y, e, acc, x_adv, logits, loss, budget, norm, gen)
    return acc, x_adv


def _attack_into(stacked, x, y, e, acc, x_adv, logits, loss, budget, norm, gen) -> None:
    """Every target and restart of one APGD member, on the inputs `acc` still marks robust."""
    order = logits.argsort(dim=-1)
    n_targets = budget.n_targets if loss == "dlr_targeted" else 1
    for j in range(n_targets):
        target = None if loss == "ce" else order[..., -(j + 2)]
        for _ in range(budget.restarts):
            _run_on(stacked, x, y, target, e, acc, x_adv, norm, budget.steps, gen)


def apgd_chain(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float | torch.Tensor,
    *,
    norm: Norm | str,
    budgets: tuple[ApgdBudget, ApgdBudget],
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """APGD-CE, then APGD-T on the inputs APGD-CE left robust, as AutoAttack chains them.

    `budgets` are the (APGD-CE, APGD-T) budgets; `eps` a scalar or per
    sample. Returns ``(robust, x_adv)`` as :func:`apgd` does, over both members.
    The chain is the white-box core of AutoAttack (Croce and Hein 2020); the
    minimal-perturbation bisection uses it as its oracle.
    """
    members = [("ce", budgets[0]), ("dlr_targeted", budgets[1])]
    return _chain(model, x, y, eps, Norm(norm), members, generator, skip_targeted_below_4=True)
