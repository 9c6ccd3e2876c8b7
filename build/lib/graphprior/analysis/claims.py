"""The claims table: the paper's claims C1–C5 and the related claims R1–R3 with verdicts.

Each row names the claim, its source, the statistic used as evidence, its
interval and adjusted p-value, and a verdict from
:mod:`graphprior.analysis.verdicts`. The rules are in docs/report.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from graphprior.analysis.columns import CLAIM_PROPERTIES, MIN_GRAPHS, study_name
from graphprior.analysis.context import StudyContext
from graphprior.analysis.correlation_table import corr_row
from graphprior.analysis.verdicts import ALPHA, claim_verdict, weak_correlation_verdict

__all__ = ["CLAIM_COLUMNS", "PAPER", "claims_table"]

#: Columns of the claims table, in order.
CLAIM_COLUMNS: tuple[str, ...] = (
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
)

#: Source of the claims C1–C5.
PAPER = "Ben Amor et al. 2021"
_NAN = float("nan")


def claims_table(
    ctx: StudyContext,
    c1: dict[str, Any],
    weight: dict[str, Any],
    prun: dict[str, Any],
    nc: dict[str, Any],
) -> pd.DataFrame:
    """The claims C1–C5 of the paper and the related claims R1–R3, each with a verdict.

    `c1`, `weight`, `prun` and `nc` are the ``c1`` entry of
    :func:`graphprior.analysis.summaries.init_statistics` and the results of
    the statistics of :mod:`graphprior.analysis.related`.
    """
    rows = [_c1(ctx, c1)]
    for cid, statement in (
        ("C2", "Higher graph density goes with lower robustness"),
        ("C3", "Higher average path length goes with lower robustness"),
        ("C4", "Higher average node eccentricity goes with lower robustness"),
        # The paper computed path measures on the DAG the network is built from.
        ("C3-DAG", "Higher average path length of the DAG goes with lower robustness"),
        ("C4-DAG", "Higher average node eccentricity of the DAG goes with lower robustness"),
    ):
        rows.append(_correlation_claim(ctx, cid, CLAIM_PROPERTIES[cid], statement))
    rows.append(_c5(ctx))
    rows.append(_r1(ctx, prun))
    rows += _r2(ctx, nc)
    rows += _r3(ctx, weight)
    return pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))


def _r1(ctx: StudyContext, prun: dict[str, Any]) -> dict[str, Any]:
    """R1 (Kuhn et al.): Kendall τ-b of prunability and the generalisation gap."""
    statement = "Prunability predicts the generalisation gap (less prunable, larger gap)"
    source = "Kuhn et al. 2021"
    table = prun.get("table", pd.DataFrame())
    row = (
        corr_row(table, "prunability_magnitude", "gen_gap_accuracy", "kendall", ctx.mean_key)
        if len(table)
        else None
    )
    if row is None:
        return _claim(
            "R1",
            statement,
            source,
            "not computed (prunability or the gap absent, or too few graphs)",
            verdict="inconclusive",
        )
    median = ""
    mrow = (
        corr_row(table, "prunability_magnitude", "gen_gap_accuracy", "kendall", "median")
        if ctx.mean_key != "median"
        else None
    )
    if mrow is not None:
        median = _verdict(mrow["r"], mrow["ci_low"], mrow["ci_high"], mrow["q"], +1)
    return _claim(
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


def _r2(ctx: StudyContext, nc: dict[str, Any]) -> list[dict[str, Any]]:
    """R2a and R2b (Su et al.): neural collapse under attack, and its depth profile."""
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
    return [
        _paired_claim(
            ctx,
            "R2a",
            "Neural collapse breaks under small attacks: NC1 on perturbed data is larger than on clean data",
            source,
            "median over graphs of NC1(perturbed) − NC1(clean); predicted positive",
            nc_res,
            "R2a",
            +1,
        ),
        _paired_claim(
            ctx,
            "R2b",
            "Earlier layers stay more collapsed under attack than later ones",
            source,
            "median over graphs of the per-model Spearman ρ(layer index, log10 NC1 perturbed/clean); predicted positive",
            nc_res,
            "R2b",
            +1,
        ),
    ]


def _r3(ctx: StudyContext, weight: dict[str, Any]) -> list[dict[str, Any]]:
    """R3a and R3b (Tsai et al.): accuracy under weight perturbation."""
    source = "Tsai et al. 2021"
    return [
        _paired_claim(
            ctx,
            "R3a",
            "Accuracy degrades under weight perturbation as δ grows",
            source,
            "median over graphs of the per-model Spearman ρ(δ, accuracy), δ = 0 the clean accuracy; predicted negative",
            weight,
            "R3a",
            -1,
        ),
        _paired_claim(
            ctx,
            "R3b",
            "Worst-case weight perturbation hurts more than random",
            source,
            "median over graphs of accuracy(worst) − accuracy(random) at equal δ and norm; predicted negative",
            weight,
            "R3b",
            -1,
        ),
    ]


def _claim(claim: str, statement: str, source: str, evidence: str, **values: Any) -> dict[str, Any]:
    """A claims-table row: text columns given, numbers NaN unless set in `values`."""
    row = {c: "" for c in CLAIM_COLUMNS}
    row.update(claim=claim, statement=statement, source=source, evidence=evidence)
    row.update({"value": _NAN, "ci_low": _NAN, "ci_high": _NAN, "p_adj": _NAN, "n": 0})
    row.update(values)
    return row


def _verdict(r: float, lo: float, hi: float, q: float, sign: int) -> str:
    """The verdict of a directional claim at :data:`ALPHA`."""
    return claim_verdict(r, lo, hi, q, sign)


def _correlation_claim(ctx: StudyContext, cid: str, prop: str, statement: str) -> dict[str, Any]:
    """C2–C4: pooled Spearman of a property with the primary measure, predicted negative."""
    primary = ctx.primary
    x = study_name(prop, ctx.study)
    if primary is None or x is None or x not in ctx.xs:
        why = "no robustness measure" if primary is None else f"{prop} absent or constant"
        return _claim(cid, statement, PAPER, f"not computed ({why})", verdict="inconclusive")
    sign = -primary.direction  # the claim: higher x, lower robustness
    row = corr_row(ctx.corr, x, primary.column, "spearman", ctx.mean_key)
    if row is None:
        return _claim(
            cid,
            statement,
            PAPER,
            f"Spearman ρ({x}, {primary.column}) not computed (fewer than {MIN_GRAPHS} graphs)",
            verdict="inconclusive",
        )
    verdict = _verdict(row["r"], row["ci_low"], row["ci_high"], row["q"], sign)
    median = ""
    if "median" in ctx.aggregates and ctx.mean_key != "median":
        mrow = corr_row(ctx.corr, x, primary.column, "spearman", "median")
        median = (
            _verdict(mrow["r"], mrow["ci_low"], mrow["ci_high"], mrow["q"], sign)
            if mrow is not None
            else "inconclusive"
        )
    counts = {"supported": 0, "contradicted": 0, "inconclusive": 0}
    for m in ctx.measures:
        mrow = corr_row(ctx.corr, x, m.column, "spearman", ctx.mean_key)
        if mrow is None:
            counts["inconclusive"] += 1
            continue
        counts[_verdict(mrow["r"], mrow["ci_low"], mrow["ci_high"], mrow["q"], -m.direction)] += 1
    return _claim(
        cid,
        statement,
        PAPER,
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


def _c1(ctx: StudyContext, c1: dict[str, Any]) -> dict[str, Any]:
    """C1: Kendall's W of the Friedman test on the initialisations."""
    statement = "Robustness does not depend on the initialisation method"
    if not c1:
        return _claim(
            "C1", statement, PAPER, "not computed (no trainable graph net)", verdict="inconclusive"
        )
    w, p, lo, hi = c1["kendall_w"], c1["friedman_p"], c1["ci_low"], c1["ci_high"]
    if not np.isfinite(w) or c1["n_blocks"] < MIN_GRAPHS or c1["k"] < 3:
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
        PAPER,
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


def _c5(ctx: StudyContext) -> dict[str, Any]:
    """C5: the strongest pooled Spearman correlation and the weak-correlation rule."""
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
            "C5", statement, PAPER, "not computed (no correlation)", verdict="inconclusive"
        )
    verdict = weak_correlation_verdict(
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
            weak_correlation_verdict(
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
        PAPER,
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
    ctx: StudyContext,
    cid: str,
    statement: str,
    source: str,
    evidence: str,
    res: dict[str, Any],
    key: str,
    sign: int,
) -> dict[str, Any]:
    """A claim on the median over graphs of a per-graph value (Wilcoxon p, bootstrap interval)."""
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
