"""Input-space adversarial attacks and robustness measures, batched over stacked models.

Every gradient attack here works on a *stack* of K models at once: a module
that maps inputs ``(K, B, *input_shape)`` to logits ``(K, B, C)``, such as
:class:`graphprior.nets.stacked.StackedNet`. Each model is attacked on its own copy
of the inputs, in one tensor, so the K models of one graph cost one batched
forward/backward pass per attack step. A single model ``(B, …) → (B, C)``
(e.g. :class:`graphprior.nets.stacked.SingleNet`, or any ``nn.Module``) is used as a
stack of one through :func:`as_stacked`.

Contract shared by every attack (after torchattacks):

- inputs and results lie in the pixel box [0, 1]; input normalisation lives
  inside the model;
- the model is in eval mode during the attack and every submodule's previous
  mode is restored afterwards; parameters are frozen (``requires_grad`` off)
  during the attack and restored, so no parameter gradient is computed or
  accumulated; input gradients come from :func:`torch.autograd.grad`;
- randomness comes only from the ``torch.Generator`` / seed passed in, so a
  call is deterministic given its seed. Random starts have the shape of one
  batch ``(B, …)`` and are shared by the K models (common random numbers), so
  attacking a stack equals attacking each of its models alone with the same
  seed;
- the shape of ``y`` says how ``x`` is laid out: ``y`` of shape ``(B,)`` means
  ``x`` is one batch ``(B, …)`` shared by all K models; ``y`` of shape
  ``(K, B)`` means ``x`` is ``(K, B, …)``, one batch per model. Adversarial
  inputs are always returned as ``(K, B, …)``.

A sample counts as robust at ε only if it is classified correctly on the clean
input *and* on the adversarial input (the attacker may always return the clean
input, which lies in every threat set); so robust accuracy at ε = 0 equals
clean accuracy exactly.

Measure definitions, defaults and papers: ``docs/measures.md`` (section
"Input-space attacks"). :func:`run_input_attacks` computes all of them for
one stack of models in the long row format of the ``robustness`` table.
"""

from __future__ import annotations

import contextlib
import copy
import enum
import logging
import math
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from graphprior.nets.stacked import SingleNet

__all__ = [
    "DEFAULTS",
    "Norm",
    "StackedAdapter",
    "as_stacked",
    "merge_config",
    "fgsm",
    "pgd",
    "clean_correct",
    "robust_correct",
    "robust_accuracy",
    "success_rate_on_correct",
    "paper_robustness",
    "min_perturbation_fgsm_linesearch",
    "min_perturbation_pgd_bisection",
    "PerturbationSummary",
    "summarize_min_perturbation",
    "auc_robust_accuracy",
    "mean_adversarial_confidence",
    "onepixel_attack",
    "OnePixelResult",
    "onepixel_success_rate",
    "art_classifier",
    "clever_scores",
    "loss_sensitivity",
    "accuracy_and_f1",
    "run_input_attacks",
]

log = logging.getLogger(__name__)

#: Defaults of the ``attack`` config section; :func:`merge_config` fills missing keys.
DEFAULTS: dict[str, Any] = {
    # first n test samples in load_dataset order
    "n_samples": 300,
    "fgsm": {"eps": [0.0, 0.02, 0.05, 0.1, 0.2, 0.3]},
    # the paper's single FGSM budget for robustness = 100 - success rate (%)
    "paper_eps": 0.1,
    "pgd": {
        # step size = rel_step * eps
        "linf": {"eps": [0.0, 0.02, 0.05, 0.1, 0.2], "steps": 20, "rel_step": 0.25},
        "l2": {"eps": [0.0, 0.25, 0.5, 1.0, 2.0], "steps": 20, "rel_step": 0.25},
    },
    "min_perturbation": {
        "linesearch": True,
        "bisection_steps": 8,
        "pgd_steps": 20,
        "linf_max": 0.5,
        "l2_max": 4.0,
    },
    # n_samples 0 disables; popsize is scipy's multiplier (population = popsize * variables)
    "onepixel": {"n_samples": 10, "maxiter": 10, "popsize": 10},
    # n_samples 0 disables
    "clever": {"n_samples": 2, "nb_batches": 5, "batch_size": 20, "radius": 0.3, "norm": 2},
}

# The paper's FGSM line search (Ben Amor, Stier, Granitzer 2021): 0.001 upwards in
# steps of 0.01 while eps <= 0.26.
LINESEARCH_START = 0.001
LINESEARCH_STEP = 0.01
LINESEARCH_MAX = 0.26


class Norm(enum.StrEnum):
    """Threat model of a perturbation budget."""

    LINF = "linf"
    L2 = "l2"


# ---------------------------------------------------------------------------
# Model plumbing


class StackedAdapter(nn.Module):
    """View a single model ``(B, …) → (B, C)`` as a stack of one.

    ``forward`` takes ``(1, B, …)`` and returns ``(1, B, C)``; train/eval
    modes propagate to the wrapped model.
    """

    k = 1

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] != 1:
            raise ValueError(f"a single model takes inputs (1, B, ...), got {tuple(x.shape)}")
        return self.model(x[0]).unsqueeze(0)


def _is_stacked(model: nn.Module) -> bool:
    return isinstance(getattr(model, "k", None), int) and not isinstance(model, StackedAdapter)


def as_stacked(model: nn.Module) -> nn.Module:
    """Return ``model`` if it is a stack (has an integer attribute ``k``), else wrap it.

    A :class:`graphprior.nets.stacked.SingleNet` is unwrapped to its one-model stack.
    """
    if isinstance(model, StackedAdapter):
        return model
    if isinstance(model, SingleNet):
        return model.net
    return model if _is_stacked(model) else StackedAdapter(model)


@contextlib.contextmanager
def _attack_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode and frozen parameters for the duration of an attack, then restore."""
    modes = [(m, m.training) for m in model.modules()]
    grads = [(p, p.requires_grad) for p in model.parameters()]
    model.eval()
    for p, _ in grads:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training
        for p, flag in grads:
            p.requires_grad_(flag)


def _layout(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor
) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """Stacked model, inputs ``(K, B, …)`` and labels ``(K, B)`` (see module docstring)."""
    stacked = as_stacked(model)
    k = stacked.k
    y = torch.as_tensor(y, device=x.device).long()
    if y.dim() == 1:
        if x.shape[0] != y.shape[0]:
            raise ValueError(
                f"x {tuple(x.shape)} and y {tuple(y.shape)} disagree on the batch size"
            )
        x = x.unsqueeze(0).expand(k, *x.shape)
        y = y.unsqueeze(0).expand(k, -1)
    elif y.dim() == 2:
        if y.shape[0] != k or tuple(x.shape[:2]) != tuple(y.shape):
            raise ValueError(
                f"per-model inputs need x (K={k}, B, ...) and y (K, B); got {tuple(x.shape)}, {tuple(y.shape)}"
            )
    else:
        raise ValueError(f"y must be (B,) or (K, B), got {tuple(y.shape)}")
    return stacked, x.detach(), y


def _per_sample(eps: float | torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """ε as a ``(K, B)`` tensor from a scalar, a ``(B,)`` or a ``(K, B)`` tensor."""
    k, b = like.shape[:2]
    e = torch.as_tensor(eps, dtype=like.dtype, device=like.device)
    if e.dim() == 0:
        e = e.expand(k, b)
    elif e.dim() == 1:
        e = e.unsqueeze(0).expand(k, b)
    if tuple(e.shape) != (k, b):
        raise ValueError(f"eps must be a scalar, (B,) or (K, B); got {tuple(e.shape)}")
    if bool((e < 0).any()):
        raise ValueError("eps must be non-negative")
    return e


def _bcast(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A ``(K, B)`` tensor viewed to broadcast against ``x`` of shape ``(K, B, …)``."""
    return v.reshape(*v.shape, *([1] * (x.dim() - 2)))


def _loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-sample cross-entropy ``(K, B)``."""
    k, b, c = logits.shape
    return F.cross_entropy(logits.reshape(k * b, c), y.reshape(k * b), reduction="none").view(k, b)


def _input_grad(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradient of each sample's own loss w.r.t. its input, the loss and the logits.

    Summing the per-sample losses keeps each sample's gradient independent of
    the batch size and of the other models in the stack.
    """
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = model(x)
        loss = _loss(logits, y)
        (grad,) = torch.autograd.grad(loss.sum(), x)
    return grad, loss.detach(), logits.detach()


def _logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(x)


def _default_generator(generator: torch.Generator | None) -> torch.Generator:
    return generator if generator is not None else torch.Generator().manual_seed(0)


# ---------------------------------------------------------------------------
# Attacks


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
    stacked, x, y = _layout(model, x, y)
    e = _bcast(_per_sample(eps, y.to(x.dtype)), x)
    with _attack_mode(stacked):
        grad, _, _ = _input_grad(stacked, x, y)
    return (x + e * grad.sign()).clamp_(0.0, 1.0)


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
        n = _bcast(delta.flatten(2).norm(dim=2), x)
        delta = delta * torch.where(n > e, e / n.clamp_min(1e-12), torch.ones_like(n))
    # clipping to the box only shrinks |delta_i|, so the result stays in the ball
    return (x + delta).clamp_(0.0, 1.0)


def pgd(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float | torch.Tensor,
    *,
    norm: Norm | str = "linf",
    steps: int = 20,
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
    strongest rather than the last one: a misclassified iterate beats a
    correct one, and among equals the highest loss wins. With ``early_stop``
    a sample keeps its *first* misclassified iterate instead, and an input
    that every model of the stack already misclassifies takes no more steps:
    this saves work when only *whether* a sample is fooled matters (robust
    accuracy, the bisection oracle), and which samples are fooled does not
    change.

    Parameters
    ----------
    model : nn.Module
        Stack ``(K, B, …) → (K, B, C)`` or single model ``(B, …) → (B, C)``.
    x, y : torch.Tensor
        Inputs in [0, 1] and labels, laid out as in :func:`fgsm`.
    eps : float or torch.Tensor
        Budget: a scalar, or per sample ``(B,)`` / ``(K, B)`` (used by the bisection).
    norm : {"linf", "l2"}
        Threat model.
    steps : int
        Gradient steps (default 20).
    step_size : float or torch.Tensor, optional
        Absolute step size α (scalar or per sample). Give this or ``rel_step``.
    rel_step : float, optional
        Step size relative to ε, ``α = rel_step · ε``. If neither is given,
        ``rel_step = 2.5 / steps`` (Madry et al.).
    random_start : bool
        Start from a uniform random point of the ball (L2: uniform direction,
        radius ε·U^(1/d)). The draw has shape ``(B, …)`` and is shared by the
        K models.
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
    stacked, x, y = _layout(model, x, y)
    e_ks = _per_sample(eps, y.to(x.dtype))
    e = _bcast(e_ks, x)
    if step_size is not None and rel_step is not None:
        raise ValueError("give step_size or rel_step, not both")
    if step_size is None:
        alpha = e * (2.5 / max(steps, 1) if rel_step is None else rel_step)
    else:
        alpha = _bcast(_per_sample(step_size, y.to(x.dtype)), x)
    if random_start:
        x_adv = _random_start(x, e, norm, _default_generator(generator))
    else:
        x_adv = x.clone()
    best = x_adv.clone()
    best_loss = torch.full(y.shape, -math.inf, device=x.device, dtype=x.dtype)
    best_fooled = torch.zeros(y.shape, dtype=torch.bool, device=x.device)
    # Work on the columns (inputs) still active; all tensors below are (K, A, ...).
    cols = torch.arange(y.shape[1], device=x.device)
    x0, ys, es, alphas = x, y, e, alpha.expand_as(e)

    def keep_strongest(candidate: torch.Tensor, loss: torch.Tensor, logits: torch.Tensor) -> None:
        fooled = logits.argmax(-1) != ys
        b_fooled, b_loss = best_fooled[:, cols], best_loss[:, cols]
        if early_stop:  # the first misclassified iterate, else the highest loss
            better = ~b_fooled & (fooled | (loss > b_loss))
        else:  # misclassified beats correct; among equals the highest loss
            better = (fooled & ~b_fooled) | ((fooled == b_fooled) & (loss > b_loss))
        best[:, cols] = torch.where(_bcast(better, candidate), candidate, best[:, cols])
        best_loss[:, cols] = torch.where(better, loss, b_loss)
        best_fooled[:, cols] = b_fooled | fooled

    with _attack_mode(stacked):
        for _ in range(steps):
            grad, loss, logits = _input_grad(stacked, x_adv, ys)
            keep_strongest(x_adv, loss, logits)
            if early_stop:
                # an input every model already misclassifies needs no more steps
                keep = ~best_fooled[:, cols].all(0)
                if not bool(keep.all()):
                    cols, x_adv, grad = cols[keep], x_adv[:, keep], grad[:, keep]
                    x0, ys, es, alphas = x0[:, keep], ys[:, keep], es[:, keep], alphas[:, keep]
                if cols.numel() == 0:
                    return best
            if norm is Norm.LINF:
                x_adv = x_adv + alphas * grad.sign()
            else:
                g_norm = _bcast(grad.flatten(2).norm(dim=2).clamp_min(1e-12), grad)
                x_adv = x_adv + alphas * grad / g_norm
            x_adv = _project(x_adv, x0, es, norm)
        logits = _logits(stacked, x_adv)
        keep_strongest(x_adv, _loss(logits, ys), logits)
    return best


# ---------------------------------------------------------------------------
# Robust accuracy and success rates

AttackFn = Callable[..., torch.Tensor]


def _attack_fn(attack: str | AttackFn) -> AttackFn:
    if callable(attack):
        return attack
    table: dict[str, AttackFn] = {"fgsm": fgsm, "pgd": pgd}
    if attack not in table:
        raise ValueError(
            f"unknown attack {attack!r}; choose one of {', '.join(table)} or pass a callable"
        )
    return table[attack]


def clean_correct(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Whether each model classifies each clean input correctly, bool ``(K, B)``."""
    stacked, x, y = _layout(model, x, y)
    with _attack_mode(stacked):
        return _logits(stacked, x).argmax(-1) == y


def _correct_at(model: nn.Module, x_adv: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    with _attack_mode(model):
        return _logits(model, x_adv).argmax(-1) == y


def robust_correct(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    attack: str | AttackFn,
    eps_grid: Sequence[float],
    *,
    nested: bool = False,
    **attack_kwargs: Any,
) -> torch.Tensor:
    """Per-sample robustness over an ε grid, bool ``(K, len(eps_grid), B)``.

    A sample is robust at ε if the model classifies it correctly both clean
    and at ``attack(model, x, y, ε, **attack_kwargs)``. With ``nested=True``
    a sample also has to be robust at every smaller ε of the grid: the
    threat sets are nested (an adversarial input within ε₁ lies within every
    ε₂ > ε₁), so this is the same attack keeping its strongest result across
    the grid, and it makes robust accuracy non-increasing in ε by
    construction. :func:`run_input_attacks` uses ``nested=True`` for PGD and
    the plain per-ε result for FGSM (the paper's attack).
    """
    attack_fn = _attack_fn(attack)
    stacked, x, y = _layout(model, x, y)
    clean = _correct_at(stacked, x, y)
    eps_values = [float(e) for e in eps_grid]
    order = np.argsort(eps_values, kind="stable")
    out = torch.empty((y.shape[0], len(eps_values), y.shape[1]), dtype=torch.bool, device=x.device)
    for j, eps in enumerate(eps_values):
        x_adv = attack_fn(stacked, x, y, eps, **attack_kwargs)
        out[:, j] = clean & _correct_at(stacked, x_adv, y)
    if nested:
        running = clean.clone()
        for j in order:
            running &= out[:, j]
            out[:, j] = running
    return out


def robust_accuracy(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    attack: str | AttackFn,
    eps_grid: Sequence[float],
    *,
    nested: bool = False,
    **attack_kwargs: Any,
) -> torch.Tensor:
    """Robust accuracy per model and ε, float ``(K, len(eps_grid))``.

    The share of samples classified correctly clean and under the attack (see
    :func:`robust_correct`); at ε = 0 it equals clean accuracy exactly.

    Examples
    --------
    >>> gen = torch.Generator().manual_seed(0)
    >>> lin = torch.nn.Linear(4, 2)
    >>> x = torch.rand(8, 4, generator=gen)
    >>> y = torch.randint(0, 2, (8,), generator=gen)
    >>> acc = robust_accuracy(lin, x, y, "fgsm", [0.0, 0.1])
    >>> acc.shape
    torch.Size([1, 2])
    """
    return (
        robust_correct(model, x, y, attack, eps_grid, nested=nested, **attack_kwargs)
        .double()
        .mean(-1)
    )


def success_rate_on_correct(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    attack: str | AttackFn = "fgsm",
    **attack_kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Attack success rate on the correctly classified inputs.

    ``success rate = #{x correct clean, misclassified at x_adv} / #{x correct clean}``
    as a share in [0, 1] (NaN for a model with no correct input), with FGSM by
    default as in Ben Amor, Stier, Granitzer 2021 ("Correlation Analysis
    between the Robustness of Sparse Neural Networks and their Random Hidden
    Structural Priors", Procedia Computer Science 192).

    Returns
    -------
    rate : torch.Tensor
        ``(K,)`` success rates.
    n_correct : torch.Tensor
        ``(K,)`` number of correctly classified inputs attacked.
    """
    attack_fn = _attack_fn(attack)
    stacked, x, y = _layout(model, x, y)
    clean = _correct_at(stacked, x, y)
    x_adv = attack_fn(stacked, x, y, eps, **attack_kwargs)
    fooled = clean & ~_correct_at(stacked, x_adv, y)
    n_correct = clean.sum(-1)
    rate = fooled.sum(-1).double() / n_correct.double()
    return rate.where(n_correct > 0, torch.full_like(rate, math.nan)), n_correct


def paper_robustness(success_rate: torch.Tensor | np.ndarray | float) -> Any:
    """The paper's robustness in percent: ``100 − 100 · success rate``.

    Ben Amor, Stier, Granitzer 2021 report robustness as 100 minus the FGSM
    (ε = 0.1) success rate on correctly classified test inputs, in percent.
    """
    return 100.0 - 100.0 * success_rate


# ---------------------------------------------------------------------------
# Minimal adversarial perturbation


def _linesearch_grid(eps_start: float, eps_step: float, eps_max: float) -> np.ndarray:
    n = int(math.floor((eps_max - eps_start) / eps_step + 1e-9)) + 1
    return eps_start + eps_step * np.arange(max(n, 0))


def min_perturbation_fgsm_linesearch(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps_start: float = LINESEARCH_START,
    eps_step: float = LINESEARCH_STEP,
    eps_max: float = LINESEARCH_MAX,
) -> torch.Tensor:
    """The paper's minimal-ε FGSM line search, per sample.

    The smallest ε of the grid ``eps_start, eps_start + eps_step, … ≤ eps_max``
    (0.001, 0.011, …, 0.251 by default) at which FGSM misclassifies the input
    (Ben Amor, Stier, Granitzer 2021). The FGSM direction sign(∇ₓ loss) does
    not depend on ε, so one gradient serves the whole grid.

    Returns
    -------
    torch.Tensor
        ``(K, B)`` float: the minimal ε; NaN where the clean input is
        misclassified; +inf where no ε of the grid fools the model.
    """
    stacked, x, y = _layout(model, x, y)
    grid = _linesearch_grid(eps_start, eps_step, eps_max)
    with _attack_mode(stacked):
        clean = _logits(stacked, x).argmax(-1) == y
        grad, _, _ = _input_grad(stacked, x, y)
        direction = grad.sign()
        result = torch.full(y.shape, math.inf, dtype=torch.float64, device=x.device)
        for eps in grid[::-1]:  # descending, so the last hit is the smallest ε
            x_adv = (x + float(eps) * direction).clamp_(0.0, 1.0)
            fooled = _logits(stacked, x_adv).argmax(-1) != y
            result = torch.where(fooled, torch.full_like(result, float(eps)), result)
    return result.where(clean, torch.full_like(result, math.nan))


def min_perturbation_pgd_bisection(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    norm: Norm | str = "linf",
    eps_max: float = 0.5,
    steps: int = 20,
    n_bisect: int = 8,
    rel_step: float = 0.25,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Minimal adversarial ε per sample by bisection with PGD as the oracle.

    For every sample of every model at once (one tensor, per-sample ε), the
    bracket ``[lo, hi] = [0, eps_max]`` is halved ``n_bisect`` times: PGD
    (:func:`pgd`, ``steps`` steps of ``rel_step · ε``, random start) at the
    midpoint decides whether the model can be fooled there. The result is the
    smallest perturbation norm ``‖x_adv − x‖`` of any successful PGD
    adversarial found, an upper bound on the true minimal adversarial
    distance within ``eps_max / 2^n_bisect`` of the bracket. PGD as the
    attack follows Madry et al. 2018; the minimal-ε question is the paper's
    (Ben Amor, Stier, Granitzer 2021), answered with a stronger attack.

    Returns
    -------
    torch.Tensor
        ``(K, B)`` float: the minimal ε; NaN where the clean input is
        misclassified; +inf where PGD at ``eps_max`` does not fool the model.
    """
    norm = Norm(norm)
    stacked, x, y = _layout(model, x, y)
    generator = _default_generator(generator)
    clean = clean_correct(stacked, x, y)
    lo = torch.zeros(y.shape, dtype=x.dtype, device=x.device)
    hi = torch.full(y.shape, float(eps_max), dtype=x.dtype, device=x.device)
    best = torch.full(y.shape, math.inf, dtype=torch.float64, device=x.device)

    def oracle(eps: torch.Tensor) -> torch.Tensor:
        x_adv = pgd(
            stacked, x, y, eps, norm=norm, steps=steps, rel_step=rel_step, generator=generator,
            early_stop=True,
        )  # fmt: skip
        fooled = clean & ~_correct_at(stacked, x_adv, y)
        delta = (x_adv - x).flatten(2)
        dist = delta.abs().amax(2) if norm is Norm.LINF else delta.norm(dim=2)
        best.copy_(torch.where(fooled, torch.minimum(best, dist.double()), best))
        return fooled

    oracle(hi)
    for _ in range(n_bisect):
        mid = (lo + hi) / 2
        fooled = oracle(mid)
        hi = torch.where(fooled, mid, hi)
        lo = torch.where(fooled, lo, mid)
    return best.where(clean, torch.full_like(best, math.nan))


@dataclass
class PerturbationSummary:
    """Per-model summary of minimal adversarial perturbations (arrays of shape ``(K,)``).

    ``mean``, ``median``, ``min`` and ``max`` are over the fooled samples
    (finite ε; NaN when none was fooled); ``never_fooled_share`` is the share
    of correctly classified samples not fooled within the bound; ``n_correct``
    counts the correctly classified samples and ``n_fooled`` the fooled ones.
    """

    mean: np.ndarray
    median: np.ndarray
    min: np.ndarray
    max: np.ndarray
    never_fooled_share: np.ndarray
    n_fooled: np.ndarray
    n_correct: np.ndarray


def summarize_min_perturbation(min_eps: torch.Tensor | np.ndarray) -> PerturbationSummary:
    """Summarise ``(K, B)`` minimal ε (NaN: misclassified clean, inf: never fooled)."""
    a = np.asarray(torch.as_tensor(min_eps).detach().cpu().double(), dtype=np.float64)
    if a.ndim == 1:
        a = a[None]
    stats: dict[str, list[float]] = {k: [] for k in ("mean", "median", "min", "max", "share")}
    n_fooled, n_correct = [], []
    for row in a:
        correct = row[~np.isnan(row)]
        fooled = correct[np.isfinite(correct)]
        n_correct.append(correct.size)
        n_fooled.append(fooled.size)
        stats["share"].append(float(np.mean(~np.isfinite(correct))) if correct.size else math.nan)
        if fooled.size:
            stats["mean"].append(float(fooled.mean()))
            stats["median"].append(float(np.median(fooled)))
            stats["min"].append(float(fooled.min()))
            stats["max"].append(float(fooled.max()))
        else:
            for key in ("mean", "median", "min", "max"):
                stats[key].append(math.nan)
    return PerturbationSummary(
        mean=np.array(stats["mean"]),
        median=np.array(stats["median"]),
        min=np.array(stats["min"]),
        max=np.array(stats["max"]),
        never_fooled_share=np.array(stats["share"]),
        n_fooled=np.array(n_fooled),
        n_correct=np.array(n_correct),
    )


def auc_robust_accuracy(
    eps_grid: Sequence[float] | np.ndarray, acc: torch.Tensor | np.ndarray
) -> np.ndarray:
    """Area under the robust-accuracy–ε curve, normalised by the ε range.

    ``AUC = ∫ acc(ε) dε / (ε_max − ε_min)`` by the trapezoid rule over the
    sorted grid, so a model with accuracy a at every ε scores a; ``acc`` is
    ``(…, len(eps_grid))`` and the result has shape ``(…)``.
    """
    eps = np.asarray(eps_grid, dtype=np.float64)
    a = np.asarray(torch.as_tensor(acc).detach().cpu().double(), dtype=np.float64)
    if eps.size < 2 or eps.max() == eps.min():
        raise ValueError("the ε grid needs at least two distinct values")
    order = np.argsort(eps, kind="stable")
    return np.trapezoid(a[..., order], eps[order], axis=-1) / (eps.max() - eps.min())


def mean_adversarial_confidence(
    model: nn.Module,
    x_adv: torch.Tensor,
    y: torch.Tensor | None = None,
    mask: torch.Tensor | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean softmax confidence of the predicted class on adversarial inputs.

    ``conf = mean over selected samples of max_c softmax(f(x_adv))_c``. The
    selection is ``mask`` (bool ``(K, B)``) and, if ``y`` is given, only the
    successful adversarials (predicted class ≠ y). :func:`run_input_attacks`
    passes the correctly classified clean inputs as ``mask`` and ``y``, so the
    value is the average confidence of the *successful* adversarial
    predictions, as reported by Ben Amor, Stier, Granitzer 2021.

    Parameters
    ----------
    x_adv : torch.Tensor
        Adversarial inputs ``(K, B, …)`` (as returned by the attacks).

    Returns
    -------
    confidence, n : np.ndarray
        ``(K,)`` mean confidences (NaN where nothing is selected) and counts.
    """
    stacked = as_stacked(model)
    with _attack_mode(stacked):
        probs = torch.softmax(_logits(stacked, x_adv), dim=-1)
    conf, pred = probs.max(-1)
    sel = torch.ones_like(pred, dtype=torch.bool) if mask is None else mask.to(pred.device)
    if y is not None:
        yy = torch.as_tensor(y, device=pred.device)
        sel = sel & (pred != (yy if yy.dim() == 2 else yy.unsqueeze(0)))
    n = sel.sum(-1)
    total = (conf.double() * sel).sum(-1)
    mean = torch.where(n > 0, total / n.clamp_min(1), torch.full_like(total, math.nan))
    return mean.cpu().numpy(), n.cpu().numpy()


# ---------------------------------------------------------------------------
# One-pixel attack


def _single_model(model: nn.Module, k: int) -> nn.Module:
    """Model ``k`` of a stack as a ``(B, …) → (B, C)`` module (a copy where needed)."""
    stacked = as_stacked(model)
    if isinstance(stacked, StackedAdapter):
        return stacked.model
    if hasattr(stacked, "select"):
        return SingleNet(stacked.select(k))
    return _KthModel(stacked, k)


class _KthModel(nn.Module):
    """One model of a generic stack: runs the stack on a shared batch and keeps output k."""

    def __init__(self, stacked: nn.Module, k: int):
        super().__init__()
        self.stacked = stacked
        self.index = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stacked(x.unsqueeze(0).expand(self.stacked.k, *x.shape))[self.index]


def _pixel_layout(shape: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """Channels and spatial shape of one input: (C, *spatial) if 2-D or more, else (1, (L,))."""
    if len(shape) >= 2:
        return shape[0], tuple(shape[1:])
    return 1, tuple(shape)


def onepixel_attack(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    maxiter: int = 10,
    popsize: int = 10,
    seed: int = 0,
) -> tuple[np.ndarray, torch.Tensor]:
    """Untargeted One-Pixel attack by differential evolution on a single model.

    Su, Vargas, Sakurai 2019, "One Pixel Attack for Fooling Deep Neural
    Networks", IEEE Trans. Evol. Comput. 23(5). A candidate is one pixel
    (its position and its value in every channel, in [0, 1]); DE
    (``rand/1``, F = 0.5, no crossover, as in the paper) minimises the
    softmax probability of the true class and stops as soon as a candidate is
    misclassified. Implemented on :func:`scipy.optimize.differential_evolution`
    with integer positions and the whole population evaluated in one forward
    pass; seeded per image from ``(seed, index)``. (ART's ``PixelAttack``
    fixes the population at 400 / variables, cannot be seeded except through
    the global NumPy RNG and evaluates one candidate per call.)

    Parameters
    ----------
    model : nn.Module
        Single model ``(B, …) → (B, C)``.
    x, y : torch.Tensor
        Inputs ``(N, …)`` in [0, 1] (shape ``(C, H, W)``, ``(C, L)`` or
        ``(L,)`` per input) and labels ``(N,)``.
    maxiter : int
        DE generations.
    popsize : int
        scipy's population multiplier: population = popsize × number of
        variables (3 for a grey image: row, column, value).
    seed : int
        Seed; image ``i`` uses ``numpy.random.default_rng([seed, i])``.

    Returns
    -------
    success : np.ndarray
        bool ``(N,)``: misclassified after changing one pixel.
    x_adv : torch.Tensor
        ``(N, …)``, the successful adversarial where found, else the input.
    """
    from scipy.optimize import differential_evolution

    channels, spatial = _pixel_layout(tuple(x.shape[1:]))
    n_pos = len(spatial)
    bounds = [(0, s - 1) for s in spatial] + [(0.0, 1.0)] * channels
    integrality = [True] * n_pos + [False] * channels
    success = np.zeros(x.shape[0], dtype=bool)
    x_adv = x.detach().clone()
    stacked = StackedAdapter(model)
    with _attack_mode(stacked):
        for i in range(x.shape[0]):
            image = x[i].reshape(channels, -1)
            label = int(y[i])
            found: list[torch.Tensor] = []

            def perturb(cands: np.ndarray, image: torch.Tensor = image) -> torch.Tensor:
                pos = np.rint(cands[:n_pos]).astype(np.int64)
                flat = np.ravel_multi_index(tuple(pos), spatial, mode="clip")
                vals = torch.as_tensor(cands[n_pos:].T, dtype=image.dtype, device=image.device)
                imgs = image.unsqueeze(0).repeat(cands.shape[1], 1, 1)
                rows = torch.arange(cands.shape[1], device=image.device)
                imgs[rows, :, torch.as_tensor(flat, device=image.device)] = vals
                return imgs.reshape(cands.shape[1], *x.shape[1:])

            def objective(
                cands: np.ndarray,
                perturb: Callable = perturb,
                label: int = label,
                found: list = found,
            ) -> np.ndarray:
                imgs = perturb(cands)
                probs = torch.softmax(model(imgs), dim=-1)
                hits = torch.nonzero(probs.argmax(-1) != label).flatten()
                if hits.numel() and not found:
                    found.append(imgs[hits[0]].clone())
                return probs[:, label].double().cpu().numpy()

            def stop(xk: np.ndarray, convergence: float | None = None, found: list = found) -> bool:
                return bool(found)

            differential_evolution(
                objective,
                bounds,
                strategy="rand1bin",
                maxiter=maxiter,
                popsize=popsize,
                mutation=0.5,
                recombination=1.0,
                rng=np.random.default_rng([int(seed), i]),
                callback=stop,
                polish=False,
                tol=0.0,
                atol=-1.0,  # never stop on convergence, only on success or maxiter
                integrality=integrality,
                vectorized=True,
                updating="deferred",
            )
            if found:
                success[i] = True
                x_adv[i] = found[0]
    return success, x_adv


@dataclass
class OnePixelResult:
    """One-pixel attack per model (arrays of shape ``(K,)``).

    ``success_rate`` is the share of the attacked inputs (the first ``n``
    correctly classified ones of each model) misclassified after the attack;
    ``adv_confidence_mean`` the mean softmax confidence of the successful
    adversarial predictions (NaN if none).
    """

    success_rate: np.ndarray
    n_attacked: np.ndarray
    adv_confidence_mean: np.ndarray
    n_successful: np.ndarray


def onepixel_success_rate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    n: int,
    *,
    maxiter: int = 10,
    popsize: int = 10,
    seed: int = 0,
) -> OnePixelResult:
    """One-Pixel attack success rate on the first ``n`` correctly classified inputs, per model.

    Su, Vargas, Sakurai 2019; the paper (Ben Amor, Stier, Granitzer 2021)
    attacks the first 100 correctly classified test images. Each model of a
    stack is attacked on its own first ``n`` correct inputs; see
    :func:`onepixel_attack` for the DE settings.
    """
    stacked = as_stacked(model)
    y = torch.as_tensor(y, device=x.device).long()
    rates, counts, confs, n_succ = [], [], [], []
    correct = clean_correct(stacked, x, y)
    for k in range(stacked.k):
        single = _single_model(stacked, k)
        idx = torch.nonzero(correct[k]).flatten()[:n]
        if idx.numel() == 0:
            rates.append(math.nan)
            counts.append(0)
            confs.append(math.nan)
            n_succ.append(0)
            continue
        success, x_adv = onepixel_attack(
            single, x[idx], y[idx], maxiter=maxiter, popsize=popsize, seed=seed
        )
        rates.append(float(success.mean()))
        counts.append(int(idx.numel()))
        n_succ.append(int(success.sum()))
        if success.any():
            conf, _ = mean_adversarial_confidence(
                single, x_adv[torch.as_tensor(success, device=x_adv.device)].unsqueeze(0)
            )
            confs.append(float(conf[0]))
        else:
            confs.append(math.nan)
    return OnePixelResult(np.array(rates), np.array(counts), np.array(confs), np.array(n_succ))


# ---------------------------------------------------------------------------
# ART-based measures


def art_classifier(model: nn.Module, input_shape: tuple[int, ...], nb_classes: int) -> Any:
    """Wrap a single model ``(B, …) → (B, C)`` as an ART ``PyTorchClassifier``.

    The loss sums over the batch so that ART's loss gradients are per-sample
    gradients, independent of the batch size; clip values are the [0, 1] box.
    """
    from art.estimators.classification import PyTorchClassifier

    device = next(iter(model.buffers()), next(iter(model.parameters()), torch.empty(0))).device
    return PyTorchClassifier(
        model=model,
        loss=nn.CrossEntropyLoss(reduction="sum"),
        input_shape=tuple(input_shape),
        nb_classes=int(nb_classes),
        clip_values=(0.0, 1.0),
        device_type="gpu" if device.type == "cuda" else "cpu",
    )


@contextlib.contextmanager
def _numpy_global_seed(seed: int) -> Iterator[None]:
    """Seed NumPy's legacy global RNG for ART code that draws from it, then restore it."""
    state = np.random.get_state()  # noqa: NPY002 (ART draws from the global RNG)
    np.random.seed(int(seed) % 2**32)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def _art_norm(norm: int | float | str) -> float:
    if isinstance(norm, str):
        return {"l1": 1, "1": 1, "l2": 2, "2": 2, "linf": np.inf, "inf": np.inf}[norm.lower()]
    return float(norm)


def clever_scores(
    model: nn.Module,
    x: torch.Tensor,
    n_samples: int = 5,
    nb_batches: int = 10,
    batch_size: int = 50,
    radius: float = 0.3,
    norm: int | float | str = 2,
    seed: int = 0,
) -> np.ndarray:
    """Untargeted CLEVER scores through ART, per model and sample, ``(K, n_samples)``.

    Weng, Zhang, Chen, Yi, Su, Gao, Hsieh, Daniel 2018, "Evaluating the
    Robustness of Neural Networks: An Extreme Value Theory Approach", ICLR:
    an estimate of the minimal adversarial distance (in ``norm``, capped at
    ``radius``) from the local Lipschitz constant of the class margins,
    fitted with a reverse Weibull distribution to the maxima of
    ``nb_batches`` batches of ``batch_size`` gradient norms sampled in the
    ``radius`` ball (``art.metrics.clever_u``). Computed on the first
    ``n_samples`` inputs of ``x``; ART draws from NumPy's global RNG, which
    is seeded with ``seed`` for the call and restored afterwards.
    """
    from art.metrics import clever_u

    stacked = as_stacked(model)
    x = x[:n_samples]
    scores = np.full((stacked.k, x.shape[0]), math.nan)
    with _attack_mode(stacked):
        n_classes = int(
            _logits(stacked, x[:1].unsqueeze(0).expand(stacked.k, *x[:1].shape)).shape[-1]
        )
    for k in range(stacked.k):
        single = _single_model(stacked, k)
        with _attack_mode(single), _numpy_global_seed(seed), warnings.catch_warnings():
            # scipy's Weibull fit warns when the sampled maximum gradient norms
            # are (nearly) equal, as for a model that is linear around x
            warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
            clf = art_classifier(single, tuple(x.shape[1:]), n_classes)
            xs = x.detach().cpu().numpy().astype(np.float32)
            for i in range(xs.shape[0]):
                scores[k, i] = clever_u(
                    clf, xs[i], nb_batches, batch_size, radius, _art_norm(norm), verbose=False
                )
    return scores


def loss_sensitivity(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Loss sensitivity through ART, per model ``(K,)``.

    Arpit et al. 2017, "A Closer Look at Memorization in Deep Networks",
    ICML: the mean over inputs of ‖∇ₓ CE(f(x), y)‖₂
    (``art.metrics.loss_sensitivity``), each gradient taken for its own
    sample's loss.
    """
    from art.metrics import loss_sensitivity as art_loss_sensitivity

    stacked = as_stacked(model)
    y = torch.as_tensor(y).long()
    with _attack_mode(stacked):
        n_classes = int(_logits(stacked, x.unsqueeze(0).expand(stacked.k, *x.shape)).shape[-1])
    onehot = np.eye(n_classes, dtype=np.float32)[y.cpu().numpy()]
    out = np.empty(stacked.k)
    for k in range(stacked.k):
        single = _single_model(stacked, k)
        with _attack_mode(single):
            clf = art_classifier(single, tuple(x.shape[1:]), n_classes)
            out[k] = float(
                art_loss_sensitivity(clf, x.detach().cpu().numpy().astype(np.float32), onehot)
            )
    return out


def accuracy_and_f1(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor
) -> tuple[np.ndarray, np.ndarray]:
    """Clean accuracy and micro-averaged F1 per model, each ``(K,)``.

    Micro-F1 pools true/false positives over classes (``sklearn.metrics.
    f1_score(average="micro")``); for single-label classification it equals
    accuracy, and is reported because the paper does.
    """
    from sklearn.metrics import f1_score

    stacked, xs, ys = _layout(model, x, y)
    with _attack_mode(stacked):
        pred = _logits(stacked, xs).argmax(-1)
    acc = (pred == ys).double().mean(-1).cpu().numpy()
    f1 = np.array(
        [
            f1_score(ys[k].cpu().numpy(), pred[k].cpu().numpy(), average="micro")
            for k in range(pred.shape[0])
        ]
    )
    return acc, f1


# ---------------------------------------------------------------------------
# Orchestration


def merge_config(cfg: dict | None) -> dict:
    """The ``attack`` config section with missing keys filled from :data:`DEFAULTS`."""

    def merge(default: Any, given: Any) -> Any:
        if isinstance(default, dict) and isinstance(given, dict):
            out = {k: copy.deepcopy(v) for k, v in default.items()}
            for k, v in given.items():
                out[k] = merge(default.get(k), v) if k in default else copy.deepcopy(v)
            return out
        return copy.deepcopy(given)

    return merge(DEFAULTS, cfg or {})


@contextlib.contextmanager
def _timed(what: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    log.info("%s: %.2f s", what, time.perf_counter() - start)


def run_input_attacks(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: dict | None, generator_seed: int
) -> list[dict]:
    """Every input-space measure for a stack of models, as long-format rows.

    Parameters
    ----------
    net : nn.Module
        A :class:`graphprior.nets.stacked.StackedNet` (or any stack / single model).
    x, y : torch.Tensor
        Test inputs ``(N, …)`` in [0, 1] and labels ``(N,)``; the first
        ``cfg["n_samples"]`` are used.
    cfg : dict
        The ``attack`` config section (missing keys from :data:`DEFAULTS`).
    generator_seed : int
        Seed of every random draw (PGD starts, bisection, DE, CLEVER).

    Returns
    -------
    list of dict
        Rows ``{"model_index", "measure", "attack", "norm", "eps", "layer",
        "value", "n"}``; ``eps`` is NaN where no single budget applies,
        ``norm`` is "none" for budget-free measures (and for the one-pixel
        attack, an L0 budget of one pixel), ``n`` counts the samples behind
        the value. Measure names and definitions: ``docs/measures.md``.
    """
    cfg = merge_config(cfg)
    stacked = as_stacked(net)
    k = stacked.k
    n = int(cfg["n_samples"])
    x, y = x[:n], torch.as_tensor(y[:n]).long()
    n = int(x.shape[0])
    rows: list[dict] = []
    seed = int(generator_seed)

    def add(measure: str, attack: str, norm: str, eps: float, values: Any, counts: Any) -> None:
        values = np.broadcast_to(np.asarray(values, dtype=np.float64), (k,))
        counts = np.broadcast_to(np.asarray(counts), (k,))
        for i in range(k):
            rows.append(
                {
                    "model_index": i,
                    "measure": measure,
                    "attack": attack,
                    "norm": norm,
                    "eps": float(eps),
                    "layer": None,
                    "value": float(values[i]),
                    "n": int(counts[i]),
                }
            )

    nan = math.nan
    with _timed("clean accuracy"):
        acc, f1 = accuracy_and_f1(stacked, x, y)
        correct = clean_correct(stacked, x, y)
    add("clean_accuracy", "none", "none", nan, acc, n)
    add("clean_f1_micro", "none", "none", nan, f1, n)

    with _timed("FGSM grid"):
        eps_grid = [float(e) for e in cfg["fgsm"]["eps"]]
        fgsm_acc = robust_accuracy(stacked, x, y, "fgsm", eps_grid, nested=False).cpu().numpy()
    for j, eps in enumerate(eps_grid):
        add("robust_accuracy", "fgsm", "linf", eps, fgsm_acc[:, j], n)
    if len(set(eps_grid)) > 1:
        add("robust_auc", "fgsm", "linf", nan, auc_robust_accuracy(eps_grid, fgsm_acc), n)

    with _timed("FGSM at the paper's eps"):
        eps = float(cfg["paper_eps"])
        rate, n_att = success_rate_on_correct(stacked, x, y, eps, "fgsm")
        rate_np = rate.cpu().numpy()
        x_adv = fgsm(stacked, x, y, eps)
        conf, n_conf = mean_adversarial_confidence(stacked, x_adv, y, mask=correct)
    add("success_rate", "fgsm", "linf", eps, rate_np, n_att.cpu().numpy())
    add("paper_robustness", "fgsm", "linf", eps, paper_robustness(rate_np), n_att.cpu().numpy())
    add("adv_confidence_mean", "fgsm", "linf", eps, conf, n_conf)

    for norm_name, pcfg in cfg["pgd"].items():
        norm = Norm(norm_name)
        with _timed(f"PGD {norm.value} grid"):
            gen = torch.Generator().manual_seed(seed)
            eps_grid = [float(e) for e in pcfg["eps"]]
            pgd_acc = (
                robust_accuracy(
                    stacked,
                    x,
                    y,
                    "pgd",
                    eps_grid,
                    nested=True,
                    norm=norm,
                    steps=int(pcfg["steps"]),
                    rel_step=float(pcfg["rel_step"]),
                    generator=gen,
                    early_stop=True,
                )
                .cpu()
                .numpy()
            )
        for j, eps in enumerate(eps_grid):
            add("robust_accuracy", "pgd", norm.value, eps, pgd_acc[:, j], n)
        if len(set(eps_grid)) > 1:
            add("robust_auc", "pgd", norm.value, nan, auc_robust_accuracy(eps_grid, pgd_acc), n)

    mcfg = cfg["min_perturbation"]
    summaries: list[tuple[str, str, PerturbationSummary]] = []
    if mcfg.get("linesearch", True):
        with _timed("FGSM line search"):
            summaries.append(
                (
                    "fgsm_linesearch",
                    "linf",
                    summarize_min_perturbation(min_perturbation_fgsm_linesearch(stacked, x, y)),
                )
            )
    for norm_name, bound_key in (("linf", "linf_max"), ("l2", "l2_max")):
        if bound_key not in mcfg or mcfg[bound_key] is None:
            continue
        with _timed(f"PGD bisection {norm_name}"):
            gen = torch.Generator().manual_seed(seed + 1)
            rel = float(cfg["pgd"].get(norm_name, DEFAULTS["pgd"][norm_name])["rel_step"])
            min_eps = min_perturbation_pgd_bisection(
                stacked,
                x,
                y,
                norm=norm_name,
                eps_max=float(mcfg[bound_key]),
                steps=int(mcfg["pgd_steps"]),
                n_bisect=int(mcfg["bisection_steps"]),
                rel_step=rel,
                generator=gen,
            )
            summaries.append(("pgd_bisection", norm_name, summarize_min_perturbation(min_eps)))
    for attack, norm_name, s in summaries:
        add("min_perturbation_mean", attack, norm_name, nan, s.mean, s.n_fooled)
        add("min_perturbation_median", attack, norm_name, nan, s.median, s.n_fooled)
        add("min_perturbation_min", attack, norm_name, nan, s.min, s.n_fooled)
        add("min_perturbation_max", attack, norm_name, nan, s.max, s.n_fooled)
        add("never_fooled_share", attack, norm_name, nan, s.never_fooled_share, s.n_correct)

    ocfg = cfg["onepixel"]
    if int(ocfg.get("n_samples", 0)) > 0:
        with _timed("one-pixel attack"):
            op = onepixel_success_rate(
                stacked,
                x,
                y,
                int(ocfg["n_samples"]),
                maxiter=int(ocfg["maxiter"]),
                popsize=int(ocfg["popsize"]),
                seed=seed,
            )
        add("onepixel_success_rate", "onepixel", "none", nan, op.success_rate, op.n_attacked)
        add("adv_confidence_mean", "onepixel", "none", nan, op.adv_confidence_mean, op.n_successful)

    ccfg = cfg["clever"]
    if int(ccfg.get("n_samples", 0)) > 0:
        with _timed("CLEVER"):
            scores = clever_scores(
                stacked,
                x,
                n_samples=int(ccfg["n_samples"]),
                nb_batches=int(ccfg["nb_batches"]),
                batch_size=int(ccfg["batch_size"]),
                radius=float(ccfg["radius"]),
                norm=ccfg["norm"],
                seed=seed,
            )
        clever_norm = {1.0: "l1", 2.0: "l2", math.inf: "linf"}[_art_norm(ccfg["norm"])]
        add(
            "clever_score",
            "clever",
            clever_norm,
            float(ccfg["radius"]),
            np.nanmean(scores, axis=1) if scores.size else nan,
            np.isfinite(scores).sum(1),
        )
    with _timed("loss sensitivity"):
        add("loss_sensitivity", "none", "l2", nan, loss_sensitivity(stacked, x, y), n)
    return rows
