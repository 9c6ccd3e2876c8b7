"""Clean accuracy and F1 of a stack of models, accuracy and loss from logits, loss sensitivity.

Definitions: ``docs/measures.md``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from graphprior.nets.stacked import cross_entropy_per_sample
from graphprior.robustness.fgsm_pgd import input_grad
from graphprior.robustness.stacking import frozen_eval, layout, logits_of

__all__ = ["accuracy_and_f1", "accuracy_and_loss", "loss_sensitivity"]


def accuracy_and_f1(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor
) -> tuple[np.ndarray, np.ndarray]:
    """Clean accuracy and micro-averaged F1 per model, each ``(K,)``.

    Micro-F1 pools true/false positives over classes (``sklearn.metrics.
    f1_score(average="micro")``); for single-label classification it equals
    accuracy, and is reported because the paper does.
    """
    # imported here: sklearn.metrics is slow to import, and few callers need it
    from sklearn.metrics import f1_score

    stacked, xs, ys = layout(model, x, y)
    with frozen_eval(stacked):
        pred = logits_of(stacked, xs).argmax(-1)
    acc = (pred == ys).double().mean(-1).cpu().numpy()
    f1 = np.array(
        [
            f1_score(ys[k].cpu().numpy(), pred[k].cpu().numpy(), average="micro")
            for k in range(pred.shape[0])
        ]
    )
    return acc, f1


def accuracy_and_loss(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Accuracy and mean cross-entropy per model from logits (K, B, C) and labels (B,)."""
    k, b, _ = logits.shape
    yk = y.expand(k, b)
    acc = (logits.argmax(-1) == yk).float().mean(1)
    return acc, cross_entropy_per_sample(logits, yk).mean(1)


def loss_sensitivity(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Loss sensitivity per model ``(K,)``: the mean over inputs of ‖∇ₓ CE(f(x), y)‖₂.

    Arpit et al. 2017, "A Closer Look at Memorization in Deep Networks",
    ICML; each gradient is taken for its own sample's loss, for every model of
    the stack in one pass. ART's ``art.metrics.loss_sensitivity`` computes the
    same, one model at a time
    (``loss_sensitivity_art`` in ``tests/art_reference.py`` runs it as the
    tests' reference).
    """
    stacked, xs, ys = layout(model, x, y)
    with frozen_eval(stacked):
        grad, _, _ = input_grad(stacked, xs.contiguous(), ys)
    return grad.flatten(2).norm(dim=2).double().mean(1).cpu().numpy()
