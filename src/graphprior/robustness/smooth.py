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


#: Every way a model applies a ReLU: ``torch.relu``, ``F.relu``, ``nn.ReLU``, ``Tensor.relu``.
_RELUS = frozenset(
    {torch.relu, torch.relu_, F.relu, F.relu_, torch.Tensor.relu, torch.Tensor.relu_}
)


class _SmoothReluMode(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in _RELUS:  # in-place variants too: callers use the returned tensor
            return SmoothBackwardReLU.apply(args[0])
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def smooth_relu_gradients() -> Iterator[None]:
    """Within the block, every ReLU of any model keeps its forward and has a softplus backward."""
    with _SmoothReluMode():
        yield
