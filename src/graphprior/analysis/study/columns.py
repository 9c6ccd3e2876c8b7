"""Which columns of the study table the report analyses.

The controls, the graph properties (:func:`property_columns`) and the main
robustness measures (:func:`discover_measures`, one column per measure,
attack and norm, one ε chosen on a grid), found from the tables so that a new
attack or ε grid needs no code change. See docs/measures.md and
docs/report.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphprior.analysis.study.table import measure_column
from graphprior.config.choices import GRAPH_FAMILY, Status
from graphprior.config.sections import ReportConfig
from graphprior.io import tables as T

__all__ = [
    "CONTROLS",
    "DESIGN_PROPERTIES",
    "MIN_GRAPHS",
    "CLAIM_PROPERTIES",
    "MAIN_PROPERTIES",
    "OLS_PROPERTIES",
    "MAIN_MEASURE_SPECS",
    "WEIGHT_DELTA",
    "L2_EPS",
    "Measure",
    "scalar_rows",
    "discover_measures",
    "study_name",
    "primary_measure",
    "bare",
    "property_columns",
    "graph_nets",
]

#: Controls of the partial Spearman correlation and of the OLS fits.
CONTROLS: tuple[str, ...] = ("test_accuracy", "n_params")

#: Properties a size-matched stratum sets by its n and m (bare names): within a stratum
#: they vary only by a family's inexact edge count, so they are compared across the
#: strata of one size (size fixed effects), never within a stratum.
DESIGN_PROPERTIES: tuple[str, ...] = ("density", "degree_mean", "dag_density", "dag_degree_mean")

#: Smallest number of graphs a correlation (and a generator stratum) needs.
MIN_GRAPHS = 5


#: Graph properties of the claims C2–C4 (names in the `graph_properties` table).
CLAIM_PROPERTIES: dict[str, str] = {
    "C2": "density",
    "C3": "avg_path_length",
    "C4": "avg_eccentricity",
    "C3-DAG": "dag_avg_path_length",
    "C4-DAG": "dag_avg_eccentricity",
}


#: Properties that come first in the report and get bootstrap intervals for the
#: partial Spearman correlation too (the paper's DAG properties and the claims).
MAIN_PROPERTIES: tuple[str, ...] = (
    "density",
    "avg_path_length",
    "avg_eccentricity",
    "diameter",
    "degree_std",
    "avg_clustering",
    "betweenness_mean",
    "closeness_mean",
    "dag_depth",
    "dag_skip_edges",
    "dag_avg_path_length",
    "dag_avg_eccentricity",
)


#: Predictors of the OLS fits (those present and kept), besides the controls.
OLS_PROPERTIES: tuple[str, ...] = (
    "density",
    "avg_path_length",
    "avg_eccentricity",
    "avg_clustering",
    "degree_std",
    "dag_depth",
    "dag_skip_edges",
)


#: Main robustness measures, in report order: (measure, attacks kept or None for
#: all, direction: +1 when higher means more robust, eps preference).
#: One column per (measure, attack, norm); for an ε/δ grid one value is chosen
#: (:func:`_pick_eps`).
MAIN_MEASURE_SPECS: tuple[tuple[str, tuple[str, ...] | None, int, str | None], ...] = (
    # the pre-registered primary measure of the default (report.primary_measure)
    ("min_perturbation_rmean", ("apgd_bisection", "pgd_bisection"), +1, None),
    ("paper_robustness", None, +1, "input"),
    # the AutoAttack members are checks of the ensemble, not measures of their own
    ("robust_accuracy", ("fgsm", "pgd", "autoattack"), +1, "input"),
    ("robust_auc", None, +1, None),
    ("min_perturbation_mean", None, +1, None),
    ("min_perturbation_median_censored", None, +1, None),
    ("onepixel_success_rate", None, -1, None),
    ("clever_score", None, +1, None),
    ("loss_sensitivity", None, -1, None),
    ("weight_worst_accuracy", None, +1, "weight"),
    ("weight_random_accuracy", None, +1, "weight"),
    ("margin_mean", None, +1, None),
    ("prunability", ("magnitude",), -1, None),
)


#: Preferred δ of the weight-perturbation measures in the correlations.
WEIGHT_DELTA = 0.05


#: Preferred L2 radius of input attacks in the correlations.
L2_EPS = 0.5  # mid-range on digits; at 1.0 robust accuracy is below 0.05 for every model


@dataclass(frozen=True)
class Measure:
    """One robustness measure column of the study table.

    Attributes
    ----------
    column : str
        Column name in the ``study`` table (:func:`graphprior.analysis.study.measure_column`).
    measure, attack, norm : str
        Parts of the long ``robustness`` table.
    eps : float
        ε (input attacks) or δ (weight perturbation); NaN when none.
    direction : int
        +1 when a higher value means a more robust model, −1 when lower does.
    """

    column: str
    measure: str
    attack: str
    norm: str
    eps: float
    direction: int


def _pick_eps(values: Sequence[float], preferred: float | None) -> float | None:
    """The ε of a grid used in the correlations: `preferred` if on the grid, else the median."""
    positive = sorted({float(v) for v in values if np.isfinite(v) and v > 0})
    if not positive:
        return None
    if preferred is not None:
        for v in positive:
            if np.isclose(v, preferred):
                return v
    return positive[len(positive) // 2]


def scalar_rows(robustness: pd.DataFrame) -> pd.DataFrame:
    """The rows of the long robustness table that are not layer-wise."""
    if robustness.empty or "measure" not in robustness.columns:
        return pd.DataFrame(columns=T.ROBUSTNESS_SCHEMA.names)
    if "layer" in robustness.columns:
        return robustness.loc[robustness["layer"].isna()]
    return robustness


def discover_measures(
    robustness: pd.DataFrame,
    study: pd.DataFrame,
    paper_eps: float,
    rows: pd.DataFrame | None = None,
) -> list[Measure]:
    """The main robustness measures present in the study, in report order.

    Measures are found from the long ``robustness`` table (scalar rows), so new
    attack names or ε grids need no code change: each (measure, attack, norm)
    of :data:`MAIN_MEASURE_SPECS` gives one column; on an ε grid the paper's ε
    (``paper_eps``, the config's ``attack.paper_eps``) is taken for L∞ input
    attacks, 1.0 for L2, δ = 0.05 for weight perturbations, else the median of
    the positive grid values.
    A column enters only if it has a value for at least one model in `rows`
    (default: the study).
    """
    rows = study if rows is None else rows
    scalar = scalar_rows(robustness)
    keys = scalar[["measure", "attack", "norm", "eps"]].drop_duplicates()
    found: list[Measure] = []
    for name, attacks, direction, preference in MAIN_MEASURE_SPECS:
        sub = keys.loc[keys["measure"] == name]
        if attacks is not None:
            sub = sub.loc[sub["attack"].isin(attacks)]
        for (attack, norm), group in sub.groupby(["attack", "norm"], sort=True, dropna=False):
            eps_values = group["eps"].dropna().to_numpy(dtype=float)
            if eps_values.size == 0:
                eps = float("nan")
            else:
                if preference == "input":
                    preferred = paper_eps if norm == "linf" else L2_EPS
                elif preference == "weight":
                    preferred = WEIGHT_DELTA
                else:
                    preferred = None
                picked = _pick_eps(eps_values, preferred)
                if picked is None:
                    continue
                eps = picked
            column = measure_column(name, attack, norm, eps)
            if column in rows.columns and rows[column].notna().any():
                found.append(Measure(column, name, str(attack), str(norm), eps, direction))
    return found


def primary_measure(measures: Sequence[Measure], report: ReportConfig) -> Measure | None:
    """The measure of `measures` that ``report.primary_measure`` names, or None when absent.

    The measure is named by (measure, attack, norm); its ε is the one
    :func:`discover_measures` picks. No other measure stands in for it.
    """
    p = report.primary_measure
    for m in measures:
        if (m.measure, m.attack, m.norm) == (p.measure, p.attack, p.norm):
            return m
    return None


def study_name(prop: str, study: pd.DataFrame) -> str | None:
    """Column of a graph property in the study (``graph_`` prefix on name clashes)."""
    if f"graph_{prop}" in study.columns:
        return f"graph_{prop}"
    if prop in study.columns:
        return prop
    return None


def bare(column: str) -> str:
    """A study column without the ``graph_`` prefix of a name clash."""
    return column[len("graph_") :] if column.startswith("graph_") else column


def property_columns(
    study: pd.DataFrame, properties: pd.DataFrame
) -> tuple[list[str], dict[str, str]]:
    """Graph-property columns used as correlates, and the reason each other one was left out.

    Candidates are the numeric columns of ``graph_properties`` (undirected and
    ``dag_`` properties), named as in the study (clashes carry a ``graph_``
    prefix), :data:`MAIN_PROPERTIES` first. Evaluated on one row per (graph,
    orientation seed) with at least one trainable graph net, a property is left out when it is
    constant or an exact linear copy (|Pearson r| = 1) of a property kept
    before it (e.g. the edge count when every graph has the same node count).

    Returns
    -------
    kept : list of str
        Study column names.
    dropped : dict
        Study column name → reason.
    """
    names = [
        c
        for c in properties.columns
        if c not in T.PROPERTY_KEYS and pd.api.types.is_numeric_dtype(properties[c])
    ]
    order = [p for p in MAIN_PROPERTIES if p in names] + [
        p for p in names if p not in MAIN_PROPERTIES
    ]
    graphs = graph_nets(study)
    graphs = graphs.loc[graphs["status"] == Status.OK] if "status" in graphs.columns else graphs
    graphs = graphs.drop_duplicates([k for k in T.PROPERTY_KEYS if k in graphs.columns])
    kept: list[str] = []
    dropped: dict[str, str] = {}
    for prop in order:
        col = study_name(prop, study)
        if col is None:
            dropped[prop] = "not in the study table"
            continue
        values = graphs[col].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size < 2 or finite.min() == finite.max():
            dropped[col] = "constant or missing"
            continue
        twin_of = None
        for other in kept:
            ov = graphs[other].to_numpy(dtype=float)
            both = np.isfinite(values) & np.isfinite(ov)
            if both.sum() >= 3 and np.ptp(ov[both]) > 0 and np.ptp(values[both]) > 0:
                r = np.corrcoef(values[both], ov[both])[0, 1]
                if abs(r) > 1 - 1e-9:
                    twin_of = other
                    break
        if twin_of is not None:
            dropped[col] = f"linear copy of {twin_of}"
            continue
        kept.append(col)
    return kept, dropped


def graph_nets(study: pd.DataFrame) -> pd.DataFrame:
    """The graph-net rows of the study (all rows when there is no ``model_family`` column)."""
    if "model_family" not in study.columns:
        return study
    return study.loc[study["model_family"] == GRAPH_FAMILY]
