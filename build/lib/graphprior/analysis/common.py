"""Small helpers shared by the statistics modules of :mod:`graphprior.analysis`.

Column checks, the ``status == "ok"`` filter, random generators and the
constant-column test. Nothing here knows about a particular statistic.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["unique", "require_columns", "ok_rows", "as_rng", "is_constant", "clip_r"]

logger = logging.getLogger(__name__)


def unique(names: Iterable[str]) -> list[str]:
    """Names in first-seen order without repeats."""
    return list(dict.fromkeys(names))


def require_columns(df: pd.DataFrame, cols: Iterable[str]) -> None:
    """Raise ``KeyError`` naming every column of `cols` that `df` lacks."""
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in the table: {missing}")


def ok_rows(study: pd.DataFrame, ok_only: bool) -> pd.DataFrame:
    """Keep models with ``status == "ok"`` (docs/report.md), logging how many were dropped."""
    if not ok_only or "status" not in study.columns:
        return study
    keep = study["status"] == "ok"
    n_dropped = int((~keep).sum())
    if n_dropped:
        logger.info(
            "excluding %d of %d models with status != 'ok' (%s)",
            n_dropped,
            len(study),
            study.loc[~keep, "status"].value_counts().to_dict(),
        )
    return study.loc[keep]


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
