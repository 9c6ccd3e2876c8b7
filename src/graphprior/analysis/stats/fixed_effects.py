"""Stratum fixed effects for correlations pooled over strata: aligned values.

Pooling graphs of different sizes into one correlation mixes the contrast
between sizes (denser, more parameters, deeper) into every pair. Aligning
each variable within its stratum — subtracting the stratum's mean — removes
every stratum's level, so a pooled coefficient compares graphs of one size
only: Pearson r of aligned values is the within-stratum (fixed-effects)
correlation, and Spearman and Kendall of aligned values are the aligned-rank
statistics of Hodges and Lehmann (1962, "Rank methods for combination of
independent experiments in analysis of variance").
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["align_within_strata"]


def align_within_strata(frame: pd.DataFrame, columns: Sequence[str], stratum: str) -> pd.DataFrame:
    """A copy of `frame` with each of `columns` centred on its mean within `stratum`.

    Examples
    --------
    >>> df = pd.DataFrame({"s": ["a", "a", "b", "b"], "x": [1.0, 3.0, 10.0, 14.0]})
    >>> align_within_strata(df, ["x"], "s")["x"].tolist()
    [-1.0, 1.0, -2.0, 2.0]
    """
    out = frame.copy()
    cols = [c for c in dict.fromkeys(columns) if c in out.columns]
    if not cols:
        return out
    values = out[cols].apply(pd.to_numeric, errors="coerce")
    out[cols] = values - values.groupby(out[stratum]).transform("mean")
    return out
