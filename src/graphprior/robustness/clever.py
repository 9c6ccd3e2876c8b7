"""Batched untargeted CLEVER scores for a stack of models (torch gradients, vectorised Weibull fits).

Weng, Zhang, Chen, Yi, Su, Gao, Hsieh, Daniel 2018, "Evaluating the
Robustness of Neural Networks: An Extreme Value Theory Approach", ICLR. For an
input ``x`` predicted as class ``c`` and every other class ``j``, the margin
``g_j = f_c − f_j`` has a local Lipschitz constant ``L_j`` (the largest dual
norm of ``∇g_j`` in the ``radius`` ball around ``x``); ``g_j(x) / L_j``
bounds the distance to the nearest input classified as ``j``. CLEVER
estimates ``L_j`` by extreme value theory: the maxima of ``nb_batches``
batches of ``batch_size`` gradient norms, drawn from a pool of
``pool_factor · batch_size`` points sampled uniformly in the ball (clipped to
[0, 1]), are fitted with a reverse Weibull distribution
(:func:`scipy.stats.weibull_min` on the negated maxima, Nelder–Mead from
shape 1, as ART's ``clever_t``), whose location estimates ``−L_j``; all fits
of a call run as one vectorised copy of scipy's computation
(:mod:`graphprior.robustness.weibull`). The
untargeted score is ``min_j min(g_j(x) / L_j, radius)``: capped at the
radius, which the measure ``clever_capped_share`` counts.

The same estimator as ART's ``art.metrics.clever_u`` (tested against it),
computed for all K models and N inputs at once: the pool of points is drawn
once per input and shared by the K models and the target classes, and all
gradients come from one backward pass per class over the whole stack.
``n_classes`` limits the fits to the runner-up classes with the smallest
``g_j(x) / max sampled ‖∇g_j‖`` (an upper bound of their score); None fits
every class, as ART. Definitions: ``docs/measures.md``, section "CLEVER".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from graphprior.robustness.stacking import as_stacked, frozen_eval, logits_of
from graphprior.robustness.weibull import reverse_weibull_locations

__all__ = [
    "CleverResult",
    "norm_order",
    "clever_pool",
    "clever_u_batched",
    "sample_ball",
    "reverse_weibull_location",
]

POOL_FACTOR = 10  # ART's default


@dataclass
class CleverResult:
    """Scores ``(K, N)`` (capped at the radius) and whether each sits at the cap."""

    scores: np.ndarray
    capped: np.ndarray


def norm_order(norm: int | float | str) -> float:
    """The order of a config norm: 1, 2, inf or "l1", "l2", "linf", "inf" (as ART takes it)."""
    if isinstance(norm, str):
        return {"l1": 1, "1": 1, "l2": 2, "2": 2, "linf": math.inf, "inf": math.inf}[norm.lower()]
    return float(norm)


def sample_ball(n: int, dim: int, radius: float, norm: float, gen: torch.Generator) -> torch.Tensor:
    """``n`` points ``(n, dim)`` in the ``norm`` ball of ``radius`` around 0, as ART's ``random_sphere``."""
    if norm == 2:
        a = torch.randn((n, dim), generator=gen, dtype=torch.float64)
        u = torch.rand((n, 1), generator=gen, dtype=torch.float64) ** (1.0 / dim)
        return a / a.norm(dim=1, keepdim=True) * u * radius
    if math.isinf(norm):
        return (torch.rand((n, dim), generator=gen, dtype=torch.float64) * 2 - 1) * radius
    if norm == 1:
        v = torch.rand((n, dim), generator=gen, dtype=torch.float64).sort(dim=1).values
        gaps = v - torch.cat([torch.zeros(n, 1, dtype=v.dtype), v[:, :-1]], dim=1)
        sign = torch.where(torch.rand((n, dim), generator=gen) < 0.5, -1.0, 1.0).double()
        return radius * gaps * sign
    raise ValueError(f"CLEVER supports the norms 1, 2 and inf, got {norm}")


def clever_pool(x: torch.Tensor, p: int, radius: float, norm: float, seed: int) -> torch.Tensor:
    """``p`` points ``(N, p, …)`` in the ``norm`` ball around each input, clipped to [0, 1], on x's device.

    Drawn on the CPU from ``seed`` (the same pool on every device, so CPU and
    GPU scores can be compared) and moved to the inputs' device in one copy.
    """
    n, dim = x.shape[0], math.prod(x.shape[1:])
    gen = torch.Generator().manual_seed(int(seed))
    ball = sample_ball(n * p, dim, radius, float(norm), gen).reshape(n, p, dim).to(x.device)
    pool = (x.reshape(n, 1, dim).double() + ball).clamp(0.0, 1.0).to(x)
    return pool.reshape(n, p, *x.shape[1:])


def reverse_weibull_location(maxima: np.ndarray, c_init: float = 1.0) -> float:
    """Location of a reverse Weibull fitted to sample maxima (as ART: ``weibull_min`` on ``−maxima``).

    Returns the estimate of the maxima's upper end point, a positive number;
    one problem of :func:`reverse_weibull_locations`.
    """
    return float(
        reverse_weibull_locations(np.asarray(maxima, dtype=np.float64)[None, :], c_init)[0]
    )


def _pool_gradient_norms(
    stacked: nn.Module, x: torch.Tensor, pool: torch.Tensor, dual: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Clean logits ``(K, N, C)`` and dual norms ``(K, N, P, C)`` of ``∇(f_c − f_j)`` at the pool points.

    ``c`` is each model's predicted class at the clean input.
    """
    k = stacked.k
    n, p = pool.shape[:2]
    logits = logits_of(stacked, x.unsqueeze(0).expand(k, *x.shape))
    pred = logits.argmax(-1)  # (K, N)
    pts = pool.reshape(n * p, *x.shape[1:]).unsqueeze(0).expand(k, n * p, *x.shape[1:])
    pts = pts.detach().requires_grad_(True)
    with torch.enable_grad():
        out = stacked(pts)  # (K, N·P, C)
        n_classes = out.shape[-1]
        at_pred = out.gather(-1, pred.repeat_interleave(p, dim=1).unsqueeze(-1))
        (g_pred,) = torch.autograd.grad(at_pred.sum(), pts, retain_graph=True)
        g_pred = g_pred.reshape(k, n, p, -1)
        # one class's gradient at a time: memory (K, N, P, D), not (K, N, P, C, D)
        norms = []
        for j in range(n_classes):
            (g,) = torch.autograd.grad(out[..., j].sum(), pts, retain_graph=j < n_classes - 1)
            norms.append((g_pred - g.reshape(k, n, p, -1)).norm(p=dual, dim=-1))
    return logits, torch.stack(norms, dim=3)  # (K, N, P, C)


def _fit_scores(
    margins: np.ndarray, norms: np.ndarray, draws: np.ndarray, radius: float, n_classes: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Untargeted scores ``(K, N)`` and cap flags from margins ``(K, N, C)`` and pool norms ``(K, N, P, C)``.

    The predicted class has a NaN margin. Per model and input, the classes
    are ranked by the bound ``g_j / max ‖∇g_j‖`` (a stable sort, NaN last) and
    the first ``n_classes`` (all if None) are fitted, all fits in one
    vectorised call.
    """
    k, n, _, c = norms.shape
    bound = margins / np.maximum(norms.max(axis=2), 1e-30)
    order = np.argsort(bound, axis=-1, kind="stable")[
        ..., : c - 1 if n_classes is None else n_classes
    ]
    picked = np.take_along_axis(margins, order, axis=-1)  # (K, N, R)
    fit = ~np.isnan(picked)
    # batch maxima of every class: (K, N, C, nb_batches)
    maxima = norms[:, np.arange(n)[:, None, None], draws, :].max(axis=3).transpose(0, 1, 3, 2)
    kk, ii, rr = np.nonzero(fit)
    locs = np.full(picked.shape, np.nan)
    if kk.size:
        locs[kk, ii, rr] = reverse_weibull_locations(maxima[kk, ii, order[kk, ii, rr]])
    best = np.full((k, n), float(radius))
    with np.errstate(divide="ignore", invalid="ignore"):
        cand = np.where(locs > 0, picked / locs, radius)
    for r in range(picked.shape[-1]):
        # as Python's min(best, x): a NaN candidate never replaces the best
        best = np.where(fit[..., r] & (cand[..., r] < best), cand[..., r], best)
    return best, best >= radius


def clever_u_batched(
    model: nn.Module,
    x: torch.Tensor,
    *,
    nb_batches: int,
    batch_size: int,
    radius: float,
    norm: float,
    n_classes: int | None,
    seed: int,
) -> CleverResult:
    """Untargeted CLEVER scores of every model of a stack on every input of ``x`` ``(N, …)``.

    Parameters are the config keys ``attack.clever.*`` (``norm`` as ART's
    order: 1, 2 or inf); ``seed`` seeds the pool of points and the batch
    draws, which are shared by the K models.
    """
    stacked = as_stacked(model)
    dual = {1.0: math.inf, 2.0: 2.0, math.inf: 1.0}[float(norm)]
    p = POOL_FACTOR * batch_size
    pool = clever_pool(x, p, radius, float(norm), int(seed))
    with frozen_eval(stacked):
        logits, norms = _pool_gradient_norms(stacked, x, pool, dual)
    rng = np.random.default_rng(int(seed))
    draws = rng.integers(0, p, size=(x.shape[0], nb_batches, batch_size))
    logits_np, norms_np = logits.double().cpu().numpy(), norms.double().cpu().numpy()
    pred = logits_np.argmax(-1)
    margins = np.take_along_axis(logits_np, pred[..., None], axis=-1) - logits_np
    np.put_along_axis(margins, pred[..., None], math.nan, axis=-1)
    scores, capped = _fit_scores(margins, norms_np, draws, radius, n_classes)
    return CleverResult(scores, capped)
