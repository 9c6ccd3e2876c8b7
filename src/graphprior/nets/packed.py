"""A union of stacks in its training form: one weight matrix, the backward pass written out.

A union (:func:`graphprior.nets.union.union_of`) has a fixed shape: hidden
layer ``i`` reads the input and every earlier hidden layer, the output layer
reads every hidden layer. Laid end to end, the activations of one model form
one vector ``[input | hidden 0 | hidden 1 | ...]`` (``T`` entries, the columns
of the weight matrix below), and every layer reads a contiguous range of it:
hidden layer ``i`` the prefix up to its own block, the output layer everything
after the input. All weights of a model
then fit one matrix of shape ``(R, T)``, ``R`` the neurons of every layer
(hidden, then output), with layer ``i`` in its rows and prefix columns, zero
and masked out everywhere else.

:class:`PackedStack` holds that matrix for the K models as one parameter
``weight`` of shape ``(K, R, T)`` (and ``bias`` of shape ``(K, R)``), and
computes the forward and backward passes itself
(:class:`torch.autograd.Function`) in two preallocated buffers per batch
size, one for the activations and one for the gradients of the pre-activations,
both feature-major (``(K, T, B)`` and ``(K, R, B)``).
A step is then one batched matmul and one ReLU per layer forward, one matmul
and one ReLU gradient per layer backward, and one matmul for every weight
gradient at once; no concatenation, no per-layer mask multiply, and the
optimiser updates two tensors instead of two per layer; what that saves
against the same union through autograd is measured by the ``training``
benchmark (docs/benchmarks.md, "Training many architectures as one union").

Masks: the gradient of ``weight`` and ``bias`` is multiplied by the mask, so
Adam and SGD leave a masked weight at exactly zero; the weights start masked
and :meth:`PackedStack.apply_masks` re-applies the masks as
:class:`~graphprior.nets.stacked.StackedNet` does. The forward pass does not
multiply by the mask: it relies on that invariant.

A packed stack is what :func:`graphprior.nets.union.train_many` trains, with
the steps of :class:`PackedSteps` (the loss's gradient and the backward pass
written out, no autograd graph); its weights go back into the union with
:meth:`PackedStack.write_back`, and from there into the original stacks. The
attack stage runs a group's input-space attacks on the packed union of its
stacks too (its logits and input gradients; docs/benchmarks.md, "Settled experiments");
the other measures and the checkpoints work on
:class:`~graphprior.nets.stacked.StackedNet`.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from graphprior.graphs.netspec import NetSpec
from graphprior.nets.stacked import StackedNet

__all__ = ["PackedStack", "PackedSteps"]

_relu_grad = torch.ops.aten.threshold_backward.grad_input


@dataclass(frozen=True)
class _Layout:
    """Rows and columns of every layer in the packed matrix.

    ``hidden[i] = (r0, r1, c)``: hidden layer ``i`` has rows ``r0:r1``, reads
    columns ``:c``, and its activations are columns ``c : c + r1 - r0``.
    ``out_row``: the output layer's first row; it reads columns ``d:``.
    """

    d: int
    rows: int
    cols: int
    out_row: int
    hidden: tuple[tuple[int, int, int], ...]

    def blocks(self) -> list[tuple[slice, slice]]:
        """Row and column slices of every layer (hidden layers, then the output)."""
        out = [(slice(r0, r1), slice(0, c)) for r0, r1, c in self.hidden]
        return [*out, (slice(self.out_row, self.rows), slice(self.d, self.cols))]


def _layout(net: StackedNet) -> _Layout:
    n_hidden = len(net.spec.hidden)
    for i in range(n_hidden):
        if net.layer_inputs(i) != list(range(i + 1)):
            raise ValueError(
                f"a packed stack needs a union's architecture: hidden layer {i} reads blocks "
                f"{net.layer_inputs(i)}, not every earlier block 0..{i}"
            )
    if net.layer_inputs(n_hidden) != list(range(1, n_hidden + 1)):
        raise ValueError(
            "a packed stack needs a union's architecture: the output layer reads blocks "
            f"{net.layer_inputs(n_hidden)}, not every hidden layer 1..{n_hidden}"
        )
    d = net.spec.input_dim
    hidden, row, col = [], 0, d
    for layer in net.spec.hidden:
        hidden.append((row, row + layer.width, col))
        row += layer.width
        col += layer.width
    return _Layout(d, row + net.spec.n_classes, col, row, tuple(hidden))


class _Buffers:
    """The activation and gradient buffers of one batch size, and their views per layer.

    Feature-major: ``h`` is ``(K, T, B)`` and ``g`` is ``(K, R, B)``, so a layer's
    input prefix and its output block are contiguous slabs per model, and every
    matmul multiplies a few weight rows by a ``(columns, B)`` slab; chosen over
    the batch-major ``(K, B, T)`` layout for speed (docs/benchmarks.md,
    "Settled experiments").
    """

    def __init__(self, packed: PackedStack, batch: int):
        lay = packed.layout
        k, device = packed.k, packed.weight.device
        w = packed.weight.detach()
        b = packed.bias.detach().unsqueeze(2)
        dtype = packed.weight.dtype
        self.h = torch.empty(k, lay.cols, batch, device=device, dtype=dtype)
        self.g = torch.empty(k, lay.rows, batch, device=device, dtype=dtype)
        h, g = self.h, self.g
        self.h_input = h[:, : lay.d]
        # forward, per hidden layer: bias, its weights, the prefix it reads, its output
        self.forward = [
            (b[:, r0:r1], w[:, r0:r1, :c], h[:, :c], h[:, c : c + r1 - r0])
            for r0, r1, c in lay.hidden
        ]
        out = lay.out_row
        self.output = (b[:, out:], w[:, out:, lay.d :], h[:, lay.d :])
        self.g_output = g[:, out:]
        # backward, last hidden layer first: the weights reading this layer's block
        # (transposed), the gradients of every later layer, its activations, its gradient slot
        self.backward = [
            (
                w[:, r1:, c : c + r1 - r0].transpose(1, 2),
                g[:, r1:],
                h[:, c : c + r1 - r0],
                g[:, r0:r1],
            )
            for r0, r1, c in reversed(lay.hidden)
        ]
        self.g_hidden = g[:, :out]
        self.w_input = w[:, :out, : lay.d]
        self.key = (w.data_ptr(), b.data_ptr(), device, dtype)
        self.owner: weakref.ref | None = None  # the autograd node of the pass that wrote it

    def free(self) -> bool:
        """No autograd graph holds this buffer any more."""
        return self.owner is None or self.owner() is None


def _layers_forward(buf: _Buffers) -> torch.Tensor:
    """Every layer's activations from ``buf.h_input``; the logits, ``(K, C, B)``."""
    for b, w, h_in, h_out in buf.forward:
        torch.clamp_min(torch.baddbmm(b, w, h_in), 0.0, out=h_out)
    return torch.baddbmm(*buf.output)


def _layers_backward(buf: _Buffers) -> None:
    """Every pre-activation's gradient into ``buf.g``, from the logits' in ``buf.g_output``."""
    for w_t, g_later, h_block, g_block in buf.backward:
        _relu_grad(torch.bmm(w_t, g_later), h_block, 0.0, grad_input=g_block)


def _weight_grad(g, h, mask, out=None) -> torch.Tensor:
    """The masked weight gradient ``(K, R, T)`` from pre-activation gradients and activations."""
    return torch.bmm(g, h.transpose(1, 2), out=out).mul_(mask)


def _bias_grad(g, bias_mask, out=None) -> torch.Tensor:
    """The masked bias gradient ``(K, R)`` from the pre-activation gradients ``(K, R, B)``."""
    return torch.sum(g, 2, out=out).mul_(bias_mask)


class _Forward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, packed):
        buf = packed.buffers(x.shape[1])
        torch.sub(x.transpose(1, 2), packed.input_mean[:, None], out=buf.h_input)
        buf.h_input.div_(packed.input_std[:, None])
        logits = _layers_forward(buf).transpose(1, 2)
        if any(ctx.needs_input_grad):
            buf.owner = weakref.ref(ctx)  # busy until the graph is gone
        # should a pass ever write into a buffer a graph still holds, autograd's version
        # check refuses that graph's backward instead of computing a wrong one
        ctx.save_for_backward(buf.h)
        ctx.buf, ctx.packed = buf, packed
        return logits

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_logits):
        (h,) = ctx.saved_tensors
        buf, packed = ctx.buf, ctx.packed
        buf.g_output.copy_(grad_logits.transpose(1, 2))
        _layers_backward(buf)
        g = buf.g
        grad_w = grad_b = grad_x = None
        if ctx.needs_input_grad[1]:
            grad_w = _weight_grad(g, h, packed.mask)
        if ctx.needs_input_grad[2]:
            grad_b = _bias_grad(g, packed.bias_mask)
        if ctx.needs_input_grad[0]:
            grad_x = torch.bmm(buf.g_hidden.transpose(1, 2), buf.w_input).div_(packed.input_std)
        return grad_x, grad_w, grad_b, None


class PackedStack(nn.Module):
    """The K models of a union stack as one ``(K, R, T)`` weight matrix (module docstring).

    Built from a union (:func:`graphprior.nets.union.union_of`); ``forward``
    takes ``(B, *input_shape)`` or ``(K, B, *input_shape)`` inputs in [0, 1]
    and returns the union's logits ``(K, B, n_classes)``, as the union's own
    forward pass does up to the order of floating-point sums. Gradients reach
    the weights, the biases and the input (attacks); a second derivative is
    refused. Under a :class:`torch.overrides.TorchFunctionMode` (the attacks'
    smooth-ReLU surrogate) the pass is composed of standard operations instead.
    """

    #: batch sizes whose buffers the pool keeps
    POOL_SIZES = 8

    def __init__(self, union: StackedNet):
        super().__init__()
        if union.bias_mask(0) is None:
            raise ValueError(
                "a packed stack is built from a union (union_of), which has bias masks"
            )
        layout = _layout(union)
        device = union.input_mean.device
        shape = (union.k, layout.rows, layout.cols)
        dtype = union.weights[0].dtype
        weight = torch.zeros(shape, device=device, dtype=dtype)
        mask = torch.zeros(shape, device=device, dtype=dtype)
        with torch.no_grad():
            for i, (rows, cols) in enumerate(layout.blocks()):
                weight[:, rows, cols] = union.weights[i] * union.mask(i)
                mask[:, rows, cols] = union.mask(i)
            bias_mask = torch.cat([union.bias_mask(i) for i in range(union.n_layers)], dim=1)
            bias = torch.cat(list(union.biases), dim=1) * bias_mask
        self._hold(layout, union.spec, (weight, bias, mask, bias_mask), union)

    def _hold(
        self, layout: _Layout, spec: NetSpec, tensors: tuple[torch.Tensor, ...], norm: nn.Module
    ) -> None:
        weight, bias, mask, bias_mask = (t.contiguous() for t in tensors)
        self.layout = layout
        self.k = weight.shape[0]
        self.spec: NetSpec = spec
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(bias)
        self.register_buffer("mask", mask)
        self.register_buffer("bias_mask", bias_mask)
        self.register_buffer("input_mean", norm.input_mean.clone())
        self.register_buffer("input_std", norm.input_std.clone())
        self._pool: OrderedDict[int, list[_Buffers]] = OrderedDict()

    def select(self, idx: list[int] | int) -> PackedStack:
        """A new packed stack holding copies of the models ``idx`` (as ``StackedNet.select``)."""
        idx = [idx] if isinstance(idx, int) else list(idx)
        out = PackedStack.__new__(PackedStack)
        nn.Module.__init__(out)
        with torch.no_grad():
            tensors = (self.weight[idx], self.bias[idx], self.mask[idx], self.bias_mask[idx])
        out._hold(self.layout, self.spec, tensors, self)
        out.train(self.training)
        return out

    def buffers(self, batch: int) -> _Buffers:
        """Free buffers for a batch of ``batch`` inputs.

        A buffer is busy while the autograd graph of the pass that wrote it
        exists (its backward pass reads it); a busy buffer is never handed out
        again, so interleaved passes (two forward passes, then the first
        backward) are correct. Buffers are made on first use and remade after
        the parameters move; the pool keeps the :data:`POOL_SIZES` batch sizes
        used last.
        """
        w = self.weight
        key = (w.data_ptr(), self.bias.data_ptr(), w.device, w.dtype)
        pool = [b for b in self._pool.pop(batch, []) if b.key == key]
        self._pool[batch] = pool
        while len(self._pool) > self.POOL_SIZES:
            self._pool.popitem(last=False)
        for buf in pool:
            if buf.free():
                return buf
        pool.append(_Buffers(self, batch))
        return pool[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nd = len(self.spec.input_shape)
        if x.dim() == nd + 1:
            x = x.unsqueeze(0).expand(self.k, *x.shape)
        elif x.dim() != nd + 2 or x.shape[0] != self.k:
            raise ValueError(
                f"expected input (B, {self.spec.input_shape}) or (K={self.k}, B, ...), "
                f"got {tuple(x.shape)}"
            )
        x = x.reshape(self.k, x.shape[1], self.layout.d)
        if torch.overrides._is_torch_function_mode_enabled():
            return self._forward_composed(x)
        return _Forward.apply(x, self.weight, self.bias, self)

    def _forward_composed(self, x: torch.Tensor) -> torch.Tensor:
        """The same logits from standard operations, differentiated by autograd.

        Under a :class:`torch.overrides.TorchFunctionMode` the mode must see
        every operation, each ReLU included (the attacks' softplus surrogate,
        ``graphprior.robustness.smooth``, replaces ``torch.relu``'s backward
        this way); the written-out pass would hide them.
        """
        lay = self.layout
        w = self.weight * self.mask
        b = (self.bias * self.bias_mask).unsqueeze(1)
        blocks = [(x - self.input_mean) / self.input_std]
        for r0, r1, c in lay.hidden:
            h = torch.cat(blocks, dim=-1)
            blocks.append(torch.relu(torch.baddbmm(b[..., r0:r1], h, w[:, r0:r1, :c].mT)))
        out = lay.out_row
        h = torch.cat(blocks[1:], dim=-1)
        return torch.baddbmm(b[..., out:], h, w[:, out:, lay.d :].mT)

    @torch.no_grad()
    def apply_masks(self) -> None:
        """Zero every masked weight and the bias of every padded neuron, in place."""
        self.weight.mul_(self.mask)
        self.bias.mul_(self.bias_mask)

    @torch.no_grad()
    def write_back(self, union: StackedNet) -> None:
        """Copy the weights and biases into ``union`` (the stack this one was built from)."""
        if _layout(union) != self.layout or union.k != self.k:
            raise ValueError("write_back needs the union this packed stack was built from")
        start = 0
        for i, (rows, cols) in enumerate(self.layout.blocks()):
            union.weights[i].copy_(self.weight[:, rows, cols])
            width = union.biases[i].shape[1]
            union.biases[i].copy_(self.bias[:, start : start + width])
            start += width


class PackedSteps:
    """Cross-entropy training steps of a packed stack, the gradients written out without autograd.

    ``loss(idx)`` runs the forward pass of mini-batches ``idx`` (``(K, B)``
    indices into the training set, one row per model) and returns each model's
    mean cross-entropy; ``backward(alive)`` then writes the gradient of the sum
    of the ``alive`` models' losses into ``weight.grad`` and ``bias.grad`` (for
    the optimiser's ``step``): the logits' gradient is ``(softmax - one-hot) / B``
    per model, then the written-out backward pass of :class:`PackedStack`. These
    are the loss and gradients of the autograd step (``tests/unit/test_packed.py``),
    without the autograd graph, the loss's own backward kernels and a gradient
    allocation per step. The training inputs are standardised once, so a batch
    is one ``index_select`` of rows, copied into the feature-major input slab.
    Chosen over the autograd step for speed (docs/benchmarks.md, "Training
    many architectures as one union").
    """

    def __init__(self, packed: PackedStack, x: torch.Tensor, y: torch.Tensor):
        flat = x.reshape(len(x), -1).to(packed.weight.dtype)
        self.packed = packed
        self.x = (flat - packed.input_mean) / packed.input_std
        self.y = y
        self._state: tuple[_Buffers, torch.Tensor, torch.Tensor] | None = None
        # written in place every step
        self._grads = (torch.empty_like(packed.weight), torch.empty_like(packed.bias))

    @torch.no_grad()
    def loss(self, idx: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy ``(K,)`` of model ``k`` on the training samples ``idx[k]``."""
        packed = self.packed
        k, batch = idx.shape
        buf = packed.buffers(batch)
        rows = self.x.index_select(0, idx.reshape(-1)).view(k, batch, packed.layout.d)
        buf.h_input.copy_(rows.transpose(1, 2))
        logp = torch.log_softmax(_layers_forward(buf), dim=1)  # (K, C, B)
        y = self.y[idx].unsqueeze(1)  # (K, 1, B)
        self._state = (buf, logp, y)
        return -logp.gather(1, y).mean((1, 2))

    @torch.no_grad()
    def backward(self, alive: torch.Tensor) -> None:
        """The gradient of the ``alive`` models' summed losses of the last ``loss`` call."""
        if self._state is None:
            raise RuntimeError("PackedSteps.backward needs a loss() call first")
        buf, logp, y = self._state
        self._state = None
        packed = self.packed
        grad_w, grad_b = self._grads
        g_out = buf.g_output
        torch.exp(logp, out=g_out)  # softmax
        g_out.scatter_(1, y, g_out.gather(1, y) - 1.0)
        g_out.mul_((alive.to(g_out.dtype) / y.shape[2])[:, None, None])
        _layers_backward(buf)
        _weight_grad(buf.g, buf.h, packed.mask, out=grad_w)
        _bias_grad(buf.g, packed.bias_mask, out=grad_b)
        packed.weight.grad, packed.bias.grad = grad_w, grad_b
