"""Weight-space robustness of stacked masked nets: random and worst-case perturbation, margins.

Y.-L. Tsai, C.-Y. Hsu, C.-M. Yu, P.-Y. Chen 2021, "Formalizing generalization
and adversarial robustness of neural networks to weight perturbations",
NeurIPS: accuracy when every layer's weights move by at most a fraction δ of
their own norm, for random and for worst-case (projected gradient ascent)
perturbations, and the classification margin.

Conventions: inputs ``x`` are ``(B, *input_shape)`` in [0, 1] or
``(K, B, *input_shape)``, labels ``y`` are ``(B,)``; results have a leading
model axis K. Only *present* weights (mask = 1) are perturbed; absent weights
stay exactly zero; biases are never perturbed. Formulas: ``docs/measures.md``,
section "Beyond input attacks".
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import torch

from graphprior.nets.pruning import present_weights
from graphprior.nets.stacked import StackedNet, cross_entropy_per_sample
from graphprior.robustness.metrics import accuracy_and_loss
from graphprior.robustness.stacking import (
    default_generator,
    device_generator,
    frozen_eval,
    rand_on,
    randn_on,
    stack_device,
)

__all__ = [
    "WeightNorm",
    "classification_margins",
    "margins_from_logits",
    "margin_summary",
    "random_weight_perturbation_accuracy",
    "worst_case_weight_perturbation_accuracy",
]


class WeightNorm(enum.StrEnum):
    """Entrywise norm of one layer's present weights."""

    LINF = "linf"  # max |w|
    L2 = "l2"  # Frobenius norm


def _layer_norm(w: torch.Tensor, norm: WeightNorm) -> torch.Tensor:
    """Per-model entrywise norm of a (K, out, in) tensor, shape (K, 1, 1)."""
    flat = w.flatten(1)
    if norm is WeightNorm.LINF:
        out = flat.abs().amax(dim=1)
    else:
        out = flat.norm(dim=1)
    return out.view(-1, 1, 1)


# --------------------------------------------------------------------------- margins


def classification_margins(net: StackedNet, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Logit margin of the true class, shape (K, B).

    ``margin = z_y − max_{c ≠ y} z_c``: positive when the sample is classified
    correctly, and the larger the further the decision boundary (in logit
    units). Tsai et al. (2021) bound the change of this margin under weight
    perturbations; its mean is their margin term.
    """
    with frozen_eval(net), torch.no_grad():
        logits = net(x)
    return margins_from_logits(logits, y)


def margins_from_logits(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``z_y − max_{c ≠ y} z_c`` from logits (K, B, C) and labels (B,), shape (K, B)."""
    k, b, _ = logits.shape
    idx = y.to(logits.device).view(1, b, 1).expand(k, b, 1)
    true = logits.gather(-1, idx).squeeze(-1)
    other = logits.scatter(-1, idx, float("-inf")).amax(-1)
    return true - other


def margin_summary(margins: torch.Tensor) -> dict[str, torch.Tensor]:
    """Mean and median over samples of margins (K, B); each value has shape (K,).

    The median is the midpoint of the two middle values for even B
    (``torch.quantile``), not the lower one.
    """
    return {
        "mean": margins.mean(dim=1),
        "median": torch.quantile(margins.double(), 0.5, dim=1).to(margins.dtype),
    }


# --------------------------------------------------------------------------- random perturbation


def _unit_direction(mask: torch.Tensor, norm: WeightNorm, gen: torch.Generator) -> torch.Tensor:
    """A random direction on the unit sphere of ``norm``, supported on the mask.

    L∞: uniform on the surface of the cube [-1, 1]^n over the n present
    weights (a face, i.e. one coordinate set to ±1, is chosen uniformly since
    all faces have equal area; the other coordinates are uniform in [-1, 1]).
    L2: a normalised Gaussian, uniform on the sphere.
    """
    k = mask.shape[0]
    device = mask.device
    if norm is WeightNorm.L2:
        u = randn_on(mask.shape, gen, device) * mask
        n = u.flatten(1).norm(dim=1).clamp_min(1e-30).view(k, 1, 1)
        return u / n
    u = (2.0 * rand_on(mask.shape, gen, device) - 1.0) * mask
    flat_mask = mask.flatten(1)
    # the face: the present weight with the largest of i.i.d. uniform keys, a uniform choice
    # made on the mask's device (a model whose layer has no present weight gets a dummy
    # face, then masked away)
    keys = rand_on(flat_mask.shape, gen, device).masked_fill(flat_mask == 0, -1.0)
    face = keys.argmax(1, keepdim=True)
    sign = torch.where(rand_on((k, 1), gen, device) < 0.5, -1.0, 1.0)
    u = u.flatten(1).scatter(1, face, sign).view_as(mask)
    return u * mask


def random_weight_perturbation_accuracy(
    net: StackedNet,
    x: torch.Tensor,
    y: torch.Tensor,
    deltas: Sequence[float],
    norm: WeightNorm | str,
    n_draws: int,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Accuracy under random relative weight perturbations, shape (K, len(deltas)).

    For every layer ``l`` (hidden layers and classifier) the perturbation is
    ``δW_l = δ · ‖W_l‖ · U_l`` with ``U_l`` a random direction of unit norm
    (:func:`_unit_direction`) supported on the present weights, so that
    ``‖δW_l‖ = δ‖W_l‖`` exactly, norms taken entrywise over the present weights
    of one model's layer. This is the per-layer norm-bounded threat model of
    Tsai et al. (2021), made relative to each layer's scale (see
    ``docs/measures.md``). Biases are not perturbed. Each draw uses one
    direction per layer for all δ (common random numbers, so the curve over δ
    is smooth), and the accuracy is averaged over ``n_draws`` draws.

    Parameters
    ----------
    net : the K stacked models.
    x, y : inputs (B, ...) or (K, B, ...) in [0, 1], labels (B,).
    deltas : relative radii δ ≥ 0; δ = 0 gives the clean accuracy.
    norm : ``"linf"`` (max |w|) or ``"l2"`` (Frobenius).
    n_draws : random directions per δ (config ``measures.weight_perturbation.n_draws``).
    generator : source of randomness (default: a generator seeded with 0).

    Returns
    -------
    torch.Tensor
        Mean accuracy over draws, shape (K, len(deltas)).
    """
    norm = WeightNorm(norm)
    gen = device_generator(default_generator(generator), stack_device(net))  # once, not per draw
    y = y.to(stack_device(net))
    weights = present_weights(net)
    radii = [_layer_norm(w, norm) for w in weights]
    acc = torch.zeros(net.k, len(deltas), device=stack_device(net))
    with frozen_eval(net), torch.no_grad():
        for _ in range(n_draws):
            dirs = [_unit_direction(net.mask(i), norm, gen) * radii[i] for i in range(net.n_layers)]
            for j, delta in enumerate(deltas):
                perturbed = [w + float(delta) * d for w, d in zip(weights, dirs, strict=True)]
                _, logits = net.forward_blocks(x, weights=perturbed)
                acc[:, j] += accuracy_and_loss(logits, y)[0]
    return acc / max(n_draws, 1)


# --------------------------------------------------------------------------- worst case


def _project(
    d: torch.Tensor, r: torch.Tensor, mask: torch.Tensor, norm: WeightNorm
) -> torch.Tensor:
    """Project perturbations (K, out, in) onto the per-model balls of radius r (K, 1, 1)."""
    if norm is WeightNorm.LINF:
        d = torch.maximum(torch.minimum(d, r), -r)
    else:
        n = _layer_norm(d, norm)
        d = d * torch.where(n > r, r / n.clamp_min(1e-30), torch.ones_like(n))
    return d * mask


def _start(
    masks: list[torch.Tensor],
    radii: list[torch.Tensor],
    norm: WeightNorm,
    gen: torch.Generator,
    device: torch.device,
) -> list[torch.Tensor]:
    """A random start in the per-layer balls: uniform in the L∞ box, or inside the L2 ball."""
    if norm is WeightNorm.LINF:
        return [
            (2 * rand_on(m.shape, gen, device) - 1) * r * m
            for m, r in zip(masks, radii, strict=True)
        ]
    k = masks[0].shape[0]
    return [
        _unit_direction(m, norm, gen) * r * rand_on((k, 1, 1), gen, device)
        for m, r in zip(masks, radii, strict=True)
    ]


def _ascend(
    net: StackedNet,
    x: torch.Tensor,
    y: torch.Tensor,
    weights: list[torch.Tensor],
    pert: list[torch.Tensor],
    radii: list[torch.Tensor],
    norm: WeightNorm,
    steps: int,
    alpha_rel: float,
) -> torch.Tensor:
    """Projected gradient ascent from ``pert``; the lowest accuracy per model over the iterates."""
    masks = [net.mask(i) for i in range(net.n_layers)]
    k, b = net.k, y.shape[0]
    best = torch.ones(k, device=y.device)
    for step in range(steps + 1):
        pert = [p.detach().requires_grad_(step < steps) for p in pert]
        with torch.set_grad_enabled(step < steps):
            _, logits = net.forward_blocks(
                x, weights=[w + p for w, p in zip(weights, pert, strict=True)]
            )
            acc = (logits.argmax(-1) == y.expand(k, b)).float().mean(1)
            best = torch.minimum(best, acc.detach())
            if step == steps:
                break
            # summed over models: each model's gradient only sees its own loss
            loss = cross_entropy_per_sample(logits, y.expand(k, b)).sum()
            grads = torch.autograd.grad(loss, pert)
        with torch.no_grad():
            new = []
            for p, g, r, m in zip(pert, grads, radii, masks, strict=True):
                if norm is WeightNorm.LINF:
                    stepv = g.sign()
                else:
                    stepv = g / _layer_norm(g * m, norm).clamp_min(1e-30)
                new.append(_project(p + alpha_rel * r * stepv, r, m, norm))
            pert = new
    return best


def _stacked(per_delta: list[list[torch.Tensor]]) -> list[torch.Tensor]:
    """Per-layer tensors of several δ joined along the model axis (δ-major)."""
    return [torch.cat(layer, dim=0) for layer in zip(*per_delta, strict=True)]


def worst_case_weight_perturbation_accuracy(
    net: StackedNet,
    x: torch.Tensor,
    y: torch.Tensor,
    deltas: Sequence[float],
    norm: WeightNorm | str,
    steps: int,
    generator: torch.Generator | None = None,
    *,
    step_size: float | None,
    random_start: bool = True,
) -> torch.Tensor:
    """Accuracy under worst-case relative weight perturbations, shape (K, len(deltas)).

    Projected gradient ascent on the mean cross-entropy in weight space (the
    weight-perturbation attack analysed by Tsai et al. 2021), within the same
    per-layer balls ``‖δW_l‖ ≤ δ‖W_l‖`` as
    :func:`random_weight_perturbation_accuracy`, all layers at once. Steps:

    - L∞: ``δW ← clip(δW + α · sign(∇), −r, r)``;
    - L2: ``δW ← Π(δW + α · ∇ / ‖∇‖)``, Π the scaling back onto the ball;

    with ``r = δ‖W_l‖`` and ``α = step_size · r`` per model and layer. Masked
    weights stay exactly zero (the perturbation is multiplied by the mask after
    every step), biases are not perturbed. One perturbation is shared by all
    samples of the batch, so every iterate is a valid perturbation; the
    reported accuracy is the lowest over the iterates (start included).

    Parameters
    ----------
    net, x, y, deltas, norm : as in :func:`random_weight_perturbation_accuracy`.
    steps : gradient steps per δ (config ``measures.weight_perturbation.worst_case_steps``).
    generator : source of the random start (default: a generator seeded with 0).
    step_size : step relative to the radius; None means ``2.5 / steps``
        (Madry et al. 2018's rule, so the iterate can cross the ball).
    random_start : start uniformly in the L∞ box, or at a random point of the
        L2 ball (a random direction times a uniform fraction of the radius);
        otherwise start at δW = 0.

    Returns
    -------
    torch.Tensor
        Worst accuracy found per model, shape (K, len(deltas)).
    """
    norm = WeightNorm(norm)
    device = stack_device(net)
    gen = device_generator(default_generator(generator), device)  # once, not per draw
    y = y.to(device)
    alpha_rel = 2.5 / max(steps, 1) if step_size is None else float(step_size)
    weights = present_weights(net)
    masks = [net.mask(i) for i in range(net.n_layers)]
    base_radii = [_layer_norm(w, norm) for w in weights]
    if not len(deltas):
        return torch.zeros(net.k, 0, device=device)
    starts, radii = [], []
    for delta in deltas:  # the random starts in the order a loop over δ would draw them
        r = [float(delta) * b for b in base_radii]
        pert = (
            _start(masks, r, norm, gen, device)
            if random_start
            else [torch.zeros_like(w) for w in weights]
        )
        starts.append(pert)
        radii.append(r)
    # every δ at once: a stack of len(deltas) copies of the K models (δ-major), one ascent
    d = len(deltas)
    copies = net.select(list(range(net.k)) * d)
    xs = x.repeat(d, *[1] * (x.dim() - 1)) if x.dim() == len(net.spec.input_shape) + 2 else x
    with frozen_eval(copies):
        best = _ascend(
            copies, xs, y, _stacked([weights] * d), _stacked(starts), _stacked(radii),
            norm, steps, alpha_rel,
        )  # fmt: skip
    out = best.reshape(d, net.k).T
    return out
