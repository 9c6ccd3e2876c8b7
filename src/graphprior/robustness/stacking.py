"""The contract every attack and measure keeps, written once: stacks of models, layouts, draws.

Every attack and measure works on a *stack* of K models at once: a module that
maps inputs ``(K, B, *input_shape)`` to logits ``(K, B, C)``, such as
:class:`graphprior.nets.stacked.StackedNet`. A single model ``(B, …) → (B, C)``
(e.g. :class:`graphprior.nets.stacked.SingleNet`, or any ``nn.Module``) is used
as a stack of one through :func:`as_stacked`. The contract (after torchattacks):

- inputs and results lie in the pixel box [0, 1]; input normalisation lives
  inside the model;
- the model is in eval mode during the measurement and every submodule's
  previous mode is restored afterwards; parameters are frozen
  (``requires_grad`` off) and restored, so no parameter gradient is computed
  or accumulated (:func:`frozen_eval`); input gradients come from
  :func:`torch.autograd.grad`;
- randomness comes only from the ``torch.Generator`` / seed passed in, so a
  call is deterministic given its seed; no generator means one seeded with 0
  (:func:`default_generator`); draws happen on the data's device
  (:func:`device_generator`: on a CPU the generator itself, elsewhere one
  seeded from it), so nothing random crosses to the device;
- iterative attacks ask the device whether inputs are finished (a host sync)
  only every :data:`CHECK_EVERY` iterations; in between, finished inputs
  keep being computed but their result is frozen, so the check's period
  changes how much work is skipped, and a result only by the float rounding of
  a different batch size;
- the shape of ``y`` says how ``x`` is laid out: ``y`` of shape ``(B,)`` means
  ``x`` is one batch ``(B, …)`` shared by all K models; ``y`` of shape
  ``(K, B)`` means ``x`` is ``(K, B, …)``, one batch per model (:func:`layout`).

Results come back as rows of the ``robustness`` table, one per model
(:mod:`graphprior.robustness.rows`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import torch
from torch import nn

from graphprior.nets.stacked import SingleNet

__all__ = [
    "CHECK_EVERY",
    "StackedAdapter",
    "as_stacked",
    "single_model",
    "frozen_eval",
    "layout",
    "per_sample",
    "bcast",
    "logits_of",
    "default_generator",
    "device_generator",
    "stack_device",
    "module_device",
    "rand_on",
    "randn_on",
]


#: Iterations between two convergence checks of PGD and APGD (each a host sync on a GPU).
CHECK_EVERY = 4

# --------------------------------------------------------------------------- stacks


class StackedAdapter(nn.Module):
    """View a single model ``(B, …) → (B, C)`` as a stack of one.

    ``forward`` takes ``(1, B, …)`` and returns ``(1, B, C)``; train/eval
    modes propagate to the wrapped model.
    """

    k = 1

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] != 1:
            raise ValueError(f"a single model takes inputs (1, B, ...), got {tuple(x.shape)}")
        return self.model(x[0]).unsqueeze(0)


def _is_stacked(model: nn.Module) -> bool:
    return isinstance(getattr(model, "k", None), int) and not isinstance(model, StackedAdapter)


def as_stacked(model: nn.Module) -> nn.Module:
    """Return ``model`` if it is a stack (has an integer attribute ``k``), else wrap it.

    A :class:`graphprior.nets.stacked.SingleNet` is unwrapped to its one-model stack.
    """
    if isinstance(model, StackedAdapter):
        return model
    if isinstance(model, SingleNet):
        return model.net
    return model if _is_stacked(model) else StackedAdapter(model)


class _KthModel(nn.Module):
    """One model of a generic stack: runs the stack on a shared batch and keeps output k."""

    def __init__(self, stacked: nn.Module, k: int):
        super().__init__()
        self.stacked = stacked
        self.index = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stacked(x.unsqueeze(0).expand(self.stacked.k, *x.shape))[self.index]


def single_model(model: nn.Module, k: int) -> nn.Module:
    """Model ``k`` of a stack as a ``(B, …) → (B, C)`` module (a copy where needed)."""
    stacked = as_stacked(model)
    if isinstance(stacked, StackedAdapter):
        return stacked.model
    if hasattr(stacked, "select"):
        return SingleNet(stacked.select(k))
    return _KthModel(stacked, k)


@contextlib.contextmanager
def frozen_eval(model: nn.Module) -> Iterator[None]:
    """Eval mode and frozen parameters for the duration of a measurement, then restore.

    Every submodule gets back its own previous mode and every parameter its
    own ``requires_grad``, so nested uses and partly frozen models are safe.
    """
    modes = [(m, m.training) for m in model.modules()]
    grads = [(p, p.requires_grad) for p in model.parameters()]
    model.eval()
    for p, _ in grads:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training
        for p, flag in grads:
            p.requires_grad_(flag)


# --------------------------------------------------------------------------- layouts


def layout(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor
) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """Stacked model, inputs ``(K, B, …)`` and labels ``(K, B)`` (see the module docstring)."""
    stacked = as_stacked(model)
    k = stacked.k
    y = torch.as_tensor(y, device=x.device).long()
    if y.dim() == 1:
        if x.shape[0] != y.shape[0]:
            raise ValueError(
                f"x {tuple(x.shape)} and y {tuple(y.shape)} disagree on the batch size"
            )
        x = x.unsqueeze(0).expand(k, *x.shape)
        y = y.unsqueeze(0).expand(k, -1)
    elif y.dim() == 2:
        if y.shape[0] != k or tuple(x.shape[:2]) != tuple(y.shape):
            raise ValueError(
                f"per-model inputs need x (K={k}, B, ...) and y (K, B); got {tuple(x.shape)}, {tuple(y.shape)}"
            )
    else:
        raise ValueError(f"y must be (B,) or (K, B), got {tuple(y.shape)}")
    return stacked, x.detach(), y


def per_sample(eps: float | torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """ε as a ``(K, B)`` tensor from a scalar, a ``(B,)`` or a ``(K, B)`` tensor."""
    k, b = like.shape[:2]
    scalar = not isinstance(eps, torch.Tensor)
    if scalar and float(eps) < 0:  # a Python number: checked without a host sync
        raise ValueError("eps must be non-negative")
    e = torch.as_tensor(eps, dtype=like.dtype, device=like.device)
    if e.dim() == 0:
        e = e.expand(k, b)
    elif e.dim() == 1:
        e = e.unsqueeze(0).expand(k, b)
    if tuple(e.shape) != (k, b):
        raise ValueError(f"eps must be a scalar, (B,) or (K, B); got {tuple(e.shape)}")
    if not scalar:  # checked on the tensor's device, without waiting for it
        torch._assert_async((e >= 0).all(), "eps must be non-negative")
    return e


def bcast(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A ``(K, B)`` tensor viewed to broadcast against ``x`` of shape ``(K, B, …)``."""
    return v.reshape(*v.shape, *([1] * (x.dim() - 2)))


def logits_of(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``model(x)`` without autograd."""
    with torch.no_grad():
        return model(x)


# --------------------------------------------------------------------------- randomness, devices


def default_generator(generator: torch.Generator | None) -> torch.Generator:
    """``generator``, or a new CPU generator seeded with 0 when None."""
    return generator if generator is not None else torch.Generator().manual_seed(0)


def device_generator(gen: torch.Generator, device: torch.device | str) -> torch.Generator:
    """A generator that draws on ``device``: ``gen`` itself where it lives there (so results
    on the CPU are those of ``gen``), else a new one on ``device`` seeded by one draw of
    ``gen``. The ``meta`` device has no generators: ``gen`` itself, whose draws are copied.

    >>> g = torch.Generator().manual_seed(0)
    >>> device_generator(g, "cpu") is g, device_generator(g, "meta") is g
    (True, True)
    """
    device = torch.device(device)
    if gen.device.type == device.type or device.type == "meta":
        return gen
    seed = int(torch.randint(0, 2**62, (1,), generator=gen, device=gen.device))
    return torch.Generator(device=device).manual_seed(seed)


def stack_device(net: nn.Module) -> torch.device:
    """Device of a :class:`~graphprior.nets.stacked.StackedNet` (of its input statistics)."""
    return net.input_mean.device


def module_device(model: nn.Module) -> torch.device:
    """Device of any module: of its first buffer, else first parameter, else the CPU."""
    return next(iter(model.buffers()), next(iter(model.parameters()), torch.empty(0))).device


def rand_on(shape: Sequence[int], gen: torch.Generator, device: torch.device) -> torch.Tensor:
    """Uniform [0, 1) draws on ``device`` (:func:`device_generator`)."""
    g = device_generator(gen, device)
    return torch.rand(tuple(shape), generator=g, device=g.device).to(device)


def randn_on(shape: Sequence[int], gen: torch.Generator, device: torch.device) -> torch.Tensor:
    """Standard normal draws on ``device`` (:func:`device_generator`)."""
    g = device_generator(gen, device)
    return torch.randn(tuple(shape), generator=g, device=g.device).to(device)
