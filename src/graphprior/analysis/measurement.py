"""Measure before correlating: the ``variance`` and ``reliability`` tables of a study.

For every robustness measure, size stratum and mapping arm (and every size
class of several strata: the density design), the per-model values of the
trainable graph nets are decomposed into family (generator),
graph, orientation, initialisation and residual variance
(:func:`graphprior.analysis.stats.variance_components`), and the per-graph
mean's reliability is estimated three ways: split halves over orientations,
split halves over the models of each DAG, and from the components. The
graph's share is decided against the pre-registered smallest share of
interest (``report.smallest_effect.share``); a measure whose reliability
cannot reach ``report.min_reliability`` makes its claims ``unreliable``.
Definitions: docs/report.md ("Measure before correlating").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphprior.analysis.stats import (
    share_decision,
    size_classes,
    split_half_reliability,
    variance_components,
)
from graphprior.analysis.study.columns import Measure, primary_measure
from graphprior.analysis.study.table import UNSTRATIFIED, size_strata
from graphprior.config.sections import ReportConfig
from graphprior.io import tables as T

__all__ = [
    "Measurement",
    "SPLITS",
    "measurement_tables",
    "stratum_contrasts",
    "unreliable_measures",
]

#: How a reliability row was obtained.
SPLITS: tuple[str, ...] = ("orientation", "replicate", "components")

_NAN = math.nan


@dataclass(frozen=True)
class Measurement:
    """The ``variance`` and ``reliability`` tables."""

    variance: pd.DataFrame
    reliability: pd.DataFrame


def _halves(part: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Orientation halves (seed rank below the middle: 0) and replicate halves (alternating)."""
    seeds = sorted(part["orientation_seed"].dropna().unique())
    first = set(seeds[: len(seeds) // 2])
    orientation = np.where(part["orientation_seed"].isin(first), 0, 1)
    order = part.sort_values(["graph_id", "orientation_seed", "init", "seed"])
    position = order.groupby(["graph_id", "orientation_seed"]).cumcount()
    o_rank = order.groupby("graph_id")["orientation_seed"].rank(method="dense").astype(int)
    replicate = ((position + o_rank) % 2).reindex(part.index).to_numpy()
    return orientation, replicate


def _frame(models: pd.DataFrame, graphs: pd.DataFrame) -> pd.DataFrame:
    frame = models.copy()
    frame["size_stratum"] = size_strata(frame, graphs)
    frame["cluster"] = (
        frame["parent_id"].fillna(frame["graph_id"])
        if "parent_id" in frame
        else (frame["graph_id"])
    )
    frame["orientation_seed"] = frame["orientation_seed"].fillna(0)
    frame["arm"] = frame["arm"].fillna("").astype(str)
    return frame


def _groups(frame: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    """(stratum, arm, rows): every size stratum, then every size class of two strata or more.

    A size class (:func:`graphprior.analysis.stats.size_classes`: strata of
    one parameter count, the density design) is named by its strata joined
    with ``+``; its graph component includes what the strata differ by.
    """
    if not len(frame):
        return []
    out = [(str(s), str(a), part)
           for (s, a), part in frame.groupby(["size_stratum", "arm"], sort=True)]  # fmt: skip
    if "n_params" not in frame.columns:
        return out
    for arm, part in frame.groupby("arm", sort=True):
        if set(part["size_stratum"]) <= {UNSTRATIFIED}:
            continue
        classes = size_classes(part["size_stratum"], part["n_params"])
        for label, rows in part.groupby(classes, sort=True):
            if rows["size_stratum"].nunique() > 1:
                out.append((str(label), str(arm), rows))
    return out


def measurement_tables(
    models: pd.DataFrame,
    graphs: pd.DataFrame,
    measures: Sequence[Measure],
    report: ReportConfig,
    rng: np.random.Generator,
) -> Measurement:
    """The ``variance`` and ``reliability`` tables (schemas in :mod:`graphprior.io.tables`).

    Parameters
    ----------
    models : DataFrame
        Study rows of the trainable graph nets of every arm (``graph_id``,
        ``generator``, ``arm``, ``orientation_seed``, ``init``, ``seed``,
        ``parent_id`` and the measure columns).
    graphs : DataFrame
        The ``graphs`` table (``stratum``).
    measures : sequence of Measure
        The measures to decompose; the primary one is flagged.
    report : ReportConfig
        The ``report`` section: ``bootstrap``, ``smallest_effect.share`` and the
        primary measure.
    rng : numpy.random.Generator
        The bootstrap's draws.
    """
    bound, n_boot = report.smallest_effect.share, report.bootstrap
    found = primary_measure(measures, report)
    primary = found.column if found is not None else None
    var_rows: list[dict] = []
    rel_rows: list[dict] = []
    frame = _frame(models, graphs) if len(models) else models
    for stratum, arm, part in _groups(frame):
        halves = _halves(part)
        for m in measures:
            if m.column not in part.columns:
                continue
            sub = part.loc[np.isfinite(part[m.column].to_numpy(dtype=float))]
            if sub.empty:
                continue
            y = sub[m.column].to_numpy(dtype=float)
            key = (str(stratum), str(arm), m.column)
            vc = variance_components(
                y, sub["generator"], sub["graph_id"], sub["orientation_seed"], sub["init"],
                cluster=sub["cluster"], n_boot=n_boot, rng=rng,
            )  # fmt: skip
            for c in vc.components:
                var_rows.append({
                    "stratum": key[0], "arm": key[1], "measure": m.column,
                    "primary": m.column == primary, "component": c.component,
                    "variance": c.variance, "share": c.share, "ci_low": c.ci_low,
                    "ci_high": c.ci_high,
                    "decision": share_decision(c.ci_low, c.ci_high, bound).value
                    if np.isfinite(c.share) else "not identifiable",
                    "n_graphs": vc.n_graphs, "n_models": vc.n_models,
                })  # fmt: skip
            rows = part.index.get_indexer(sub.index)
            for split, half in zip(SPLITS[:2], halves, strict=True):
                res = split_half_reliability(
                    y, sub["graph_id"], half[rows], block=sub["init"], n_boot=n_boot, rng=rng
                )
                rel_rows.append({
                    "stratum": key[0], "arm": key[1], "measure": m.column, "split": split,
                    "r_split_half": res.r_split_half, "reliability": res.reliability,
                    "ci_low": res.ci_low, "ci_high": res.ci_high, "n_graphs": res.n_units,
                })  # fmt: skip
            rel_rows.append({
                "stratum": key[0], "arm": key[1], "measure": m.column, "split": "components",
                "r_split_half": _NAN, "reliability": vc.reliability,
                "ci_low": vc.reliability_ci[0], "ci_high": vc.reliability_ci[1],
                "n_graphs": vc.n_graphs,
            })  # fmt: skip
    variance = pd.DataFrame(var_rows, columns=T.VARIANCE_SCHEMA.names)
    reliability = pd.DataFrame(rel_rows, columns=T.RELIABILITY_SCHEMA.names)
    return Measurement(variance, reliability)


def unreliable_measures(reliability: pd.DataFrame, threshold: float) -> set[tuple[str, str, str]]:
    """(stratum, arm, measure) whose component reliability's upper bound is below `threshold`.

    The component-implied reliability is the one a claim depends on: it
    describes the per-graph mean over every model the claim averages. A
    NaN bound (not estimable) is not counted as unreliable here; the claim
    then stands on its own interval.
    """
    comp = reliability.loc[reliability["split"] == "components"]
    low = comp.loc[comp["ci_high"].to_numpy(dtype=float) < threshold]
    return set(zip(low["stratum"], low["arm"], low["measure"], strict=True))


def stratum_contrasts(
    models: pd.DataFrame,
    graphs: pd.DataFrame,
    column: str,
    n_boot: int,
    rng: np.random.Generator,
    level: float = 0.95,
) -> pd.DataFrame:
    """Each size stratum's mean per-graph value of `column` against the first stratum's.

    The contrast between sizes is what raw pooling mixes into every
    correlation: a denser stratum has more parameters and deeper DAGs, so the
    difference says what size does, not what wiring at one size does.
    Per-graph means (over every model of the graph in `models`), then the
    mean over graphs per stratum; the interval resamples graphs within each
    stratum (percentile bootstrap). ``n_params`` is each stratum's median
    parameter count: in the density design (``mapping.hold_params_at``) the
    strata share it, and the contrast is one of density at equal size.

    Returns
    -------
    DataFrame
        ``stratum``, ``reference``, ``mean``, ``reference_mean``,
        ``difference``, ``ci_low``, ``ci_high``, ``n_graphs``; empty with
        fewer than two strata.
    """
    columns = ["stratum", "reference", "mean", "reference_mean", "difference", "ci_low",
               "ci_high", "n_graphs", "n_params", "reference_n_params"]  # fmt: skip
    if column not in models.columns or models.empty:
        return pd.DataFrame(columns=columns)
    frame = models.assign(_size=size_strata(models, graphs))
    per_graph = frame.groupby(["_size", "graph_id"])[column].mean().dropna().reset_index()
    groups = {s: g[column].to_numpy(dtype=float) for s, g in per_graph.groupby("_size", sort=True)}
    if len(groups) < 2:
        return pd.DataFrame(columns=columns)
    params = (
        frame.groupby("_size")["n_params"].median()
        if "n_params" in frame.columns
        else pd.Series(dtype=float)
    )
    names = list(groups)
    ref = groups[names[0]]
    tail = (1 - level) / 2 * 100

    def boot_means(v: np.ndarray) -> np.ndarray:
        draws = rng.integers(0, v.size, size=(n_boot, v.size))
        return v[draws].mean(1)

    ref_boot = boot_means(ref)
    rows = []
    for name in names[1:]:
        v = groups[name]
        diff = boot_means(v) - ref_boot
        low, high = np.percentile(diff, [tail, 100 - tail]) if n_boot else (_NAN, _NAN)
        rows.append({
            "stratum": name, "reference": names[0], "mean": float(v.mean()),
            "reference_mean": float(ref.mean()), "difference": float(v.mean() - ref.mean()),
            "ci_low": float(low), "ci_high": float(high), "n_graphs": int(v.size + ref.size),
            "n_params": float(params.get(name, _NAN)),
            "reference_n_params": float(params.get(names[0], _NAN)),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
