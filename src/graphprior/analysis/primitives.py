"""Small helpers shared by the statistics modules of :mod:`graphprior.analysis`.

Column checks, random generators and the constant-column test. Nothing here
knows about a particular statistic or about this study.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["unique", "require_columns", "as_rng", "is_constant", "clip_r"]

logger = logging.getLogger(__name__)


def unique(names: Iterable[str]) -> list[str]:
    """Names in first-seen order without repeats."""
    return list(dict.fromkeys(names))


def require_columns(df: pd.DataFrame, cols: Iterable[str]) -> None:
    """Raise ``KeyError`` naming every column of `cols` that `df` lacks."""
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in the table: {missing}")


def as_rng(rng: np.random.Generator | int) -> np.random.Generator:
    """`rng` itself, or a new generator seeded with it when it is an int."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def is_constant(values: np.ndarray) -> bool:
    """True when the finite entries of `values` are all equal (or there are none)."""
    finite = values[np.isfinite(values)]
    return finite.size == 0 or bool(finite.min() == finite.max())


def clip_r(r: np.ndarray) -> np.ndarray:
    """Clip correlations into [-1, 1] (rounding can overshoot)."""
    return np.clip(r, -1.0, 1.0)
