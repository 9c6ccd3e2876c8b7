"""Robust accuracy, attack success rates and adversarial confidence, per model of a stack.

A sample counts as robust at ε only if it is classified correctly on the clean
input *and* on the adversarial input (the attacker may always return the clean
input, which lies in every threat set); so robust accuracy at ε = 0 equals
clean accuracy exactly. The attacks are those of
:mod:`graphprior.robustness.fgsm_pgd`, named ``"fgsm"`` / ``"pgd"`` or passed
as a callable ``attack(model, x, y, eps, **kwargs)``.

Definitions and papers: ``docs/measures.md``, section "Input-space attacks".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from graphprior.nets.stacked import softmax_classes
from graphprior.robustness.fgsm_pgd import fgsm, pgd
from graphprior.robustness.stacking import as_stacked, frozen_eval, layout, logits_of

__all__ = [
    "AttackFn",
    "clean_correct",
    "correct_at",
    "robust_correct",
    "robust_accuracy",
    "success_rate_on_correct",
    "paper_robustness",
    "auc_robust_accuracy",
    "mean_adversarial_confidence",
]

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
    stacked, x, y = layout(model, x, y)
    with frozen_eval(stacked):
        return logits_of(stacked, x).argmax(-1) == y


def correct_at(model: nn.Module, x_adv: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Whether a stack classifies inputs ``(K, B, …)`` correctly, labels ``(K, B)``."""
    with frozen_eval(model):
        return logits_of(model, x_adv).argmax(-1) == y


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
    construction. :func:`graphprior.robustness.run_input_attacks` uses
    ``nested=True`` for PGD and the plain per-ε result for FGSM (the paper's
    attack).
    """
    attack_fn = _attack_fn(attack)
    stacked, x, y = layout(model, x, y)
    clean = correct_at(stacked, x, y)
    eps_values = [float(e) for e in eps_grid]
    order = np.argsort(eps_values, kind="stable")
    out = torch.empty((y.shape[0], len(eps_values), y.shape[1]), dtype=torch.bool, device=x.device)
    for j, eps in enumerate(eps_values):
        x_adv = attack_fn(stacked, x, y, eps, **attack_kwargs)
        out[:, j] = clean & correct_at(stacked, x_adv, y)
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
    stacked, x, y = layout(model, x, y)
    clean = correct_at(stacked, x, y)
    x_adv = attack_fn(stacked, x, y, eps, **attack_kwargs)
    fooled = clean & ~correct_at(stacked, x_adv, y)
    n_correct = clean.sum(-1)
    rate = fooled.sum(-1).double() / n_correct.double()
    return rate.where(n_correct > 0, torch.full_like(rate, math.nan)), n_correct


def paper_robustness(success_rate: torch.Tensor | np.ndarray | float) -> Any:
    """The paper's robustness as a fraction: ``1 − success rate``.

    Ben Amor, Stier, Granitzer 2021 report robustness as 100 minus the FGSM
    (ε = 0.1) success rate on correctly classified test inputs, in percent; the
    tables hold every share as a fraction, so this is their number divided by 100.
    """
    return 1.0 - success_rate


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
    successful adversarials (predicted class ≠ y).
    :func:`graphprior.robustness.run_input_attacks` passes the correctly
    classified clean inputs as ``mask`` and ``y``, so the value is the average
    confidence of the *successful* adversarial predictions, as reported by Ben
    Amor, Stier, Granitzer 2021.

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
    with frozen_eval(stacked):
        probs = softmax_classes(logits_of(stacked, x_adv))
    conf, pred = probs.max(-1)
    sel = torch.ones_like(pred, dtype=torch.bool) if mask is None else mask.to(pred.device)
    if y is not None:
        yy = torch.as_tensor(y, device=pred.device)
        sel = sel & (pred != (yy if yy.dim() == 2 else yy.unsqueeze(0)))
    n = sel.sum(-1)
    total = (conf.double() * sel).sum(-1)
    mean = torch.where(n > 0, total / n.clamp_min(1), torch.full_like(total, math.nan))
    return mean.cpu().numpy(), n.cpu().numpy()
