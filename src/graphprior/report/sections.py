"""The sections of the correlation report, each computed from the tables (DESIGN §8).

:func:`compose_report` is the entry point: it discovers the graph properties
and the main robustness measures present in the ``study`` table, aggregates
the graph nets per graph (mean and median over initialisations and seeds, as
the paper), computes the ``correlations`` table with :mod:`graphprior.analysis.stats`,
checks the claims, draws every figure and returns the
:class:`~graphprior.report.Report` with the correlations table.

Conventions
-----------
* Unit of analysis: the graph. Only graph nets with ``status == "ok"`` enter
  correlations; untrainable and diverged models are counted and listed.
* Confidence intervals resample graphs (cluster bootstrap,
  ``report.bootstrap`` resamples, seed ``report.seed``).
* Compute budget (see ``docs/report.md`` and :func:`correlation_rows`):
  bootstrap intervals for the pooled Spearman rows (every property, every
  aggregate) and the pooled partial Spearman rows of the
  :data:`MAIN_PROPERTIES` (per-graph means); Kendall, Pearson, the other
  partial correlations and the per-generator strata (Spearman and Kendall,
  per-graph means) carry point estimates, p- and q-values only.
* q-values: Benjamini–Hochberg over all (property, measure) pairs of one
  stratum, one aggregate and one method.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.stats  # noqa: E402

from graphprior.analysis import stats as S  # noqa: E402
from graphprior.config import PAPER_INITS as _PAPER_INITS  # noqa: E402
from graphprior.io import tables as T  # noqa: E402
from graphprior.report.document import Figure, Report, Section, fig_to_png, fmt  # noqa: E402

__all__ = [
    "ALPHA",
    "CONTROLS",
    "MAIN_MEASURE_SPECS",
    "MAIN_PROPERTIES",
    "PAPER_INITS",
    "TITLES",
    "Measure",
    "compose_report",
    "discover_measures",
    "property_columns",
    "correlation_rows",
    "claims_table",
]

log = logging.getLogger(__name__)

#: Significance level of every verdict (on q-values where a family exists).
ALPHA = 0.05

#: Controls of the partial Spearman correlation and of the OLS fits.
CONTROLS: tuple[str, ...] = ("test_accuracy", "n_params")

#: The paper's six initialisations of the hidden weights (claim C1 is about them).
PAPER_INITS: tuple[str, ...] = _PAPER_INITS

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
    ("paper_robustness", None, +1, "input"),
    ("robust_accuracy", None, +1, "input"),
    ("robust_auc", None, +1, None),
    ("min_perturbation_mean", None, +1, None),
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
L2_EPS = 1.0

#: Section titles (tests and docs refer to them).
TITLES: dict[str, str] = {
    "claims": "Claims",
    "run": "The run",
    "mapping": "How a graph becomes a network",
    "trainability": "Trainability",
    "correlations": "Correlations between graph properties and robustness",
    "strongest": "Strongest associations",
    "regression": "Regression: OLS with HC3 errors",
    "eps": "Robust accuracy vs ε per family",
    "init": "Initialisation",
    "baselines": "Graph nets vs pruned baselines at matched density",
    "related": "Measures from related studies",
    "weight": "Weight perturbation (Tsai et al. 2021)",
    "prunability": "Prunability and the generalisation gap (Kuhn et al. 2021)",
    "nc": "Neural collapse, clean vs perturbed (Su et al. 2023)",
}

#: The verdict rules, as written in the report and in docs/report.md.
RULES: dict[str, str] = {
    "correlation": (
        "Directional correlation claims (C2–C4, R1): **supported** if the BH q-value is below "
        f"{ALPHA}, the 95 % cluster-bootstrap interval excludes 0 on the predicted side and the "
        "coefficient has the predicted sign; **contradicted** if q < "
        f"{ALPHA} and the interval excludes 0 on the opposite side with the opposite sign; "
        "**inconclusive** otherwise, including when the statistic could not be computed "
        "(`graphprior.analysis.stats.claim_verdict`). The primary test uses the per-graph mean; the "
        "column `median aggregate` repeats it on per-graph medians, and `all measures s/c/i` "
        "counts supported/contradicted/inconclusive over every main robustness measure, "
        "oriented so that the claim predicts lower robustness."
    ),
    "C1": (
        "C1 (no dependence on the initialisation): Friedman test blocked by graph on the "
        "paper's initialisations (all initialisations if fewer than 3 of them were run), "
        "effect size Kendall's W with a bootstrap interval over graphs. **contradicted** if "
        f"p < {ALPHA} and W ≥ 0.1 (a detectable, at least small, consistent ordering of the "
        "initialisations); **supported** if not contradicted and the interval's upper bound is "
        "below 0.3 (a moderate or larger dependence is ruled out); **inconclusive** otherwise or "
        "with fewer than 5 complete graphs or 3 initialisations."
    ),
    "C5": (
        "C5 (all correlations are weak), over every pooled Spearman correlation of the "
        f"correlations table (per-graph means): **contradicted** if any with q < {ALPHA} "
        f"has |r| ≥ 0.5; **supported** if every one with q < {ALPHA} has |r| < 0.3 and no "
        "bootstrap interval reaches ±0.5; **inconclusive** otherwise "
        "(`graphprior.analysis.stats.weak_correlation_verdict`, Cohen's thresholds). The row shows the "
        "strongest correlation."
    ),
    "paired": (
        "Paired and per-model claims (R2a, R2b, R3a, R3b): the statistic is the median over "
        "graphs of a per-graph value (mean over the graph's models); **supported** if the "
        f"two-sided Wilcoxon signed-rank p < {ALPHA}, the bootstrap interval of the median "
        "(graphs resampled) excludes 0 on the predicted side and the median has the predicted "
        "sign; **contradicted** if the same holds on the opposite side; **inconclusive** "
        "otherwise (`claim_verdict` applied to median, interval and p)."
    ),
}

_PAPER_SETTINGS: tuple[tuple[str, str, Any], ...] = (
    ("dataset", "dataset", "mnist"),
    ("generators", "graphs.generators", "paper_watts_strogatz"),
    ("orientation", "mapping.orientation", "index_descending"),
    ("sinks to last layer", "mapping.sinks_to_last_layer", True),
    ("input wiring", "mapping.input_wiring", "sources"),
    ("readout", "mapping.readout", "last_layer"),
    ("optimizer", "training.optimizer", "adam"),
    ("learning rate", "training.lr", 0.001),
    ("batch size", "training.batch_size", 128),
    ("epochs", "training.epochs", 30),
    ("initialisations", "training.inits", ", ".join(PAPER_INITS)),
    ("FGSM ε of the paper's robustness", "attack.paper_eps", 0.1),
    ("per-graph aggregates", "report.aggregate", "mean, median"),
    ("1.5×IQR outlier rule", "report.outlier_rule", True),
    ("parameter count of the filter", "graphs.filter.param_count", "paper"),
    ("parameter range", "graphs.filter.min_params", 50000),
    ("number of graphs", "graphs.filter.max_graphs", 100),
    ("graph selection", "graphs.filter.selection", "passes"),
    ("checkpoint", "training.select", "test"),
    ("attacked test images", "attack.n_samples", 10000),
    ("One-Pixel images", "attack.onepixel.n_samples", 100),
    ("pruning fraction per step", "baseline.iterative.prune_fraction", 0.2),
)

_MIN_GRAPHS = 5


def _graph_selection_table(config: dict) -> pd.DataFrame:
    """Counts of the parameter filter and the graph cap (graphprior.graphs.selection.filter_report)."""
    from graphprior.graphs.selection import filter_report

    try:
        rep = filter_report(config)
    except (KeyError, ValueError) as exc:  # a config without graphs: nothing to report
        return pd.DataFrame({"setting": ["graph selection"], "value": [f"not available ({exc})"]})
    lo, hi = rep["min_params"], rep["max_params"]
    rows = [
        ("parameter count", rep["param_count"]),
        ("parameter range", f"{lo if lo is not None else '-'} … {hi if hi is not None else '-'}"),
        ("at most (max_graphs)", rep["max_graphs"] if rep["max_graphs"] is not None else "no cap"),
        ("selection rule", rep["selection"]),
        ("candidates in the grid", rep["n_candidates"]),
        ("kept", rep["n_kept"]),
        ("below the range", rep["n_below_min"]),
        ("above the range", rep["n_above_max"]),
        ("in range but over the cap", rep["n_dropped_max_graphs"]),
        ("never drawn (passes rule stopped)", rep["n_not_evaluated"]),
    ]
    return pd.DataFrame([(k, str(v)) for k, v in rows], columns=["setting", "value"])


# ----------------------------------------------------------------------------
# discovery of properties and measures
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One robustness measure column of the study table.

    Attributes
    ----------
    column : str
        Column name in the ``study`` table (:func:`graphprior.io.tables.measure_column`).
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


def _cfg(config: dict, *keys: str, default: Any = None) -> Any:
    node: Any = config
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


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


def _scalar_rows(robustness: pd.DataFrame) -> pd.DataFrame:
    if robustness.empty or "measure" not in robustness.columns:
        return pd.DataFrame(columns=T.ROBUSTNESS_SCHEMA.names)
    if "layer" in robustness.columns:
        return robustness.loc[robustness["layer"].isna()]
    return robustness


def discover_measures(
    robustness: pd.DataFrame, study: pd.DataFrame, config: dict, rows: pd.DataFrame | None = None
) -> list[Measure]:
    """The main robustness measures present in the study, in report order.

    Measures are found from the long ``robustness`` table (scalar rows), so new
    attack names or ε grids need no code change: each (measure, attack, norm)
    of :data:`MAIN_MEASURE_SPECS` gives one column; on an ε grid the paper's ε
    (``attack.paper_eps``) is taken for L∞ input attacks, 1.0 for L2, δ = 0.05
    for weight perturbations, else the median of the positive grid values.
    A column enters only if it has a value for at least one model in `rows`
    (default: the study).
    """
    rows = study if rows is None else rows
    scalar = _scalar_rows(robustness)
    keys = scalar[["measure", "attack", "norm", "eps"]].drop_duplicates()
    paper_eps = float(_cfg(config, "attack", "paper_eps", default=0.1))
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
            column = T.measure_column(name, attack, norm, eps)
            if column in rows.columns and rows[column].notna().any():
                found.append(Measure(column, name, str(attack), str(norm), eps, direction))
    return found


def study_name(prop: str, study: pd.DataFrame) -> str | None:
    """Column of a graph property in the study (``graph_`` prefix on name clashes)."""
    if f"graph_{prop}" in study.columns:
        return f"graph_{prop}"
    if prop in study.columns:
        return prop
    return None


def _bare(column: str) -> str:
    return column[len("graph_") :] if column.startswith("graph_") else column


def property_columns(
    study: pd.DataFrame, properties: pd.DataFrame
) -> tuple[list[str], dict[str, str]]:
    """Graph-property columns used as correlates, and the reason each other one was left out.

    Candidates are the numeric columns of ``graph_properties`` (undirected and
    ``dag_`` properties), named as in the study (clashes carry a ``graph_``
    prefix), :data:`MAIN_PROPERTIES` first. Evaluated on one row per graph
    with at least one trainable graph net, a property is left out when it is
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
        if c != "graph_id" and pd.api.types.is_numeric_dtype(properties[c])
    ]
    order = [p for p in MAIN_PROPERTIES if p in names] + [
        p for p in names if p not in MAIN_PROPERTIES
    ]
    graphs = _graph_nets(study)
    graphs = graphs.loc[graphs["status"] == "ok"] if "status" in graphs.columns else graphs
    graphs = graphs.drop_duplicates("graph_id")
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


def _graph_nets(study: pd.DataFrame) -> pd.DataFrame:
    if "family" not in study.columns:
        return study
    return study.loc[study["family"] == "graph_prior"]


def _ok(df: pd.DataFrame) -> pd.DataFrame:
    return df.loc[df["status"] == "ok"] if "status" in df.columns else df


# ----------------------------------------------------------------------------
# correlations
# ----------------------------------------------------------------------------


def _empty_correlations() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in T.CORRELATIONS_SCHEMA.names})


def correlation_rows(
    per_graph: dict[str, pd.DataFrame],
    xs: Sequence[str],
    ys: Sequence[str],
    *,
    n_boot: int,
    rng: np.random.Generator,
    outlier_rule: bool = False,
    boot_partial_xs: Sequence[str] = (),
    strata: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``correlations`` table (schema :data:`graphprior.io.tables.CORRELATIONS_SCHEMA`).

    Rows, for each measure y and every property x:

    * pooled stratum, every aggregate (key of `per_graph`): Spearman with
      bootstrap intervals; Kendall τ-b and Pearson without; partial Spearman
      controlling for :data:`CONTROLS`, with intervals only for the primary
      aggregate (the first key, the mean) and x in `boot_partial_xs`;
    * per generator (strata of at least 5 graphs), primary aggregate only:
      Spearman and Kendall τ-b (the paper's methods), without intervals.

    This is the bootstrap/compute budget documented in ``docs/report.md``.
    With `outlier_rule` the paper's 1.5×IQR rule removes, per aggregate and
    measure, the graphs outside the fences of that measure before any
    correlation with it. q-values are recomputed over each family (stratum,
    aggregate, method) at the end.

    Returns
    -------
    correlations : DataFrame
        Columns exactly ``CORRELATIONS_SCHEMA.names``.
    outliers : DataFrame
        ``aggregate``, ``y``, ``n_graphs``, ``n_removed`` (0 without the rule).
    """
    frames: list[pd.DataFrame] = []
    outlier_rows = []
    boot_partial = [x for x in xs if x in set(boot_partial_xs)]
    other_partial = [x for x in xs if x not in set(boot_partial_xs)]
    for index, (how, table) in enumerate(per_graph.items()):
        primary = index == 0
        for y in ys:
            data = table
            n_removed = 0
            if outlier_rule and len(data):
                data, n_removed = S.iqr_filter(data, [y])
            outlier_rows.append(
                {"aggregate": how, "y": y, "n_graphs": len(table), "n_removed": n_removed}
            )
            if len(data) < _MIN_GRAPHS:
                continue
            calls: list[tuple[list[str], dict[str, Any]]] = [
                (list(xs), {"methods": ("spearman",), "controls": None, "n_boot": n_boot}),
                (list(xs), {"methods": ("kendall", "pearson"), "controls": None, "n_boot": 0}),
            ]
            if primary:
                calls += [
                    (boot_partial, {"methods": (), "controls": CONTROLS, "n_boot": n_boot}),
                    (other_partial, {"methods": (), "controls": CONTROLS, "n_boot": 0}),
                ]
            else:
                calls.append((list(xs), {"methods": (), "controls": CONTROLS, "n_boot": 0}))
            for x_cols, kwargs in calls:
                if not x_cols:
                    continue
                frames.append(
                    S.correlation_table(
                        data, x_cols, [y], strata_col=None, rng=rng, aggregate=how, **kwargs
                    )
                )
            if strata and primary and "generator" in data.columns:
                for generator, group in data.groupby("generator", sort=True):
                    if len(group) < _MIN_GRAPHS:
                        continue
                    part = S.correlation_table(
                        group,
                        list(xs),
                        [y],
                        methods=("spearman", "kendall"),
                        strata_col=None,
                        controls=None,
                        n_boot=0,
                        rng=rng,
                        aggregate=how,
                    )
                    part["stratum"] = str(generator)
                    frames.append(part)
    outliers = pd.DataFrame(outlier_rows, columns=["aggregate", "y", "n_graphs", "n_removed"])
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty_correlations(), outliers
    corr = pd.concat(frames, ignore_index=True)
    corr["q"] = corr.groupby(["stratum", "aggregate", "method"], sort=False)["p"].transform(
        lambda p: S.bh_qvalues(p.to_numpy())
    )
    corr["stratum_order"] = (corr["stratum"] != "pooled").astype(int)
    corr = corr.sort_values(["stratum_order", "stratum", "aggregate", "method"], kind="stable")
    corr = corr.drop(columns="stratum_order").reset_index(drop=True)
    return corr[list(T.CORRELATIONS_SCHEMA.names)], outliers


def _corr_row(
    corr: pd.DataFrame,
    x: str,
    y: str,
    method: str = "spearman",
    aggregate: str = "mean",
    stratum: str = "pooled",
) -> pd.Series | None:
    if corr.empty:
        return None
    hit = corr.loc[
        (corr["stratum"] == stratum)
        & (corr["aggregate"] == aggregate)
        & (corr["method"] == method)
        & (corr["x"] == x)
        & (corr["y"] == y)
    ]
    return None if hit.empty else hit.iloc[0]


# ----------------------------------------------------------------------------
# small statistics helpers (scipy; candidates for graphprior.analysis.stats)
# ----------------------------------------------------------------------------


def paired_summary(
    values: Any, *, n_boot: int, rng: np.random.Generator, level: float = 0.95
) -> dict[str, float]:
    """Median of per-graph values with a bootstrap interval and a Wilcoxon signed-rank test.

    Parameters
    ----------
    values : array_like
        One value per graph (e.g. perturbed − clean); NaN dropped.
    n_boot : int
        Bootstrap resamples of the graphs for the percentile interval of the median.
    rng : numpy.random.Generator
        Source of the resampling.
    level : float
        Coverage of the interval.

    Returns
    -------
    dict
        ``n``, ``median``, ``ci_low``, ``ci_high``, ``p`` (two-sided
        :func:`scipy.stats.wilcoxon` of the values against 0, zeros dropped;
        1 when all values are 0; NaN for fewer than 2 values).
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    nan = float("nan")
    out = {"n": int(v.size), "median": nan, "ci_low": nan, "ci_high": nan, "p": nan}
    if v.size == 0:
        return out
    out["median"] = float(np.median(v))
    if v.size >= 2:
        if np.all(v == 0):
            out["p"] = 1.0
        else:
            out["p"] = float(scipy.stats.wilcoxon(v).pvalue)
    if n_boot > 0 and v.size >= 3:
        idx = rng.integers(0, v.size, size=(n_boot, v.size))
        medians = np.median(v[idx], axis=1)
        alpha = 1.0 - level
        out["ci_low"], out["ci_high"] = (
            float(q) for q in np.quantile(medians, [alpha / 2, 1 - alpha / 2])
        )
    return out


def kendall_w_interval(
    study: pd.DataFrame,
    measure: str,
    inits: Sequence[str],
    *,
    n_boot: int,
    rng: np.random.Generator,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of Kendall's W, resampling complete graphs.

    Cells are averaged over seeds per (graph, init), as
    :func:`graphprior.analysis.stats.init_independence`; each resample draws graphs with
    replacement and recomputes ``W = χ²_Friedman / (n (k − 1))`` with
    :func:`scipy.stats.friedmanchisquare` (0 when every block is tied).
    """
    data = study.loc[study["init"].isin(inits) & np.isfinite(study[measure].astype(float))]
    cells = data.groupby(["graph_id", "init"])[measure].mean().unstack("init").dropna()
    values = cells.to_numpy(dtype=float)
    n, k = values.shape if values.ndim == 2 else (0, 0)
    if n_boot <= 0 or n < 3 or k < 3:
        return float("nan"), float("nan")
    idx = rng.integers(0, n, size=(n_boot, n))
    ws = np.empty(n_boot)
    for b in range(n_boot):
        block = values[idx[b]]
        if (block.max(axis=1) == block.min(axis=1)).all():
            ws[b] = 0.0
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            chi2 = scipy.stats.friedmanchisquare(*block.T).statistic
        ws[b] = chi2 / (n * (k - 1))
    ws = ws[np.isfinite(ws)]
    if ws.size == 0:
        return float("nan"), float("nan")
    alpha = 1.0 - level
    lo, hi = np.quantile(ws, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


# ----------------------------------------------------------------------------
# figure helpers
# ----------------------------------------------------------------------------


def _figure(name: str, caption: str, fig: plt.Figure) -> Figure:
    return Figure(name=name, caption=caption, png=fig_to_png(fig))


def _colours(labels: Sequence[str]) -> dict[str, Any]:
    cmap = plt.get_cmap("tab10")
    return {label: cmap(i % 10) for i, label in enumerate(sorted(set(labels)))}


def _grid(n: int, ncols: int = 3, size: tuple[float, float] = (4.0, 3.2)):
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(size[0] * ncols, size[1] * nrows),
        squeeze=False,
        layout="constrained",
    )
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()


def _short(name: str, width: int = 34) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


# ----------------------------------------------------------------------------
# shared state
# ----------------------------------------------------------------------------


@dataclass
class _Context:
    """Everything the sections share, computed once."""

    tables: dict[str, pd.DataFrame]
    config: dict
    study: pd.DataFrame
    graph_nets: pd.DataFrame
    ok: pd.DataFrame
    baselines: pd.DataFrame
    measures: list[Measure]
    xs: list[str]
    dropped_xs: dict[str, str]
    aggregates: list[str]
    per_graph: dict[str, pd.DataFrame]
    corr: pd.DataFrame
    outliers: pd.DataFrame
    outlier_rule: bool
    n_boot: int
    rng: np.random.Generator
    colours: dict[str, Any]

    @property
    def primary(self) -> Measure | None:
        """The paper's robustness measure, else the first main measure."""
        for m in self.measures:
            if m.measure == "paper_robustness":
                return m
        return self.measures[0] if self.measures else None

    @property
    def mean_key(self) -> str:
        return "mean" if "mean" in self.aggregates else self.aggregates[0]

    def direction(self, column: str) -> int:
        for m in self.measures:
            if m.column == column:
                return m.direction
        return 0


def _build_context(tables: dict[str, pd.DataFrame], config: dict) -> _Context:
    study = tables["study"].copy()
    for col, default in (("family", "graph_prior"), ("status", "ok"), ("generator", "unknown")):
        if col not in study.columns:
            study[col] = default
    study["generator"] = study["generator"].fillna(study["family"])
    graph_nets = _graph_nets(study)
    ok = _ok(graph_nets)
    baselines = study.loc[study["family"] != "graph_prior"]
    measures = discover_measures(tables["robustness"], study, config, rows=ok)
    xs, dropped = property_columns(study, tables["graph_properties"])
    aggregates = list(_cfg(config, "report", "aggregate", default=["mean", "median"]) or ["mean"])
    n_boot = int(_cfg(config, "report", "bootstrap", default=1000))
    rng = np.random.default_rng(int(_cfg(config, "report", "seed", default=0)))
    outlier_rule = bool(_cfg(config, "report", "outlier_rule", default=False))
    ys = [m.column for m in measures]
    per_graph: dict[str, pd.DataFrame] = {}
    if len(ok) and "graph_id" in ok.columns:
        for how in aggregates:
            per_graph[how] = S.aggregate_per_graph(ok, xs, ys, how, controls=CONTROLS)
    boot_partial = [c for c in xs if _bare(c) in MAIN_PROPERTIES]
    start = time.perf_counter()
    corr, outliers = correlation_rows(
        per_graph,
        xs,
        ys,
        n_boot=n_boot,
        rng=rng,
        outlier_rule=outlier_rule,
        boot_partial_xs=boot_partial,
    )
    log.info(
        "correlations: %d rows (%d properties x %d measures) in %.1f s",
        len(corr),
        len(xs),
        len(ys),
        time.perf_counter() - start,
    )
    return _Context(
        tables=tables,
        config=config,
        study=study,
        graph_nets=graph_nets,
        ok=ok,
        baselines=baselines,
        measures=measures,
        xs=xs,
        dropped_xs=dropped,
        aggregates=aggregates,
        per_graph=per_graph,
        corr=corr,
        outliers=outliers,
        outlier_rule=outlier_rule,
        n_boot=n_boot,
        rng=rng,
        colours=_colours(graph_nets["generator"].dropna().astype(str).tolist()),
    )


# ----------------------------------------------------------------------------
# section: the run
# ----------------------------------------------------------------------------


def _config_value(config: dict, dotted: str) -> Any:
    if dotted == "graphs.generators":
        entries = _cfg(config, "graphs", "generators", default=[]) or []
        return ", ".join(sorted({str(e.get("generator")) for e in entries if isinstance(e, dict)}))
    value = _cfg(config, *dotted.split("."))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def _same(a: Any, b: Any) -> str:
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return "yes" if np.isclose(float(a), float(b)) else "no"
    if isinstance(a, str) and isinstance(b, str):
        return (
            "yes"
            if {s.strip() for s in a.split(",")} == {s.strip() for s in b.split(",")}
            else "no"
        )
    return "yes" if a == b else "no"


def section_run(ctx: _Context) -> Section:
    """Configuration, counts, the differences from the paper, excluded models."""
    sec = Section(TITLES["run"])
    study, graphs = ctx.study, ctx.tables["graphs"]
    gn, ok = ctx.graph_nets, ctx.ok
    status = gn["status"].value_counts()
    n_graphs_ok = ok["graph_id"].nunique() if len(ok) else 0
    per_gen = graphs["generator"].value_counts().sort_index() if len(graphs) else pd.Series()
    sec.text(
        f"Study `{_cfg(ctx.config, 'study', default='')}` on `{_cfg(ctx.config, 'dataset', default='')}`: "
        f"{fmt(len(graphs))} graphs ("
        + ", ".join(f"{g}: {fmt(int(n))}" for g, n in per_gen.items())
        + f"), {fmt(len(gn))} graph-net models and {fmt(len(ctx.baselines))} baseline models. "
        f"Status of the graph nets: {fmt(int(status.get('ok', 0)))} ok, "
        f"{fmt(int(status.get('untrainable', 0)))} untrainable, "
        f"{fmt(int(status.get('diverged', 0)))} diverged. Correlations use the "
        f"{fmt(len(ok))} trainable graph nets of {fmt(n_graphs_ok)} graphs, aggregated per graph."
    )
    config_rows = [
        ("study", _cfg(ctx.config, "study")),
        ("dataset", _cfg(ctx.config, "dataset")),
        ("generators", _config_value(ctx.config, "graphs.generators")),
        ("degree-preserving twins", _cfg(ctx.config, "graphs", "twins")),
        ("orientation", _cfg(ctx.config, "mapping", "orientation")),
        ("sinks to last layer", _cfg(ctx.config, "mapping", "sinks_to_last_layer")),
        ("input wiring", _cfg(ctx.config, "mapping", "input_wiring")),
        ("readout", _cfg(ctx.config, "mapping", "readout")),
        ("initialisations", _config_value(ctx.config, "training.inits")),
        ("seeds", _config_value(ctx.config, "training.seeds")),
        ("epochs", _cfg(ctx.config, "training", "epochs")),
        ("FGSM ε grid", _config_value(ctx.config, "attack.fgsm.eps")),
        ("paper's ε", _cfg(ctx.config, "attack", "paper_eps")),
        ("per-graph aggregates", ", ".join(ctx.aggregates)),
        ("bootstrap resamples", ctx.n_boot),
        ("bootstrap seed", _cfg(ctx.config, "report", "seed", default=0)),
        ("1.5×IQR outlier rule", ctx.outlier_rule),
        ("claims first", bool(_cfg(ctx.config, "report", "claims_first", default=False))),
    ]
    sec.table(
        "Configuration of this run",
        pd.DataFrame(
            [(k, "" if v is None else str(v)) for k, v in config_rows], columns=["setting", "value"]
        ),
    )
    paper_rows = []
    for label, key, paper_value in _PAPER_SETTINGS:
        value = _config_value(ctx.config, key)
        if isinstance(paper_value, bool) or isinstance(value, bool):
            same = "yes" if bool(value) == bool(paper_value) else "no"
        else:
            same = _same(value, paper_value)
        paper_rows.append((label, "" if value is None else str(value), str(paper_value), same))
    paper = pd.DataFrame(paper_rows, columns=["setting", "this run", "paper", "same"])
    n_diff = int((paper["same"] == "no").sum())
    sec.table(
        "This run and the paper's setup (Ben Amor et al. 2021)",
        paper,
        note=f"{fmt(n_diff)} of {fmt(len(paper))} settings differ from the paper.",
    )
    sec.table("Graph selection", _graph_selection_table(ctx.config))
    counts = (
        study.groupby(["family", "status"]).size().unstack("status", fill_value=0).reset_index()
        if len(study)
        else pd.DataFrame(columns=["family"])
    )
    sec.table("Models by family and status", counts)
    excluded = study.loc[study["status"] != "ok"]
    if len(excluded):
        reasons = {
            "untrainable": "test accuracy stayed near chance",
            "diverged": "non-finite loss during training",
        }
        cols = [
            c for c in ("model_id", "family", "graph_id", "init", "test_accuracy") if c in excluded
        ]
        table = excluded[cols + ["status"]].copy()
        table["reason"] = table["status"].map(reasons).fillna("status is not ok")
        sec.table(
            f"Excluded models ({fmt(len(excluded))}): kept in the tables, left out of every statistic",
            table.reset_index(drop=True),
        )
    else:
        sec.text("No model was excluded: every model trained (status ok).")
    failures = ctx.tables.get("failures")
    if failures is not None and len(failures):
        sec.text(
            f"{fmt(len(failures))} jobs failed and were recorded (`on_error: record`); their "
            "models or measures are missing from the tables and every statistic. The log of "
            "each job holds the traceback."
        )
        sec.table("Failed jobs", failures.reset_index(drop=True))
    elif failures is not None:
        sec.text("No job failed.")
    no_ok = sorted(set(gn["graph_id"].dropna()) - set(ok["graph_id"].dropna()))
    if no_ok:
        sec.text(
            f"{fmt(len(no_ok))} graphs have no trainable model and drop out of the correlations: "
            + ", ".join(f"`{g}`" for g in no_ok)
            + "."
        )
    removed = int(ctx.outliers["n_removed"].sum()) if len(ctx.outliers) else 0
    if ctx.outlier_rule:
        sec.text(
            f"The paper's 1.5×IQR outlier rule **was applied** (report.outlier_rule: true): per "
            f"aggregate and measure, graphs outside Tukey's fences of that measure are left out of "
            f"its correlations; {fmt(removed)} per-graph rows were removed in total "
            "(table below)."
        )
        if len(ctx.outliers):
            sec.table("Rows removed by the outlier rule", ctx.outliers)
    else:
        sec.text(
            "The paper's 1.5×IQR outlier rule **was not applied** (report.outlier_rule: false); "
            "no rows were removed."
        )
    sec.text(
        "Statistics: models that share a graph are not independent, so every measure is "
        f"aggregated per graph ({', '.join(ctx.aggregates)} over initialisations and seeds) and "
        f"intervals resample graphs ({fmt(ctx.n_boot)} cluster-bootstrap resamples, 95 % "
        "percentile intervals). Spearman, Kendall τ-b and Pearson correlations with two-sided "
        "p-values; partial Spearman controlling for clean test accuracy and parameter count; "
        "Benjamini–Hochberg q-values within each family (stratum × aggregate × method); strata "
        f"are the generators with at least {fmt(_MIN_GRAPHS)} graphs. Bootstrap intervals are "
        "computed for the pooled Spearman rows and the pooled partial Spearman rows of the main "
        "properties (docs/report.md explains the budget)."
    )
    props = pd.DataFrame({"property": ctx.xs})
    props["kind"] = ["DAG" if _bare(c).startswith("dag_") else "graph" for c in ctx.xs]
    sec.table(
        f"Graph properties used as correlates ({fmt(len(ctx.xs))})",
        props,
        note="Properties left out: "
        + ("; ".join(f"{k} ({v})" for k, v in ctx.dropped_xs.items()) if ctx.dropped_xs else "none")
        + ".",
    )
    if ctx.measures:
        sec.table(
            f"Main robustness measures ({fmt(len(ctx.measures))})",
            pd.DataFrame(
                [
                    (
                        m.column,
                        m.measure,
                        m.attack,
                        m.norm,
                        m.eps,
                        "higher" if m.direction > 0 else "lower",
                    )
                    for m in ctx.measures
                ],
                columns=["column", "measure", "attack", "norm", "eps", "more robust when"],
            ),
        )
    else:
        sec.text(
            "No main robustness measure has a value for a trainable graph net: the correlation "
            "sections below are empty."
        )
    return sec


# ----------------------------------------------------------------------------
# section: graph -> network
# ----------------------------------------------------------------------------


def _example_graph(ctx: _Context) -> pd.Series | None:
    graphs = ctx.tables["graphs"]
    if graphs.empty:
        return None
    cand = graphs.copy()
    cand["has_ok"] = cand["graph_id"].isin(set(ctx.ok["graph_id"].dropna()))
    cand["is_original"] = cand["variant"] == "original"
    size = cand["n_nodes_requested"] if "n_nodes_requested" in cand else 0
    cand["size"] = pd.to_numeric(size, errors="coerce").fillna(np.inf)
    cand = cand.sort_values(["has_ok", "is_original", "size"], ascending=[False, False, True])
    return cand.iloc[0]


def section_mapping(ctx: _Context) -> Section:
    """One example graph, its layered DAG and the resulting weight mask."""
    sec = Section(TITLES["mapping"])
    row = _example_graph(ctx)
    if row is None:
        sec.text("The graphs table is empty: there is no graph to show.")
        return sec
    from graphprior.graphs.dag import build_layered_dag
    from graphprior.graphs.grid import GraphSpec, make_graph
    from graphprior.graphs.selection import mapping_options

    try:
        spec = GraphSpec.create(
            str(row["generator"]),
            json.loads(row["params_json"]),
            int(row["seed"]),
            variant=str(row["variant"]),
            twin_swaps_per_edge=int(_cfg(ctx.config, "graphs", "twin_swaps_per_edge", default=10)),
        )
        graph = make_graph(spec)
        layered = build_layered_dag(graph, mapping_options(ctx.config, str(row["graph_id"])))
    except Exception as exc:  # a report must build even if the example cannot be redrawn
        log.warning("could not rebuild example graph %s: %s", row["graph_id"], exc)
        sec.text(f"The example graph `{row['graph_id']}` could not be rebuilt ({exc}).")
        return sec
    gid = str(row["graph_id"])
    props = ctx.tables["graph_properties"]
    prow = props.loc[props["graph_id"] == gid]
    prow = prow.iloc[0] if len(prow) else pd.Series(dtype=float)
    opts = mapping_options(ctx.config, gid).to_dict()
    sec.text(
        f"Example: graph `{gid}` ({row['generator']}, parameters {row['params_json']}, seed "
        f"{fmt(int(row['seed']))}, {row['variant']}), rebuilt from its row of the graphs table. "
        f"It has {fmt(prow.get('n_nodes'))} nodes and {fmt(prow.get('n_edges'))} edges. Edges are "
        f"oriented `{opts['orientation']}` (seeded by the graph id), every node gets layer "
        "1 + the largest layer of its predecessors (sources: layer 0"
        + ("; sinks moved to the last layer" if opts["sinks_to_last_layer"] else "")
        + f"), giving {fmt(prow.get('dag_depth'))} hidden layers of widths "
        + ", ".join(fmt(w) for w in layered.widths)
        + f". {fmt(prow.get('dag_skip_edges'))} of the edges skip at least one layer (mean span "
        f"{fmt(prow.get('dag_skip_span_mean'))}). The input feeds "
        f"{fmt(len(layered.input_nodes))} neurons (`{opts['input_wiring']}`), "
        f"{fmt(len(layered.readout_nodes))} neurons feed the classifier (`{opts['readout']}`); the "
        f"network has {fmt(prow.get('dag_n_params'))} trainable parameters. Each edge u→v is one "
        "trainable weight from neuron u to neuron v; absent edges are masked to zero."
    )
    checks = {
        "edges": (graph.number_of_edges(), prow.get("n_edges")),
        "layers": (layered.depth, prow.get("dag_depth")),
    }
    mismatch = [
        k
        for k, (a, b) in checks.items()
        if b is not None and np.isfinite(float(b)) and int(a) != int(b)
    ]
    if mismatch:
        sec.text(
            "Warning: the rebuilt graph differs from the graph_properties table in "
            + ", ".join(mismatch)
            + " (the figure may not show the graph that was trained)."
        )
    sec.figure(_mapping_figure(graph, layered, gid))
    return sec


def _mapping_figure(graph, layered, gid: str) -> Figure:
    import networkx as nx
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    fig, axes = plt.subplots(
        1, 3, figsize=(16, 5.2), gridspec_kw={"width_ratios": [1.0, 1.5, 1.0]}, layout="constrained"
    )
    ax = axes[0]
    pos = nx.spring_layout(graph, seed=0)
    segs = [(pos[u], pos[v]) for u, v in graph.edges()]
    ax.add_collection(LineCollection(segs, colors="0.6", linewidths=0.6))
    xy = np.array([pos[v] for v in graph.nodes()])
    ax.scatter(xy[:, 0], xy[:, 1], s=14, c="tab:blue", zorder=3)
    ax.set_title(f"undirected graph {gid}", fontsize=9)
    ax.set_axis_off()
    ax.autoscale()

    ax = axes[1]
    widths = layered.widths
    lpos = {
        v: (layered.layer_of[v], layered.position[v] - (widths[layered.layer_of[v]] - 1) / 2)
        for v in layered.dag.nodes()
    }
    spans = {(u, v): layered.layer_of[v] - layered.layer_of[u] for u, v in layered.dag.edges()}
    max_span = max(spans.values(), default=1)
    norm = Normalize(vmin=2, vmax=max(max_span, 3))
    cmap = plt.get_cmap("plasma")
    adjacent = [(lpos[u], lpos[v]) for (u, v), s in spans.items() if s == 1]
    skips = [((lpos[u], lpos[v]), s) for (u, v), s in spans.items() if s > 1]
    ax.add_collection(LineCollection(adjacent, colors="0.65", linewidths=0.6, zorder=1))
    if skips:
        lc = LineCollection(
            [seg for seg, _ in skips],
            colors=[cmap(norm(s)) for _, s in skips],
            linewidths=0.9,
            alpha=0.8,
            zorder=2,
        )
        ax.add_collection(lc)
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(sm, ax=ax, label="span of a skip edge (layers)", fraction=0.04)
    depth = layered.depth
    ymax = max(widths) / 2 + 0.5
    for v in layered.input_nodes:
        ax.plot([-1, lpos[v][0]], [0, lpos[v][1]], color="tab:green", lw=0.4, alpha=0.5, zorder=0)
    for v in layered.readout_nodes:
        ax.plot([lpos[v][0], depth], [lpos[v][1], 0], color="tab:red", lw=0.4, alpha=0.5, zorder=0)
    xy = np.array([lpos[v] for v in layered.dag.nodes()])
    ax.scatter(xy[:, 0], xy[:, 1], s=16, c="tab:blue", zorder=3)
    ax.scatter([-1], [0], marker="s", s=120, c="tab:green", zorder=3)
    ax.scatter([depth], [0], marker="s", s=120, c="tab:red", zorder=3)
    ax.text(-1, -ymax * 0.12 - 0.3, "input", ha="center", va="top", fontsize=8)
    ax.text(depth, -ymax * 0.12 - 0.3, "classifier", ha="center", va="top", fontsize=8)
    ax.set_xlim(-1.5, depth + 0.5)
    ax.set_ylim(-ymax, ymax)
    ax.set_xticks(range(depth))
    ax.set_xlabel("hidden layer")
    ax.set_yticks([])
    ax.set_title("layered DAG (grey: adjacent layers; colour: skip edges)", fontsize=9)

    ax = axes[2]
    order = [v for layer in layered.layers for v in layer]
    index = {v: i for i, v in enumerate(order)}
    mask = np.zeros((len(order), len(order)))
    for u, v in layered.dag.edges():
        mask[index[v], index[u]] = 1.0 if spans[(u, v)] == 1 else 2.0
    ax.imshow(
        mask,
        cmap=plt.matplotlib.colors.ListedColormap(["white", "0.4", "tab:orange"]),
        interpolation="nearest",
        vmin=0,
        vmax=2,
    )
    bounds = np.cumsum(widths)[:-1] - 0.5
    for b in bounds:
        ax.axhline(b, color="tab:blue", lw=0.4)
        ax.axvline(b, color="tab:blue", lw=0.4)
    ax.set_xlabel("sending neuron (ordered by layer)")
    ax.set_ylabel("receiving neuron")
    ax.set_title(
        "weight mask between hidden neurons\n(grey: adjacent layers, orange: skips)", fontsize=9
    )
    return _figure(
        "graph_to_network",
        f"From graph to network: the undirected graph {gid} (left), its layered DAG with nodes "
        "placed by layer (centre; input in green, classifier in red, skip edges coloured by "
        "span) and the resulting mask of hidden-to-hidden weights (right; blue lines separate "
        "the layers; the diagonal blocks and everything above them are always absent).",
        fig,
    )


# ----------------------------------------------------------------------------
# section: trainability
# ----------------------------------------------------------------------------


def section_trainability(ctx: _Context) -> Section:
    """Share of trainable models per generator and family; what goes with trainability."""
    sec = Section(TITLES["trainability"])
    study = ctx.study
    if study.empty:
        sec.text("The study table is empty.")
        return sec

    def summary(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
        df = df.assign(
            ok=df["status"] == "ok",
            untrainable=df["status"] == "untrainable",
            diverged=df["status"] == "diverged",
        )
        out = df.groupby(by, dropna=False).agg(
            models=("model_id", "count"),
            ok=("ok", "sum"),
            untrainable=("untrainable", "sum"),
            diverged=("diverged", "sum"),
            ok_share=("ok", "mean"),
            median_test_accuracy=("test_accuracy", "median"),
        )
        return out.reset_index()

    gn = ctx.graph_nets
    if len(gn):
        by = ["generator", "variant"] if "variant" in gn.columns else ["generator"]
        table = summary(gn, by)
        total = summary(gn.assign(generator="all graph nets"), ["generator"])
        sec.table(
            "Graph nets by generator and variant", pd.concat([table, total], ignore_index=True)
        )
    if len(ctx.baselines):
        sec.table("Baselines by family", summary(ctx.baselines, ["family"]))
    if len(gn):
        sec.text(
            f"{fmt(int((gn['status'] == 'ok').sum()))} of {fmt(len(gn))} graph nets trained "
            f"(share {fmt(float((gn['status'] == 'ok').mean()))}); the median test accuracy of the "
            f"trainable ones is {fmt(float(ctx.ok['test_accuracy'].median()) if len(ctx.ok) else float('nan'))}."
        )
        sec.figure(_trainability_figure(ctx))
        # which graphs train: per-graph share of trainable models vs the main properties
        per = gn.assign(ok_share=(gn["status"] == "ok").astype(float))
        xs = [c for c in ctx.xs if _bare(c) in MAIN_PROPERTIES]
        pg = S.aggregate_per_graph(
            per, xs, ["ok_share", "test_accuracy"], "mean", controls=(), ok_only=False
        )
        tab = S.correlation_table(
            pg,
            xs,
            ["ok_share", "test_accuracy"],
            methods=("spearman",),
            strata_col=None,
            controls=None,
            n_boot=0,
            rng=ctx.rng,
            min_graphs=_MIN_GRAPHS,
        )
        if len(tab):
            tab = tab.reindex(tab["r"].abs().sort_values(ascending=False).index)
            sec.table(
                "Spearman correlation of the per-graph share of trainable models (ok_share) and "
                "the mean test accuracy (all models) with the main graph properties",
                tab[["x", "y", "r", "p", "q", "n"]].head(12).reset_index(drop=True),
            )
        else:
            sec.text(
                f"Too few graphs (< {fmt(_MIN_GRAPHS)}) or no varying property to relate "
                "trainability to graph properties."
            )
    return sec


def _trainability_figure(ctx: _Context) -> Figure:
    gn = ctx.graph_nets
    gens = sorted(gn["generator"].astype(str).unique())
    fig, ax = plt.subplots(figsize=(1.5 + 1.4 * len(gens), 3.6), layout="constrained")
    rng = np.random.default_rng(0)
    markers = {"ok": "o", "untrainable": "x", "diverged": "^"}
    for i, g in enumerate(gens):
        sub = gn.loc[gn["generator"] == g]
        for st, marker in markers.items():
            s = sub.loc[sub["status"] == st, "test_accuracy"].to_numpy(dtype=float)
            ax.scatter(
                i + rng.uniform(-0.25, 0.25, s.size),
                s,
                marker=marker,
                color=ctx.colours.get(g, "0.3"),
                s=18,
                label=st if i == 0 else None,
            )
    ax.set_xticks(range(len(gens)), [_short(g, 22) for g in gens], rotation=20, ha="right")
    ax.set_ylabel("test accuracy")
    handles = [
        plt.Line2D([], [], marker=m, ls="", color="0.3", label=st) for st, m in markers.items()
    ]
    ax.legend(handles=handles, fontsize=8, loc="best")
    return _figure(
        "trainability",
        "Test accuracy of every graph net by generator; marker = status (o ok, x untrainable, "
        "^ diverged).",
        fig,
    )


# ----------------------------------------------------------------------------
# section: correlations
# ----------------------------------------------------------------------------


def section_correlations(ctx: _Context) -> Section:
    """Heatmaps, the strongest correlations, the claim pairs per generator, test counts."""
    sec = Section(TITLES["correlations"])
    corr = ctx.corr
    if corr.empty:
        n = len(ctx.per_graph.get(ctx.mean_key, []))
        sec.text(
            f"No correlation could be computed: {fmt(n)} graphs have a trainable model "
            f"(at least {fmt(_MIN_GRAPHS)} are needed), {fmt(len(ctx.measures))} main measures and "
            f"{fmt(len(ctx.xs))} varying graph properties are present."
        )
        return sec
    mean = ctx.mean_key
    pooled = corr.loc[(corr["stratum"] == "pooled") & (corr["aggregate"] == mean)]
    sp = pooled.loc[pooled["method"] == "spearman"]
    n_graphs = int(sp["n"].max()) if len(sp) else 0
    sec.text(
        f"{fmt(len(corr))} correlations in the table (`correlations.parquet`): "
        f"{fmt(corr['x'].nunique())} graph properties × {fmt(corr['y'].nunique())} measures × "
        f"methods × strata × aggregates; the pooled ones use up to {fmt(n_graphs)} graphs. "
        f"Per-graph {mean}s unless stated."
    )
    counts = (
        corr.assign(significant=corr["q"] < ALPHA, tested=corr["p"].notna())
        .groupby(["stratum", "aggregate", "method"], sort=False)
        .agg(
            tests=("tested", "sum"),
            q_below_alpha=("significant", "sum"),
            max_abs_r=(
                "r",
                lambda r: float(np.nanmax(np.abs(r))) if r.notna().any() else float("nan"),
            ),
        )
        .reset_index()
    )
    sec.table(f"Tests per family and how many have q < {ALPHA}", counts)
    sec.figure(
        _heatmap(sp, "heatmap_spearman", f"Spearman ρ, pooled over generators, per-graph {mean}s")
    )
    partial = pooled.loc[pooled["method"] == "partial_spearman"]
    sec.figure(
        _heatmap(
            partial,
            "heatmap_partial_spearman",
            f"Partial Spearman ρ controlling for {' and '.join(CONTROLS)}, pooled, per-graph {mean}s",
        )
    )
    top = _strongest_table(pooled, k=20)
    if len(top):
        sec.table(
            f"The 20 strongest pooled Spearman correlations (per-graph {mean}s), with the other "
            "methods for the same pair",
            top,
            note="ci: 95 % cluster-bootstrap interval; q: Benjamini–Hochberg within the family.",
        )
    claim_pairs = _claim_pairs_by_stratum(ctx)
    if len(claim_pairs):
        sec.table(
            "The pairs of claims C2–C4 by stratum, aggregate and method "
            f"(y = {ctx.primary.column if ctx.primary else ''})",
            claim_pairs,
        )
    strata = sorted(set(corr["stratum"]) - {"pooled"})
    gens = sorted(set(ctx.per_graph[mean]["generator"])) if mean in ctx.per_graph else []
    missing = [g for g in gens if g not in strata]
    if missing:
        sec.text(
            f"Generators with fewer than {fmt(_MIN_GRAPHS)} trainable graphs have no stratum of "
            "their own: " + ", ".join(missing) + "."
        )
    return sec


def _heatmap(rows: pd.DataFrame, name: str, title: str) -> Figure | None:
    if rows.empty or rows["r"].notna().sum() == 0:
        return None
    mat = rows.pivot_table(index="x", columns="y", values="r", aggfunc="first", sort=False)
    q = rows.pivot_table(index="x", columns="y", values="q", aggfunc="first", sort=False)
    q = q.reindex(index=mat.index, columns=mat.columns)
    fig, ax = plt.subplots(
        figsize=(2.5 + 0.5 * mat.shape[1], 1.5 + 0.28 * mat.shape[0]), layout="constrained"
    )
    im = ax.imshow(mat.to_numpy(dtype=float), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    qa = q.to_numpy(dtype=float)
    for i, j in zip(*np.nonzero(np.nan_to_num(qa, nan=1.0) < ALPHA), strict=True):
        ax.text(j, i, "•", ha="center", va="center", fontsize=9, color="k")
    ax.set_xticks(
        range(mat.shape[1]), [_short(c) for c in mat.columns], rotation=60, ha="right", fontsize=7
    )
    ax.set_yticks(range(mat.shape[0]), mat.index, fontsize=7)
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, label="r", fraction=0.03)
    return _figure(name, f"{title}; • marks q < {ALPHA}.", fig)


def _strongest_table(pooled: pd.DataFrame, k: int) -> pd.DataFrame:
    sp = pooled.loc[(pooled["method"] == "spearman") & pooled["r"].notna()]
    if sp.empty:
        return pd.DataFrame()
    sp = sp.reindex(sp["r"].abs().sort_values(ascending=False, kind="stable").index).head(k)
    out = sp[["x", "y", "r", "ci_low", "ci_high", "p", "q", "n"]].rename(
        columns={"r": "spearman", "ci_low": "ci_low", "ci_high": "ci_high"}
    )
    for method, label in (
        ("kendall", "kendall"),
        ("pearson", "pearson"),
        ("partial_spearman", "partial"),
    ):
        other = pooled.loc[pooled["method"] == method, ["x", "y", "r", "q"]].rename(
            columns={"r": label, "q": f"q_{label}"}
        )
        out = out.merge(other, on=["x", "y"], how="left")
    return out.reset_index(drop=True)


def _claim_pairs_by_stratum(ctx: _Context) -> pd.DataFrame:
    if ctx.primary is None:
        return pd.DataFrame()
    xs = [study_name(p, ctx.study) for p in CLAIM_PROPERTIES.values()]
    rows = ctx.corr.loc[ctx.corr["x"].isin(xs) & (ctx.corr["y"] == ctx.primary.column)]
    rows = rows.loc[rows["method"].isin(["spearman", "kendall", "partial_spearman"])]
    return rows[
        ["x", "stratum", "aggregate", "method", "r", "ci_low", "ci_high", "q", "n"]
    ].reset_index(drop=True)


# ----------------------------------------------------------------------------
# section: strongest associations
# ----------------------------------------------------------------------------


def section_strongest(ctx: _Context, k: int = 6) -> Section:
    """Scatter plots of the strongest pooled Spearman pairs, coloured by generator."""
    sec = Section(TITLES["strongest"])
    mean = ctx.mean_key
    if ctx.corr.empty or mean not in ctx.per_graph:
        sec.text("No correlation was computed, so there is no strongest association to show.")
        return sec
    sp = ctx.corr.loc[
        (ctx.corr["stratum"] == "pooled")
        & (ctx.corr["aggregate"] == mean)
        & (ctx.corr["method"] == "spearman")
        & ctx.corr["r"].notna()
    ]
    sp = sp.reindex(sp["r"].abs().sort_values(ascending=False, kind="stable").index)
    # at most two panels per measure, so the figure shows several measures
    picked, per_y = [], {}
    for _, row in sp.iterrows():
        if per_y.get(row["y"], 0) >= 2:
            continue
        picked.append(row)
        per_y[row["y"]] = per_y.get(row["y"], 0) + 1
        if len(picked) == k:
            break
    if not picked:
        sec.text("No finite correlation.")
        return sec
    data = ctx.per_graph[mean].merge(
        ctx.tables["graphs"][["graph_id", "variant"]], on="graph_id", how="left"
    )
    fig, axes = _grid(len(picked))
    for ax, row in zip(axes, picked, strict=False):
        for (g, variant), sub in data.groupby(["generator", "variant"], dropna=False):
            ax.scatter(
                sub[row["x"]],
                sub[row["y"]],
                color=ctx.colours.get(str(g), "0.3"),
                marker="^" if variant == "twin" else "o",
                s=22,
                alpha=0.85,
                label=f"{g}" + (" (twin)" if variant == "twin" else ""),
            )
        ax.set_xlabel(row["x"], fontsize=8)
        ax.set_ylabel(_short(row["y"], 40), fontsize=8)
        ax.set_title(
            f"ρ = {fmt(row['r'])} [{fmt(row['ci_low'])}, {fmt(row['ci_high'])}], q = {fmt(row['q'])}",
            fontsize=8,
        )
    axes[0].legend(fontsize=6, loc="best")
    sec.text(
        f"The strongest pooled Spearman correlations (per-graph {mean}s; at most two per measure). "
        "One point per graph; colour = generator, triangles = degree-preserving twins. Titles: "
        "ρ, its 95 % cluster-bootstrap interval and q-value, from the correlations table."
    )
    sec.figure(
        _figure(
            "strongest_associations",
            f"Strongest associations between graph properties and robustness (per-graph {mean}s).",
            fig,
        )
    )
    return sec


# ----------------------------------------------------------------------------
# section: regression
# ----------------------------------------------------------------------------


def section_regression(ctx: _Context) -> Section:
    """OLS of each main measure on standardised properties and the controls, HC3 errors, VIFs."""
    sec = Section(TITLES["regression"])
    mean = ctx.mean_key
    if mean not in ctx.per_graph or not ctx.measures:
        sec.text("No per-graph table with robustness measures: no regression.")
        return sec
    xs = [c for c in (study_name(p, ctx.study) for p in OLS_PROPERTIES) if c in ctx.xs]
    data = ctx.per_graph[mean]
    summaries, coefs = [], []
    for m in ctx.measures:
        fit = S.ols_hc3(data, m.column, xs, [c for c in CONTROLS if c in data.columns])
        summaries.append(
            {
                "measure": m.column,
                "n": fit["n"],
                "r2": fit["r2"],
                "r2_adj": fit["r2_adj"],
                "dropped": ", ".join(f"{k} ({v})" for k, v in fit["dropped"].items()),
            }
        )
        c = fit["coefficients"]
        if len(c):
            c = c.reset_index().loc[lambda d: d["term"] != "const"]
            c.insert(0, "measure", m.column)
            coefs.append(c[["measure", "term", "role", "coef", "ci_low", "ci_high", "p", "vif"]])
    sec.text(
        f"For each main measure, OLS on per-graph {mean}s with standardised predictors "
        f"({', '.join(xs) or 'none'}) and the controls ({', '.join(CONTROLS)}); coefficients are the "
        "change of the measure per standard deviation of a predictor, holding the others "
        "fixed; 95 % intervals and p from HC3 (heteroskedasticity-robust) errors; VIF > 10 "
        "flags collinear predictors. Predictors that are constant or collinear are dropped."
    )
    summary = pd.DataFrame(summaries)
    sec.table("Fits", summary)
    if coefs:
        table = pd.concat(coefs, ignore_index=True)
        sec.table("Coefficients (HC3)", table)
        high = table.loc[table["vif"] > 10, "term"].unique()
        if len(high):
            sec.text("Predictors with VIF > 10 in some fit: " + ", ".join(high) + ".")
    else:
        sec.text(
            "No fit was possible: too few graphs for the number of coefficients (a fit needs at "
            "least two more graphs than coefficients)."
        )
    return sec


# ----------------------------------------------------------------------------
# long-table helpers
# ----------------------------------------------------------------------------


def _long(ctx: _Context, measures: Sequence[str], *, layers: bool = False) -> pd.DataFrame:
    """Rows of the long robustness table for trainable models, with family, generator, label."""
    rob = ctx.tables["robustness"]
    if rob.empty or "measure" not in rob.columns:
        return pd.DataFrame()
    if "layer" in rob.columns:
        rob = rob.loc[rob["layer"].notna() if layers else rob["layer"].isna()]
    elif layers:
        return pd.DataFrame()
    rob = rob.loc[rob["measure"].isin(measures)]
    meta_cols = [
        c
        for c in ("model_id", "family", "generator", "graph_id", "status", "init")
        if c in ctx.study
    ]
    out = rob.merge(ctx.study[meta_cols], on="model_id", how="inner")
    out = out.loc[out["status"] == "ok"].copy()
    out["label"] = np.where(
        out["family"] == "graph_prior", out["generator"].astype(str), out["family"].astype(str)
    )
    return out


def _curve(long: pd.DataFrame, value: str = "value") -> pd.DataFrame:
    """Median and quartiles over graphs (graph nets: per-graph means first) or models (baselines)."""
    unit = np.where(
        long["family"] == "graph_prior", long["graph_id"].astype(str), long["model_id"].astype(str)
    )
    keys = ["label", "attack", "norm", "eps"]
    per_unit = (
        long.assign(unit=unit).groupby(keys + ["unit"], dropna=False)[value].mean().reset_index()
    )
    return (
        per_unit.groupby(keys, dropna=False)[value]
        .agg(
            median="median",
            q25=lambda v: v.quantile(0.25),
            q75=lambda v: v.quantile(0.75),
            n="count",
        )
        .reset_index()
    )


# ----------------------------------------------------------------------------
# section: robust accuracy vs eps
# ----------------------------------------------------------------------------


def section_eps(ctx: _Context) -> Section:
    """Robust accuracy against ε for every attack and norm, graph nets per generator and baselines."""
    sec = Section(TITLES["eps"])
    long = _long(ctx, ["robust_accuracy"])
    if long.empty:
        sec.text("No robust-accuracy rows for trainable models: this section is empty.")
        return sec
    curve = _curve(long)
    panels = sorted({(a, n) for a, n in zip(curve["attack"], curve["norm"], strict=True)})
    fig, axes = _grid(len(panels))
    labels = sorted(curve["label"].unique())
    base_colours = _colours([lab for lab in labels if lab not in ctx.colours])
    for ax, (attack, norm) in zip(axes, panels, strict=False):
        sub = curve.loc[(curve["attack"] == attack) & (curve["norm"] == norm)]
        for lab, c in sub.groupby("label"):
            c = c.sort_values("eps")
            is_base = lab not in ctx.colours
            colour = base_colours.get(lab, "0.3") if is_base else ctx.colours[lab]
            ax.plot(
                c["eps"],
                c["median"],
                marker="o",
                ms=3,
                ls="--" if is_base else "-",
                color=colour,
                label=lab,
            )
            ax.fill_between(c["eps"], c["q25"], c["q75"], color=colour, alpha=0.12)
        ax.set_title(f"{attack}, {norm}", fontsize=9)
        ax.set_xlabel("ε")
        ax.set_ylabel("robust accuracy")
    axes[0].legend(fontsize=6)
    sec.text(
        "Median robust accuracy (band: quartiles) against the attack radius ε. Graph nets "
        "(solid, one line per generator) are first averaged per graph; baselines (dashed) are "
        "pruned dense nets, one value per model."
    )
    sec.figure(
        _figure(
            "robust_accuracy_vs_eps", "Robust accuracy vs ε per generator and baseline family.", fig
        )
    )
    table = curve.pivot_table(
        index=["attack", "norm", "eps"], columns="label", values="median"
    ).reset_index()
    table.columns.name = None
    sec.table("Median robust accuracy by attack, norm, ε and family/generator", table)
    checks = _monotone_violations(long)
    if len(checks):
        sec.table(
            "Check: ε steps where a model's robust accuracy rises (expected 0 for PGD; FGSM is "
            "not guaranteed to be monotone in ε)",
            checks,
        )
    return sec


def _monotone_violations(long: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (attack, norm), part in long.groupby(["attack", "norm"], sort=True):
        rises, steps = 0, 0
        for _, g in part.groupby("model_id"):
            v = g.sort_values("eps")["value"].to_numpy(dtype=float)
            d = np.diff(v)
            rises += int((d > 1e-12).sum())
            steps += int(d.size)
        rows.append(
            {
                "attack": attack,
                "norm": norm,
                "models": part["model_id"].nunique(),
                "eps_steps": steps,
                "rises": rises,
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------
# section: initialisation
# ----------------------------------------------------------------------------


def section_init(ctx: _Context) -> tuple[Section, dict[str, Any]]:
    """Friedman and Kruskal–Wallis per measure, box plots per init; the C1 statistics."""
    sec = Section(TITLES["init"])
    ok = ctx.ok
    c1: dict[str, Any] = {}
    if not ctx.measures or ok.empty or "init" not in ok.columns:
        sec.text("No trainable graph net with robustness measures: no test of the initialisation.")
        return sec, c1
    inits = sorted(ok["init"].dropna().unique())
    rows = []
    for m in ctx.measures:
        res = S.init_independence(ok, m.column)
        rows.append(
            {k: v for k, v in res.items() if k != "group_medians"}
            | {"medians": res["group_medians"]}
        )
    table = pd.DataFrame(rows)
    table["friedman_q"] = S.bh_qvalues(table["friedman_p"].to_numpy(dtype=float))
    table["kruskal_q"] = S.bh_qvalues(table["kruskal_p"].to_numpy(dtype=float))
    medians = pd.DataFrame([r["medians"] for r in rows], index=table["measure"]).reset_index()
    table = table.drop(columns="medians")[
        [
            "measure",
            "k",
            "n_blocks",
            "n_blocks_dropped",
            "friedman_chi2",
            "friedman_p",
            "friedman_q",
            "kendall_w",
            "n_obs",
            "kruskal_h",
            "kruskal_p",
            "kruskal_q",
            "epsilon_squared",
        ]
    ]
    sec.text(
        f"{fmt(len(inits))} initialisations ({', '.join(inits)}). Friedman test blocked by graph "
        "(cells: mean over seeds per graph and initialisation; only graphs with every "
        "initialisation trainable), effect size Kendall's W (0: no consistent ordering of the "
        "initialisations across graphs, 1: the same ordering everywhere); Kruskal–Wallis on all "
        "cells, effect size ε². q: Benjamini–Hochberg over the measures."
    )
    sec.table("Does a measure depend on the initialisation?", table)
    sec.table("Median per initialisation (over graph × initialisation cells)", medians)
    sec.figure(_init_figure(ctx, inits))
    # C1 on the paper's initialisations when at least three of them were run
    primary = ctx.primary
    paper = [i for i in inits if i in PAPER_INITS]
    used = paper if len(paper) >= 3 else inits
    sub = ok.loc[ok["init"].isin(used)]
    res = S.init_independence(sub, primary.column)
    lo, hi = kendall_w_interval(sub, primary.column, used, n_boot=ctx.n_boot, rng=ctx.rng)
    c1 = {
        "measure": primary.column,
        "inits": used,
        "paper_inits": len(paper) >= 3,
        **res,
        "ci_low": lo,
        "ci_high": hi,
    }
    return sec, c1


def _init_figure(ctx: _Context, inits: list[str]) -> Figure | None:
    measures = ctx.measures[:6]
    if not measures:
        return None
    fig, axes = _grid(len(measures), size=(4.2, 3.2))
    for ax, m in zip(axes, measures, strict=False):
        data = [
            ctx.ok.loc[ctx.ok["init"] == i, m.column].dropna().to_numpy(dtype=float) for i in inits
        ]
        ax.boxplot(data, showfliers=True)
        ax.set_xticks(
            range(1, len(inits) + 1),
            [_short(i, 14) for i in inits],
            rotation=35,
            ha="right",
            fontsize=7,
        )
        ax.set_title(_short(m.column, 40), fontsize=8)
    return _figure(
        "init_boxplots",
        "Main measures per initialisation (trainable graph nets, one value per model).",
        fig,
    )


# ----------------------------------------------------------------------------
# section: baselines
# ----------------------------------------------------------------------------


def section_baselines(ctx: _Context) -> Section:
    """Graph nets against pruned dense baselines of the nearest weight density."""
    sec = Section(TITLES["baselines"])
    base_ok = _ok(ctx.baselines)
    if ctx.baselines.empty:
        sec.text("No baseline models in this run (baseline.activate is false or none trained).")
        return sec
    if base_ok.empty:
        sec.text(
            f"None of the {fmt(len(ctx.baselines))} baseline models is trainable (status ok), so "
            "there is nothing to compare the graph nets with."
        )
        return sec
    if ctx.ok.empty or "density" not in ctx.ok.columns:
        sec.text("No trainable graph net with a weight density: no comparison.")
        return sec
    measures = [m for m in ctx.measures if base_ok[m.column].notna().any()]
    pg = S.aggregate_per_graph(
        ctx.ok, ["density"], [m.column for m in measures] + ["test_accuracy"], "mean", controls=()
    )
    frames = []
    for col in ["test_accuracy"] + [m.column for m in measures]:
        frames.append(S.matched_density_comparison(pg, base_ok, col, "density", decimals=3))
    comp = pd.concat(frames, ignore_index=True)
    comp["q"] = comp.groupby("family")["wilcoxon_p"].transform(
        lambda p: S.bh_qvalues(p.to_numpy(dtype=float))
    )
    sec.text(
        "Each graph (per-graph mean over its trainable models) is paired with the mean of each "
        "baseline family at the nearest weight density (net density, not graph density); "
        "Wilcoxon signed-rank test of the paired differences (q: Benjamini–Hochberg over the "
        "measures of a family) and Cliff's δ (positive: graph nets higher). Density gaps show how "
        "close the match is."
    )
    sec.table(
        "Graph nets vs baselines at matched density",
        comp[
            [
                "family",
                "measure",
                "n",
                "n_levels",
                "median_graph",
                "median_baseline",
                "median_difference",
                "wilcoxon_p",
                "q",
                "cliffs_delta",
                "median_density_gap",
                "max_density_gap",
            ]
        ],
    )
    sec.figure(
        _baseline_figure(ctx, pg, base_ok, ["test_accuracy"] + [m.column for m in measures][:5])
    )
    return sec


def _baseline_figure(
    ctx: _Context, pg: pd.DataFrame, base: pd.DataFrame, cols: list[str]
) -> Figure:
    fig, axes = _grid(len(cols))
    fams = sorted(base["family"].unique())
    fam_col = _colours(fams)
    markers = ["s", "D", "P", "X", "v"]
    for ax, col in zip(axes, cols, strict=False):
        for g, sub in pg.groupby("generator"):
            ax.scatter(
                sub["density"], sub[col], s=18, color=ctx.colours.get(str(g), "0.3"), label=str(g)
            )
        for i, f in enumerate(fams):
            sub = base.loc[base["family"] == f]
            ax.scatter(
                sub["density"],
                sub[col],
                s=26,
                marker=markers[i % len(markers)],
                facecolors="none",
                edgecolors=[fam_col[f]],
                label=f,
            )
            line = sub.groupby(sub["density"].round(3))[col].mean().sort_index()
            ax.plot(line.index, line.to_numpy(), color=fam_col[f], lw=0.8, ls="--")
        ax.set_xlabel("weight density of the net")
        ax.set_ylabel(_short(col, 40), fontsize=8)
    axes[0].legend(fontsize=6)
    return _figure(
        "graph_vs_baselines",
        "Graph nets (filled, per-graph means, colour = generator) and pruned dense baselines "
        "(open markers, dashed: mean per density level) against the weight density.",
        fig,
    )


# ----------------------------------------------------------------------------
# related studies: weight perturbation (Tsai et al. 2021)
# ----------------------------------------------------------------------------


def _per_graph_values(ctx: _Context, per_model: pd.Series, how: str) -> np.ndarray:
    """Aggregate a per-model value (indexed by model_id) to one value per graph."""
    meta = ctx.ok.set_index("model_id")["graph_id"]
    df = pd.DataFrame(
        {"graph_id": meta.reindex(per_model.index), "v": per_model.to_numpy(dtype=float)}
    )
    df = df.loc[df["graph_id"].notna() & np.isfinite(df["v"])]
    return df.groupby("graph_id")["v"].agg(how).to_numpy(dtype=float)


def weight_statistics(ctx: _Context) -> dict[str, Any]:
    """Claims R3a (accuracy falls with δ) and R3b (worst case below random), per aggregate."""
    long = _with_clean_point(ctx, _long(ctx, ["weight_random_accuracy", "weight_worst_accuracy"]))
    out: dict[str, Any] = {"long": long}
    if long.empty:
        return out
    graph_long = long.loc[long["family"] == "graph_prior"].sort_values("eps", kind="stable")
    mono, drop = {}, {}
    for model_id, g in graph_long.groupby("model_id", sort=False):
        rhos, drops = [], []
        for _, curve in g.groupby(["measure", "norm"], sort=False):
            eps = curve["eps"].to_numpy(dtype=float)
            acc = curve["value"].to_numpy(dtype=float)
            rhos.append(_monotonicity(eps, acc))
            zero = np.isclose(eps, 0.0)
            if zero.any() and eps.size > 1:
                drops.append(float(acc[np.argmax(eps)] - acc[zero][0]))
        mono[model_id] = np.nanmean(rhos) if np.isfinite(rhos).any() else np.nan
        drop[model_id] = np.nanmean(drops) if drops else np.nan
    pivot = graph_long.pivot_table(
        index=["model_id", "norm", "eps"], columns="measure", values="value"
    ).reset_index()
    gap = pd.Series(dtype=float)
    if {"weight_random_accuracy", "weight_worst_accuracy"} <= set(pivot.columns):
        pivot = pivot.loc[pivot["eps"] > 0]
        gap = (
            (pivot["weight_worst_accuracy"] - pivot["weight_random_accuracy"])
            .groupby(pivot["model_id"])
            .mean()
        )
    mono_s, drop_s = pd.Series(mono, dtype=float), pd.Series(drop, dtype=float)
    for how in ctx.aggregates:
        out[("R3a", how)] = paired_summary(
            _per_graph_values(ctx, mono_s, how), n_boot=ctx.n_boot, rng=ctx.rng
        )
        out[("R3b", how)] = paired_summary(
            _per_graph_values(ctx, gap, how), n_boot=ctx.n_boot, rng=ctx.rng
        )
        out[("drop", how)] = paired_summary(
            _per_graph_values(ctx, drop_s, how), n_boot=0, rng=ctx.rng
        )
    return out


def _monotonicity(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman ρ of y on x (≥ 3 points), or the sign of the change for two points."""
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size == 2 and x[0] != x[1]:
        return float(np.sign((y[1] - y[0]) * (x[1] - x[0])))
    return S.correlate(x, y, "spearman")[0]


def _clean_accuracy(ctx: _Context) -> pd.Series:
    """Clean accuracy per trainable model: the `clean_accuracy` measure, else test accuracy."""
    ok = _ok(ctx.study).set_index("model_id")
    if "clean_accuracy" in ok.columns and ok["clean_accuracy"].notna().any():
        return ok["clean_accuracy"].fillna(ok["test_accuracy"]).astype(float)
    return ok["test_accuracy"].astype(float)


def _with_clean_point(ctx: _Context, long: pd.DataFrame) -> pd.DataFrame:
    """Add δ = 0 (the clean accuracy) to every weight-perturbation curve that lacks it."""
    if long.empty:
        return long
    keys = ["model_id", "measure", "norm"]
    has_zero = long.groupby(keys)["eps"].transform(lambda e: bool(np.isclose(e, 0.0).any()))
    missing = long.loc[~has_zero.astype(bool)].drop_duplicates(keys).copy()
    clean = _clean_accuracy(ctx)
    missing["eps"] = 0.0
    missing["value"] = missing["model_id"].map(clean)
    missing = missing.loc[missing["value"].notna()]
    return pd.concat([long, missing], ignore_index=True)


def section_weight(ctx: _Context, res: dict[str, Any]) -> Section:
    sec = Section(TITLES["weight"], level=3)
    long = res.get("long", pd.DataFrame())
    if long.empty:
        sec.text("No weight-perturbation measure in the tables: this section is empty.")
        return sec
    mean = ctx.mean_key
    r3a, r3b, drop = res[("R3a", mean)], res[("R3b", mean)], res[("drop", mean)]
    sec.text(
        "Accuracy under relative weight perturbations ‖δW_l‖ ≤ δ‖W_l‖ of every layer, random "
        "directions and worst case (projected gradient ascent in weight space). Per model, the "
        "Spearman correlation between δ (δ = 0: clean accuracy) and accuracy measures how "
        "monotonically accuracy falls; across "
        f"{fmt(r3a['n'])} graphs its median is {fmt(r3a['median'])} "
        f"[{fmt(r3a['ci_low'])}, {fmt(r3a['ci_high'])}] (Wilcoxon p = {fmt(r3a['p'])}); the median "
        f"accuracy change from δ = 0 to the largest δ is {fmt(drop['median'])}. Worst case minus "
        f"random accuracy at the same δ: median {fmt(r3b['median'])} [{fmt(r3b['ci_low'])}, "
        f"{fmt(r3b['ci_high'])}] over {fmt(r3b['n'])} graphs (p = {fmt(r3b['p'])})."
    )
    curve = _curve(long)
    table = curve.pivot_table(
        index=["attack", "norm", "eps"], columns="label", values="median"
    ).reset_index()
    table.columns.name = None
    table = table.rename(columns={"attack": "direction", "eps": "delta"})
    sec.table("Median accuracy under weight perturbation (random / pgd = worst case)", table)
    norms = sorted(curve["norm"].unique())
    fig, axes = _grid(len(norms), ncols=2, size=(5.0, 3.6))
    labels = sorted(curve["label"].unique())
    colours = {**_colours([lab for lab in labels if lab not in ctx.colours]), **ctx.colours}
    for ax, norm in zip(axes, norms, strict=False):
        sub = curve.loc[curve["norm"] == norm]
        for (lab, attack), c in sub.groupby(["label", "attack"]):
            c = c.sort_values("eps")
            ax.plot(
                c["eps"],
                c["median"],
                marker="o",
                ms=3,
                ls="-" if attack == "pgd" else ":",
                color=colours.get(lab, "0.3"),
                label=f"{lab} ({'worst' if attack == 'pgd' else attack})",
            )
        ax.set_title(f"weight perturbation, {norm}", fontsize=9)
        ax.set_xlabel("δ (relative to each layer's norm)")
        ax.set_ylabel("accuracy")
    axes[0].legend(fontsize=6)
    sec.figure(
        _figure(
            "weight_perturbation",
            "Median accuracy vs δ: worst case (solid) and random (dotted).",
            fig,
        )
    )
    return sec


# ----------------------------------------------------------------------------
# related studies: prunability (Kuhn et al. 2021)
# ----------------------------------------------------------------------------


def prunability_statistics(ctx: _Context) -> dict[str, Any]:
    """Kendall τ-b and Spearman of prunability (and competing predictors) with the generalisation gap."""
    ok = ctx.ok
    targets = [
        c for c in ("gen_gap_accuracy", "gen_gap_loss") if c in ok.columns and ok[c].notna().any()
    ]
    candidates = ["prunability_magnitude", "prunability_random", "margin_mean"]
    candidates += [
        m.column
        for m in ctx.measures
        if m.measure in ("weight_random_accuracy", "weight_worst_accuracy")
    ]
    candidates += ["n_params"]
    predictors = [c for c in dict.fromkeys(candidates) if c in ok.columns and ok[c].notna().any()]
    out: dict[str, Any] = {"targets": targets, "predictors": predictors, "table": pd.DataFrame()}
    if not targets or "prunability_magnitude" not in predictors:
        return out
    frames = []
    for how in ctx.aggregates:
        pg = S.aggregate_per_graph(ok, predictors, targets, how, controls=())
        out[("pg", how)] = pg
        frames.append(
            S.correlation_table(
                pg,
                predictors,
                targets,
                methods=("kendall", "spearman"),
                strata_col=None,
                controls=None,
                n_boot=ctx.n_boot,
                rng=ctx.rng,
                aggregate=how,
            )
        )
    out["table"] = pd.concat(frames, ignore_index=True)
    return out


def section_prunability(ctx: _Context, res: dict[str, Any]) -> Section:
    sec = Section(TITLES["prunability"], level=3)
    table = res.get("table", pd.DataFrame())
    if not res.get("targets"):
        sec.text("The generalisation gap is not in the study table: this section is empty.")
        return sec
    if "prunability_magnitude" not in res.get("predictors", []):
        sec.text("Prunability (magnitude pruning) was not measured: this section is empty.")
        return sec
    if table.empty:
        sec.text(f"Fewer than {fmt(_MIN_GRAPHS)} graphs with trainable models: no correlation.")
        return sec
    mean = ctx.mean_key
    row = _corr_row(table, "prunability_magnitude", "gen_gap_accuracy", "kendall", mean)
    if row is not None:
        sec.text(
            "Prunability is the smallest fraction of weights that global magnitude pruning can "
            "keep without raising the training loss by more than the tolerance (smaller = more "
            "prunable). Kuhn et al. report that it predicts the generalisation gap; following them "
            "(after Jiang et al. 2020) the association is measured with Kendall's τ, here τ-b "
            f"over graphs (per-graph {mean}s): τ(prunability_magnitude, gen_gap_accuracy) = "
            f"{fmt(row['r'])} [{fmt(row['ci_low'])}, {fmt(row['ci_high'])}], q = {fmt(row['q'])}, "
            f"n = {fmt(row['n'])}. Other predictors are shown for comparison (norm- and "
            "flatness-like: margin, accuracy under weight perturbation, parameter count); the "
            "granulated τ and the conditional mutual information of Jiang et al. need "
            "hyper-parameter grids this study does not vary and are not computed."
        )
    shown = table.loc[table["aggregate"] == mean].copy()
    shown["abs_r"] = shown["r"].abs()
    shown = shown.sort_values(["y", "method", "abs_r"], ascending=[True, True, False]).drop(
        columns="abs_r"
    )
    sec.table(
        "Predictors of the generalisation gap (q: BH within method and aggregate)",
        shown[["x", "y", "method", "r", "ci_low", "ci_high", "p", "q", "n"]].reset_index(drop=True),
    )
    pg = res.get(("pg", mean))
    if pg is not None and len(pg):
        targets = res["targets"]
        fig, axes = _grid(len(targets), ncols=2, size=(4.4, 3.4))
        for ax, t in zip(axes, targets, strict=False):
            for g, sub in pg.groupby("generator"):
                ax.scatter(
                    sub["prunability_magnitude"],
                    sub[t],
                    s=20,
                    color=ctx.colours.get(str(g), "0.3"),
                    label=str(g),
                )
            ax.set_xlabel("prunability (kept fraction, magnitude)")
            ax.set_ylabel(t)
        axes[0].legend(fontsize=6)
        sec.figure(
            _figure(
                "prunability_vs_gap", f"Prunability vs generalisation gap, per-graph {mean}s.", fig
            )
        )
    return sec


# ----------------------------------------------------------------------------
# related studies: neural collapse (Su et al. 2023)
# ----------------------------------------------------------------------------

_NC_METRICS = (
    "nc1",
    "nc2_equinorm",
    "nc2_equiangular",
    "nc2_maxangle",
    "nc3",
    "nc4",
    "ncc_accuracy",
)


def _nc_columns(ctx: _Context) -> list[tuple[str, str, str]]:
    """(metric, clean column, perturbed column) present in the study."""
    scalar = _scalar_rows(ctx.tables["robustness"])
    out = []
    for metric in _NC_METRICS:
        pert = scalar.loc[(scalar["measure"] == metric) & (scalar["attack"] != "none")]
        if pert.empty or metric not in ctx.ok.columns:
            continue
        key = pert[["attack", "norm", "eps"]].drop_duplicates().iloc[0]
        col = T.measure_column(metric, key["attack"], key["norm"], key["eps"])
        if col in ctx.ok.columns and ctx.ok[col].notna().any():
            out.append((metric, metric, col))
    return out


def nc_statistics(ctx: _Context) -> dict[str, Any]:
    """Clean vs perturbed neural collapse (R2a) and its depth profile (R2b), per aggregate."""
    cols = _nc_columns(ctx)
    out: dict[str, Any] = {"columns": cols, "table": pd.DataFrame(), "layers": pd.DataFrame()}
    if cols:
        ys = [c for _, clean, pert in cols for c in (clean, pert)]
        rows = []
        for how in ctx.aggregates:
            pg = S.aggregate_per_graph(ctx.ok, [], ys, how, controls=())
            out[("pg", how)] = pg
            for metric, clean, pert in cols:
                diff = (pg[pert] - pg[clean]).to_numpy(dtype=float)
                summ = paired_summary(diff, n_boot=ctx.n_boot, rng=ctx.rng)
                rows.append(
                    {
                        "aggregate": how,
                        "metric": metric,
                        "perturbed": pert,
                        "n": summ["n"],
                        "median_clean": float(pg[clean].median()),
                        "median_perturbed": float(pg[pert].median()),
                        "median_difference": summ["median"],
                        "ci_low": summ["ci_low"],
                        "ci_high": summ["ci_high"],
                        "p": summ["p"],
                    }
                )
        table = pd.DataFrame(rows)
        table["q"] = table.groupby("aggregate")["p"].transform(
            lambda p: S.bh_qvalues(p.to_numpy(dtype=float))
        )
        out["table"] = table
    layers = _long(ctx, ["nc1"], layers=True)
    if not layers.empty and (layers["attack"] != "none").any():
        clean = layers.loc[layers["attack"] == "none"].set_index(["model_id", "layer"])["value"]
        pert = (
            layers.loc[layers["attack"] != "none"].groupby(["model_id", "layer"])["value"].first()
        )
        both = pd.DataFrame({"clean": clean, "perturbed": pert}).dropna().reset_index()
        both = both.loc[(both["clean"] > 0) & (both["perturbed"] > 0)]
        if len(both):
            both["log_ratio"] = np.log10(both["perturbed"] / both["clean"])
            n_layers = layers.groupby("model_id")["layer"].max() + 1
            both["relative_depth"] = both["layer"] / (both["model_id"].map(n_layers) - 1).clip(
                lower=1
            )
            out["layers"] = both
            rho = both.groupby("model_id").apply(
                lambda g: S.correlate(g["layer"], g["log_ratio"], "spearman")[0],
                include_groups=False,
            )
            for how in ctx.aggregates:
                out[("R2b", how)] = paired_summary(
                    _per_graph_values(ctx, rho, how), n_boot=ctx.n_boot, rng=ctx.rng
                )
    return out


def section_nc(ctx: _Context, res: dict[str, Any]) -> Section:
    sec = Section(TITLES["nc"], level=3)
    table = res.get("table", pd.DataFrame())
    mean = ctx.mean_key
    if table.empty:
        sec.text("No perturbed neural-collapse measure in the tables: this section is empty.")
        return sec
    nc1 = table.loc[(table["metric"] == "nc1") & (table["aggregate"] == mean)]
    if len(nc1):
        r = nc1.iloc[0]
        sec.text(
            "Neural collapse of the features the classifier reads, on clean training data and on "
            f"its adversarial version (`{r['perturbed']}`). Per graph ({mean} over models), NC1 "
            f"goes from a median {fmt(r['median_clean'])} (clean) to {fmt(r['median_perturbed'])} "
            f"(perturbed); median paired difference {fmt(r['median_difference'])} "
            f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}], Wilcoxon p = {fmt(r['p'])}, "
            f"{fmt(r['n'])} graphs. Larger NC1/NC2/NC3/NC4 = less collapse; ncc_accuracy is the "
            "nearest-class-centre accuracy."
        )
    sec.table(
        "Clean vs perturbed neural collapse (difference = perturbed − clean, per graph)",
        table.loc[table["aggregate"] == mean].drop(columns="aggregate").reset_index(drop=True),
    )
    pg = res.get(("pg", mean))
    cols = res["columns"]
    if pg is not None and len(pg):
        fig, axes = _grid(len(cols), ncols=4, size=(3.0, 3.0))
        for ax, (metric, clean, pert) in zip(axes, cols, strict=False):
            ax.boxplot([pg[clean].dropna(), pg[pert].dropna()])
            ax.set_xticks([1, 2], ["clean", "perturbed"])
            ax.set_title(metric, fontsize=9)
            if metric == "nc1" and (pg[[clean, pert]] > 0).all().all():
                ax.set_yscale("log")
        sec.figure(
            _figure(
                "nc_clean_vs_perturbed",
                f"Neural collapse metrics, clean vs perturbed (per-graph {mean}s).",
                fig,
            )
        )
    layers = res.get("layers", pd.DataFrame())
    r2b = res.get(("R2b", mean))
    if len(layers) and r2b is not None:
        sec.text(
            "Per hidden layer: log10(NC1 perturbed / NC1 clean) measures how much collapse an "
            "attack destroys in that layer. Per model, its Spearman correlation with the layer "
            f"index has median {fmt(r2b['median'])} [{fmt(r2b['ci_low'])}, {fmt(r2b['ci_high'])}] "
            f"over {fmt(r2b['n'])} graphs (Wilcoxon p = {fmt(r2b['p'])}); positive means that "
            "earlier layers stay more collapsed under attack than later ones (Su et al.)."
        )
        bins = np.linspace(0, 1, 6)
        layers = layers.assign(
            depth_bin=pd.cut(layers["relative_depth"], bins, include_lowest=True)
        )
        prof = layers.groupby("depth_bin", observed=True)[
            ["clean", "perturbed", "log_ratio"]
        ].median()
        mids = [iv.mid for iv in prof.index]
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
        axes[0].plot(mids, prof["clean"], marker="o", label="clean")
        axes[0].plot(mids, prof["perturbed"], marker="o", label="perturbed")
        if (prof[["clean", "perturbed"]] > 0).all().all():
            axes[0].set_yscale("log")
        axes[0].set_xlabel("relative depth of the hidden layer")
        axes[0].set_ylabel("median NC1")
        axes[0].legend(fontsize=7)
        axes[1].plot(mids, prof["log_ratio"], marker="o", color="tab:red")
        axes[1].axhline(0, color="0.5", lw=0.6)
        axes[1].set_xlabel("relative depth of the hidden layer")
        axes[1].set_ylabel("median log10(NC1 perturbed / clean)")
        sec.figure(
            _figure(
                "nc_by_layer",
                "NC1 of the hidden layers by relative depth (0 = first, 1 = last hidden layer), medians over models.",
                fig,
            )
        )
    elif not len(layers):
        sec.text("No layer-wise NC1 on perturbed data: the depth profile is not computed.")
    return sec


# ----------------------------------------------------------------------------
# claims
# ----------------------------------------------------------------------------

_CLAIM_COLUMNS = [
    "claim",
    "statement",
    "source",
    "evidence",
    "value",
    "ci_low",
    "ci_high",
    "p_adj",
    "n",
    "verdict",
    "median aggregate",
    "all measures s/c/i",
]

_PAPER = "Ben Amor et al. 2021"
_NAN = float("nan")


def _claim(claim: str, statement: str, source: str, evidence: str, **values: Any) -> dict[str, Any]:
    row = {c: "" for c in _CLAIM_COLUMNS}
    row.update(claim=claim, statement=statement, source=source, evidence=evidence)
    row.update({"value": _NAN, "ci_low": _NAN, "ci_high": _NAN, "p_adj": _NAN, "n": 0})
    row.update(values)
    return row


def _verdict(r: float, lo: float, hi: float, q: float, sign: int) -> str:
    return S.claim_verdict(r, lo, hi, q, sign)


def _correlation_claim(ctx: _Context, cid: str, prop: str, statement: str) -> dict[str, Any]:
    primary = ctx.primary
    x = study_name(prop, ctx.study)
    if primary is None or x is None or x not in ctx.xs:
        why = "no robustness measure" if primary is None else f"{prop} absent or constant"
        return _claim(cid, statement, _PAPER, f"not computed ({why})", verdict="inconclusive")
    sign = -primary.direction  # the claim: higher x, lower robustness
    row = _corr_row(ctx.corr, x, primary.column, "spearman", ctx.mean_key)
    if row is None:
        return _claim(
            cid,
            statement,
            _PAPER,
            f"Spearman ρ({x}, {primary.column}) not computed (fewer than {_MIN_GRAPHS} graphs)",
            verdict="inconclusive",
        )
    verdict = _verdict(row["r"], row["ci_low"], row["ci_high"], row["q"], sign)
    median = ""
    if "median" in ctx.aggregates and ctx.mean_key != "median":
        mrow = _corr_row(ctx.corr, x, primary.column, "spearman", "median")
        median = (
            _verdict(mrow["r"], mrow["ci_low"], mrow["ci_high"], mrow["q"], sign)
            if mrow is not None
            else "inconclusive"
        )
    counts = {"supported": 0, "contradicted": 0, "inconclusive": 0}
    for m in ctx.measures:
        mrow = _corr_row(ctx.corr, x, m.column, "spearman", ctx.mean_key)
        if mrow is None:
            counts["inconclusive"] += 1
            continue
        counts[_verdict(mrow["r"], mrow["ci_low"], mrow["ci_high"], mrow["q"], -m.direction)] += 1
    return _claim(
        cid,
        statement,
        _PAPER,
        f"pooled Spearman ρ({x}, {primary.column}), per-graph {ctx.mean_key}s; predicted sign "
        f"{'negative' if sign < 0 else 'positive'}",
        value=float(row["r"]),
        ci_low=float(row["ci_low"]),
        ci_high=float(row["ci_high"]),
        p_adj=float(row["q"]),
        n=int(row["n"]),
        verdict=verdict,
        **{
            "median aggregate": median,
            "all measures s/c/i": f"{counts['supported']}/{counts['contradicted']}/{counts['inconclusive']}",
        },
    )


def _c1(ctx: _Context, c1: dict[str, Any]) -> dict[str, Any]:
    statement = "Robustness does not depend on the initialisation method"
    if not c1:
        return _claim(
            "C1", statement, _PAPER, "not computed (no trainable graph net)", verdict="inconclusive"
        )
    w, p, lo, hi = c1["kendall_w"], c1["friedman_p"], c1["ci_low"], c1["ci_high"]
    if not np.isfinite(w) or c1["n_blocks"] < _MIN_GRAPHS or c1["k"] < 3:
        verdict = "inconclusive"
    elif p < ALPHA and w >= 0.1:
        verdict = "contradicted"
    elif np.isfinite(hi) and hi < 0.3:
        verdict = "supported"
    else:
        verdict = "inconclusive"
    which = "the paper's" if c1["paper_inits"] else "all"
    return _claim(
        "C1",
        statement,
        _PAPER,
        f"Kendall's W of the Friedman test (blocked by graph) on {c1['measure']}, {which} "
        f"{c1['k']} initialisations ({', '.join(c1['inits'])}), {c1['n_blocks']} complete graphs; "
        "p_adj is the Friedman p",
        value=float(w),
        ci_low=lo,
        ci_high=hi,
        p_adj=float(p),
        n=int(c1["n_blocks"]),
        verdict=verdict,
    )


def _c5(ctx: _Context) -> dict[str, Any]:
    statement = "All correlations between graph properties and robustness are weak"
    rows = (
        ctx.corr.loc[
            (ctx.corr["stratum"] == "pooled")
            & (ctx.corr["aggregate"] == ctx.mean_key)
            & (ctx.corr["method"] == "spearman")
            & ctx.corr["r"].notna()
        ]
        if len(ctx.corr)
        else pd.DataFrame()
    )
    if rows.empty:
        return _claim(
            "C5", statement, _PAPER, "not computed (no correlation)", verdict="inconclusive"
        )
    verdict = S.weak_correlation_verdict(
        rows["r"], rows["q"], ci_low=rows["ci_low"], ci_high=rows["ci_high"]
    )
    median = ""
    if "median" in ctx.aggregates and ctx.mean_key != "median":
        med = ctx.corr.loc[
            (ctx.corr["stratum"] == "pooled")
            & (ctx.corr["aggregate"] == "median")
            & (ctx.corr["method"] == "spearman")
        ]
        median = (
            S.weak_correlation_verdict(
                med["r"], med["q"], ci_low=med["ci_low"], ci_high=med["ci_high"]
            )
            if len(med)
            else "inconclusive"
        )
    sig = rows.loc[rows["q"] < ALPHA]
    pool = sig if len(sig) else rows
    top = pool.loc[pool["r"].abs().idxmax()]
    return _claim(
        "C5",
        statement,
        _PAPER,
        f"strongest pooled Spearman ρ ({top['x']}, {top['y']}) among "
        f"{'the ' + str(len(sig)) + ' with q < ' + str(ALPHA) if len(sig) else 'all'} of "
        f"{len(rows)} correlations, per-graph {ctx.mean_key}s",
        value=float(top["r"]),
        ci_low=float(top["ci_low"]),
        ci_high=float(top["ci_high"]),
        p_adj=float(top["q"]),
        n=int(top["n"]),
        verdict=verdict,
        **{"median aggregate": median},
    )


def _paired_claim(
    ctx: _Context,
    cid: str,
    statement: str,
    source: str,
    evidence: str,
    res: dict[str, Any],
    key: str,
    sign: int,
) -> dict[str, Any]:
    summ = res.get((key, ctx.mean_key))
    if summ is None or summ["n"] == 0:
        return _claim(
            cid,
            statement,
            source,
            f"not computed (no data for the {evidence.split(';')[0]})",
            verdict="inconclusive",
        )
    verdict = _verdict(summ["median"], summ["ci_low"], summ["ci_high"], summ["p"], sign)
    median = ""
    other = res.get((key, "median")) if ctx.mean_key != "median" else None
    if other is not None:
        median = _verdict(other["median"], other["ci_low"], other["ci_high"], other["p"], sign)
    return _claim(
        cid,
        statement,
        source,
        f"{evidence}; p_adj is the Wilcoxon signed-rank p",
        value=summ["median"],
        ci_low=summ["ci_low"],
        ci_high=summ["ci_high"],
        p_adj=summ["p"],
        n=summ["n"],
        verdict=verdict,
        **{"median aggregate": median},
    )


def claims_table(
    ctx: _Context,
    c1: dict[str, Any],
    weight: dict[str, Any],
    prun: dict[str, Any],
    nc: dict[str, Any],
) -> pd.DataFrame:
    """The claims C1–C5 of the paper and the related claims R1–R3, each with a verdict."""
    rows = [_c1(ctx, c1)]
    for cid, statement in (
        ("C2", "Higher graph density goes with lower robustness"),
        ("C3", "Higher average path length goes with lower robustness"),
        ("C4", "Higher average node eccentricity goes with lower robustness"),
    ):
        rows.append(_correlation_claim(ctx, cid, CLAIM_PROPERTIES[cid], statement))
    # The paper computed path measures on the DAG the network is built from.
    for cid, statement in (
        ("C3-DAG", "Higher average path length of the DAG goes with lower robustness"),
        ("C4-DAG", "Higher average node eccentricity of the DAG goes with lower robustness"),
    ):
        rows.append(_correlation_claim(ctx, cid, CLAIM_PROPERTIES[cid], statement))
    rows.append(_c5(ctx))
    # R1: Kuhn et al.
    statement = "Prunability predicts the generalisation gap (less prunable, larger gap)"
    source = "Kuhn et al. 2021"
    table = prun.get("table", pd.DataFrame())
    row = (
        _corr_row(table, "prunability_magnitude", "gen_gap_accuracy", "kendall", ctx.mean_key)
        if len(table)
        else None
    )
    if row is None:
        rows.append(
            _claim(
                "R1",
                statement,
                source,
                "not computed (prunability or the gap absent, or too few graphs)",
                verdict="inconclusive",
            )
        )
    else:
        median = ""
        mrow = (
            _corr_row(table, "prunability_magnitude", "gen_gap_accuracy", "kendall", "median")
            if ctx.mean_key != "median"
            else None
        )
        if mrow is not None:
            median = _verdict(mrow["r"], mrow["ci_low"], mrow["ci_high"], mrow["q"], +1)
        rows.append(
            _claim(
                "R1",
                statement,
                source,
                f"Kendall τ-b(prunability_magnitude, gen_gap_accuracy) over graphs, per-graph {ctx.mean_key}s; predicted sign positive",
                value=float(row["r"]),
                ci_low=float(row["ci_low"]),
                ci_high=float(row["ci_high"]),
                p_adj=float(row["q"]),
                n=int(row["n"]),
                verdict=_verdict(row["r"], row["ci_low"], row["ci_high"], row["q"], +1),
                **{"median aggregate": median},
            )
        )
    # R2: Su et al.
    nc_res = dict(nc)
    table = nc.get("table", pd.DataFrame())
    if len(table):
        for how in ctx.aggregates:
            sub = table.loc[(table["metric"] == "nc1") & (table["aggregate"] == how)]
            if len(sub):
                r = sub.iloc[0]
                nc_res[("R2a", how)] = {
                    "n": int(r["n"]),
                    "median": r["median_difference"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "p": r["p"],
                }
    source = "Su et al. 2023"
    rows.append(
        _paired_claim(
            ctx,
            "R2a",
            "Neural collapse breaks under small attacks: NC1 on perturbed data is larger than on clean data",
            source,
            "median over graphs of NC1(perturbed) − NC1(clean); predicted positive",
            nc_res,
            "R2a",
            +1,
        )
    )
    rows.append(
        _paired_claim(
            ctx,
            "R2b",
            "Earlier layers stay more collapsed under attack than later ones",
            source,
            "median over graphs of the per-model Spearman ρ(layer index, log10 NC1 perturbed/clean); predicted positive",
            nc_res,
            "R2b",
            +1,
        )
    )
    # R3: Tsai et al.
    source = "Tsai et al. 2021"
    rows.append(
        _paired_claim(
            ctx,
            "R3a",
            "Accuracy degrades under weight perturbation as δ grows",
            source,
            "median over graphs of the per-model Spearman ρ(δ, accuracy), δ = 0 the clean accuracy; predicted negative",
            weight,
            "R3a",
            -1,
        )
    )
    rows.append(
        _paired_claim(
            ctx,
            "R3b",
            "Worst-case weight perturbation hurts more than random",
            source,
            "median over graphs of accuracy(worst) − accuracy(random) at equal δ and norm; predicted negative",
            weight,
            "R3b",
            -1,
        )
    )
    return pd.DataFrame(rows, columns=_CLAIM_COLUMNS)


def section_claims(ctx: _Context, claims: pd.DataFrame) -> Section:
    sec = Section(TITLES["claims"])
    counts = claims["verdict"].value_counts()
    sec.text(
        f"The paper's claims C1–C5 and the related claims R1–R3 checked against this run: "
        f"{fmt(int(counts.get('supported', 0)))} supported, "
        f"{fmt(int(counts.get('contradicted', 0)))} contradicted, "
        f"{fmt(int(counts.get('inconclusive', 0)))} inconclusive. value is the statistic named in "
        "evidence, [ci_low, ci_high] its 95 % interval (graphs resampled)."
    )
    sec.table("Claims", claims)
    sec.text("**Verdict rules.** " + RULES["correlation"])
    sec.text(RULES["C1"])
    sec.text(RULES["C5"])
    sec.text(RULES["paired"])
    return sec


# ----------------------------------------------------------------------------
# the report
# ----------------------------------------------------------------------------


def compose_report(tables: dict[str, pd.DataFrame], config: dict) -> tuple[Report, pd.DataFrame]:
    """Build every section; return the report and the ``correlations`` table.

    Parameters
    ----------
    tables : dict
        ``graphs``, ``graph_properties``, ``models``, ``robustness`` and
        ``study`` as read from ``results/tables``.
    config : dict
        The study configuration; ``report.aggregate``, ``report.bootstrap``,
        ``report.seed``, ``report.outlier_rule`` and ``report.claims_first``
        steer the report.

    Returns
    -------
    report : Report
        Sections in order (the claims first when ``report.claims_first``).
    correlations : DataFrame
        Columns :data:`graphprior.io.tables.CORRELATIONS_SCHEMA` names.
    """
    start = time.perf_counter()
    ctx = _build_context(tables, config)
    timings = {"context": time.perf_counter() - start}

    def timed(name: str, fn, *args):
        t = time.perf_counter()
        out = fn(*args)
        timings[name] = time.perf_counter() - t
        return out

    run = timed("run", section_run, ctx)
    mapping = timed("mapping", section_mapping, ctx)
    trainability = timed("trainability", section_trainability, ctx)
    correlations = timed("correlations", section_correlations, ctx)
    strongest = timed("strongest", section_strongest, ctx)
    regression = timed("regression", section_regression, ctx)
    eps = timed("eps", section_eps, ctx)
    init, c1 = timed("init", section_init, ctx)
    baselines = timed("baselines", section_baselines, ctx)
    weight = timed("weight_stats", weight_statistics, ctx)
    prun = timed("prunability_stats", prunability_statistics, ctx)
    nc = timed("nc_stats", nc_statistics, ctx)
    related = Section(TITLES["related"])
    related.text(
        "Three related results measured on the same models: robustness to weight "
        "perturbations (Tsai et al. 2021), prunability as a predictor of generalisation (Kuhn "
        "et al. 2021) and neural collapse under attack (Su et al. 2023). Their claims are "
        "checked in the claims table (R1–R3)."
    )
    related_sections = [
        related,
        timed("weight", section_weight, ctx, weight),
        timed("prunability", section_prunability, ctx, prun),
        timed("nc", section_nc, ctx, nc),
    ]
    claims = claims_table(ctx, c1, weight, prun, nc)
    claims_section = section_claims(ctx, claims)
    sections = [
        run,
        mapping,
        trainability,
        correlations,
        strongest,
        regression,
        eps,
        init,
        baselines,
        *related_sections,
        claims_section,
    ]
    if _cfg(config, "report", "claims_first", default=False):
        sections = [claims_section] + [s for s in sections if s is not claims_section]
    summary = ", ".join(f"{c} {v}" for c, v in zip(claims["claim"], claims["verdict"], strict=True))
    intro = [
        f"Does the wiring of a sparse network, drawn from a random graph, predict its robustness? "
        f"This report reproduces the correlation analysis of Ben Amor, Stier and Granitzer (2021) "
        f"on {fmt(len(tables['graphs']))} graphs and {fmt(len(ctx.study))} models, and checks three "
        f"related results. Verdicts: {summary}.",
        "Every number is computed from the Parquet tables under results/tables; the full "
        "correlation table is results/report/correlations.parquet.",
    ]
    report = Report(
        title=f"graphprior report: study '{_cfg(config, 'study', default='default')}'",
        sections=sections,
        intro=intro,
    )
    log.info(
        "report composed in %.1f s (%s)",
        time.perf_counter() - start,
        ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()),
    )
    return report, ctx.corr
