"""Multiple testing: Benjamini–Hochberg q-values and Holm-adjusted p-values, by statsmodels.

Both keep NaN entries in place and leave them out of the family: a test
that could not be run does not count towards the number of tests.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from statsmodels.stats.multitest import multipletests

__all__ = ["adjusted_pvalues", "bh_qvalues", "holm_qvalues"]


def bh_qvalues(pvalues: Any) -> np.ndarray:
    """Benjamini–Hochberg q-values (adjusted p-values), NaN kept in place.

    The family is every non-NaN entry of `pvalues`; NaN entries stay NaN and
    do not count towards the number of tests. Computed by
    ``statsmodels.stats.multitest.multipletests(method="fdr_bh")``.

    Parameters
    ----------
    pvalues : array_like
        p-values of one family of tests.

    Returns
    -------
    ndarray
        q-values, same shape as `pvalues`.

    Examples
    --------
    >>> bh_qvalues([0.01, np.nan, 0.04, 0.03]).round(3).tolist()
    [0.03, nan, 0.04, 0.04]
    """
    return adjusted_pvalues(pvalues, "fdr_bh")


def adjusted_pvalues(pvalues: Any, method: str) -> np.ndarray:
    """statsmodels' ``multipletests(method=...)`` over the non-NaN entries (NaN kept)."""
    p = np.asarray(pvalues, dtype=float)
    q = np.full(p.shape, np.nan)
    present = ~np.isnan(p)
    if present.any():
        q[present] = multipletests(p[present], method=method)[1]
    return q


def holm_qvalues(pvalues: Any) -> np.ndarray:
    """Holm-adjusted p-values over the non-NaN entries (NaN kept), by statsmodels.

    >>> holm_qvalues([0.01, np.nan, 0.04]).round(3).tolist()
    [0.02, nan, 0.04]
    """
    return adjusted_pvalues(pvalues, "holm")
