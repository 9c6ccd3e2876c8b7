"""The One-Pixel attack and its success rate per model of a stack: exhaustive where affordable, else DE.

Su, Vargas, Sakurai 2019, "One Pixel Attack for Fooling Deep Neural Networks",
IEEE Trans. Evol. Comput. 23(5); the paper (Ben Amor, Stier, Granitzer 2021)
attacks the first 100 correctly classified test images of each model. Here
every model sees the same first ``n`` inputs and is attacked on those it
classifies correctly; the search is exhaustive (every pixel at every extreme
value) when that takes no more model evaluations than the DE budget, and
differential evolution otherwise. Definitions: ``docs/measures.md``, section
"Input-space attacks".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import differential_evolution
from torch import nn

from graphprior.nets.stacked import softmax_classes
from graphprior.robustness.accuracy import clean_correct
from graphprior.robustness.stacking import as_stacked, frozen_eval, logits_of, single_model

__all__ = [
    "onepixel_attack",
    "onepixel_exhaustive",
    "de_evaluations",
    "exhaustive_evaluations",
    "OnePixelResult",
    "onepixel_success_rate",
]


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
        probs = softmax_classes(model(imgs))
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


def de_evaluations(input_shape: tuple[int, ...], maxiter: int, popsize: int) -> int:
    """Model evaluations of one DE run at most: population × (generations + 1)."""
    channels, spatial = _pixel_layout(tuple(input_shape))
    n_vars = len(spatial) + channels
    return popsize * n_vars * (maxiter + 1)


def exhaustive_evaluations(input_shape: tuple[int, ...]) -> int:
    """Candidates of the exhaustive search: every pixel at every extreme value (2^channels)."""
    channels, spatial = _pixel_layout(tuple(input_shape))
    return math.prod(spatial) * 2**channels


def _extremes(channels: int) -> torch.Tensor:
    """Every corner of the value cube [0, 1]^channels, ``(2^channels, channels)``."""
    return torch.cartesian_prod(*[torch.tensor([0.0, 1.0])] * channels).reshape(-1, channels)


def onepixel_exhaustive(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int = 8
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exhaustive One-Pixel search on a stack: every pixel set to every extreme value.

    For each input and model, the candidate with the lowest softmax
    probability of the true class among those the model misclassifies.
    Exact for any model whose logits are linear in each pixel (the fooling
    set of one pixel is then an interval of its value, so it contains an
    extreme value when it is not empty); for other models a strong baseline.

    Returns
    -------
    (success, confidence)
        bool ``(K, B)``: some candidate is misclassified; float ``(K, B)``: the
        softmax confidence of the prediction at the chosen candidate (NaN
        where none succeeds).
    """
    stacked = as_stacked(model)
    y = torch.as_tensor(y, device=x.device).long()
    input_shape = tuple(x.shape[1:])
    channels, spatial = _pixel_layout(input_shape)
    n_pix = math.prod(spatial)
    values = _extremes(channels).to(x)  # (V, C)
    k, b = stacked.k, x.shape[0]
    success = torch.zeros((k, b), dtype=torch.bool, device=x.device)
    conf = torch.full((k, b), math.nan, dtype=torch.float64, device=x.device)
    pix = torch.arange(n_pix, device=x.device).repeat_interleave(values.shape[0])
    vals = values.repeat(n_pix, 1)  # (P·V, C)
    n_cand = pix.numel()
    with frozen_eval(stacked):
        for lo in range(0, b, chunk):
            xs = x[lo : lo + chunk].reshape(-1, channels, n_pix)
            cand = xs.unsqueeze(1).repeat(1, n_cand, 1, 1)  # (b, P·V, C, P)
            # advanced indices around a slice: the indexed dims come first, (P·V, b, C)
            cand[:, torch.arange(n_cand), :, pix] = vals.unsqueeze(1)
            flat = cand.reshape(-1, *input_shape)
            probs = softmax_classes(logits_of(stacked, flat.unsqueeze(0).expand(k, *flat.shape)))
            probs = probs.reshape(k, xs.shape[0], n_cand, -1)
            ys = y[lo : lo + chunk].view(1, -1, 1, 1).expand(k, -1, n_cand, 1)
            p_true = probs.gather(-1, ys).squeeze(-1)
            fooled = probs.argmax(-1) != ys.squeeze(-1)
            best = torch.where(fooled, p_true, torch.full_like(p_true, math.inf)).argmin(-1)
            hit = fooled.any(-1)
            top = probs.amax(-1).gather(-1, best.unsqueeze(-1)).squeeze(-1).double()
            success[:, lo : lo + chunk] = hit
            conf[:, lo : lo + chunk] = torch.where(hit, top, torch.full_like(top, math.nan))
    return success, conf


@dataclass
class OnePixelResult:
    """One-pixel attack per model (arrays of shape ``(K,)``).

    ``success_rate`` is the share of the attacked inputs (those of the first
    ``n`` inputs, the same for every model, that the model classifies
    correctly) misclassified after the attack; ``adv_confidence_mean`` the
    mean softmax confidence of the successful adversarial predictions (NaN if
    none); ``exhaustive`` whether the exhaustive search ran (else DE).
    """

    success_rate: np.ndarray
    n_attacked: np.ndarray
    adv_confidence_mean: np.ndarray
    n_successful: np.ndarray
    exhaustive: bool


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
    """One-Pixel success rate on the correctly classified among the first ``n`` inputs, per model.

    Every model of the stack sees the same first ``n`` inputs; each is
    attacked where the model classifies it correctly. The exhaustive search
    (:func:`onepixel_exhaustive`) runs when its candidates are no more than
    the DE budget (:func:`de_evaluations`), DE (:func:`onepixel_attack`) otherwise.
    """
    stacked = as_stacked(model)
    x, y = x[:n], torch.as_tensor(y[:n], device=x.device).long()
    correct = clean_correct(stacked, x, y)
    n_att = correct.sum(1).cpu().numpy()
    exhaustive = exhaustive_evaluations(tuple(x.shape[1:])) <= de_evaluations(
        tuple(x.shape[1:]), maxiter, popsize
    )
    if exhaustive:
        success, conf = onepixel_exhaustive(stacked, x, y)
        success &= correct
        conf = torch.where(success, conf, torch.full_like(conf, math.nan))
    else:
        success, conf = _de_on_stack(stacked, x, y, correct, maxiter, popsize, seed)
    n_succ = success.sum(1).cpu().numpy()
    rate = np.where(n_att > 0, n_succ / np.maximum(n_att, 1), math.nan)
    return OnePixelResult(rate, n_att, _nanmean_rows(conf), n_succ, exhaustive)


def _nanmean_rows(conf: torch.Tensor) -> np.ndarray:
    a = conf.cpu().numpy()
    out = np.full(a.shape[0], math.nan)
    for i, row in enumerate(a):
        finite = row[np.isfinite(row)]
        if finite.size:
            out[i] = float(finite.mean())
    return out


def _de_on_stack(stacked, x, y, correct, maxiter, popsize, seed):
    """DE model by model on its correctly classified inputs; success and confidence ``(K, B)``."""
    success = torch.zeros(correct.shape, dtype=torch.bool, device=x.device)
    conf = torch.full(correct.shape, math.nan, dtype=torch.float64, device=x.device)
    for k in range(stacked.k):
        idx = torch.nonzero(correct[k]).flatten()
        if idx.numel() == 0:
            continue
        single = single_model(stacked, k)
        ok, x_adv = onepixel_attack(
            single, x[idx], y[idx], maxiter=maxiter, popsize=popsize, seed=seed
        )
        ok_t = torch.as_tensor(ok, device=x.device)
        success[k, idx] = ok_t
        with frozen_eval(single):
            top = softmax_classes(single(x_adv)).amax(-1).double()
        conf[k, idx] = torch.where(ok_t, top, torch.full_like(top, math.nan))
    return success, conf
