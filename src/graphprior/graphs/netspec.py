"""Network architectures as plain data (NumPy only, no PyTorch).

A :class:`NetSpec` lists, for every hidden layer and the output layer, its
width, the blocks it reads and its connectivity mask. Planning code (the
parameter filter, graph properties) builds specs without importing PyTorch;
:mod:`graphprior.nets.stacked` turns a spec into trainable stacked networks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from graphprior.graphs.dag import LayeredDAG

__all__ = [
    "LayerSpec",
    "NetSpec",
    "spec_from_dag",
    "removed_inputs",
    "dense_spec",
    "spec_param_count",
    "dense_weight_count",
]


@dataclass
class LayerSpec:
    """One layer: its width, the blocks it reads, and its connectivity mask.

    ``mask`` has shape ``(width, sum of widths of inputs)``, columns in the
    order of ``inputs``; a 1 is a weight, a 0 an absent connection.
    """

    width: int
    inputs: list[int]
    mask: np.ndarray


@dataclass
class NetSpec:
    """Architecture of a layered masked network (shared by the K stacked models)."""

    input_shape: tuple[int, ...]
    n_classes: int
    hidden: list[LayerSpec]
    output: LayerSpec

    @property
    def input_dim(self) -> int:
        return int(np.prod(self.input_shape))

    def block_widths(self) -> list[int]:
        return [self.input_dim] + [layer.width for layer in self.hidden]

    def dense_weight_count(self) -> int:
        """Weights of the dense net of the same shape (:func:`dense_weight_count`).

        The denominator of ``matched_density`` (docs/measures.md): the plain
        fully connected net with these hidden widths, each layer reading only
        the one before it.
        """
        return dense_weight_count(self.input_dim, [h.width for h in self.hidden], self.n_classes)

    def to_json(self) -> str:
        return json.dumps(
            {
                "input_shape": list(self.input_shape),
                "n_classes": self.n_classes,
                "hidden": [{"width": h.width, "inputs": h.inputs} for h in self.hidden],
                "output": {"width": self.output.width, "inputs": self.output.inputs},
            }
        )


def _check_spec(spec: NetSpec) -> None:
    widths = spec.block_widths()
    for i, layer in enumerate([*spec.hidden, spec.output]):
        n_in = sum(widths[b] for b in layer.inputs)
        if layer.mask.shape != (layer.width, n_in):
            raise ValueError(f"layer {i}: mask shape {layer.mask.shape} != {(layer.width, n_in)}")
        if any(b > i for b in layer.inputs) and i < len(spec.hidden):
            raise ValueError(f"layer {i} reads a later block: {layer.inputs}")


def spec_from_dag(layered: LayeredDAG, input_shape: tuple[int, ...], n_classes: int) -> NetSpec:
    """Build the network of a layered DAG: one ReLU neuron per node.

    Hidden layer ``l`` reads the input (rows of input nodes, dense but for the
    weights :func:`removed_inputs` takes out) and every
    earlier layer from which the DAG has an edge into layer ``l``; the output
    layer reads the readout nodes densely.
    """
    input_dim = int(np.prod(input_shape))
    layers = layered.layers
    input_set = set(layered.input_nodes)
    removed = removed_inputs(
        layered.input_nodes, input_dim, layered.input_weights_removed, layered.input_seed
    )
    hidden: list[LayerSpec] = []
    for _li, nodes in enumerate(layers):
        preds_by_layer: dict[int, list[tuple[int, int]]] = {}
        for row, v in enumerate(nodes):
            for u in layered.dag.predecessors(v):
                preds_by_layer.setdefault(layered.layer_of[u], []).append((row, u))
        reads_input = any(v in input_set for v in nodes)
        inputs = ([0] if reads_input else []) + [j + 1 for j in sorted(preds_by_layer)]
        widths = [input_dim if b == 0 else len(layers[b - 1]) for b in inputs]
        mask = np.zeros((len(nodes), sum(widths)), dtype=bool)
        offset = 0
        for b, w in zip(inputs, widths, strict=True):
            if b == 0:
                for row, v in enumerate(nodes):
                    if v in input_set:
                        mask[row, offset : offset + w] = True
                        mask[row, offset + removed.get(v, _NONE)] = False
            else:
                for row, u in preds_by_layer[b - 1]:
                    mask[row, offset + layered.position[u]] = True
            offset += w
        hidden.append(LayerSpec(width=len(nodes), inputs=inputs, mask=mask))
    readout = set(layered.readout_nodes)
    out_blocks = sorted({layered.layer_of[v] + 1 for v in readout})
    widths = [len(layers[b - 1]) for b in out_blocks]
    mask = np.zeros((n_classes, sum(widths)), dtype=bool)
    offset = 0
    for b, w in zip(out_blocks, widths, strict=True):
        for v in layers[b - 1]:
            if v in readout:
                mask[:, offset + layered.position[v]] = True
        offset += w
    spec = NetSpec(tuple(input_shape), n_classes, hidden, LayerSpec(n_classes, out_blocks, mask))
    _check_spec(spec)
    return spec


_NONE = np.zeros(0, dtype=np.int64)


def removed_inputs(
    input_nodes: list[int], input_dim: int, k: int, seed: int
) -> dict[int, np.ndarray]:
    """The `k` input weights a net loses (``mapping.hold_params_at``): node → input indices.

    Spread evenly: every input node loses ``k // len(input_nodes)`` weights
    and a seeded random choice of ``k % len(input_nodes)`` nodes one more;
    each node's inputs are a seeded uniform draw without replacement. The
    draw depends on the sorted nodes, `input_dim`, `k` and `seed` only.

    >>> r = removed_inputs([0, 1, 2], 8, 4, seed=0)
    >>> sorted(len(v) for v in r.values())
    [1, 1, 2]
    """
    if k == 0:
        return {}
    nodes = sorted(input_nodes)
    if not nodes or k > len(nodes) * input_dim:
        raise ValueError(
            f"cannot remove {k} input weights from {len(nodes)} input neurons of "
            f"{input_dim} inputs each (mapping.hold_params_at)"
        )
    rng = np.random.default_rng(seed)
    base, extra = divmod(k, len(nodes))
    more = set(rng.choice(len(nodes), size=extra, replace=False).tolist())
    return {
        v: np.sort(rng.choice(input_dim, size=base + (i in more), replace=False))
        for i, v in enumerate(nodes)
    }


def dense_spec(input_shape: tuple[int, ...], hidden_widths: list[int], n_classes: int) -> NetSpec:
    """A fully connected ReLU network ``input → h_1 → … → h_L → classes``."""
    input_dim = int(np.prod(input_shape))
    hidden = []
    prev = input_dim
    for i, w in enumerate(hidden_widths):
        hidden.append(LayerSpec(w, [i], np.ones((w, prev), dtype=bool)))
        prev = w
    out = LayerSpec(n_classes, [len(hidden_widths)], np.ones((n_classes, prev), dtype=bool))
    spec = NetSpec(tuple(input_shape), n_classes, hidden, out)
    _check_spec(spec)
    return spec


def dense_weight_count(input_dim: int, widths: list[int], n_classes: int) -> int:
    """Weights (no biases) of the net ``input → h_1 → … → h_L → classes``, fully connected.

    Only consecutive layers are connected, as in :func:`dense_spec`: this is
    the dense net a pruned baseline starts from, and the reference of
    ``matched_density`` for graph nets and baselines alike.

    >>> dense_weight_count(4, [2, 1], 3)  # 4·2 + 2·1 + 1·3
    13
    """
    dims = [int(input_dim), *(int(w) for w in widths), int(n_classes)]
    return int(sum(a * b for a, b in zip(dims[:-1], dims[1:], strict=True)))


def spec_param_count(spec: NetSpec) -> int:
    """Effective parameters of a spec: present weights plus one bias per neuron."""
    layers = [*spec.hidden, spec.output]
    return int(sum(int(layer.mask.sum()) + layer.width for layer in layers))
