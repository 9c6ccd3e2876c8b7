"""The Square attack on stacks of models: score-based random search, L∞ and L2.

Andriushchenko, Croce, Flammarion, Hein 2020, "Square Attack: a
query-efficient black-box adversarial attack via random search", ECCV; the
black-box member of AutoAttack (Croce, Hein 2020). It needs only the logits:
each query changes the perturbation on one random square window (L∞: the
window is set to ±ε per channel; L2: mass moves between two windows, with the
reference's "meta pseudo-Gaussian" window profile) and keeps the change where
the margin ``z_y − max_{j≠y} z_j`` drops; an input stops once misclassified.
The window's share of the image, ``p``, starts at ``p_init`` and halves on the
reference's schedule (after queries 10, 50, 200, 500, 1000, 2000, 4000 of
AutoAttack's standard 5000), rescaled to ``n_queries``.

A gradient-free attack: stronger than the gradient attacks only where the
gradients mislead (gradient masking), which the validity gates check. Random
windows are shared by the K models and the inputs of one query (as in the
reference), random signs have the shape of one batch and are shared by the K
models, so a stack equals its models attacked alone. Window positions are
drawn on the host (they are slice bounds), signs on the data's device. The
inputs still to attack are found every query on a CPU, every
:data:`~graphprior.robustness.stacking.CHECK_EVERY` queries elsewhere (a host
sync each; in between, finished inputs are queried with their result
frozen). Inputs ``(C, H, W)``; other shapes are viewed as ``(1, 1, L)``. Definitions: ``docs/measures.md``,
section "AutoAttack".
"""

from __future__ import annotations

import math

import torch
from torch import nn

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

__all__ = ["square_attack", "margin", "p_schedule", "window_profile"]

STANDARD_QUERIES = 5000
_HALVINGS = (10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000)


def margin(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``z_y − max_{j≠y} z_j`` per sample; negative where misclassified."""
    z_y = logits.gather(-1, y.unsqueeze(-1)).squeeze(-1)
    others = logits.scatter(-1, y.unsqueeze(-1), -math.inf)
    return z_y - others.amax(-1)


def p_schedule(p_init: float, it: int, n_queries: int) -> float:
    """Window share at query ``it``: AutoAttack's standard halvings, rescaled to ``n_queries``."""
    scaled = int(it / n_queries * STANDARD_QUERIES)
    return p_init / 2 ** sum(scaled > h for h in _HALVINGS)


def _rect(h: int, w: int) -> torch.Tensor:
    out = torch.zeros(h, w, dtype=torch.float64)
    ch, cw = h // 2, w // 2
    for c in range(max(h // 2 + 1, w // 2 + 1)):
        out[
            max(ch - c, 0) : min(ch - c + 2 * c + 1, h), max(cw - c, 0) : min(cw - c + 2 * c + 1, w)
        ] += 1.0 / (c + 1) ** 2
    return out / out.norm().clamp_min(1e-12)


def window_profile(s: int, transpose: bool) -> torch.Tensor:
    """The reference's L2 window: two opposite-signed rectangles of decaying mass, unit norm."""
    out = torch.zeros(s, s, dtype=torch.float64)
    if s // 2:
        out[: s // 2] = _rect(s // 2, s)
    out[s // 2 :] = -_rect(s - s // 2, s)
    out = out / out.norm().clamp_min(1e-12)
    return out.T if transpose else out


class _Draws:
    """The attack's randomness: window positions and profile flips on the host generator,
    signs on the data's device, and the L2 window profiles kept on the device."""

    def __init__(self, gen: torch.Generator, like: torch.Tensor):
        self.host, self.device = gen, device_generator(gen, like.device)
        self.like = like
        self.profiles: dict[tuple[int, bool], torch.Tensor] = {}

    def signs(self, shape) -> torch.Tensor:
        g, like = self.device, self.like
        t = torch.rand(tuple(shape), generator=g, device=g.device, dtype=like.dtype) * 2 - 1
        return t.sign().to(like.device)

    def position(self, high: int) -> int:
        return _randint(high, self.host)

    def profile(self, s: int) -> torch.Tensor:
        flip = bool(torch.rand(1, generator=self.host, device=self.host.device) > 0.5)
        if (s, flip) not in self.profiles:
            self.profiles[(s, flip)] = window_profile(s, flip).to(self.like)
        return self.profiles[(s, flip)]


def _randint(high: int, gen: torch.Generator) -> int:
    return int(torch.randint(0, max(high, 0) + 1, (1,), generator=gen, device=gen.device))


def _l2n(v: torch.Tensor) -> torch.Tensor:
    return bcast(v.flatten(2).norm(dim=2), v)


def _init(x: torch.Tensor, e: torch.Tensor, norm: Norm, draws: _Draws) -> torch.Tensor:
    k, b, c, h, w = x.shape
    if norm is Norm.LINF:  # vertical stripes of ±ε
        return (x + e * draws.signs((b, c, 1, w)).unsqueeze(0)).clamp(0.0, 1.0)
    delta = torch.zeros((b, c, h, w), dtype=x.dtype, device=x.device)
    s = max(h // 5, 1)
    start = (h - s * 5) // 2 if h >= 5 else 0
    for vh in range(start, h, s):
        for vw in range(start, w, s):
            prof = draws.profile(s)
            sign = draws.signs((b, c, 1, 1))
            blk = delta[:, :, vh : vh + s, vw : vw + s]
            blk += prof[: blk.shape[2], : blk.shape[3]] * sign
    delta = delta.unsqueeze(0).expand_as(x)
    return (x + delta / (_l2n(delta) + 1e-12) * e).clamp(0.0, 1.0)


def _candidate_linf(xb, x, e, s, draws: _Draws):
    k, a, c, h, w = x.shape
    vh, vw = draws.position(h - s), draws.position(w - s)
    new = xb.clone()
    new[..., vh : vh + s, vw : vw + s] += 2.0 * e * draws.signs((a, c, 1, 1)).unsqueeze(0)
    return torch.minimum(torch.maximum(new, x - e), x + e).clamp(0.0, 1.0)


def _candidate_l2(xb, x, e, s, draws: _Draws):
    k, a, c, h, w = x.shape
    delta = xb - x
    vh, vw = draws.position(h - s), draws.position(w - s)
    vh2, vw2 = draws.position(h - s), draws.position(w - s)
    win1 = delta[..., vh : vh + s, vw : vw + s]
    mask = torch.zeros((h, w), dtype=torch.bool, device=x.device)
    mask[vh : vh + s, vw : vw + s] = True
    mask[vh2 : vh2 + s, vw2 : vw2 + s] = True
    n_windows = (delta * mask).pow(2).sum((-2, -1), keepdim=True).sqrt()
    n_image = _l2n(delta)
    prof = draws.profile(s)
    new = prof * draws.signs((a, c, 1, 1)).unsqueeze(0)
    new = new + win1 / (win1.pow(2).sum((-2, -1), keepdim=True).sqrt() + 1e-12)
    room = ((e**2 - n_image**2).clamp_min(0.0) / c + n_windows**2).sqrt()
    new = new / (new.pow(2).sum((-2, -1), keepdim=True).sqrt() + 1e-12) * room
    delta = delta.clone()
    delta[..., vh2 : vh2 + s, vw2 : vw2 + s] = 0.0
    delta[..., vh : vh + s, vw : vw + s] = new
    return (x + delta / (_l2n(delta) + 1e-12) * e).clamp(0.0, 1.0)


def _window(p: float, n_features: int, c: int, h: int, w: int, norm: Norm) -> int:
    s = int(round(math.sqrt(p * n_features / c)))
    if norm is Norm.LINF:
        s = max(s, 1)
    else:
        s = max(s, 3)
        s += 1 - s % 2
    return min(s, h, w)


def square_attack(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    *,
    norm: Norm | str,
    n_queries: int,
    p_init: float,
    generator: torch.Generator | None = None,
    check_every: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Untargeted Square attack (margin loss, one restart) on a stack of models.

    ``check_every``: queries between two searches for the inputs still to
    attack (None: every query on a CPU, ``CHECK_EVERY`` elsewhere).

    Returns ``(robust, x_adv)`` as :func:`graphprior.robustness.apgd.apgd`:
    ``robust`` bool ``(K, B)`` (correct at ``x`` and never fooled within
    ``n_queries`` queries), ``x_adv`` ``(K, B, …)`` the last accepted point.
    """
    norm = Norm(norm)
    stacked, x0, y = layout(model, x, y)
    if y.numel() == 0:  # no inputs: nothing to attack
        return torch.zeros(y.shape, dtype=torch.bool, device=x0.device), x0.clone()
    shape = x0.shape
    x = x0.reshape(*shape[:2], *_chw(tuple(shape[2:])))
    k, b, c, h, w = x.shape
    draws = _Draws(default_generator(generator), x)
    e = torch.as_tensor(float(eps), dtype=x.dtype, device=x.device)
    period = check_every or (1 if x.device.type == "cpu" else CHECK_EVERY)

    def query(v: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
        return margin(logits_of(stacked, v.reshape(v.shape[0], v.shape[1], *shape[2:])), ys)

    with frozen_eval(stacked):
        clean = query(x, y) > 0
        if float(eps) == 0.0:
            return clean, x0.clone()
        x_best = _init(x, e, norm, draws)
        m_best = query(x_best, y)
        candidate = _candidate_linf if norm is Norm.LINF else _candidate_l2
        for it in range(n_queries):
            if it % period == 0:  # the inputs some model still classifies correctly
                cols = torch.nonzero((clean & (m_best > 0)).any(0)).flatten()
                if cols.numel() == 0:
                    break
            s = _window(p_schedule(p_init, it, n_queries), c * h * w, c, h, w, norm)
            xc, xb = x[:, cols], x_best[:, cols]
            new = candidate(xb, xc, e, s, draws)
            m_new = query(new, y[:, cols])
            live = m_best[:, cols] > 0
            take = live & ((m_new < m_best[:, cols]) | (m_new <= 0))
            x_best[:, cols] = torch.where(bcast(take, new), new, xb)
            m_best[:, cols] = torch.where(take, m_new, m_best[:, cols])
    return clean & (m_best > 0), x_best.reshape(shape)


def _chw(shape: tuple[int, ...]) -> tuple[int, int, int]:
    if len(shape) == 3:
        return shape
    return (1, 1, math.prod(shape))
