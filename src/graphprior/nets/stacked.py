"""Layered masked networks, stacked so that K models train as one.

A network is a sequence of *blocks*: block 0 is the (normalised, flattened)
input, block ``i`` (1-based) is hidden layer ``i - 1``. Each hidden layer and
the output layer read a concatenation of earlier blocks through a masked
weight matrix. A graph net (:func:`graphprior.graphs.netspec.spec_from_dag`)
and a pruned dense net (:mod:`graphprior.nets.baselines`) are the same object
with different masks, so both go through the same training, attacks and
measures.

All K models of one job share the architecture (the list of blocks each layer
reads) and are stored as stacked tensors of shape ``(K, out, in)``; forward
passes use one batched matmul per layer. Masks are non-trainable buffers of the
same shape (per model, because pruned baselines differ between seeds); masked
weights are multiplied by zero in the forward pass and kept exactly zero in the
stored tensors (:meth:`StackedNet.apply_masks`). A stack may also carry
per-neuron *bias masks* (:meth:`StackedNet.set_bias_masks`): the padded
neurons of a union of stacks (:mod:`graphprior.nets.union`) keep a zero bias.
Plain stacks have none, so their checkpoints are unchanged. Initialisation lives in
:mod:`graphprior.nets.inits`, checkpoints in :mod:`graphprior.nets.checkpoints`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from graphprior.graphs.netspec import NetSpec

__all__ = ["StackedNet", "SingleNet", "cross_entropy_per_sample", "softmax_classes"]


def cross_entropy_per_sample(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-sample cross-entropy ``(K, B)`` from logits ``(K, B, C)`` and labels ``(K, B)``.

    Taken over dimension 1 of the ``(K, C, B)`` view, where PyTorch's CPU
    log-softmax is several times faster than over a last dimension of a few
    classes (docs/benchmarks.md, "Settled experiments"); the value is the same.
    """
    return F.cross_entropy(logits.transpose(1, 2), y, reduction="none")


def softmax_classes(logits: torch.Tensor) -> torch.Tensor:
    """Softmax over the last (class) dimension, taken on the transposed view (as above)."""
    return torch.softmax(logits.transpose(-1, -2), dim=-2).transpose(-1, -2)


class StackedNet(nn.Module):
    """K layered masked ReLU networks with one architecture, evaluated together.

    ``forward(x)`` takes ``x`` of shape ``(B, *input_shape)`` (the same batch
    for every model) or ``(K, B, *input_shape)`` (one batch per model) with
    values in [0, 1], and returns logits of shape ``(K, B, n_classes)``.
    Input standardisation lives inside the model (buffers ``input_mean`` and
    ``input_std``), so attacks work in the [0, 1] pixel box.
    """

    def __init__(self, spec: NetSpec, k: int = 1):
        super().__init__()
        self.spec = spec
        self.k = k
        widths = spec.block_widths()
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for i, layer in enumerate([*spec.hidden, spec.output]):
            n_in = sum(widths[b] for b in layer.inputs)
            self.weights.append(nn.Parameter(torch.zeros(k, layer.width, n_in)))
            self.biases.append(nn.Parameter(torch.zeros(k, layer.width)))
            mask = torch.as_tensor(layer.mask, dtype=torch.float32)
            self.register_buffer(f"mask{i}", mask.unsqueeze(0).repeat(k, 1, 1).contiguous())
        self.register_buffer("input_mean", torch.zeros(spec.input_dim))
        self.register_buffer("input_std", torch.ones(spec.input_dim))
        # read on every forward pass: computed once (attribute lookups on a Module are slow)
        layers = [*spec.hidden, spec.output]
        self._inputs = [list(layer.inputs) for layer in layers]
        self._input_dim = spec.input_dim
        self._readers = [i for i, ins in enumerate(self._inputs) if ins[:1] == [0]]
        self._reader_widths = [layers[i].width for i in self._readers]
        self._bias_masked = False

    @property
    def n_layers(self) -> int:
        """Hidden layers plus the output layer."""
        return len(self.spec.hidden) + 1

    def mask(self, i: int) -> torch.Tensor:
        """Mask buffer of layer ``i`` (hidden layers, then the output layer), shape (K, out, in)."""
        return getattr(self, f"mask{i}")

    def masks(self) -> list[torch.Tensor]:
        """The mask buffers of every layer."""
        return [self.mask(i) for i in range(self.n_layers)]

    def layer_inputs(self, i: int) -> list[int]:
        """The blocks layer ``i`` reads, in column order of its weight matrix."""
        return self._inputs[i]

    def bias_mask(self, i: int) -> torch.Tensor | None:
        """Bias mask of layer ``i``, shape (K, out), or None when every neuron is real."""
        return getattr(self, f"bias_mask{i}") if self._bias_masked else None

    def set_bias_masks(self, masks: list[torch.Tensor]) -> None:
        """Give every layer a per-model bias mask (1: a real neuron, 0: padding).

        Used by unions of stacks with different architectures
        (:mod:`graphprior.nets.union`), whose padded neurons must keep a zero
        bias. The buffers ``bias_mask{i}`` exist only after this call, so the
        state dict (and every checkpoint) of a plain stack is unchanged.
        """
        if len(masks) != self.n_layers:
            raise ValueError(f"need {self.n_layers} bias masks, got {len(masks)}")
        for i, m in enumerate(masks):
            if tuple(m.shape) != tuple(self.biases[i].shape):
                raise ValueError(
                    f"bias mask {i}: shape {tuple(m.shape)} != {tuple(self.biases[i].shape)}"
                )
            self.register_buffer(f"bias_mask{i}", m.to(self.biases[i]).contiguous())
        self._bias_masked = True
        self.apply_masks()

    def set_normalisation(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Set the input standardisation buffers (std clamped at 1e-3)."""
        self.input_mean.copy_(mean.reshape(-1))
        self.input_std.copy_(std.reshape(-1).clamp_min(1e-3))

    @torch.no_grad()
    def apply_masks(self) -> None:
        """Zero every masked weight (and masked bias) in place (after init and optimiser steps)."""
        for i, w in enumerate(self.weights):
            w.mul_(self.mask(i))
            bm = self.bias_mask(i)
            if bm is not None:
                self.biases[i].mul_(bm)

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        nd = len(self.spec.input_shape)
        if x.dim() == nd + 1:
            x = x.unsqueeze(0).expand(self.k, *x.shape)
        elif x.dim() != nd + 2 or x.shape[0] != self.k:
            raise ValueError(
                f"expected input (B, {self.spec.input_shape}) or (K={self.k}, B, ...), got {tuple(x.shape)}"
            )
        x = x.reshape(self.k, x.shape[1], -1)
        return (x - self.input_mean) / self.input_std

    def _masked_weights(self, weights: list[torch.Tensor] | None) -> list[torch.Tensor]:
        ws = list(self.weights) if weights is None else weights
        return [w * self.mask(i) for i, w in enumerate(ws)]

    def _input_terms(self, x: torch.Tensor, masked: list[torch.Tensor]) -> dict[int, torch.Tensor]:
        """The input's contribution to every layer that reads it, from one batched matmul.

        With ``input_wiring: all`` every hidden layer reads the input; one
        matmul over the stacked input columns replaces a concatenation of the
        input with the hidden blocks in every layer (the dominant cost of a
        step for these small nets).
        """
        readers = self._readers
        if len(readers) < 2:
            return {}
        d = self._input_dim
        w_in = torch.cat([masked[i][..., :d] for i in readers], dim=1)
        terms = torch.bmm(x, w_in.transpose(1, 2)).split(self._reader_widths, -1)
        return dict(zip(readers, terms, strict=True))

    def _biases(self) -> list[torch.Tensor]:
        """Every layer's bias (times its bias mask in a union), shape (K, 1, out)."""
        biases = list(self.biases)
        if self._bias_masked:
            biases = [b * self.bias_mask(i) for i, b in enumerate(biases)]
        return [b.unsqueeze(1) for b in biases]

    def _layer(
        self,
        i: int,
        blocks: list[torch.Tensor],
        masked: torch.Tensor,
        bias: torch.Tensor,
        input_term: torch.Tensor | None,
    ) -> torch.Tensor:
        ins = self._inputs[i]
        if input_term is not None:  # the input's part is precomputed; add the hidden blocks
            acc = input_term + bias
            if len(ins) == 1:
                return acc
            ins, masked = ins[1:], masked[..., self._input_dim :]
            bias = acc
        h = blocks[ins[0]] if len(ins) == 1 else torch.cat([blocks[b] for b in ins], dim=-1)
        return torch.baddbmm(bias, h, masked.transpose(1, 2))

    def forward_blocks(
        self, x: torch.Tensor, weights: list[torch.Tensor] | None = None
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """All block activations (input, hidden layers) and the logits.

        ``weights`` optionally replaces the weight tensors (used by the
        weight-perturbation measures); masks still apply.
        """
        blocks = [self._prepare(x)]
        masked = self._masked_weights(weights)
        biases = self._biases()
        terms = self._input_terms(blocks[0], masked)
        n = len(self.spec.hidden)
        for i in range(n):
            blocks.append(torch.relu(self._layer(i, blocks, masked[i], biases[i], terms.get(i))))
        return blocks, self._layer(n, blocks, masked[n], biases[n], terms.get(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_blocks(x)[1]

    def readout_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Penultimate features (the neurons the classifier reads) and the logits.

        Returns ``(features (K, B, F), logits)``; the matching classifier
        weights are :meth:`readout_weights`.
        """
        blocks, logits = self.forward_blocks(x)
        ins = self.layer_inputs(self.n_layers - 1)
        h = torch.cat([blocks[b] for b in ins], dim=-1)
        cols = self.readout_columns()
        return h[..., cols], logits

    def readout_columns(self) -> torch.Tensor:
        """Indices of the output layer's input columns that carry a weight in any model.

        Models of a pruned baseline have different classifier masks; the union
        keeps every model's features, and :meth:`readout_weights` holds zeros
        where a model has no weight, so ``features @ weights.T + bias`` equals
        each model's logits.
        """
        m = self.mask(self.n_layers - 1)
        return torch.nonzero(m.any(dim=1).any(dim=0)).flatten()

    def readout_weights(self) -> torch.Tensor:
        """Classifier weights restricted to the readout features, shape (K, C, F)."""
        w = self.weights[-1] * self.mask(self.n_layers - 1)
        return w[..., self.readout_columns()]

    def n_params(self) -> torch.Tensor:
        """Effective parameter count per model: unmasked weights plus biases (real neurons)."""
        total = torch.zeros(self.k, dtype=torch.long, device=self.input_mean.device)
        for i, b in enumerate(self.biases):
            bm = self.bias_mask(i)
            n_bias = b.shape[1] if bm is None else bm.sum(1).long()
            total += self.mask(i).flatten(1).sum(1).long() + n_bias
        return total

    def density(self) -> torch.Tensor:
        """Share of weights present among all weights the layer blocks could hold.

        Of a union of stacks (:mod:`graphprior.nets.union`) this describes the
        padded union architecture, not any model's own: records come from the
        split stacks.
        """
        present = sum(self.mask(i).flatten(1).sum(1) for i in range(self.n_layers))
        possible = sum(self.mask(i)[0].numel() for i in range(self.n_layers))
        return present / possible

    def matched_density(self) -> torch.Tensor:
        """Present weights over the weights of the dense net of the same shape, per model.

        The reference is :meth:`NetSpec.dense_weight_count
        <graphprior.graphs.netspec.NetSpec.dense_weight_count>`: hidden widths
        kept, every layer reading only the previous one. Equals
        :meth:`density` for a (pruned) dense net; a graph net with skip
        connections or a readout from several layers can exceed 1.
        """
        present = sum(self.mask(i).flatten(1).sum(1) for i in range(self.n_layers))
        return present / self.spec.dense_weight_count()

    def select(self, idx: list[int] | int) -> StackedNet:
        """A new StackedNet holding copies of the models ``idx``."""
        idx = [idx] if isinstance(idx, int) else list(idx)
        out = StackedNet(self.spec, k=len(idx)).to(self.input_mean.device)
        if self.bias_mask(0) is not None:
            out.set_bias_masks([self.bias_mask(i)[idx] for i in range(self.n_layers)])
        sd = {}
        for name, t in self.state_dict().items():
            sd[name] = t if name.startswith("input_") else t[idx].clone()
        out.load_state_dict(sd)
        return out


class SingleNet(nn.Module):
    """One model of a stack, with the usual ``(B, …) → (B, C)`` interface."""

    def __init__(self, net: StackedNet):
        super().__init__()
        if net.k != 1:
            raise ValueError("SingleNet wraps a stack of exactly one model")
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[0]
