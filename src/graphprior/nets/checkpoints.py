"""Checkpoints: one safetensors file per model, and stacks built from them.

A checkpoint holds one model's weights, masks and input normalisation plus its
architecture (the :class:`~graphprior.graphs.netspec.NetSpec` as JSON) and
metadata; the format tag is :data:`FORMAT`. Loading never unpickles objects.
:func:`save_stack` writes every model of a trained stack (the one saving loop of
graph nets and baselines); :func:`stack_nets` joins loaded models of one
architecture into a stack again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from graphprior.graphs.netspec import LayerSpec, NetSpec
from graphprior.nets.stacked import SingleNet, StackedNet

__all__ = [
    "FORMAT",
    "load_model_row",
    "CheckpointError",
    "save_model",
    "save_stack",
    "load_stacked",
    "load_model",
    "stack_nets",
]

#: Format tag in the metadata of every checkpoint.
FORMAT = "graphprior-net-v1"


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated or not a graphprior model."""


def save_model(net: StackedNet, path: str | Path, metadata: dict | None = None) -> None:
    """Save a one-model stack as safetensors (weights, masks, normalisation, spec)."""
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


def save_stack(net: StackedNet, ids: list[str], out_dir: str | Path, metadata: dict) -> list[str]:
    """Save model ``k`` of a stack as ``{out_dir}/{ids[k]}.safetensors``; return the paths.

    Each file's metadata is ``{"model_id": ids[k], **metadata}`` (e.g. the
    graph id or the baseline group).
    """
    paths = []
    for k, mid in enumerate(ids):
        path = Path(out_dir) / f"{mid}.safetensors"
        save_model(net.select(k), path, {"model_id": mid, **metadata})
        paths.append(str(path))
    return paths


def load_stacked(path: str | Path) -> tuple[StackedNet, dict]:
    """Load a checkpoint as a one-model :class:`StackedNet` plus its metadata."""
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


def load_model_row(row: Mapping[str, Any], results: str | Path) -> nn.Module:
    """The model of one row of the `models` table (or of `study`), in eval mode.

    ``row["checkpoint"]`` is relative to the study's results folder the
    tables came from (``results/{study}``, whose ``tables/`` holds them), so a
    copied or moved folder still loads.
    """
    if "checkpoint" not in row or not row["checkpoint"]:
        raise CheckpointError("the row has no checkpoint (its training failed or was recorded)")
    return load_model(Path(results) / str(row["checkpoint"]))
