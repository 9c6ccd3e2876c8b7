"""Robustness measures beyond input attacks: weights, pruning, neural collapse.

Three families of per-model measures from DESIGN §5, each evaluated on all K
models of a :class:`~graphprior.nets.stacked.StackedNet` at once:

- **Weight perturbation** (Y.-L. Tsai, C.-Y. Hsu, C.-M. Yu, P.-Y. Chen 2021,
  "Formalizing generalization and adversarial robustness of neural networks
  to weight perturbations", NeurIPS): accuracy when every layer's weights move by at
  most a fraction δ of their own norm, for random and for worst-case (projected
  gradient ascent) perturbations, and the classification margin.
- **Pruning** (L. Kuhn, C. Lyle, A. N. Gomez, J. Rothfuss, Y. Gal 2021,
  "Robustness to pruning predicts generalization in deep neural networks",
  arXiv 2103.06002):
  accuracy and loss after one-shot global pruning without retraining, and
  *prunability*, the smallest kept fraction of weights whose training loss
  stays within ``1 + tol`` of the unpruned loss.
- **Neural collapse** (Papyan, Han, Donoho 2020, "Prevalence of neural
  collapse during the terminal phase of deep learning training", PNAS; Su,
  Zhang, Tsilivis, Kempe 2023, "On the robustness of neural collapse and the
  neural collapse of robustness", arXiv 2311.07444): NC1–NC4 and
  nearest-class-centre accuracy on the readout features, and NC1 per hidden
  layer, on clean and on perturbed data.

Conventions shared by all functions here:

- Inputs ``x`` are ``(B, *input_shape)`` in [0, 1] (one batch for all models)
  or ``(K, B, *input_shape)`` (one batch per model, e.g. adversarial inputs);
  labels ``y`` are ``(B,)``.
- Results are tensors with a leading model axis ``K``.
- Only *present* weights (mask = 1) are perturbed, ranked or counted; absent
  weights stay exactly zero. Biases are never perturbed or pruned.
- The network is put in eval mode for the measurement and its mode restored.
- Randomness comes only from a ``torch.Generator`` passed in (or, in
  :func:`run_beyond_input_measures`, from seeds derived from one integer).

Formulas and choices are written out in ``docs/measures.md``, section
"Beyond input attacks".
"""

from __future__ import annotations

import contextlib
import copy
import enum
import logging
import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from graphprior.nets.stacked import StackedNet

__all__ = [
    "DEFAULTS",
    "WeightNorm",
    "PruneMethod",
    "classification_margins",
    "margin_summary",
    "random_weight_perturbation_accuracy",
    "worst_case_weight_perturbation_accuracy",
    "magnitude_prune_masks",
    "random_prune_masks",
    "pruned_accuracy_and_loss",
    "prunability",
    "nc_metrics",
    "layerwise_nc",
    "neural_collapse_rows",
    "run_beyond_input_measures",
]

log = logging.getLogger(__name__)

#: Defaults of the ``measures`` config section; missing keys are filled from here.
DEFAULTS: dict = {
    # test samples (a seeded random subset) for weight perturbation, margins
    # and pruned test accuracy
    "n_samples": 300,
    "weight_perturbation": {
        "deltas": [0.01, 0.02, 0.05, 0.1, 0.2],  # relative radius δ per layer
        "norms": ["linf", "l2"],
        "n_draws": 3,  # random directions averaged per δ
        "worst_case_steps": 5,  # projected gradient-ascent steps in weight space
        "worst_case_step_size": None,  # relative to the radius; None: 2.5 / steps
    },
    "pruning": {
        "kept_fractions": [1.0, 0.8, 0.6, 0.4, 0.2, 0.1, 0.05],
        "methods": ["magnitude", "random"],
        "tol": 0.1,  # prunability: train loss(α) <= (1 + tol) · train loss(1)
        "n_bisect": 8,
        "train_samples": 1000,  # seeded random subset of the training data
    },
    "neural_collapse": {
        "train_samples": 500,  # seeded random subset of the training data
        "perturbed": True,  # also on perturbed inputs, when a perturbation is given
    },
}

NAN = float("nan")


class WeightNorm(enum.StrEnum):
    """Entrywise norm of one layer's present weights."""

    LINF = "linf"  # max |w|
    L2 = "l2"  # Frobenius norm


class PruneMethod(enum.StrEnum):
    """How weights are ranked for global one-shot pruning."""

    MAGNITUDE = "magnitude"  # keep the largest |w| (Kuhn et al. 2021)
    RANDOM = "random"  # keep a uniformly random subset (control)


# --------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def _eval_mode(net: torch.nn.Module) -> Iterator[None]:
    was_training = net.training
    net.eval()
    try:
        yield
    finally:
        net.train(was_training)


def _device(net: StackedNet) -> torch.device:
    return net.input_mean.device


def _default_generator(generator: torch.Generator | None) -> torch.Generator:
    return generator if generator is not None else torch.Generator().manual_seed(0)


def _rand(shape: Sequence[int], gen: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.rand(tuple(shape), generator=gen, device=gen.device).to(device)


def _randn(shape: Sequence[int], gen: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.randn(tuple(shape), generator=gen, device=gen.device).to(device)


def _present_weights(net: StackedNet) -> list[torch.Tensor]:
    """Detached weights with absent entries zeroed, one (K, out, in) tensor per layer."""
    return [(net.weights[i] * net.mask(i)).detach() for i in range(net.n_layers)]


def _layer_norm(w: torch.Tensor, norm: WeightNorm) -> torch.Tensor:
    """Per-model entrywise norm of a (K, out, in) tensor, shape (K, 1, 1)."""
    flat = w.flatten(1)
    if norm is WeightNorm.LINF:
        out = flat.abs().amax(dim=1)
    else:
        out = flat.norm(dim=1)
    return out.view(-1, 1, 1)


def _accuracy_and_loss(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Accuracy and mean cross-entropy per model from logits (K, B, C) and labels (B,)."""
    k, b, c = logits.shape
    yk = y.expand(k, b)
    acc = (logits.argmax(-1) == yk).float().mean(1)
    loss = F.cross_entropy(logits.reshape(k * b, c), yk.reshape(-1), reduction="none")
    return acc, loss.view(k, b).mean(1)


# --------------------------------------------------------------------------- margins


def classification_margins(net: StackedNet, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Logit margin of the true class, shape (K, B).

    ``margin = z_y − max_{c ≠ y} z_c``: positive when the sample is classified
    correctly, and the larger the further the decision boundary (in logit
    units). Tsai et al. (2021) bound the change of this margin under weight
    perturbations; its mean is their margin term.
    """
    with _eval_mode(net), torch.no_grad():
        logits = net(x)
    return _margins_from_logits(logits, y)


def _margins_from_logits(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
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


# --------------------------------------------------------------------------- weight perturbation


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
        u = _randn(mask.shape, gen, device) * mask
        n = u.flatten(1).norm(dim=1).clamp_min(1e-30).view(k, 1, 1)
        return u / n
    u = (2.0 * _rand(mask.shape, gen, device) - 1.0) * mask
    flat_mask = mask.flatten(1)
    # a model whose layer has no present weight gets a dummy face (then masked away)
    probs = flat_mask + (flat_mask.sum(1, keepdim=True) == 0).float()
    face = torch.multinomial(probs.to(gen.device), 1, generator=gen).to(device)
    sign = torch.where(_rand((k, 1), gen, device) < 0.5, -1.0, 1.0)
    u = u.flatten(1).scatter(1, face, sign).view_as(mask)
    return u * mask


def random_weight_perturbation_accuracy(
    net: StackedNet,
    x: torch.Tensor,
    y: torch.Tensor,
    deltas: Sequence[float],
    norm: WeightNorm | str = "linf",
    n_draws: int = 3,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Accuracy under random relative weight perturbations, shape (K, len(deltas)).

    For every layer ``l`` (hidden layers and classifier) the perturbation is
    ``δW_l = δ · ‖W_l‖ · U_l`` with ``U_l`` a random direction of unit norm
    (:func:`_unit_direction`) supported on the present weights, so that
    ``‖δW_l‖ = δ‖W_l‖`` exactly, norms taken entrywise over the present weights
    of one model's layer. This is the per-layer norm-bounded threat model of
    Tsai et al. (2021), made relative to each layer's scale (DESIGN §5).
    Biases are not perturbed. Each draw uses one direction per layer for all
    δ (common random numbers, so the curve over δ is smooth), and the accuracy
    is averaged over ``n_draws`` draws.

    Parameters
    ----------
    net : the K stacked models.
    x, y : inputs (B, ...) or (K, B, ...) in [0, 1], labels (B,).
    deltas : relative radii δ ≥ 0; δ = 0 gives the clean accuracy.
    norm : ``"linf"`` (max |w|) or ``"l2"`` (Frobenius).
    n_draws : random directions per δ.
    generator : source of randomness (default: a generator seeded with 0).

    Returns
    -------
    torch.Tensor
        Mean accuracy over draws, shape (K, len(deltas)).
    """
    norm = WeightNorm(norm)
    gen = _default_generator(generator)
    y = y.to(_device(net))
    weights = _present_weights(net)
    radii = [_layer_norm(w, norm) for w in weights]
    acc = torch.zeros(net.k, len(deltas), device=_device(net))
    with _eval_mode(net), torch.no_grad():
        for _ in range(n_draws):
            dirs = [_unit_direction(net.mask(i), norm, gen) * radii[i] for i in range(net.n_layers)]
            for j, delta in enumerate(deltas):
                perturbed = [w + float(delta) * d for w, d in zip(weights, dirs, strict=True)]
                _, logits = net.forward_blocks(x, weights=perturbed)
                acc[:, j] += _accuracy_and_loss(logits, y)[0]
    return acc / max(n_draws, 1)


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


def worst_case_weight_perturbation_accuracy(
    net: StackedNet,
    x: torch.Tensor,
    y: torch.Tensor,
    deltas: Sequence[float],
    norm: WeightNorm | str = "linf",
    steps: int = 5,
    generator: torch.Generator | None = None,
    step_size: float | None = None,
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
    steps : gradient steps per δ.
    generator : source of the random start (default: a generator seeded with 0).
    step_size : step relative to the radius; default ``2.5 / steps``
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
    gen = _default_generator(generator)
    device = _device(net)
    y = y.to(device)
    alpha_rel = 2.5 / max(steps, 1) if step_size is None else float(step_size)
    weights = _present_weights(net)
    masks = [net.mask(i) for i in range(net.n_layers)]
    base_radii = [_layer_norm(w, norm) for w in weights]
    k = net.k
    b = y.shape[0]
    out = torch.zeros(k, len(deltas), device=device)
    with _eval_mode(net):
        for j, delta in enumerate(deltas):
            radii = [float(delta) * r for r in base_radii]
            if random_start:
                if norm is WeightNorm.LINF:
                    pert = [
                        (2 * _rand(m.shape, gen, device) - 1) * r * m
                        for m, r in zip(masks, radii, strict=True)
                    ]
                else:
                    pert = [
                        _unit_direction(m, norm, gen) * r * _rand((k, 1, 1), gen, device)
                        for m, r in zip(masks, radii, strict=True)
                    ]
            else:
                pert = [torch.zeros_like(w) for w in weights]
            best = torch.ones(k, device=device)
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
                    loss = F.cross_entropy(
                        logits.reshape(k * b, -1), y.expand(k, b).reshape(-1), reduction="sum"
                    )
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
            out[:, j] = best
    return out


# --------------------------------------------------------------------------- pruning


class _Ranking:
    """Global per-model ranking of the present weights of all layers.

    ``rank[k, p]`` is the position of flat weight ``p`` (layers concatenated
    in order, each row-major) in model ``k``'s order of importance, 0 = most
    important; absent weights rank after every present one. Ties keep the
    lower flat index first (stable sort), so the ranking is deterministic.
    """

    def __init__(self, net: StackedNet, scores: torch.Tensor):
        masks = [net.mask(i) for i in range(net.n_layers)]
        self.shapes = [m.shape[1:] for m in masks]
        self.sizes = [m[0].numel() for m in masks]
        present = torch.cat([m.flatten(1) for m in masks], dim=1) > 0
        self.n_present = present.sum(1)
        scores = torch.where(present, scores, torch.full_like(scores, float("-inf")))
        order = torch.sort(scores, dim=1, descending=True, stable=True).indices
        rank = torch.empty_like(order)
        ar = torch.arange(order.shape[1], device=order.device).expand_as(order)
        rank.scatter_(1, order, ar)
        self.rank = rank

    def n_keep(self, kept: torch.Tensor) -> torch.Tensor:
        # round half to even, like Python's round()
        return torch.round(kept.double() * self.n_present.double()).long()

    def masks(self, kept: float | torch.Tensor) -> list[torch.Tensor]:
        """Masks keeping the ``round(kept · n_present)`` top-ranked weights per model.

        ``kept`` is a scalar or a (K,) tensor (one fraction per model).
        """
        k = self.rank.shape[0]
        kept_t = torch.as_tensor(kept, dtype=torch.float64, device=self.rank.device).expand(k)
        keep = (self.rank < self.n_keep(kept_t).unsqueeze(1)).float()
        return [
            part.reshape(k, *shape)
            for part, shape in zip(keep.split(self.sizes, dim=1), self.shapes, strict=True)
        ]


def _ranking(
    net: StackedNet, method: PruneMethod | str, generator: torch.Generator | None = None
) -> _Ranking:
    method = PruneMethod(method)
    if method is PruneMethod.MAGNITUDE:
        scores = torch.cat([w.abs().flatten(1) for w in _present_weights(net)], dim=1)
    else:
        gen = _default_generator(generator)
        total = sum(net.mask(i)[0].numel() for i in range(net.n_layers))
        scores = _rand((net.k, total), gen, _device(net))
    return _Ranking(net, scores)


def magnitude_prune_masks(net: StackedNet, kept_fraction: float) -> list[torch.Tensor]:
    """Global magnitude pruning masks, one (K, out, in) tensor per layer.

    Per model, all present weights of all layers — hidden layers *and* the
    classifier, as in Kuhn et al. (2021) and ``torch.nn.utils.prune.
    global_unstructured`` — are ranked by ``|w|`` and exactly
    ``round(kept_fraction · n_present)`` of the largest are kept (ties: the
    weight with the lower (layer, row, column) index wins). Absent weights are
    never kept. Biases are not pruned.
    """
    return _ranking(net, PruneMethod.MAGNITUDE).masks(kept_fraction)


def random_prune_masks(
    net: StackedNet, kept_fraction: float, generator: torch.Generator | None = None
) -> list[torch.Tensor]:
    """Random-pruning control: keep ``round(kept_fraction · n_present)`` present weights
    per model, chosen uniformly at random over all layers (same shapes as
    :func:`magnitude_prune_masks`)."""
    return _ranking(net, PruneMethod.RANDOM, generator).masks(kept_fraction)


def _masked_accuracy_and_loss(
    net: StackedNet, x: torch.Tensor, y: torch.Tensor, masks: list[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    weights = [w * m for w, m in zip(_present_weights(net), masks, strict=True)]
    _, logits = net.forward_blocks(x, weights=weights)
    return _accuracy_and_loss(logits, y.to(logits.device))


def pruned_accuracy_and_loss(
    net: StackedNet,
    x: torch.Tensor,
    y: torch.Tensor,
    kept_fractions: Sequence[float],
    method: PruneMethod | str = "magnitude",
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """Accuracy and mean cross-entropy after one-shot global pruning, no retraining.

    Kuhn et al. (2021)'s pruning curve. For ``method="random"`` one random
    ranking per model serves all fractions, so the masks are nested.

    Returns
    -------
    dict
        ``{"accuracy": (K, L), "loss": (K, L)}`` with ``L = len(kept_fractions)``.
    """
    ranking = _ranking(net, method, generator)
    acc = torch.zeros(net.k, len(kept_fractions), device=_device(net))
    loss = torch.zeros_like(acc)
    with _eval_mode(net), torch.no_grad():
        for j, kept in enumerate(kept_fractions):
            acc[:, j], loss[:, j] = _masked_accuracy_and_loss(net, x, y, ranking.masks(kept))
    return {"accuracy": acc, "loss": loss}


def prunability(
    net: StackedNet,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    tol: float = 0.1,
    method: PruneMethod | str = "magnitude",
    n_bisect: int = 10,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Prunability (Kuhn et al. 2021), shape (K,): the smallest kept fraction α with
    ``L_train(α) ≤ (1 + tol) · L_train(1)``.

    ``L_train(α)`` is the mean cross-entropy on ``(x_train, y_train)`` after
    global pruning to kept fraction α (:func:`magnitude_prune_masks` or one
    fixed random ranking per model), without retraining. α is found by
    bisection on [0, 1], each model with its own interval, all models in one
    forward pass per step: the upper end always satisfies the criterion (it
    starts at α = 1), the lower end never does (or is 0), and the result is
    the upper end after ``n_bisect`` halvings, a value in (0, 1] on the grid
    ``2^-n_bisect``.

    ``L_train(α)`` is not guaranteed to be monotone in α. Bisection then
    returns *a* fraction that satisfies the criterion and lies within
    ``2^-n_bisect`` of a point where it fails, not necessarily the smallest
    fraction satisfying it; on trained networks the loss rises almost
    monotonically as weights are removed, so the two rarely differ.
    """
    ranking = _ranking(net, method, generator)
    device = _device(net)
    y_train = y_train.to(device)
    with _eval_mode(net), torch.no_grad():
        _, base = _masked_accuracy_and_loss(net, x_train, y_train, ranking.masks(1.0))
        threshold = (1.0 + tol) * base
        lo = torch.zeros(net.k, dtype=torch.float64, device=device)
        hi = torch.ones_like(lo)
        for _ in range(n_bisect):
            mid = (lo + hi) / 2
            _, loss = _masked_accuracy_and_loss(net, x_train, y_train, ranking.masks(mid))
            ok = loss <= threshold
            hi = torch.where(ok, mid, hi)
            lo = torch.where(ok, lo, mid)
    return hi.float()


# --------------------------------------------------------------------------- neural collapse


def _class_statistics(
    features: torch.Tensor, labels: torch.Tensor, n_classes: int
) -> dict[str, torch.Tensor]:
    """Class means and covariances of features (K, N, F) in float64, present classes only."""
    h = features.double()
    labels = labels.to(h.device)
    onehot = F.one_hot(labels, n_classes).double()  # (N, C)
    counts = onehot.sum(0)
    present = torch.nonzero(counts > 0).flatten()
    onehot = onehot[:, present]
    counts = counts[present]
    means = torch.einsum("nc,knf->kcf", onehot, h) / counts.view(1, -1, 1)  # (K, C', F)
    # balanced global mean (mean of class means) so the centred means sum to zero
    global_mean = means.mean(1, keepdim=True)
    centred = means - global_mean
    # map labels to positions among the present classes
    pos = torch.full((n_classes,), -1, dtype=torch.long, device=h.device)
    pos[present] = torch.arange(len(present), device=h.device)
    within = h - means[:, pos[labels]]
    n = h.shape[1]
    sigma_w = within.transpose(1, 2) @ within / n
    sigma_b = centred.transpose(1, 2) @ centred / len(present)
    return {
        "present": present,
        "pos": pos,
        "means": means,
        "centred": centred,
        "sigma_w": sigma_w,
        "sigma_b": sigma_b,
    }


def _nc1(stats: dict[str, torch.Tensor]) -> torch.Tensor:
    sigma_b = stats["sigma_b"]
    c = stats["present"].numel()
    # Σ_B is rank ≤ C'−1; drop round-off eigenvalues relative to the largest
    pinv = torch.linalg.pinv(sigma_b, hermitian=True, rtol=1e-9)
    nc1 = (stats["sigma_w"] * pinv.transpose(1, 2)).sum((1, 2)) / c
    degenerate = sigma_b.diagonal(dim1=1, dim2=2).sum(1) <= 0
    if c < 2:
        degenerate = torch.ones_like(degenerate)
    return torch.where(degenerate, torch.full_like(nc1, NAN), nc1)


def _ncc_predictions(features: torch.Tensor, stats: dict[str, torch.Tensor]) -> torch.Tensor:
    dist = torch.cdist(features.double(), stats["means"])  # (K, N, C')
    return stats["present"][dist.argmin(-1)]


def nc_metrics(
    features: torch.Tensor,
    labels: torch.Tensor,
    classifier_weights: torch.Tensor,
    logits: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """Neural-collapse metrics NC1–NC4 (Papyan et al. 2020; Su et al. 2023).

    With ``h_i`` the features, ``μ_c`` the class means, ``μ_G`` the mean of the
    class means, ``M`` the (C, F) matrix of centred means ``μ_c − μ_G`` and
    ``W`` the classifier:

    - ``nc1 = Tr(Σ_W Σ_B⁺) / C`` with ``Σ_W = 1/N Σ_i (h_i − μ_{y_i})(·)ᵀ``,
      ``Σ_B = 1/C Σ_c (μ_c − μ_G)(·)ᵀ``, ``⁺`` the Moore–Penrose pseudo-inverse;
    - ``nc2_equinorm = std_c ‖μ_c − μ_G‖ / mean_c ‖μ_c − μ_G‖``;
    - ``nc2_equiangular = std_{c<c'} cos(μ_c − μ_G, μ_c' − μ_G)``;
    - ``nc2_maxangle = mean_{c<c'} |cos(…) + 1/(C − 1)|``;
    - ``nc3 = ‖W/‖W‖_F − M/‖M‖_F‖²_F`` (classifier bias ignored);
    - ``nc4`` = share of samples where ``argmax`` of the logits differs from
      the nearest-class-centre (NCC) prediction ``argmin_c ‖h − μ_c‖``;
    - ``ncc_accuracy`` = accuracy of the NCC classifier.

    All four reach 0 at full collapse onto a simplex equiangular tight frame
    aligned with the classifier. Standard deviations use Bessel's correction
    (``torch.std``). Classes absent from ``labels`` are left out: C is the
    number of present classes, W keeps only their rows, and NCC chooses among
    them. With fewer than two present classes, or when all class means
    coincide (Σ_B = 0), NC1–NC3 are NaN. Computed in float64.

    Parameters
    ----------
    features : (N, F) or (K, N, F).
    labels : (N,) integer classes.
    classifier_weights : (C, F) or (K, C, F), the weights that read ``features``.
    logits : (N, C) or (K, N, C).

    Returns
    -------
    dict
        Keys ``nc1, nc2_equinorm, nc2_equiangular, nc2_maxangle, nc3, nc4,
        ncc_accuracy``; scalars for unbatched inputs, else shape (K,).
    """
    batched = features.dim() == 3
    if not batched:
        features, classifier_weights, logits = (
            features.unsqueeze(0),
            classifier_weights.unsqueeze(0),
            logits.unsqueeze(0),
        )
    n_classes = classifier_weights.shape[-2]
    labels = labels.to(features.device)
    stats = _class_statistics(features, labels, n_classes)
    c = stats["present"].numel()
    centred = stats["centred"]
    k = features.shape[0]

    norms = centred.norm(dim=-1)  # (K, C')
    if c >= 2:
        equinorm = norms.std(dim=1) / norms.mean(dim=1)
        unit = centred / norms.unsqueeze(-1)
        cos = unit @ unit.transpose(1, 2)
        iu = torch.triu_indices(c, c, offset=1, device=cos.device)
        pair_cos = cos[:, iu[0], iu[1]]
        equiangular = (
            pair_cos.std(dim=1) if pair_cos.shape[1] > 1 else torch.zeros_like(pair_cos[:, 0])
        )
        maxangle = (pair_cos + 1.0 / (c - 1)).abs().mean(dim=1)
        w = classifier_weights.double()[:, stats["present"]]
        w_unit = w / w.flatten(1).norm(dim=1).view(k, 1, 1)
        m_unit = centred / centred.flatten(1).norm(dim=1).view(k, 1, 1)
        nc3 = (w_unit - m_unit).pow(2).sum((1, 2))
    else:
        equinorm = equiangular = maxangle = nc3 = torch.full(
            (k,), NAN, dtype=torch.float64, device=features.device
        )

    ncc = _ncc_predictions(features, stats)
    net_pred = logits.argmax(-1)
    out = {
        "nc1": _nc1(stats),
        "nc2_equinorm": equinorm,
        "nc2_equiangular": equiangular,
        "nc2_maxangle": maxangle,
        "nc3": nc3,
        "nc4": (ncc != net_pred).double().mean(1),
        "ncc_accuracy": (ncc == labels.view(1, -1)).double().mean(1),
    }
    if not batched:
        out = {key: v[0] for key, v in out.items()}
    return out


def _layerwise_from_blocks(
    blocks: list[torch.Tensor], y: torch.Tensor, n_classes: int
) -> list[dict[str, torch.Tensor]]:
    result = []
    for h in blocks[1:]:
        stats = _class_statistics(h, y, n_classes)
        ncc = _ncc_predictions(h, stats)
        result.append(
            {
                "nc1": _nc1(stats),
                "ncc_accuracy": (ncc == y.to(ncc.device).view(1, -1)).double().mean(1),
            }
        )
    return result


def layerwise_nc(
    net: StackedNet, x: torch.Tensor, y: torch.Tensor
) -> list[dict[str, torch.Tensor]]:
    """NC1 and nearest-class-centre accuracy of every hidden layer (Su et al. 2023).

    Entry ``i`` describes hidden layer ``i`` (block ``i + 1`` of
    :meth:`~graphprior.nets.stacked.StackedNet.forward_blocks`, post-ReLU), each value
    of shape (K,). Every layer is included, also layers of width 1 (then Σ_B is
    a scalar and NC1 a variance ratio); a layer whose class means all coincide
    (e.g. all neurons dead) gets NC1 = NaN.
    """
    with _eval_mode(net), torch.no_grad():
        blocks, _ = net.forward_blocks(x)
    return _layerwise_from_blocks(blocks, y, net.spec.n_classes)


def _rows(
    values: torch.Tensor,
    measure: str,
    attack: str,
    norm: str,
    eps: float,
    n: int,
    layer: int | None = None,
) -> list[dict]:
    return [
        {
            "model_index": k,
            "measure": measure,
            "attack": attack,
            "norm": norm,
            "eps": float(eps),
            "layer": layer,
            "value": float(v),
            "n": int(n),
        }
        for k, v in enumerate(values.detach().cpu().tolist())
    ]


def _nc_rows_for(
    net: StackedNet, x: torch.Tensor, y: torch.Tensor, attack: str, norm: str, eps: float
) -> list[dict]:
    n = int(y.shape[0])
    with _eval_mode(net), torch.no_grad():
        blocks, logits = net.forward_blocks(x)
        ins = net.layer_inputs(net.n_layers - 1)
        feats = torch.cat([blocks[b] for b in ins], dim=-1)[..., net.readout_columns()]
        readout = nc_metrics(feats, y, net.readout_weights().detach(), logits)
    rows = []
    for name, values in readout.items():
        rows += _rows(values, name, attack, norm, eps, n)
    for i, layer in enumerate(_layerwise_from_blocks(blocks, y, net.spec.n_classes)):
        for name, values in layer.items():
            rows += _rows(values, name, attack, norm, eps, n, layer=i)
    return rows


def neural_collapse_rows(
    net: StackedNet,
    x: torch.Tensor,
    y: torch.Tensor,
    perturb: Callable[[StackedNet, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    attack: str = "pgd",
    attack_norm: str = "linf",
    attack_eps: float = NAN,
) -> list[dict]:
    """Neural-collapse rows on clean and, optionally, perturbed data (Su et al. 2023).

    Readout metrics (:func:`nc_metrics`, ``layer=None``) and hidden-layer NC1
    and NCC accuracy (:func:`layerwise_nc`, ``layer`` = hidden-layer index) on
    ``x`` with ``attack="none"``; when ``perturb(net, x, y)`` returns
    perturbed inputs (K, B, ...), the same metrics on them with the *true*
    labels ``y`` (class means and NCC centres recomputed from the perturbed
    features) under ``attack``, ``attack_norm``, ``attack_eps``.
    """
    rows = _nc_rows_for(net, x, y, "none", "none", NAN)
    if perturb is not None:
        with _eval_mode(net):
            x_adv = perturb(net, x, y).detach()
        rows += _nc_rows_for(net, x_adv, y, attack, attack_norm, attack_eps)
    return rows


# --------------------------------------------------------------------------- orchestration


def _merge(defaults: dict, cfg: dict | None) -> dict:
    out = copy.deepcopy(defaults)
    for key, value in (cfg or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _subset(
    x: torch.Tensor, y: torch.Tensor, n: int, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random subset of n samples, in ascending index order."""
    if n >= len(y):
        return x, y
    idx = torch.randperm(len(y), generator=gen)[:n].sort().values
    return x[idx], y[idx]


def run_beyond_input_measures(
    net: StackedNet,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    cfg: dict | None,
    generator_seed: int,
    perturb: Callable[[StackedNet, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    perturb_info: dict | None = None,
) -> list[dict]:
    """All measures of this module for the K stacked models, as long-format rows.

    Each row is ``{"model_index", "measure", "attack", "norm", "eps", "layer",
    "value", "n"}``:

    ==========================  ==================  =========  ==============  ==========
    measure                     attack              norm       eps             n
    ==========================  ==================  =========  ==============  ==========
    weight_random_accuracy      random              linf / l2  δ               test
    weight_worst_accuracy       pgd                 linf / l2  δ               test
    margin_mean, margin_median  none                none       NaN             test
    pruned_accuracy             magnitude / random  none       kept fraction   test
    pruned_train_loss           magnitude / random  none       kept fraction   train
    prunability                 magnitude / random  none       NaN             train
    nc1 … nc4, ncc_accuracy     none / pgd          none / …   NaN / attack ε  train
    ==========================  ==================  =========  ==============  ==========

    NC rows have ``layer=None`` for the readout and the hidden-layer index for
    the layerwise ``nc1`` and ``ncc_accuracy``; other rows have ``layer=None``.

    Parameters
    ----------
    net : the K stacked models (trained).
    x_test, y_test, x_train, y_train : full splits; seeded subsets are drawn.
    cfg : the ``measures`` config section; missing keys come from :data:`DEFAULTS`.
    generator_seed : every random choice (subsets, directions, random pruning)
        derives from it, each measure from its own child seed, so changing one
        measure's settings does not change another's draws.
    perturb : optional ``perturb(net, x, y) -> x_adv (K, B, ...)`` for the
        perturbed neural-collapse rows (skipped when None).
    perturb_info : ``{"attack": str, "norm": str, "eps": float}`` labelling
        those rows (default ``pgd``, ``linf``, NaN).
    """
    cfg = _merge(DEFAULTS, cfg)
    wp, pr, nc = cfg["weight_perturbation"], cfg["pruning"], cfg["neural_collapse"]
    info = {"attack": "pgd", "norm": "linf", "eps": NAN, **(perturb_info or {})}
    seeds = np.random.SeedSequence(int(generator_seed)).generate_state(8)
    gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
    device = _device(net)

    xt, yt = _subset(x_test, y_test, int(cfg["n_samples"]), gens[0])
    xp, yp = _subset(x_train, y_train, int(pr["train_samples"]), gens[1])
    xn, yn = _subset(x_train, y_train, int(nc["train_samples"]), gens[2])
    xt, yt, xp, yp, xn, yn = (t.to(device) for t in (xt, yt, xp, yp, xn, yn))
    n_t, n_p, n_n = len(yt), len(yp), len(yn)

    rows: list[dict] = []
    t0 = time.perf_counter()
    summary = margin_summary(classification_margins(net, xt, yt))
    rows += _rows(summary["mean"], "margin_mean", "none", "none", NAN, n_t)
    rows += _rows(summary["median"], "margin_median", "none", "none", NAN, n_t)

    deltas = [float(d) for d in wp["deltas"]]
    for norm in wp["norms"]:
        acc = random_weight_perturbation_accuracy(
            net, xt, yt, deltas, norm, int(wp["n_draws"]), gens[3]
        )
        for j, d in enumerate(deltas):
            rows += _rows(acc[:, j], "weight_random_accuracy", "random", norm, d, n_t)
        acc = worst_case_weight_perturbation_accuracy(
            net,
            xt,
            yt,
            deltas,
            norm,
            int(wp["worst_case_steps"]),
            gens[4],
            step_size=wp.get("worst_case_step_size"),
        )
        for j, d in enumerate(deltas):
            rows += _rows(acc[:, j], "weight_worst_accuracy", "pgd", norm, d, n_t)
    log.info("weight perturbation and margins: %.2f s", time.perf_counter() - t0)

    t0 = time.perf_counter()
    fractions = [float(f) for f in pr["kept_fractions"]]
    for method in pr["methods"]:
        seed = int(seeds[5])
        # the same random ranking for the test curve, the train curve and prunability
        test_curve = pruned_accuracy_and_loss(
            net, xt, yt, fractions, method, torch.Generator().manual_seed(seed)
        )
        train_curve = pruned_accuracy_and_loss(
            net, xp, yp, fractions, method, torch.Generator().manual_seed(seed)
        )
        for j, f in enumerate(fractions):
            rows += _rows(test_curve["accuracy"][:, j], "pruned_accuracy", method, "none", f, n_t)
            rows += _rows(train_curve["loss"][:, j], "pruned_train_loss", method, "none", f, n_p)
        alpha = prunability(
            net,
            xp,
            yp,
            float(pr["tol"]),
            method,
            int(pr["n_bisect"]),
            torch.Generator().manual_seed(seed),
        )
        rows += _rows(alpha, "prunability", method, "none", NAN, n_p)
    log.info("pruning: %.2f s", time.perf_counter() - t0)

    t0 = time.perf_counter()
    use_perturb = perturb if nc.get("perturbed", True) else None
    if nc.get("perturbed", True) and perturb is None:
        log.info("no perturbation given: perturbed neural-collapse rows skipped")
    rows += neural_collapse_rows(
        net, xn, yn, use_perturb, info["attack"], info["norm"], float(info["eps"])
    )
    log.info("neural collapse: %.2f s (n=%d)", time.perf_counter() - t0, n_n)
    return rows
