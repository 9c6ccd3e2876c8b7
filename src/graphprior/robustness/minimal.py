"""Minimal adversarial perturbation per sample: the paper's FGSM line search, and bisections.

The bisection takes its oracle as an attack: PGD, or AutoAttack's APGD-CE →
APGD-T chain.

Both return a ``(K, B)`` float tensor: the minimal ε; NaN where the clean
input is misclassified; +inf where no ε within the bound fools the model.
:func:`summarize_min_perturbation` turns it into per-model statistics.
Definitions: ``docs/measures.md``, section "Input-space attacks".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from graphprior.robustness.accuracy import clean_correct, correct_at
from graphprior.robustness.apgd import ApgdBudget, apgd_chain
from graphprior.robustness.fgsm_pgd import Norm, input_grad, pgd
from graphprior.robustness.stacking import default_generator, frozen_eval, layout, logits_of

__all__ = [
    "LINESEARCH_START",
    "LINESEARCH_STEP",
    "LINESEARCH_MAX",
    "min_perturbation_fgsm_linesearch",
    "min_perturbation_bisection",
    "min_perturbation_pgd_bisection",
    "min_perturbation_apgd_bisection",
    "PerturbationSummary",
    "summarize_min_perturbation",
    "restricted_mean",
]

# The paper's FGSM line search (Ben Amor, Stier, Granitzer 2021): 0.001 upwards in
# steps of 0.01 while eps <= 0.26.
LINESEARCH_START = 0.001
LINESEARCH_STEP = 0.01
LINESEARCH_MAX = 0.26


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
    stacked, x, y = layout(model, x, y)
    grid = _linesearch_grid(eps_start, eps_step, eps_max)
    with frozen_eval(stacked):
        clean = logits_of(stacked, x).argmax(-1) == y
        grad, _, _ = input_grad(stacked, x, y)
        direction = grad.sign()
        result = torch.full(y.shape, math.inf, dtype=torch.float64, device=x.device)
        for eps in grid[::-1]:  # descending, so the last hit is the smallest ε
            x_adv = (x + float(eps) * direction).clamp_(0.0, 1.0)
            fooled = logits_of(stacked, x_adv).argmax(-1) != y
            result = torch.where(fooled, torch.full_like(result, float(eps)), result)
    return result.where(clean, torch.full_like(result, math.nan))


#: An attack at per-sample budgets: (stack, x, y, ε ``(K, B)``) → adversarial inputs.
Attack = Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def min_perturbation_bisection(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    norm: Norm | str,
    eps_max: float,
    n_bisect: int,
    attack: Attack,
) -> torch.Tensor:
    """Minimal adversarial ε per sample by bisection, with `attack` as the oracle.

    For every sample of every model at once (one tensor, per-sample ε), the
    bracket ``[lo, hi] = [0, eps_max]`` is halved ``n_bisect`` times: the
    attack at the midpoint decides whether the model can be fooled there. The
    result is the smallest perturbation norm ``‖x_adv − x‖`` of any successful
    adversarial found, an upper bound on the true minimal adversarial distance
    within ``eps_max / 2^n_bisect`` of the bracket. The minimal-ε question is
    the paper's (Ben Amor, Stier, Granitzer 2021), answered with a stronger
    attack.

    Returns
    -------
    torch.Tensor
        ``(K, B)`` float: the minimal ε; NaN where the clean input is
        misclassified; +inf where the attack at ``eps_max`` does not fool the model.
    """
    norm = Norm(norm)
    stacked, x, y = layout(model, x, y)
    clean = clean_correct(stacked, x, y)
    lo = torch.zeros(y.shape, dtype=x.dtype, device=x.device)
    hi = torch.full(y.shape, float(eps_max), dtype=x.dtype, device=x.device)
    best = torch.full(y.shape, math.inf, dtype=torch.float64, device=x.device)

    def oracle(eps: torch.Tensor) -> torch.Tensor:
        x_adv = attack(stacked, x, y, eps)
        fooled = clean & ~correct_at(stacked, x_adv, y)
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


def min_perturbation_pgd_bisection(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    norm: Norm | str,
    eps_max: float,
    steps: int,
    n_bisect: int,
    rel_step: float,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """:func:`min_perturbation_bisection` with PGD as the oracle (Madry et al. 2018).

    PGD (:func:`~graphprior.robustness.fgsm_pgd.pgd`) runs ``steps`` steps of
    ``rel_step · ε`` from a random start, stopping early per sample. The
    config keys are ``attack.min_perturbation.*`` and ``attack.pgd.<norm>.rel_step``.
    """
    norm = Norm(norm)
    generator = default_generator(generator)

    def attack(stacked, x, y, eps):
        return pgd(
            stacked, x, y, eps, norm=norm, steps=steps, rel_step=rel_step, generator=generator,
            early_stop=True,
        )  # fmt: skip

    return min_perturbation_bisection(
        model, x, y, norm=norm, eps_max=eps_max, n_bisect=n_bisect, attack=attack
    )


def min_perturbation_apgd_bisection(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    norm: Norm | str,
    eps_max: float,
    n_bisect: int,
    budgets: tuple[ApgdBudget, ApgdBudget],
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """:func:`min_perturbation_bisection` with AutoAttack's white-box chain as the oracle.

    At each midpoint APGD-CE runs, then APGD-T on the inputs it left robust
    (:func:`~graphprior.robustness.apgd.apgd_chain`, the AutoAttack budgets
    `budgets`; Croce and Hein 2020), so the minimal ε is found by the attacks
    the field evaluates robustness with.
    """
    norm = Norm(norm)
    generator = default_generator(generator)

    def attack(stacked, x, y, eps):
        return apgd_chain(stacked, x, y, eps, norm=norm, budgets=budgets, generator=generator)[1]

    return min_perturbation_bisection(
        model, x, y, norm=norm, eps_max=eps_max, n_bisect=n_bisect, attack=attack
    )


@dataclass
class PerturbationSummary:
    """Per-model summary of minimal adversarial perturbations (arrays of shape ``(K,)``).

    ``mean``, ``median``, ``min`` and ``max`` are over the fooled samples
    (finite ε; NaN when none was fooled); ``median_censored`` is the median
    over every correctly classified sample, a never-fooled one counted at the
    search maximum ``eps_max`` (a right-censored value: the median is exact
    while fewer than half are censored, and equals ``eps_max`` otherwise);
    ``never_fooled_share`` is the share
    of correctly classified samples not fooled within the bound; ``n_correct``
    counts the correctly classified samples and ``n_fooled`` the fooled ones.
    ``rmean`` is the restricted mean over *every* sample, each counted at
    min(ε, ``eps_max``) and a misclassified one at 0: a continuous per-input
    score with the censoring made explicit, equal to the area under the
    robust-accuracy curve on [0, ``eps_max``]; ``n`` counts every sample.
    """

    mean: np.ndarray
    median: np.ndarray
    median_censored: np.ndarray
    min: np.ndarray
    max: np.ndarray
    never_fooled_share: np.ndarray
    n_fooled: np.ndarray
    n_correct: np.ndarray
    rmean: np.ndarray
    n: np.ndarray


def summarize_min_perturbation(
    min_eps: torch.Tensor | np.ndarray, eps_max: float
) -> PerturbationSummary:
    """Summarise ``(K, B)`` minimal ε (NaN: misclassified clean, inf: never fooled up to ``eps_max``)."""
    a = np.asarray(torch.as_tensor(min_eps).detach().cpu().double(), dtype=np.float64)
    if a.ndim == 1:
        a = a[None]
    keys = ("mean", "median", "censored", "min", "max", "share")
    stats: dict[str, list[float]] = {k: [] for k in keys}
    n_fooled, n_correct = [], []
    for row in a:
        correct = row[~np.isnan(row)]
        fooled = correct[np.isfinite(correct)]
        n_correct.append(correct.size)
        n_fooled.append(fooled.size)
        stats["share"].append(float(np.mean(~np.isfinite(correct))) if correct.size else math.nan)
        censored = np.minimum(correct, float(eps_max))
        stats["censored"].append(float(np.median(censored)) if correct.size else math.nan)
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
        median_censored=np.array(stats["censored"]),
        min=np.array(stats["min"]),
        max=np.array(stats["max"]),
        never_fooled_share=np.array(stats["share"]),
        n_fooled=np.array(n_fooled),
        n_correct=np.array(n_correct),
        rmean=restricted_mean(a, eps_max),
        n=np.full(a.shape[0], a.shape[1]),
    )


def restricted_mean(min_eps: np.ndarray, eps_max: float) -> np.ndarray:
    """Per row, the mean of min(ε, eps_max) with NaN (misclassified clean) counted as 0.

    Equals the area under the robust-accuracy curve ε ↦ share of samples
    with minimal ε above it, on [0, eps_max] (misclassified samples are
    never robust), so no sample is dropped and the censored ones count at
    the bound.
    """
    a = np.asarray(min_eps, dtype=np.float64)
    return np.minimum(np.nan_to_num(a, nan=0.0), float(eps_max)).mean(axis=-1)
