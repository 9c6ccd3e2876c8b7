"""The long-format row every attack and measure returns: one per model of a stack."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = ["RobustnessRow", "model_rows"]


@dataclass(frozen=True)
class RobustnessRow:
    """One row of the ``robustness`` table, before the model index becomes a model id.

    ``eps`` is NaN where no single budget applies, ``norm`` is "none" for
    budget-free measures, ``layer`` is the hidden-layer index of layerwise
    measures (else None) and ``n`` counts the samples behind ``value``.
    """

    model_index: int
    measure: str
    attack: str
    norm: str
    eps: float
    layer: int | None
    value: float
    n: int

    def as_dict(self) -> dict[str, Any]:
        """The row as a dict, keys in the table's column order."""
        return {
            "model_index": self.model_index,
            "measure": self.measure,
            "attack": self.attack,
            "norm": self.norm,
            "eps": self.eps,
            "layer": self.layer,
            "value": self.value,
            "n": self.n,
        }


def _as_numpy(values: Any, dtype: Any = None) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=dtype)


def model_rows(
    measure: str,
    attack: str,
    norm: str,
    eps: float,
    values: Any,
    n: Any,
    *,
    k: int | None = None,
    layer: int | None = None,
) -> list[dict[str, Any]]:
    """One row dict per model, model 0 first.

    ``values`` and ``n`` are scalars or per-model sequences / tensors of shape
    ``(K,)``; scalars are repeated for every model, ``k`` gives K where
    ``values`` is a scalar (else ``len(values)``).
    """
    v = _as_numpy(values, np.float64)
    k = int(v.shape[0]) if k is None else k
    v = np.broadcast_to(v, (k,))
    counts = np.broadcast_to(_as_numpy(n), (k,))
    return [
        RobustnessRow(
            i, measure, attack, norm, float(eps), layer, float(v[i]), int(counts[i])
        ).as_dict()
        for i in range(k)
    ]
