"""The sections of the correlation report, each computed from the tables."""

from __future__ import annotations

import logging

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats as sps

from graphprior.report import Report, Section, fig_to_png

__all__ = ["compose_report", "main_measures", "property_columns"]

log = logging.getLogger(__name__)

#: Robustness measures the report leads with, by study column prefix.
MAIN_MEASURE_PREFIXES = (
    "paper_robustness",
    "robust_accuracy_fgsm_linf_0.1",
    "robust_accuracy_pgd_linf_0.1",
    "robust_accuracy_pgd_l2_1",
    "robust_auc_pgd_linf",
    "robust_auc_pgd_l2",
    "min_perturbation_mean_pgd_bisection_linf",
    "min_perturbation_mean_pgd_bisection_l2",
    "min_perturbation_mean_fgsm_linesearch_linf",
    "onepixel_success_rate",
    "clever_score",
    "weight_worst_accuracy_linf_0.05",
    "weight_random_accuracy_l2_0.1",
    "margin_mean",
    "prunability_magnitude",
)


def property_columns(study: pd.DataFrame, properties: pd.DataFrame) -> list[str]:
    """Graph property columns as named in the study (clashes carry a ``graph_`` prefix)."""
    cols = []
    for c in properties.columns:
        if c == "graph_id":
            continue
        name = c if c in study.columns and f"graph_{c}" not in study.columns else f"graph_{c}"
        if name in study.columns and study[name].nunique(dropna=True) > 1:
            cols.append(name)
    return cols


def main_measures(study: pd.DataFrame) -> list[str]:
    """The robustness columns present in the study, in report order."""
    out = []
    for prefix in MAIN_MEASURE_PREFIXES:
        for c in study.columns:
            if c == prefix or c.startswith(prefix):
                if c not in out and study[c].notna().any():
                    out.append(c)
                break
    return out


def compose_report(tables: dict[str, pd.DataFrame], config: dict) -> tuple[Report, pd.DataFrame]:
    """Build every section; return the report and the `correlations` table."""
    study = tables["study"]
    report = Report(title=f"graphprior report: study '{config.get('study', 'default')}'")
    graph_nets = study[study["family"] == "graph_prior"]
    ok = graph_nets[graph_nets["status"] == "ok"]
    excluded = graph_nets[graph_nets["status"] != "ok"]
    run = Section("The run")
    run.paragraphs.append(
        f"Dataset {config['dataset']}; {len(tables['graphs'])} graphs; "
        f"{len(graph_nets)} graph-prior models and {len(study) - len(graph_nets)} baseline models. "
        f"{len(excluded)} graph-prior models are excluded from correlations "
        f"({excluded['status'].value_counts().to_dict() or 'none'})."
    )
    report.sections.append(run)

    train = Section("Trainability")
    if len(graph_nets):
        summary = (
            graph_nets.groupby("generator")
            .agg(
                models=("model_id", "count"),
                ok_share=("status", lambda s: float((s == "ok").mean())),
                median_test_accuracy=("test_accuracy", "median"),
            )
            .reset_index()
        )
        train.tables.append(("Graph nets by generator", summary))
    report.sections.append(train)

    measures = main_measures(ok)
    props = property_columns(ok, tables["graph_properties"])
    corr = correlations(ok, props, measures)
    sec = Section("Correlations between graph properties and robustness")
    sec.paragraphs.append(
        "Per-graph means over initialisations and seeds; Spearman and Kendall τ-b, pooled and per generator."
    )
    if len(corr):
        fig = heatmap(corr[(corr["stratum"] == "pooled") & (corr["method"] == "spearman")])
        if fig is not None:
            sec.figures.append(("Spearman correlations, pooled over generators", fig))
    report.sections.append(sec)
    return report, corr


def correlations(study: pd.DataFrame, props: list[str], measures: list[str]) -> pd.DataFrame:
    rows = []
    if study.empty or not measures:
        return pd.DataFrame(
            columns=[
                "stratum",
                "aggregate",
                "x",
                "y",
                "method",
                "r",
                "p",
                "q",
                "ci_low",
                "ci_high",
                "n",
                "controls",
            ]
        )
    per_graph = study.groupby(["graph_id", "generator"])[props + measures].mean().reset_index()
    strata = [("pooled", per_graph)] + list(per_graph.groupby("generator"))
    for stratum, df in strata:
        if len(df) < 5:
            continue
        for x in props:
            for y in measures:
                d = df[[x, y]].dropna()
                for method, fn in (("spearman", sps.spearmanr), ("kendall", sps.kendalltau)):
                    if len(d) < 3 or d[x].nunique() < 2 or d[y].nunique() < 2:
                        r, p = np.nan, np.nan
                    else:
                        res = fn(d[x], d[y])
                        r, p = float(res[0]), float(res[1])
                    rows.append(
                        {
                            "stratum": stratum,
                            "aggregate": "mean",
                            "x": x,
                            "y": y,
                            "method": method,
                            "r": r,
                            "p": p,
                            "q": np.nan,
                            "ci_low": np.nan,
                            "ci_high": np.nan,
                            "n": len(d),
                            "controls": "",
                        }
                    )
    return pd.DataFrame(rows)


def heatmap(corr: pd.DataFrame):
    if corr.empty:
        return None
    mat = corr.pivot_table(index="x", columns="y", values="r")
    fig, ax = plt.subplots(figsize=(1 + 0.6 * mat.shape[1], 1 + 0.3 * mat.shape[0]))
    im = ax.imshow(mat.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(mat.shape[1]), mat.columns, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(mat.shape[0]), mat.index, fontsize=7)
    fig.colorbar(im, ax=ax, label="Spearman r")
    return fig_to_png(fig)
