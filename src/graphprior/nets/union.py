"""One padded stack from stacks of different architectures, and back.

A :class:`~graphprior.nets.stacked.StackedNet` batches K models of ONE
architecture. A job that trains one graph under several mappings (orientations,
input wirings, readouts) has several small stacks, and each training step then
pays the per-layer kernel and Python overhead once per stack. :func:`union_of`
pads them into one stack of the *union architecture*:

- hidden layer ``l`` of the union is as wide as the widest layer ``l`` of the
  parts (a part with fewer layers has no neuron there);
- every union hidden layer reads every earlier block (the input and all earlier
  hidden layers), the output layer reads every hidden layer;
- model ``k`` of a part puts its neurons of layer ``l`` in the first rows of
  union layer ``l``; its masks and weights are placed at the union columns of
  the blocks it really reads; every other row and column is masked out;
- padded neurons have all-zero masks in and out and a zero bias mask
  (:meth:`StackedNet.set_bias_masks`), so their activation is exactly zero and
  no gradient reaches them.

Each model's logits therefore equal its part's up to the order of floating-point
sums, and training the union is training every part: the loss of a stack is the
sum of per-model losses and Adam/SGD act element-wise. :func:`split` copies the
weights back into stacks of the original architectures. :func:`train_many`
trains a union in its packed form (:class:`~graphprior.nets.packed.PackedStack`:
the same weights in one matrix, the backward pass written out), which takes
about half the step time of the union through autograd.

The union's :meth:`~StackedNet.density` and :meth:`~StackedNet.matched_density`
describe the padded union architecture, not any model: records (``models``
rows) are always built from the split stacks. Inputs and classes must agree,
and so must the input standardisation (all stacks of a job share the data).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from graphprior.graphs.netspec import LayerSpec, NetSpec
from graphprior.nets.packed import PackedStack
from graphprior.nets.stacked import StackedNet
from graphprior.nets.train import ModelResult, TrainConfig, train_stack

__all__ = ["UnionPart", "union_of", "split", "copy_into", "train_many"]


@dataclass(frozen=True)
class UnionPart:
    """Where one stack lives inside a union.

    ``models`` are its rows of the union stack; for each of its layers (hidden
    layers, then the output), ``layers[i]`` is the union layer, ``rows[i]`` its
    width and ``cols[i]`` the union columns of its weight columns, in order.
    """

    spec: NetSpec
    models: slice
    layers: list[int]
    rows: list[int]
    cols: list[torch.Tensor]


def _union_spec(specs: list[NetSpec]) -> NetSpec:
    first = specs[0]
    for s in specs[1:]:
        if tuple(s.input_shape) != tuple(first.input_shape) or s.n_classes != first.n_classes:
            raise ValueError("a union needs one input shape and one class count")
    depth = max(len(s.hidden) for s in specs)
    widths = [
        max((s.hidden[li].width for s in specs if li < len(s.hidden)), default=0)
        for li in range(depth)
    ]
    if min(widths, default=1) == 0:
        raise ValueError("every union layer needs at least one neuron")
    block = [first.input_dim, *widths]
    hidden = [
        LayerSpec(w, list(range(li + 1)), np.zeros((w, sum(block[: li + 1])), dtype=bool))
        for li, w in enumerate(widths)
    ]
    out = LayerSpec(
        first.n_classes,
        list(range(1, depth + 1)),
        np.zeros((first.n_classes, sum(widths)), dtype=bool),
    )
    return NetSpec(tuple(first.input_shape), first.n_classes, hidden, out)


def _columns(spec: NetSpec, union: NetSpec, i: int, ui: int) -> torch.Tensor:
    """Union columns of layer ``i`` of ``spec`` (union layer ``ui``), in the part's column order."""
    layer = [*spec.hidden, spec.output][i]
    ulayer = [*union.hidden, union.output][ui]
    uwidths = union.block_widths()
    start = {}
    offset = 0
    for b in ulayer.inputs:
        start[b] = offset
        offset += uwidths[b]
    widths = spec.block_widths()
    cols = [torch.arange(start[b], start[b] + widths[b]) for b in layer.inputs]
    return torch.cat(cols) if cols else torch.zeros(0, dtype=torch.long)


def _check_normalisation(nets: list[StackedNet]) -> None:
    first = nets[0]
    for n in nets[1:]:
        same = torch.equal(n.input_mean, first.input_mean) and torch.equal(
            n.input_std, first.input_std
        )
        if not same:
            raise ValueError("stacks of a union must share the input normalisation")


def union_of(nets: list[StackedNet]) -> tuple[StackedNet, list[UnionPart]]:
    """Pad stacks of different architectures into one stack; return it and each stack's place.

    The union holds copies of every model's weights, biases and masks (models
    in the order of ``nets``) and the shared input normalisation, on the device
    of ``nets[0]``.
    """
    if not nets:
        raise ValueError("nothing to unite")
    if any(n.bias_mask(0) is not None for n in nets):
        raise ValueError("a union of unions is not supported: split them first")
    uspec = _union_spec([n.spec for n in nets])
    _check_normalisation(nets)
    device = nets[0].input_mean.device
    union = StackedNet(uspec, k=sum(n.k for n in nets)).to(device)
    union.input_mean.copy_(nets[0].input_mean)
    union.input_std.copy_(nets[0].input_std)
    n_union = union.n_layers
    bias_masks = [torch.zeros_like(b) for b in union.biases]
    parts = []
    start = 0
    with torch.no_grad():
        for i in range(n_union):
            union.mask(i).zero_()
        for net in nets:
            n_hidden = len(net.spec.hidden)
            layers = [*range(n_hidden), n_union - 1]
            models = slice(start, start + net.k)
            rows, cols = [], []
            for i, ui in enumerate(layers):
                r = net.weights[i].shape[1]
                c = _columns(net.spec, uspec, i, ui).to(device)
                union.mask(ui)[models, :r, c] = net.mask(i)
                union.weights[ui][models, :r, c] = net.weights[i]
                union.biases[ui][models, :r] = net.biases[i]
                bias_masks[ui][models, :r] = 1.0
                rows.append(r)
                cols.append(c)
            parts.append(UnionPart(net.spec, models, layers, rows, cols))
            start += net.k
    union.set_bias_masks(bias_masks)
    return union, parts


def _part_state(union: StackedNet, part: UnionPart) -> dict[str, torch.Tensor]:
    """The state dict of ``part``, cut out of the union."""
    m = part.models
    sd = {"input_mean": union.input_mean.clone(), "input_std": union.input_std.clone()}
    for i, (ui, r, c) in enumerate(zip(part.layers, part.rows, part.cols, strict=True)):
        sd[f"weights.{i}"] = union.weights[ui][m, :r][:, :, c].detach().clone()
        sd[f"biases.{i}"] = union.biases[ui][m, :r].detach().clone()
        sd[f"mask{i}"] = union.mask(ui)[m, :r][:, :, c].clone()
    return sd


def split(union: StackedNet, parts: list[UnionPart]) -> list[StackedNet]:
    """Stacks of the original architectures holding the union's current weights."""
    out = []
    for part in parts:
        net = StackedNet(part.spec, k=part.models.stop - part.models.start)
        net = net.to(union.input_mean.device)
        net.load_state_dict(_part_state(union, part))
        out.append(net)
    return out


def copy_into(union: StackedNet, parts: list[UnionPart], nets: list[StackedNet]) -> None:
    """Load the union's current weights back into the original stacks, in place."""
    for part, net in zip(parts, nets, strict=True):
        net.load_state_dict(_part_state(union, part))


def train_many(
    nets: list[StackedNet],
    data: dict[str, tuple[torch.Tensor, torch.Tensor]],
    seeds: list[list[int]],
    cfg: TrainConfig,
    progress: bool = True,
) -> tuple[list[list[ModelResult]], float]:
    """Train several stacks (any architectures) as one union; update each in place.

    The union trains in its packed form (:class:`~graphprior.nets.packed.PackedStack`),
    whose steps :func:`~graphprior.nets.train.train_stack` takes without autograd
    (:class:`~graphprior.nets.packed.PackedSteps`).

    ``seeds[j]`` holds one data seed per model of ``nets[j]``, as for
    :func:`~graphprior.nets.train.train_stack`, so every model sees the batch
    order and gets the checkpoint (best epoch per model) it would get trained
    alone. Returns the results per stack, in ``train_stack``'s format, and the
    training loop's wall seconds divided by the total number of models.
    """
    if len(seeds) != len(nets) or any(len(s) != n.k for s, n in zip(seeds, nets, strict=True)):
        raise ValueError("need one list of data seeds per stack, one seed per model")
    union, parts = union_of(nets)
    packed = PackedStack(union)
    flat = [int(s) for per_net in seeds for s in per_net]
    t0 = time.perf_counter()
    results = train_stack(packed, data, flat, cfg, progress=progress)
    seconds = (time.perf_counter() - t0) / union.k
    packed.write_back(union)
    copy_into(union, parts, nets)
    for net in nets:
        net.eval()
    return [results[p.models] for p in parts], seconds
