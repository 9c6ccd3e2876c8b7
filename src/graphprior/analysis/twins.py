"""Twin contrasts: does structure matter beyond the degree sequence?

Every original graph with a degree-preserving rewired twin forms a pair; for
each property and main measure the contrast is original − twin (twins of one
original averaged first), summarised over pairs by the median, a bootstrap
interval over pairs and the Wilcoxon signed-rank test
(:func:`graphprior.analysis.stats.bootstrap.paired_summary`). A degree-sequence
property (density, degree spread) has contrast 0 by construction.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from graphprior.analysis.stats.bootstrap import paired_summary

__all__ = ["TWIN_COLUMNS", "twin_pairs", "twin_contrasts"]

#: Columns of :func:`twin_contrasts`.
TWIN_COLUMNS: tuple[str, ...] = (
    "column",
    "kind",
    "n_pairs",
    "median_original",
    "median_twin",
    "median_difference",
    "ci_low",
    "ci_high",
    "p",
    "p_method",
)


def twin_pairs(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Aligned per-pair values of `columns`: (originals, twins averaged per original).

    `frame` has one row per graph with ``graph_id``, ``variant`` and
    ``parent_id``; originals without a twin in `frame` are left out.
    """
    cols = list(dict.fromkeys(columns))
    if not {"variant", "parent_id"} <= set(frame.columns):
        empty = pd.DataFrame(columns=cols)
        return empty, empty
    twins = frame.loc[(frame["variant"] != "original") & frame["parent_id"].notna()]
    twin_mean = twins.groupby("parent_id")[cols].mean()
    originals = frame.loc[frame["variant"] == "original"].set_index("graph_id")[cols]
    common = originals.index.intersection(twin_mean.index).sort_values()
    return originals.loc[common], twin_mean.loc[common]


def twin_contrasts(
    frame: pd.DataFrame,
    properties: Sequence[str],
    measures: Sequence[str],
    *,
    n_boot: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Per property and measure: median original − twin over pairs, interval, Wilcoxon p."""
    kinds = {c: "property" for c in properties} | {c: "measure" for c in measures}
    originals, twins = twin_pairs(frame, list(kinds))
    rows = []
    for column, kind in kinds.items():
        if originals.empty:
            break
        diff = (originals[column] - twins[column]).to_numpy(dtype=float)
        summ = paired_summary(diff, n_boot=n_boot, rng=rng)
        rows.append(
            {
                "column": column,
                "kind": kind,
                "n_pairs": summ.n,
                "median_original": float(originals[column].median()),
                "median_twin": float(twins[column].median()),
                "median_difference": summ.median,
                "ci_low": summ.ci_low,
                "ci_high": summ.ci_high,
                "p": summ.p,
                "p_method": summ.p_method,
            }
        )
    return pd.DataFrame(rows, columns=list(TWIN_COLUMNS))
