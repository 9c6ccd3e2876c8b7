"""Smooth surrogate gradients for ReLU: the exact forward pass, a softplus backward pass.

A ReLU net can have inputs where every path to the logits runs through an
inactive unit: the input gradient is exactly zero there, and a gradient
attack gets no direction however large its budget (on the default study's
paper-interface nets, narrow at the input, up to a third of the correctly
classified inputs). Following the BPDA idea of Athalye, Carlini, Wagner 2018
("Obfuscated gradients give a false sense of security", ICML) and the
adaptive attacks of Tramèr, Carlini, Brendel, Madry 2020 ("On adaptive
attacks to adversarial example defenses", NeurIPS), the attack keeps the
model's forward pass but differentiates every ReLU as softplus,
``d/dz log(1 + e^z) = sigmoid(z)``: an inactive unit still passes a gradient
that points towards activating it. Outputs, and so which inputs count as
fooled, are those of the true model. Definitions: ``docs/measures.md``,
section "AutoAttack".
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

__all__ = ["SmoothBackwardReLU", "smooth_relu_gradients"]


class SmoothBackwardReLU(torch.autograd.Function):
    """``max(z, 0)`` forward; ``sigmoid(z)`` times the incoming gradient backward."""

    @staticmethod
    def forward(ctx, z: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(z)
        return z.clamp_min(0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (z,) = ctx.saved_tensors
        return grad * torch.sigmoid(z)


#: The ReLU calls replaced: ``torch.relu``, ``F.relu``, ``nn.ReLU``, ``Tensor.relu``, out of place.
_RELUS = frozenset({torch.relu, F.relu, torch.Tensor.relu})
#: Their in-place forms (and ``F.relu(x, inplace=True)``, ``nn.ReLU(inplace=True)``).
_RELUS_INPLACE = frozenset({torch.relu_, F.relu_, torch.Tensor.relu_})


class _SmoothReluMode(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _RELUS or func in _RELUS_INPLACE:
            z = args[0] if args else kwargs["input"]
            if func in _RELUS_INPLACE or kwargs.get("inplace") or args[1:2] == (True,):
                # the caller may read z afterwards: write the result into it; the saved
                # input is a copy, so the write does not invalidate the backward pass
                return z.copy_(SmoothBackwardReLU.apply(z.clone()))
            return SmoothBackwardReLU.apply(z)
        return func(*args, **kwargs)


@contextlib.contextmanager
def smooth_relu_gradients(enabled: bool = True) -> Iterator[None]:
    """Within the block, every ReLU of any model keeps its forward and has a softplus backward.

    Other rectifiers (``clamp(min=0)``, ``relu6``, ``hardtanh``, ``F.threshold``)
    are not replaced: through them the gradient is the model's own. With
    ``enabled`` false the block runs the model's own gradients (one code path
    for an attack run with or without the surrogate).
    """
    with _SmoothReluMode() if enabled else contextlib.nullcontext():
        yield
