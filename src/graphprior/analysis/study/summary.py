"""The ``graphs_summary`` table: each graph's main robustness measures, per mapping arm.

One row per (graph, arm, measure) over the graph's trainable graph nets: the
mean over its models, a 95 % t-interval of that mean (models as the sample),
how many models and how many test inputs per model stand behind it, with the
graph's generator, size stratum and twin pair, so that "the five most robust
graphs" is one filter and one sort. The measures are the study's main
measures (:func:`graphprior.analysis.study.columns.discover_measures`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.stats

from graphprior.analysis.study.columns import discover_measures, graph_nets, scalar_rows
from graphprior.analysis.study.table import ok_rows
from graphprior.io.tables import GRAPHS_SUMMARY_SCHEMA

__all__ = ["graphs_summary"]

#: Columns of the graph carried over from the ``study`` table (where present).
GRAPH_COLUMNS = ("generator", "stratum", "pair_id")


def _mean_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95 % t-interval of ``values`` (NaN bounds below two values)."""
    mean = float(values.mean())
    if len(values) < 2:
        return mean, np.nan, np.nan
    half = scipy.stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return mean, mean - half, mean + half


def _inputs(rows: pd.DataFrame, measure) -> pd.Series:
    """Test inputs behind each model's value of ``measure`` (its scalar robustness row's ``n``)."""
    sel = (
        (rows["measure"] == measure.measure)
        & (rows["attack"] == measure.attack)
        & (rows["norm"] == measure.norm)
    )
    sel &= rows["eps"].isna() if np.isnan(measure.eps) else np.isclose(rows["eps"], measure.eps)
    return rows.loc[sel].set_index("model_id")["n"]


def graphs_summary(study: pd.DataFrame, robustness: pd.DataFrame, paper_eps: float) -> pd.DataFrame:
    """The ``graphs_summary`` table of a study (empty, with its columns, without graph nets).

    ``paper_eps``: the config's ``attack.paper_eps``, the ε of the main L∞ measures.
    """
    nets = ok_rows(graph_nets(study))
    out: list[dict] = []
    if nets.empty or "arm" not in nets.columns:
        return pd.DataFrame(out, columns=GRAPHS_SUMMARY_SCHEMA.names)
    scalar = scalar_rows(robustness)
    for measure in discover_measures(robustness, study, paper_eps, nets):
        inputs = _inputs(scalar, measure)
        for (graph_id, arm), group in nets.groupby(["graph_id", "arm"], sort=True):
            values = group[measure.column].dropna()
            if values.empty:
                continue
            mean, low, high = _mean_interval(values.to_numpy(dtype=float))
            n_inputs = inputs.reindex(values.index.map(group["model_id"])).dropna()
            first = group.iloc[0]
            out.append({
                "graph_id": graph_id, "arm": arm,
                **{c: first[c] if c in group.columns else None for c in GRAPH_COLUMNS},
                "measure": measure.column, "mean": mean, "ci_low": low, "ci_high": high,
                "n_models": len(values),
                "n_inputs": int(n_inputs.median()) if len(n_inputs) else None,
            })  # fmt: skip
    return pd.DataFrame(out, columns=GRAPHS_SUMMARY_SCHEMA.names)
