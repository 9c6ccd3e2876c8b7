"""The sections of the correlation report, each computed from the tables (DESIGN §8).

:func:`compose_report` is the entry point: it discovers the graph properties
and the main robustness measures present in the ``study`` table, aggregates
the graph nets per graph (mean and median over initialisations and seeds, as
the paper), computes the ``correlations`` table with :mod:`graphprior.stats`,
checks the claims, draws every figure and returns the
:class:`~graphprior.report.Report` with the correlations table.

Conventions
-----------
* Unit of analysis: the graph. Only graph nets with ``status == "ok"`` enter
  correlations; untrainable and diverged models are counted and listed.
* Confidence intervals resample graphs (cluster bootstrap,
  ``report.bootstrap`` resamples, seed ``report.seed``).
* Bootstrap budget (see ``docs/report.md``): intervals are computed for the
  pooled stratum, for Spearman on every property and for the partial
  Spearman on the :data:`MAIN_PROPERTIES`; Kendall, Pearson, the other
  partial correlations and the per-generator strata carry point estimates,
  p- and q-values only.
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

from graphprior import stats as S  # noqa: E402
from graphprior import tables as T  # noqa: E402
from graphprior.report import Figure, Report, Section, fig_to_png, fmt  # noqa: E402

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
PAPER_INITS: tuple[str, ...] = (
    "xavier_normal",
    "xavier_uniform",
    "he_normal",
    "he_uniform",
    "normal_0.1",
    "uniform_0.1",
)

#: Graph properties of the claims C2–C4 (names in the `graph_properties` table).
CLAIM_PROPERTIES: dict[str, str] = {
    "C2": "density",
    "C3": "avg_path_length",
    "C4": "avg_eccentricity",
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
        "(`graphprior.stats.claim_verdict`). The primary test uses the per-graph mean; the "
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
        "C5 (all correlations are weak), over every pooled Spearman correlation of the main "
        f"properties and measures (per-graph means): **contradicted** if any with q < {ALPHA} "
        f"has |r| ≥ 0.5; **supported** if every one with q < {ALPHA} has |r| < 0.3 and no "
        "bootstrap interval reaches ±0.5; **inconclusive** otherwise "
        "(`graphprior.stats.weak_correlation_verdict`, Cohen's thresholds). The row shows the "
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
)

_MIN_GRAPHS = 5


# ----------------------------------------------------------------------------
# discovery of properties and measures
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One robustness measure column of the study table.

    Attributes
    ----------
    column : str
        Column name in the ``study`` table (:func:`graphprior.tables.measure_column`).
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
    """The ``correlations`` table (schema :data:`graphprior.tables.CORRELATIONS_SCHEMA`).

    For each aggregate (key of `per_graph`) and each measure y: pooled
    Spearman (with bootstrap intervals), Kendall τ-b and Pearson (without),
    partial Spearman controlling for :data:`CONTROLS` (intervals only for x in
    `boot_partial_xs`); per generator (strata of at least 5 graphs) Spearman
    and Kendall τ-b without intervals. With `outlier_rule` the paper's 1.5×IQR
    rule removes, per aggregate and measure, the graphs outside the fences of
    that measure before any correlation with it. q-values are recomputed
    over each family (stratum, aggregate, method) at the end.

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
    for how, table in per_graph.items():
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
                (boot_partial, {"methods": (), "controls": CONTROLS, "n_boot": n_boot}),
                (other_partial, {"methods": (), "controls": CONTROLS, "n_boot": 0}),
            ]
            for x_cols, kwargs in calls:
                if not x_cols:
                    continue
                frames.append(
                    S.correlation_table(
                        data, x_cols, [y], strata_col=None, rng=rng, aggregate=how, **kwargs
                    )
                )
            if strata and "generator" in data.columns:
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
# small statistics helpers (scipy; candidates for graphprior.stats)
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
    :func:`graphprior.stats.init_independence`; each resample draws graphs with
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
        nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False
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
        return "yes" if {s.strip() for s in a.split(",")} == {s.strip() for s in b.split(",")} else "no"
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
            f"it removed {fmt(removed)} rows."
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
        + (
            "; ".join(f"{k} ({v})" for k, v in ctx.dropped_xs.items())
            if ctx.dropped_xs
            else "none"
        )
        + ".",
    )
    if ctx.measures:
        sec.table(
            f"Main robustness measures ({fmt(len(ctx.measures))})",
            pd.DataFrame(
                [
                    (m.column, m.measure, m.attack, m.norm, m.eps, "higher" if m.direction > 0 else "lower")
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
    from graphprior.config import mapping_options
    from graphprior.dag import build_layered_dag
    from graphprior.graphs import GraphSpec, make_graph

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
        1, 3, figsize=(16, 5.2), gridspec_kw={"width_ratios": [1.0, 1.5, 1.0]}
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
    ax.imshow(mask, cmap=plt.matplotlib.colors.ListedColormap(["white", "0.4", "tab:orange"]),
              interpolation="nearest", vmin=0, vmax=2)
    bounds = np.cumsum(widths)[:-1] - 0.5
    for b in bounds:
        ax.axhline(b, color="tab:blue", lw=0.4)
        ax.axvline(b, color="tab:blue", lw=0.4)
    ax.set_xlabel("sending neuron (ordered by layer)")
    ax.set_ylabel("receiving neuron")
    ax.set_title("weight mask between hidden neurons\n(grey: adjacent layers, orange: skips)",
                 fontsize=9)
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
        sec.table("Graph nets by generator and variant", pd.concat([table, total], ignore_index=True))
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
    fig, ax = plt.subplots(figsize=(1.5 + 1.4 * len(gens), 3.6))
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
        .agg(tests=("tested", "sum"), q_below_alpha=("significant", "sum"), max_abs_r=("r", lambda r: float(np.nanmax(np.abs(r))) if r.notna().any() else float("nan")))
        .reset_index()
    )
    sec.table(f"Tests per family and how many have q < {ALPHA}", counts)
    sec.figure(_heatmap(sp, "heatmap_spearman", f"Spearman ρ, pooled over generators, per-graph {mean}s"))
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
    fig, ax = plt.subplots(figsize=(2.5 + 0.5 * mat.shape[1], 1.5 + 0.28 * mat.shape[0]))
    im = ax.imshow(mat.to_numpy(dtype=float), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    qa = q.to_numpy(dtype=float)
    for i, j in zip(*np.nonzero(np.nan_to_num(qa, nan=1.0) < ALPHA), strict=True):
        ax.text(j, i, "•", ha="center", va="center", fontsize=9, color="k")
    ax.set_xticks(range(mat.shape[1]), [_short(c) for c in mat.columns], rotation=60, ha="right", fontsize=7)
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
    for method, label in (("kendall", "kendall"), ("pearson", "pearson"), ("partial_spearman", "partial")):
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
    return rows[["x", "stratum", "aggregate", "method", "r", "ci_low", "ci_high", "q", "n"]].reset_index(drop=True)


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
        fit = S.ols_hc3(data, m.column, xs, CONTROLS)
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
    meta_cols = [c for c in ("model_id", "family", "generator", "graph_id", "status", "init") if c in ctx.study]
    out = rob.merge(ctx.study[meta_cols], on="model_id", how="inner")
    out = out.loc[out["status"] == "ok"].copy()
    out["label"] = np.where(out["family"] == "graph_prior", out["generator"].astype(str), out["family"].astype(str))
    return out


def _curve(long: pd.DataFrame, value: str = "value") -> pd.DataFrame:
    """Median and quartiles over graphs (graph nets: per-graph means first) or models (baselines)."""
    unit = np.where(long["family"] == "graph_prior", long["graph_id"].astype(str), long["model_id"].astype(str))
    keys = ["label", "attack", "norm", "eps"]
    per_unit = long.assign(unit=unit).groupby(keys + ["unit"], dropna=False)[value].mean().reset_index()
    return (
        per_unit.groupby(keys, dropna=False)[value]
        .agg(median="median", q25=lambda v: v.quantile(0.25), q75=lambda v: v.quantile(0.75), n="count")
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
            ax.plot(c["eps"], c["median"], marker="o", ms=3, ls="--" if is_base else "-", color=colour, label=lab)
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
    sec.figure(_figure("robust_accuracy_vs_eps", "Robust accuracy vs ε per generator and baseline family.", fig))
    table = curve.pivot_table(index=["attack", "norm", "eps"], columns="label", values="median").reset_index()
    table.columns.name = None
    sec.table("Median robust accuracy by attack, norm, ε and family/generator", table)
    monotone = _monotone_violations(long)
    sec.text(
        f"Check: robust accuracy rises with ε for {fmt(monotone)} model × attack × step pairs "
        "(0 expected for a sound attack)."
    )
    return sec


def _monotone_violations(long: pd.DataFrame) -> int:
    n = 0
    for _, g in long.groupby(["model_id", "attack", "norm"]):
        v = g.sort_values("eps")["value"].to_numpy(dtype=float)
        n += int((np.diff(v) > 1e-12).sum())
    return n


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
        rows.append({k: v for k, v in res.items() if k != "group_medians"} | {"medians": res["group_medians"]})
    table = pd.DataFrame(rows)
    table["friedman_q"] = S.bh_qvalues(table["friedman_p"].to_numpy(dtype=float))
    table["kruskal_q"] = S.bh_qvalues(table["kruskal_p"].to_numpy(dtype=float))
    medians = pd.DataFrame([r["medians"] for r in rows], index=table["measure"]).reset_index()
    table = table.drop(columns="medians")[
        ["measure", "k", "n_blocks", "n_blocks_dropped", "friedman_chi2", "friedman_p", "friedman_q", "kendall_w", "n_obs", "kruskal_h", "kruskal_p", "kruskal_q", "epsilon_squared"]
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
    c1 = {"measure": primary.column, "inits": used, "paper_inits": len(paper) >= 3, **res, "ci_low": lo, "ci_high": hi}
    return sec, c1


def _init_figure(ctx: _Context, inits: list[str]) -> Figure | None:
    measures = ctx.measures[:6]
    if not measures:
        return None
    fig, axes = _grid(len(measures), size=(4.2, 3.2))
    for ax, m in zip(axes, measures, strict=False):
        data = [ctx.ok.loc[ctx.ok["init"] == i, m.column].dropna().to_numpy(dtype=float) for i in inits]
        ax.boxplot(data, showfliers=True)
        ax.set_xticks(range(1, len(inits) + 1), [_short(i, 14) for i in inits], rotation=35, ha="right", fontsize=7)
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
    pg = S.aggregate_per_graph(ctx.ok, ["density"], [m.column for m in measures] + ["test_accuracy"], "mean", controls=())
    frames = []
    for col in ["test_accuracy"] + [m.column for m in measures]:
        frames.append(S.matched_density_comparison(pg, base_ok, col, "density", decimals=3))
    comp = pd.concat(frames, ignore_index=True)
    comp["q"] = comp.groupby("family")["wilcoxon_p"].transform(lambda p: S.bh_qvalues(p.to_numpy(dtype=float)))
    sec.text(
        "Each graph (per-graph mean over its trainable models) is paired with the mean of each "
        "baseline family at the nearest weight density (net density, not graph density); "
        "Wilcoxon signed-rank test of the paired differences (q: Benjamini–Hochberg over the "
        "measures of a family) and Cliff's δ (positive: graph nets higher). Density gaps show how "
        "close the match is."
    )
    sec.table(
        "Graph nets vs baselines at matched density",
        comp[["family", "measure", "n", "n_levels", "median_graph", "median_baseline", "median_difference", "wilcoxon_p", "q", "cliffs_delta", "median_density_gap", "max_density_gap"]],
    )
    sec.figure(_baseline_figure(ctx, pg, base_ok, ["test_accuracy"] + [m.column for m in measures][:5]))
    return sec


def _baseline_figure(ctx: _Context, pg: pd.DataFrame, base: pd.DataFrame, cols: list[str]) -> Figure:
    fig, axes = _grid(len(cols))
    fams = sorted(base["family"].unique())
    fam_col = _colours(fams)
    markers = ["s", "D", "P", "X", "v"]
    for ax, col in zip(axes, cols, strict=False):
        for g, sub in pg.groupby("generator"):
            ax.scatter(sub["density"], sub[col], s=18, color=ctx.colours.get(str(g), "0.3"), label=str(g))
        for i, f in enumerate(fams):
            sub = base.loc[base["family"] == f]
            ax.scatter(sub["density"], sub[col], s=26, marker=markers[i % len(markers)], facecolors="none", edgecolors=[fam_col[f]], label=f)
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
