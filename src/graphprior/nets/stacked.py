"""Layered masked networks, stacked so that K models train as one.

A network is a sequence of *blocks*: block 0 is the (normalised, flattened)
input, block ``i`` (1-based) is hidden layer ``i - 1``. Each hidden layer and
the output layer read a concatenation of earlier blocks through a masked
weight matrix. A graph net (DESIGN §4) and a pruned dense net (DESIGN §6) are
the same object with different masks, so both go through the same training,
attacks and measures.

All K models of one job share the architecture (the list of blocks each layer
reads) and are stored as stacked tensors of shape ``(K, out, in)``; forward
passes use one batched matmul per layer. Masks are non-trainable buffers of the
same shape (per model, because pruned baselines differ between seeds); masked
weights are multiplied by zero in the forward pass and kept exactly zero in the
stored tensors (:meth:`StackedNet.apply_masks`).
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import torch
from torch import nn

from graphprior.config.choices import INITS, PAPER_INITS
from graphprior.graphs.netspec import (
    LayerSpec,
    NetSpec,
    dense_spec,
    spec_from_dag,
    spec_param_count,
)

__all__ = [
    "INITS",
    "PAPER_INITS",
    "LayerSpec",
    "NetSpec",
    "StackedNet",
    "SingleNet",
    "spec_from_dag",
    "dense_spec",
    "spec_param_count",
    "stack_nets",
    "load_stacked",
    "initialise",
    "save_model",
    "load_model",
    "CheckpointError",
]

log = logging.getLogger(__name__)

FORMAT = "graphprior-net-v1"


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

    @property
    def n_layers(self) -> int:
        """Hidden layers plus the output layer."""
        return len(self.spec.hidden) + 1

    def mask(self, i: int) -> torch.Tensor:
        return getattr(self, f"mask{i}")

    def masks(self) -> list[torch.Tensor]:
        return [self.mask(i) for i in range(self.n_layers)]

    def layer_inputs(self, i: int) -> list[int]:
        return ([*self.spec.hidden, self.spec.output])[i].inputs

    def set_normalisation(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.input_mean.copy_(mean.reshape(-1))
        self.input_std.copy_(std.reshape(-1).clamp_min(1e-3))

    @torch.no_grad()
    def apply_masks(self) -> None:
        """Zero every masked weight in place (after init and optimiser steps)."""
        for i, w in enumerate(self.weights):
            w.mul_(self.mask(i))

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

    def _layer(self, i: int, blocks: list[torch.Tensor], weight: torch.Tensor | None = None):
        ins = self.layer_inputs(i)
        h = blocks[ins[0]] if len(ins) == 1 else torch.cat([blocks[b] for b in ins], dim=-1)
        w = (self.weights[i] if weight is None else weight) * self.mask(i)
        return torch.baddbmm(self.biases[i].unsqueeze(1), h, w.transpose(1, 2))

    def forward_blocks(
        self, x: torch.Tensor, weights: list[torch.Tensor] | None = None
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """All block activations (input, hidden layers) and the logits.

        ``weights`` optionally replaces the weight tensors (used by the
        weight-perturbation measures); masks still apply.
        """
        blocks = [self._prepare(x)]
        n_hidden = len(self.spec.hidden)
        for i in range(n_hidden):
            w = None if weights is None else weights[i]
            blocks.append(torch.relu(self._layer(i, blocks, w)))
        w = None if weights is None else weights[n_hidden]
        return blocks, self._layer(n_hidden, blocks, w)

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
        """Effective parameter count per model: unmasked weights plus biases."""
        total = torch.zeros(self.k, dtype=torch.long, device=self.input_mean.device)
        for i, b in enumerate(self.biases):
            total += self.mask(i).flatten(1).sum(1).long() + b.shape[1]
        return total

    def density(self) -> torch.Tensor:
        """Share of weights present among all weights the layer blocks could hold."""
        present = sum(self.mask(i).flatten(1).sum(1) for i in range(self.n_layers))
        possible = sum(self.mask(i)[0].numel() for i in range(self.n_layers))
        return present / possible

    def select(self, idx: list[int] | int) -> StackedNet:
        """A new StackedNet holding copies of the models ``idx``."""
        idx = [idx] if isinstance(idx, int) else list(idx)
        out = StackedNet(self.spec, k=len(idx)).to(self.input_mean.device)
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


def _init_slice(w: torch.Tensor, mask: torch.Tensor, init: str, gen: torch.Generator) -> None:
    out_dim, in_dim = w.shape
    relu_gain = math.sqrt(2.0)
    if init == "xavier_normal":
        std = relu_gain * math.sqrt(2.0 / (in_dim + out_dim))
        w.normal_(0.0, std, generator=gen)
    elif init == "xavier_uniform":
        a = relu_gain * math.sqrt(6.0 / (in_dim + out_dim))
        w.uniform_(-a, a, generator=gen)
    elif init == "he_normal":
        w.normal_(0.0, relu_gain / math.sqrt(in_dim), generator=gen)
    elif init == "he_uniform":
        a = relu_gain * math.sqrt(3.0 / in_dim)
        w.uniform_(-a, a, generator=gen)
    elif init == "normal_0.1":
        w.normal_(0.0, 0.1, generator=gen)
    elif init == "uniform_0.1":
        w.uniform_(-0.1, 0.1, generator=gen)
    elif init == "he_fanin_corrected":
        fan_in = mask.sum(dim=1, keepdim=True).clamp_min(1.0)
        w.normal_(0.0, 1.0, generator=gen)
        w.mul_(relu_gain / fan_in.sqrt())
    else:
        raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")


@torch.no_grad()
def initialise(net: StackedNet, inits: list[str], seeds: list[int]) -> None:
    """Initialise model ``k`` of the stack with ``inits[k]`` drawn from ``seeds[k]``.

    The initialisation applies to every weight that feeds a hidden neuron
    (input → first layer and all hidden → hidden weights), with fans taken
    from the dense shape of the weight tensor as ``torch.nn.init`` would;
    ``he_fanin_corrected`` instead uses each neuron's real fan-in from its
    mask. The classifier uses PyTorch's ``nn.Linear`` default on its real
    fan-in, U(−1/√fan_in, 1/√fan_in); all biases start at zero.
    """
    if len(inits) != net.k or len(seeds) != net.k:
        raise ValueError(f"need {net.k} inits and seeds, got {len(inits)} and {len(seeds)}")
    out_i = net.n_layers - 1
    for k, (init, seed) in enumerate(zip(inits, seeds, strict=True)):
        gen = torch.Generator(device="cpu").manual_seed(int(seed))
        for i in range(net.n_layers):
            w = torch.empty(net.weights[i].shape[1:])
            mask = net.mask(i)[k].cpu()
            if i == out_i:
                fan_in = max(int(mask.any(dim=0).sum()), 1)
                bound = 1.0 / math.sqrt(fan_in)
                w.uniform_(-bound, bound, generator=gen)
            else:
                _init_slice(w, mask, init, gen)
            net.weights[i][k].copy_(w)
            net.biases[i][k].zero_()
    net.apply_masks()


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated or not a graphprior model."""


def save_model(net: StackedNet, path: str | Path, metadata: dict | None = None) -> None:
    """Save a one-model stack as safetensors (weights, masks, normalisation, spec)."""
    from safetensors.torch import save_file

    if net.k != 1:
        raise ValueError("save one model at a time: use net.select(k)")
    tensors = {name: t.detach().cpu().contiguous() for name, t in net.state_dict().items()}
    meta = {"format": FORMAT, "spec": net.spec.to_json()}
    meta.update({k: json.dumps(v) for k, v in (metadata or {}).items()})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata=meta)
    tmp.replace(path)


def load_stacked(path: str | Path) -> tuple[StackedNet, dict]:
    """Load a checkpoint as a one-model :class:`StackedNet` plus its metadata."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # safetensors raises several types for damaged files
        raise CheckpointError(f"corrupt or truncated checkpoint {path}: {exc}") from exc
    if meta.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not a graphprior checkpoint (format {meta.get('format')!r})"
        )
    raw = json.loads(meta["spec"])
    hidden = [
        LayerSpec(h["width"], h["inputs"], tensors[f"mask{i}"][0].numpy().astype(bool))
        for i, h in enumerate(raw["hidden"])
    ]
    n_h = len(hidden)
    out = LayerSpec(
        raw["output"]["width"],
        raw["output"]["inputs"],
        tensors[f"mask{n_h}"][0].numpy().astype(bool),
    )
    spec = NetSpec(tuple(raw["input_shape"]), raw["n_classes"], hidden, out)
    net = StackedNet(spec, k=1)
    try:
        net.load_state_dict(tensors)
    except RuntimeError as exc:
        raise CheckpointError(f"checkpoint {path} does not match its spec: {exc}") from exc
    extra = {k: json.loads(v) for k, v in meta.items() if k not in ("format", "spec")}
    return net.eval(), extra


def stack_nets(nets: list[StackedNet]) -> StackedNet:
    """Concatenate stacks with the same architecture into one (e.g. loaded checkpoints)."""
    if not nets:
        raise ValueError("nothing to stack")
    first = nets[0]
    widths = first.spec.to_json()
    for other in nets[1:]:
        if other.spec.to_json() != widths:
            raise ValueError("cannot stack models with different architectures")
    out = StackedNet(first.spec, k=sum(n.k for n in nets))
    sd = {}
    for name, t in first.state_dict().items():
        if name.startswith("input_"):
            sd[name] = t
        else:
            sd[name] = torch.cat([n.state_dict()[name] for n in nets], dim=0)
    out.load_state_dict(sd)
    return out.eval()


def load_model(path: str | Path) -> nn.Module:
    """Load one trained model in eval mode: ``(B, *input_shape)`` in [0, 1] → logits ``(B, C)``.

    The file is safetensors, so loading never unpickles objects.
    """
    net, _ = load_stacked(path)
    return SingleNet(net).eval()
