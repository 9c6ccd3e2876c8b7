"""The One-Pixel attack (differential evolution) and its success rate per model of a stack.

Su, Vargas, Sakurai 2019, "One Pixel Attack for Fooling Deep Neural Networks",
IEEE Trans. Evol. Comput. 23(5); the paper (Ben Amor, Stier, Granitzer 2021)
attacks the first 100 correctly classified test images. Definitions:
``docs/measures.md``, section "Input-space attacks".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import differential_evolution
from torch import nn

from graphprior.robustness.accuracy import clean_correct, mean_adversarial_confidence
from graphprior.robustness.contract import as_stacked, frozen_eval, single_model

__all__ = ["onepixel_attack", "OnePixelResult", "onepixel_success_rate"]


def _pixel_layout(shape: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """Channels and spatial shape of one input: (C, *spatial) if 2-D or more, else (1, (L,))."""
    if len(shape) >= 2:
        return shape[0], tuple(shape[1:])
    return 1, tuple(shape)


def _attack_one(
    model: nn.Module,
    image: torch.Tensor,
    label: int,
    input_shape: tuple[int, ...],
    *,
    maxiter: int,
    popsize: int,
    rng: np.random.Generator,
) -> torch.Tensor | None:
    """DE on one image ``(channels, pixels)``; the first misclassified candidate, or None."""
    channels, spatial = _pixel_layout(input_shape)
    n_pos = len(spatial)
    bounds = [(0, s - 1) for s in spatial] + [(0.0, 1.0)] * channels
    integrality = [True] * n_pos + [False] * channels
    found: list[torch.Tensor] = []

    def perturb(cands: np.ndarray) -> torch.Tensor:
        pos = np.rint(cands[:n_pos]).astype(np.int64)
        flat = np.ravel_multi_index(tuple(pos), spatial, mode="clip")
        vals = torch.as_tensor(cands[n_pos:].T, dtype=image.dtype, device=image.device)
        imgs = image.unsqueeze(0).repeat(cands.shape[1], 1, 1)
        rows = torch.arange(cands.shape[1], device=image.device)
        imgs[rows, :, torch.as_tensor(flat, device=image.device)] = vals
        return imgs.reshape(cands.shape[1], *input_shape)

    def objective(cands: np.ndarray, perturb: Callable = perturb) -> np.ndarray:
        imgs = perturb(cands)
        probs = torch.softmax(model(imgs), dim=-1)
        hits = torch.nonzero(probs.argmax(-1) != label).flatten()
        if hits.numel() and not found:
            found.append(imgs[hits[0]].clone())
        return probs[:, label].double().cpu().numpy()

    def stop(xk: np.ndarray, convergence: float | None = None) -> bool:
        return bool(found)

    differential_evolution(
        objective,
        bounds,
        strategy="rand1bin",
        maxiter=maxiter,
        popsize=popsize,
        mutation=0.5,
        recombination=1.0,
        rng=rng,
        callback=stop,
        polish=False,
        tol=0.0,
        atol=-1.0,  # never stop on convergence, only on success or maxiter
        integrality=integrality,
        vectorized=True,
        updating="deferred",
    )
    return found[0] if found else None


def onepixel_attack(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    maxiter: int,
    popsize: int,
    seed: int = 0,
) -> tuple[np.ndarray, torch.Tensor]:
    """Untargeted One-Pixel attack by differential evolution on a single model.

    A candidate is one pixel (its position and its value in every channel, in
    [0, 1]); DE (``rand/1``, F = 0.5, no crossover, as in the paper) minimises
    the softmax probability of the true class and stops as soon as a
    candidate is misclassified. Implemented on
    :func:`scipy.optimize.differential_evolution` with integer positions and
    the whole population evaluated in one forward pass; seeded per image from
    ``(seed, index)``. (ART's ``PixelAttack`` fixes the population at 400 /
    variables, cannot be seeded except through the global NumPy RNG and
    evaluates one candidate per call.)

    Parameters
    ----------
    model : nn.Module
        Single model ``(B, …) → (B, C)``.
    x, y : torch.Tensor
        Inputs ``(N, …)`` in [0, 1] (shape ``(C, H, W)``, ``(C, L)`` or
        ``(L,)`` per input) and labels ``(N,)``.
    maxiter : int
        DE generations (config ``attack.onepixel.maxiter``).
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
    input_shape = tuple(x.shape[1:])
    channels, _ = _pixel_layout(input_shape)
    success = np.zeros(x.shape[0], dtype=bool)
    x_adv = x.detach().clone()
    with frozen_eval(model):
        for i in range(x.shape[0]):
            found = _attack_one(
                model,
                x[i].reshape(channels, -1),
                int(y[i]),
                input_shape,
                maxiter=maxiter,
                popsize=popsize,
                rng=np.random.default_rng([int(seed), i]),
            )
            if found is not None:
                success[i] = True
                x_adv[i] = found
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
    maxiter: int,
    popsize: int,
    seed: int = 0,
) -> OnePixelResult:
    """One-Pixel attack success rate on the first ``n`` correctly classified inputs, per model.

    Each model of a stack is attacked on its own first ``n`` correct inputs;
    see :func:`onepixel_attack` for the DE settings.
    """
    stacked = as_stacked(model)
    y = torch.as_tensor(y, device=x.device).long()
    rates, counts, confs, n_succ = [], [], [], []
    correct = clean_correct(stacked, x, y)
    for k in range(stacked.k):
        single = single_model(stacked, k)
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
