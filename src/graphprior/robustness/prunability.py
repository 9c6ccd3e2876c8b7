"""Robustness to pruning: pruning curves and prunability, per model of a stack.

L. Kuhn, C. Lyle, A. N. Gomez, J. Rothfuss, Y. Gal 2021, "Robustness to
pruning predicts generalization in deep neural networks", arXiv 2103.06002:
accuracy and loss after one-shot global pruning without retraining, and
*prunability*, the smallest kept fraction of weights whose training loss stays
within ``1 + tol`` of the unpruned loss. The masks come from
:mod:`graphprior.nets.pruning`. Formulas: ``docs/measures.md``, section
"Beyond input attacks".
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from graphprior.nets.pruning import PruneMethod, present_weights, ranking
from graphprior.nets.stacked import StackedNet
from graphprior.robustness.metrics import accuracy_and_loss
from graphprior.robustness.stacking import default_generator, frozen_eval, stack_device

__all__ = ["pruned_accuracy_and_loss", "prunability"]


def _masked_accuracy_and_loss(
    net: StackedNet, x: torch.Tensor, y: torch.Tensor, masks: list[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    weights = [w * m for w, m in zip(present_weights(net), masks, strict=True)]
    _, logits = net.forward_blocks(x, weights=weights)
    return accuracy_and_loss(logits, y.to(logits.device))


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
    ranking per model (drawn from ``generator``, default seeded with 0) serves
    all fractions, so the masks are nested.

    Returns
    -------
    dict
        ``{"accuracy": (K, L), "loss": (K, L)}`` with ``L = len(kept_fractions)``.
    """
    rank = ranking(net, method, default_generator(generator))
    acc = torch.zeros(net.k, len(kept_fractions), device=stack_device(net))
    loss = torch.zeros_like(acc)
    with frozen_eval(net), torch.no_grad():
        for j, kept in enumerate(kept_fractions):
            acc[:, j], loss[:, j] = _masked_accuracy_and_loss(net, x, y, rank.masks(kept))
    return {"accuracy": acc, "loss": loss}


def prunability(
    net: StackedNet,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    tol: float,
    method: PruneMethod | str,
    n_bisect: int,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Prunability (Kuhn et al. 2021), shape (K,): the smallest kept fraction α with
    ``L_train(α) ≤ (1 + tol) · L_train(1)``.

    ``L_train(α)`` is the mean cross-entropy on ``(x_train, y_train)`` after
    global pruning to kept fraction α (magnitude ranking, or one fixed random
    ranking per model drawn from ``generator``), without retraining. α is
    found by bisection on [0, 1], each model with its own interval, all models
    in one forward pass per step: the upper end always satisfies the criterion
    (it starts at α = 1), the lower end never does (or is 0), and the result
    is the upper end after ``n_bisect`` halvings, a value in (0, 1] on the
    grid ``2^-n_bisect``. ``tol`` and ``n_bisect`` are the config keys
    ``measures.pruning.tol`` and ``measures.pruning.n_bisect``.

    ``L_train(α)`` is not guaranteed to be monotone in α. Bisection then
    returns *a* fraction that satisfies the criterion and lies within
    ``2^-n_bisect`` of a point where it fails, not necessarily the smallest
    fraction satisfying it; on trained networks the loss rises almost
    monotonically as weights are removed, so the two rarely differ.
    """
    rank = ranking(net, method, default_generator(generator))
    device = stack_device(net)
    y_train = y_train.to(device)
    with frozen_eval(net), torch.no_grad():
        _, base = _masked_accuracy_and_loss(net, x_train, y_train, rank.masks(1.0))
        threshold = (1.0 + tol) * base
        lo = torch.zeros(net.k, dtype=torch.float64, device=device)
        hi = torch.ones_like(lo)
        for _ in range(n_bisect):
            mid = (lo + hi) / 2
            _, loss = _masked_accuracy_and_loss(net, x_train, y_train, rank.masks(mid))
            ok = loss <= threshold
            hi = torch.where(ok, mid, hi)
            lo = torch.where(ok, lo, mid)
    return hi.float()
