"""Gradient attacks on stacks of models: FGSM and PGD (L∞ and L2).

Both follow the contract of :mod:`graphprior.robustness.stacking`: inputs in
[0, 1], eval mode and frozen parameters during the attack, randomness only
from the generator passed in. Random starts have the shape of one batch
``(B, …)`` and are shared by the K models (common random numbers), so
attacking a stack equals attacking each of its models alone with the same
seed. Adversarial inputs are always returned as ``(K, B, …)``.

Definitions and papers: ``docs/measures.md``, section "Input-space attacks".
Robust accuracy and success rates built on these attacks live in
:mod:`graphprior.robustness.accuracy`.
"""

from __future__ import annotations

import enum
import math

import torch
from torch import nn

from graphprior.nets.stacked import cross_entropy_per_sample
from graphprior.robustness.stacking import (
    CHECK_EVERY,
    bcast,
    default_generator,
    device_generator,
    frozen_eval,
    layout,
    logits_of,
    per_sample,
)

__all__ = ["Norm", "input_grad", "fgsm", "pgd"]


class Norm(enum.StrEnum):
    """Threat model of a perturbation budget."""

    LINF = "linf"
    L2 = "l2"


def input_grad(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradient of each sample's own loss w.r.t. its input, the loss and the logits.

    Summing the per-sample losses keeps each sample's gradient independent of
    the batch size and of the other models in the stack.
    """
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = model(x)
        loss = cross_entropy_per_sample(logits, y)
        (grad,) = torch.autograd.grad(loss.sum(), x)
    return grad, loss.detach(), logits.detach()


def fgsm(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float | torch.Tensor
) -> torch.Tensor:
    """Fast Gradient Sign Method, L∞, untargeted.

    ``x_adv = clip_[0,1](x + ε · sign(∇_x CE(f(x), y)))``
    (Goodfellow, Shlens, Szegedy 2015, "Explaining and Harnessing Adversarial
    Examples", ICLR).

    Parameters
    ----------
    model : nn.Module
        Stack ``(K, B, …) → (K, B, C)`` or single model ``(B, …) → (B, C)``.
    x : torch.Tensor
        Inputs in [0, 1], ``(B, …)`` if ``y`` is ``(B,)``, else ``(K, B, …)``.
    y : torch.Tensor
        True labels, ``(B,)`` or ``(K, B)``.
    eps : float or torch.Tensor
        L∞ budget: a scalar, or per sample ``(B,)`` / ``(K, B)``.

    Returns
    -------
    torch.Tensor
        Adversarial inputs ``(K, B, …)`` in [0, 1].

    Examples
    --------
    >>> lin = torch.nn.Linear(4, 2)
    >>> fgsm(lin, torch.full((3, 4), 0.5), torch.tensor([0, 1, 0]), 0.1).shape
    torch.Size([1, 3, 4])
    """
    stacked, x, y = layout(model, x, y)
    e = bcast(per_sample(eps, y.to(x.dtype)), x)
    with frozen_eval(stacked):
        grad, _, _ = input_grad(stacked, x, y)
    return (x + e * grad.sign()).clamp_(0.0, 1.0)


# --------------------------------------------------------------------------- PGD


def _random_start(
    x: torch.Tensor, e: torch.Tensor, norm: Norm, generator: torch.Generator
) -> torch.Tensor:
    """A uniform point of the ε-ball around each input, one draw shared by the K models."""
    shape = tuple(x.shape[1:])
    dev = generator.device
    if norm is Norm.LINF:
        noise = torch.rand(shape, generator=generator, device=dev, dtype=x.dtype) * 2 - 1
        delta = noise.to(x.device).unsqueeze(0) * e
    else:
        d = math.prod(shape[1:])
        direction = torch.randn(shape, generator=generator, device=dev, dtype=x.dtype)
        direction = direction / direction.flatten(1).norm(dim=1).clamp_min(1e-12).view(
            -1, *([1] * (len(shape) - 1))
        )
        # radius ~ eps * U^(1/d) makes the point uniform in the ball
        u = torch.rand(shape[0], generator=generator, device=dev, dtype=x.dtype) ** (1.0 / d)
        delta = (direction * u.view(-1, *([1] * (len(shape) - 1)))).to(x.device).unsqueeze(0) * e
    return (x + delta).clamp(0.0, 1.0)


def _project(x_adv: torch.Tensor, x: torch.Tensor, e: torch.Tensor, norm: Norm) -> torch.Tensor:
    delta = x_adv - x
    if norm is Norm.LINF:
        delta = torch.maximum(torch.minimum(delta, e), -e)
    else:
        n = bcast(delta.flatten(2).norm(dim=2), x)
        delta = delta * torch.where(n > e, e / n.clamp_min(1e-12), torch.ones_like(n))
    # clipping to the box only shrinks |delta_i|, so the result stays in the ball
    return (x + delta).clamp_(0.0, 1.0)


def _step_sizes(
    e: torch.Tensor,
    x: torch.Tensor,
    y: torch.Tensor,
    steps: int,
    step_size: float | torch.Tensor | None,
    rel_step: float | None,
) -> torch.Tensor:
    """Absolute step size α per sample, broadcastable against ``x``."""
    if step_size is not None and rel_step is not None:
        raise ValueError("give step_size or rel_step, not both")
    if step_size is None:
        return e * (2.5 / max(steps, 1) if rel_step is None else rel_step)
    return bcast(per_sample(step_size, y.to(x.dtype)), x)


class _Strongest:
    """Each sample's strongest iterate so far, over the columns (inputs) still active."""

    def __init__(self, x_adv: torch.Tensor, y: torch.Tensor, early_stop: bool):
        self.x = x_adv.clone()
        self.loss = torch.full(y.shape, -math.inf, device=x_adv.device, dtype=x_adv.dtype)
        self.fooled = torch.zeros(y.shape, dtype=torch.bool, device=x_adv.device)
        self.cols = torch.arange(y.shape[1], device=x_adv.device)
        self.early_stop = early_stop

    def keep(
        self, candidate: torch.Tensor, loss: torch.Tensor, logits: torch.Tensor, ys: torch.Tensor
    ) -> None:
        cols = self.cols
        fooled = logits.argmax(-1) != ys
        b_fooled, b_loss = self.fooled[:, cols], self.loss[:, cols]
        if self.early_stop:  # the first misclassified iterate, else the highest loss
            better = ~b_fooled & (fooled | (loss > b_loss))
        else:  # misclassified beats correct; among equals the highest loss
            better = (fooled & ~b_fooled) | ((fooled == b_fooled) & (loss > b_loss))
        self.x[:, cols] = torch.where(bcast(better, candidate), candidate, self.x[:, cols])
        self.loss[:, cols] = torch.where(better, loss, b_loss)
        self.fooled[:, cols] = b_fooled | fooled


def _ascend(
    stacked: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    x_adv: torch.Tensor,
    e: torch.Tensor,
    alpha: torch.Tensor,
    norm: Norm,
    steps: int,
    best: _Strongest,
) -> torch.Tensor:
    """The PGD iterations from ``x_adv``; returns each sample's strongest iterate."""
    # all tensors below are (K, A, ...) over the A columns still active
    x0, ys, es, alphas = x, y, e, alpha.expand_as(e)
    for i in range(steps):
        grad, loss, logits = input_grad(stacked, x_adv, ys)
        best.keep(x_adv, loss, logits, ys)
        if best.early_stop and (i + 1) % CHECK_EVERY == 0:
            # an input every model already misclassifies needs no more steps (its
            # strongest iterate is frozen in `best` since it was first fooled)
            keep = ~best.fooled[:, best.cols].all(0)
            if not bool(keep.all()):
                best.cols, x_adv, grad = best.cols[keep], x_adv[:, keep], grad[:, keep]
                x0, ys, es, alphas = x0[:, keep], ys[:, keep], es[:, keep], alphas[:, keep]
            if best.cols.numel() == 0:
                return best.x
        if norm is Norm.LINF:
            x_adv = x_adv + alphas * grad.sign()
        else:
            g_norm = bcast(grad.flatten(2).norm(dim=2).clamp_min(1e-12), grad)
            x_adv = x_adv + alphas * grad / g_norm
        x_adv = _project(x_adv, x0, es, norm)
    logits = logits_of(stacked, x_adv)
    best.keep(x_adv, cross_entropy_per_sample(logits, ys), logits, ys)
    return best.x


def pgd(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float | torch.Tensor,
    *,
    steps: int = 20,
    norm: Norm | str = "linf",
    step_size: float | torch.Tensor | None = None,
    rel_step: float | None = None,
    random_start: bool = True,
    generator: torch.Generator | None = None,
    early_stop: bool = False,
) -> torch.Tensor:
    """Projected Gradient Descent (untargeted, L∞ or L2), keeping each sample's strongest iterate.

    Madry, Makelov, Schmidt, Tsipras, Vladu 2018, "Towards Deep Learning
    Models Resistant to Adversarial Attacks", ICLR. Starting from a uniform
    random point of the ε-ball (or from ``x``), each step ascends the
    cross-entropy — by ``α · sign(g)`` for L∞, ``α · g / ‖g‖₂`` for L2 — and
    projects back onto the ball around ``x`` (per-sample L2 rescaling) and the
    box [0, 1]. Of the ``steps + 1`` iterates, each sample returns its
    strongest: a misclassified iterate beats a correct one, and among equals
    the highest loss wins. With ``early_stop`` a sample keeps its *first*
    misclassified iterate instead, and an input that every model of the
    stack already misclassifies takes no more steps: this saves work when
    only *whether* a sample is fooled matters (robust accuracy, the bisection
    oracle), and which samples are fooled does not change.

    Parameters
    ----------
    model : nn.Module
        Stack ``(K, B, …) → (K, B, C)`` or single model ``(B, …) → (B, C)``.
    x, y : torch.Tensor
        Inputs in [0, 1] and labels, laid out as in :func:`fgsm`.
    eps : float or torch.Tensor
        Budget: a scalar, or per sample ``(B,)`` / ``(K, B)`` (used by the bisection).
    steps : int
        Gradient steps (config ``attack.pgd.<norm>.steps``, whose default is 20).
    norm : {"linf", "l2"}
        Threat model.
    step_size : float or torch.Tensor, optional
        Absolute step size α (scalar or per sample). Give this or ``rel_step``.
    rel_step : float, optional
        Step size relative to ε, ``α = rel_step · ε``. If neither is given,
        ``rel_step = 2.5 / steps`` (Madry et al.).
    random_start : bool
        Start from a uniform random point of the ball (L2: uniform direction,
        radius ε·U^(1/d)), drawn with shape ``(B, …)`` and shared by the K models.
    generator : torch.Generator, optional
        Source of the random start; ``None`` means a generator seeded with 0.
    early_stop : bool
        Stop at the first misclassified iterate (see above); default off.

    Returns
    -------
    torch.Tensor
        Adversarial inputs ``(K, B, …)`` in [0, 1].
    """
    norm = Norm(norm)
    if steps < 0:
        raise ValueError("steps must be >= 0")
    stacked, x, y = layout(model, x, y)
    e = bcast(per_sample(eps, y.to(x.dtype)), x)
    alpha = _step_sizes(e, x, y, steps, step_size, rel_step)
    if random_start:
        gen = device_generator(default_generator(generator), x.device)
        x_adv = _random_start(x, e, norm, gen)
    else:
        x_adv = x.clone()
    best = _Strongest(x_adv, y, early_stop)
    with frozen_eval(stacked):
        return _ascend(stacked, x, y, x_adv, e, alpha, norm, steps, best)
