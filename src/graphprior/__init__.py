"""graphprior: does the wiring of a sparse neural network predict its robustness?

The public API is small and stable::

    from graphprior import load_config, load_dataset, load_model, load_model_row

Names resolve lazily (PEP 562), so ``import graphprior`` and importing a
torch-free layer (``graphprior.graphs``, ``graphprior.analysis``, ...) never
import PyTorch. The package's layers are described in ``docs/design.md``.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> module that defines it
_PUBLIC = {
    "load_config": "graphprior.graphs.selection",
    "load_dataset": "graphprior.data",
    "load_model": "graphprior.nets.checkpoints",
    "load_model_row": "graphprior.nets.checkpoints",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name == "load_config":
        return importlib.import_module(_PUBLIC[name]).load_study
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'graphprior' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
