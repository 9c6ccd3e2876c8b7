"""Claims-table rows of C1 (initialisation) and of the related claims R1–R3.

Each is one ``raw`` pooled row (:func:`graphprior.analysis.claims.rows.claim_row`):
C1 Kendall's W of the Friedman test; R1 Kendall τ-b of prunability and the
generalisation gap; R2a, R2b, R3a, R3b the median of a per-graph value with a
Wilcoxon signed-rank p. Their rules are in docs/report.md ("Verdict rules").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.stats

from graphprior.analysis.claims.rows import NAN, ClaimRow, claim_row, outlier_rule
from graphprior.analysis.claims.verdicts import ALPHA
from graphprior.analysis.correlation_table import corr_row
from graphprior.analysis.related_studies import NCStatistics, PrunabilityStatistics
from graphprior.analysis.stats.bootstrap import PairedSummary
from graphprior.analysis.stats.inference import PERMUTATION_BELOW, cluster_ids
from graphprior.analysis.stats.permutation import kendall_permutation_p
from graphprior.analysis.study.columns import Measure
from graphprior.analysis.study_context import StudyContext
from graphprior.config.choices import POOLED

__all__ = ["COLLAPSED_BELOW", "related_rows", "c1_verdict"]

#: Readout NC1 below which clean training data counts as collapsed (R2b's premise):
#: Tr(Σ_W Σ_B⁺)/C falls by orders of magnitude in the terminal phase of training
#: (Papyan, Han and Donoho 2020); 0.1 leaves within-class spread a tenth of the between-class.
COLLAPSED_BELOW = 0.1


def c1_verdict(w: float, hi: float, q: float, k: int) -> str:
    """C1: contradicted if q < α and W ≥ 0.1; supported if not and the interval's top < 0.3.

    Without an estimate (fewer than three inits: the design fixes the init) it is not testable.
    """
    if not np.isfinite(w) or k < 3:
        return "not testable"
    if q < ALPHA and w >= 0.1:
        return "contradicted"
    if np.isfinite(hi) and hi < 0.3:
        return "supported"
    return "inconclusive"


def related_rows(
    ctx: StudyContext, stats: dict[str, Any], primary: Measure | None, rng: np.random.Generator
) -> list[ClaimRow]:
    """Rows C1, R1, R2a, R2b, R3a, R3b, in that order.

    `rng` draws R1's permutations; every other statistic here was drawn by its
    own section.
    """
    return [
        _c1(stats["init"].get("c1", {}), primary),
        _r1(ctx, stats["prunability"], rng),
        _paired("R2a", "attack", "nc1", _nc_summary(ctx, stats["nc"])[0], +1),
        _r2b(ctx, stats["nc"]),
        _paired("R3a", "delta", "weight_accuracy", stats["weight"].r3a.get(ctx.mean_key), -1),
        _paired("R3b", "worst_vs_random", "weight_accuracy", stats["weight"].r3b.get(ctx.mean_key), -1),
    ]  # fmt: skip


def _c1(c1: dict[str, Any], primary: Measure | None) -> ClaimRow:
    y = primary.column if primary is not None else ""
    if not c1 or (primary is not None and c1["measure"] != y):
        return claim_row("C1", analysis="raw", stratum=POOLED, x="init", y=y, statistic="kendall_w")
    w, hi, k = float(c1["kendall_w"]), float(c1["ci_high"]), int(c1["k"])
    return claim_row(
        "C1", analysis="raw", stratum=POOLED, x="init", y=c1["measure"], statistic="kendall_w",
        r=w, ci_low=c1["ci_low"], ci_high=hi, p=c1["friedman_p"],
        p_method=c1["friedman_p_method"], n=int(c1["n_blocks"]), n_removed=c1["n_removed"],
        fixed_verdict=lambda q: c1_verdict(w, hi, q, k),
    )  # fmt: skip


def _r1(ctx: StudyContext, prun: PrunabilityStatistics, rng: np.random.Generator) -> ClaimRow:
    """R1: Kendall τ-b of prunability and the generalisation gap over graphs (per-graph means).

    The coefficient and interval come from the prunability section's table,
    except with ``report.outlier_rule`` (recomputed on the graphs the rule
    keeps, no interval); below 30 clusters the p-value is a permutation
    p-value with twins permuted with their original
    (:func:`graphprior.analysis.stats.permutation.kendall_permutation_p`).
    """
    x, y = "prunability_magnitude", "gen_gap_accuracy"
    table = prun.table
    row = corr_row(table, x, y, "kendall", ctx.mean_key) if len(table) else None
    pg = prun.per_graph.get(ctx.mean_key)
    if row is None or pg is None:
        return claim_row(
            "R1",
            analysis="raw",
            stratum=POOLED,
            x=x,
            y=y,
            statistic="kendall_tau_b",
            sign=+1,
        )
    r, lo, hi, p, n = row["r"], row["ci_low"], row["ci_high"], row["p"], int(row["n"])
    data, n_removed = outlier_rule(pg.dropna(subset=[x, y]), y, ctx.outlier_rule)
    if n_removed:
        r, n, lo, hi = _kendall(data[x], data[y]), len(data), NAN, NAN
    units = cluster_ids(data.merge(_twin_columns(ctx.study), on="graph_id", how="left"))
    method = "asymptotic"
    if np.unique(units).size < PERMUTATION_BELOW:
        n_perm = ctx.report.permutations
        p, method = kendall_permutation_p(data[x], data[y], n_perm, rng, units)
    elif n_removed:
        p = float(scipy.stats.kendalltau(data[x], data[y]).pvalue)
    return claim_row(
        "R1", analysis="raw", stratum=POOLED, x=x, y=y, statistic="kendall_tau_b",
        r=r, ci_low=lo, ci_high=hi, p=p, p_method=method, n=n,
        n_units=int(np.unique(units).size), n_removed=n_removed, sign=+1,
    )  # fmt: skip


def _r2b(ctx: StudyContext, nc: NCStatistics) -> ClaimRow:
    """R2b, or ``not testable`` when clean data shows no collapse (its premise)."""
    row = _paired("R2b", "layer", "nc1_log_ratio", nc.r2b.get(ctx.mean_key), +1)
    clean = _nc_summary(ctx, nc)[1]
    if np.isfinite(clean) and clean >= COLLAPSED_BELOW:
        row.rule = "not testable"
    return row


def _kendall(x: pd.Series, y: pd.Series) -> float:
    return float(scipy.stats.kendalltau(x, y).statistic) if len(x) >= 3 else NAN


def _twin_columns(study: pd.DataFrame) -> pd.DataFrame:
    """``graph_id``, ``variant``, ``parent_id`` of each graph, where the study has them."""
    cols = [c for c in ("graph_id", "variant", "parent_id") if c in study.columns]
    return study[cols].drop_duplicates("graph_id")


def _nc_summary(ctx: StudyContext, nc: NCStatistics) -> tuple[PairedSummary | None, float]:
    """R2a's summary (NC1 perturbed minus clean, per graph) and the median clean NC1."""
    table = nc.table
    if table.empty:
        return None, NAN
    sub = table.loc[(table["metric"] == "nc1") & (table["aggregate"] == ctx.mean_key)]
    if sub.empty:
        return None, NAN
    r = sub.iloc[0]
    summary = PairedSummary(int(r["n"]), float(r["median_difference"]), float(r["ci_low"]),
                            float(r["ci_high"]), float(r["p"]), str(r["p_method"]))  # fmt: skip
    return summary, float(r["median_clean"]) if "median_clean" in r else NAN


def _paired(cid: str, x: str, y: str, summ: PairedSummary | None, sign: int) -> ClaimRow:
    if summ is None or summ.n == 0:
        return claim_row(
            cid,
            analysis="raw",
            stratum=POOLED,
            x=x,
            y=y,
            statistic="median_difference",
            sign=sign,
        )
    return claim_row(
        cid, analysis="raw", stratum=POOLED, x=x, y=y, statistic="median_difference",
        r=summ.median, ci_low=summ.ci_low, ci_high=summ.ci_high, p=summ.p,
        p_method=summ.p_method, n=summ.n, sign=sign,
    )  # fmt: skip
