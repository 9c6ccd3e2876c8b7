"""ART (the Adversarial Robustness Toolbox) for CLEVER and loss sensitivity: the tests' references.

ART is a test dependency (the ``test`` extra), not one of the package.

The attack stage computes both in torch, for a whole stack at once
(:func:`graphprior.robustness.clever.clever_u_batched`,
:func:`graphprior.robustness.metrics.loss_sensitivity`), so its jobs do not
import ART; the tests compare them with the functions here.

ART is imported inside the functions that use it: importing it costs about
1.2 s (2.5 s cold), which every stage importing :mod:`graphprior.robustness`
would otherwise pay. ART draws from NumPy's global RNG; calls that need it
seed it for their duration and restore it (:func:`numpy_global_seed`).
Definitions: ``docs/measures.md``, section "Input-space attacks".
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from graphprior.robustness.clever import norm_order
from graphprior.robustness.stacking import (
    as_stacked,
    frozen_eval,
    logits_of,
    module_device,
    single_model,
)

__all__ = [
    "art_classifier",
    "numpy_global_seed",
    "clever_scores",
    "loss_sensitivity_art",
]


def art_classifier(model: nn.Module, input_shape: tuple[int, ...], nb_classes: int) -> Any:
    """Wrap a single model ``(B, …) → (B, C)`` as an ART ``PyTorchClassifier``.

    The loss sums over the batch so that ART's loss gradients are per-sample
    gradients, independent of the batch size; clip values are the [0, 1] box.
    """
    from art.estimators.classification import PyTorchClassifier  # slow import, see above

    return PyTorchClassifier(
        model=model,
        loss=nn.CrossEntropyLoss(reduction="sum"),
        input_shape=tuple(input_shape),
        nb_classes=int(nb_classes),
        clip_values=(0.0, 1.0),
        device_type="gpu" if module_device(model).type == "cuda" else "cpu",
    )


@contextlib.contextmanager
def numpy_global_seed(seed: int) -> Iterator[None]:
    """Seed NumPy's legacy global RNG for ART code that draws from it, then restore it."""
    state = np.random.get_state()  # noqa: NPY002 (ART draws from the global RNG)
    np.random.seed(int(seed) % 2**32)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def _n_classes(stacked: nn.Module, x: torch.Tensor) -> int:
    with frozen_eval(stacked):
        return int(logits_of(stacked, x.unsqueeze(0).expand(stacked.k, *x.shape)).shape[-1])


def clever_scores(
    model: nn.Module,
    x: torch.Tensor,
    n_samples: int,
    nb_batches: int,
    batch_size: int,
    radius: float,
    norm: int | float | str,
    seed: int = 0,
) -> np.ndarray:
    """Untargeted CLEVER scores through ART, per model and sample, ``(K, n_samples)``.

    Weng, Zhang, Chen, Yi, Su, Gao, Hsieh, Daniel 2018, "Evaluating the
    Robustness of Neural Networks: An Extreme Value Theory Approach", ICLR:
    an estimate of the minimal adversarial distance (in ``norm``, capped at
    ``radius``) from the local Lipschitz constant of the class margins,
    fitted with a reverse Weibull distribution to the maxima of
    ``nb_batches`` batches of ``batch_size`` gradient norms sampled in the
    ``radius`` ball (``art.metrics.clever_u``). Computed on the first
    ``n_samples`` inputs of ``x``; ART draws from NumPy's global RNG, which
    is seeded with ``seed`` for the call and restored afterwards. The
    arguments are the config keys ``attack.clever.*``.
    """
    from art.metrics import clever_u  # slow import, see the module docstring

    stacked = as_stacked(model)
    x = x[:n_samples]
    scores = np.full((stacked.k, x.shape[0]), math.nan)
    n_classes = _n_classes(stacked, x[:1])
    for k in range(stacked.k):
        single = single_model(stacked, k)
        with frozen_eval(single), numpy_global_seed(seed), warnings.catch_warnings():
            # scipy's Weibull fit warns when the sampled maximum gradient norms
            # are (nearly) equal, as for a model that is linear around x
            warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
            clf = art_classifier(single, tuple(x.shape[1:]), n_classes)
            xs = x.detach().cpu().numpy().astype(np.float32)
            for i in range(xs.shape[0]):
                scores[k, i] = clever_u(
                    clf, xs[i], nb_batches, batch_size, radius, norm_order(norm), verbose=False
                )
    return scores


def loss_sensitivity_art(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Loss sensitivity through ART, per model ``(K,)``, one model at a time.

    Arpit et al. 2017, "A Closer Look at Memorization in Deep Networks",
    ICML: the mean over inputs of ‖∇ₓ CE(f(x), y)‖₂
    (``art.metrics.loss_sensitivity``), each gradient taken for its own
    sample's loss.
    """
    from art.metrics import loss_sensitivity as art_loss_sensitivity  # slow import

    stacked = as_stacked(model)
    y = torch.as_tensor(y).long()
    n_classes = _n_classes(stacked, x)
    onehot = np.eye(n_classes, dtype=np.float32)[y.cpu().numpy()]
    out = np.empty(stacked.k)
    for k in range(stacked.k):
        single = single_model(stacked, k)
        with frozen_eval(single):
            clf = art_classifier(single, tuple(x.shape[1:]), n_classes)
            out[k] = float(
                art_loss_sensitivity(clf, x.detach().cpu().numpy().astype(np.float32), onehot)
            )
    return out
