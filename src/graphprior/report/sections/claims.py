"""Report section "Claims": the findings (raw, controlled, sensitivity), the checks apart, one figure.

Rendered from the ``claims`` table (``results/{study}/tables/claims.parquet``,
:func:`graphprior.analysis.claims.claims_table`); the verdict rules are in
docs/report.md and repeated here in words.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from graphprior.analysis.claims.table import CLAIM_TEXT, ClaimData
from graphprior.analysis.claims.verdicts import ALPHA
from graphprior.analysis.stats.inference import (
    INSUFFICIENT_BELOW,
    PERMUTATION_BELOW,
    partial_residuals,
)
from graphprior.config.choices import POOLED
from graphprior.report.document import Figure, Section
from graphprior.report.figures import figure, plt, short
from graphprior.report.render import fmt, fmt_interval
from graphprior.report.sections import TITLES

__all__ = ["CHECKS", "RULES", "claims_view", "section_claims"]

#: The verdict rules, as written in the report and in docs/report.md.
RULES: dict[str, str] = {
    "correlation": (
        "C2–C4 (and the DAG variants) are tested on one row per graph (per-graph means of the "
        "pre-registered primary measure) three ways: **raw**, Spearman ρ; **controlled**, partial "
        "Spearman ρ after removing the ranks of the size and interface controls named in the "
        "table (parameter count, input and readout width where they vary); **sensitivity**, the "
        "controlled analysis plus clean accuracy (downstream of structure and noisy itself, so "
        "never the main control). Pooled rows over several size strata align every variable "
        "within its stratum first (stratum fixed effects); stratum rows stand alone. A verdict is "
        "**not testable** when no estimate exists (the design fixes the property within every "
        "stratum); **negligible** when the whole 95 % interval lies inside the pre-registered "
        "equivalence bounds ±`report.smallest_effect.rho`; **supported** if the Holm q < "
        f"{ALPHA}, the interval excludes 0 on the predicted side and every stratum's estimate has "
        "the pooled sign; **contradicted** if the same holds on the opposite side; "
        "**unreliable** where it would otherwise read inconclusive or negligible but the "
        "measure's per-graph reliability cannot reach `report.min_reliability` in the strata "
        "it uses (its 95 % upper bound lies below it: attenuation hides any effect, so neither "
        "'no evidence' nor 'no effect' can be read); **inconclusive** otherwise; "
        f"**insufficient** with fewer than {INSUFFICIENT_BELOW} independent graphs (a twin "
        "counts with its original)."
    ),
    "small": (
        f"Below {PERMUTATION_BELOW} independent graphs p-values are permutation p-values "
        "(exact when every permutation fits in `report.permutations`; controlled: residuals "
        "permuted) and intervals BCa bootstraps (Fisher z where BCa is undefined); from "
        f"{PERMUTATION_BELOW} on, t-based p-values and percentile bootstraps. Twins are "
        "resampled and permuted together with their original."
    ),
    "C1": (
        "C1: Friedman test blocked by graph, effect Kendall's W; **contradicted** if q < "
        f"{ALPHA} and W ≥ 0.1, **supported** if not and the interval's upper bound is below 0.3; "
        "**not testable** with fewer than three initialisations."
    ),
    "C5": (
        "C5 counts structural properties only (never size or interface columns) against every "
        "claim measure, Spearman on ranks within strata. Its maximum is selection-adjusted: the "
        "maxT p-value (Westfall–Young; rows permuted within strata, twins with their original) "
        "of the strongest pair, and every pair's simultaneous 95 % interval (Bonferroni over "
        "the grid, Fisher z). **Contradicted** if a pair with maxT p < "
        f"{ALPHA} has its interval beyond ±0.3; **supported** if every pair's interval lies "
        "inside ±0.3; **inconclusive** otherwise. The row shows the strongest pair, raw and "
        "controlled."
    ),
    "paired": (
        "R2b: median over graphs of a per-graph value, Wilcoxon signed-rank p, bootstrap "
        "interval of the median, the directional rule above on q; **not testable** when its "
        "premise fails (clean data shows no collapse: median clean readout NC1 at or above "
        "the collapse threshold)."
    ),
    "checks": (
        "R2a, R3a and R3b are **checks that the measures work** (a small attack breaks collapse; "
        "larger or worst-case weight noise hurts more), not findings about wiring: they are "
        "shown apart, with the same rule as R2b."
    ),
}

#: Rows that check a measure works rather than test a finding about wiring.
CHECKS: tuple[str, ...] = ("R2a", "R3a", "R3b")


#: How the claims table names each statistic (the `claims` table's ``statistic``).
STATISTIC_NAMES = {
    "spearman": "Spearman ρ",
    "partial_spearman": "partial Spearman ρ",
    "max_abs_spearman": "strongest Spearman ρ",
    "max_abs_partial_spearman": "strongest partial Spearman ρ",
    "surface_r": "surface R (adjusted)",
    "kendall_w": "Kendall's W",
    "kendall_tau_b": "Kendall's τ-b",
    "median_difference": "median difference",
}


def statistic_name(statistic: str) -> str:
    """The reader's name of a `claims` statistic (``kendall_w`` -> ``Kendall's W``)."""
    return STATISTIC_NAMES.get(statistic, statistic.replace("_", " "))


def claims_view(claims: pd.DataFrame) -> pd.DataFrame:
    """One row per claim: its statistic, and the pooled raw and controlled effects side by side.

    The ``statistic`` column names what each ``effect`` is (a Spearman ρ, Kendall's W,
    a median difference, ...): the effects of different claims are not one kind of number.
    """
    pooled = claims.loc[claims["stratum"] == POOLED]
    rows = []
    for cid in dict.fromkeys(pooled["claim"]):
        row = {"claim": cid, "statement": CLAIM_TEXT.get(cid, ("", ""))[0], "statistic": ""}
        methods = []
        for analysis in ("raw", "controlled", "sensitivity"):
            hit = pooled.loc[(pooled["claim"] == cid) & (pooled["analysis"] == analysis)]
            if hit.empty and analysis == "sensitivity":
                continue
            if hit.empty:
                row |= {f"{analysis} effect [95 % CI]": "", f"{analysis} q": "", analysis: ""}
                continue
            h = hit.iloc[0]
            if analysis == "raw":
                row["statistic"] = statistic_name(str(h["statistic"]))
            row[f"{analysis} effect [95 % CI]"] = fmt_interval(h["r"], h["ci_low"], h["ci_high"])
            row[f"{analysis} q"] = fmt(h["q"]) if np.isfinite(h["q"]) else "—"
            row[analysis] = h["verdict"]
            row.setdefault("n", int(h["n"]))
            methods.append(h["p_method"] if np.isfinite(h["p"]) else "—")
        row["p method (raw / controlled / sensitivity)"] = " / ".join(methods)
        rows.append(row)
    return pd.DataFrame(rows)


def _differences(view: pd.DataFrame, claims: pd.DataFrame) -> list[str]:
    out = []
    for _, row in view.iterrows():
        if not row.get("controlled") or row["raw"] == row["controlled"]:
            continue
        ctrl = claims.loc[
            (claims["claim"] == row["claim"])
            & (claims["analysis"] == "controlled")
            & (claims["stratum"] == POOLED),
            "controls",
        ].iloc[0]
        out.append(
            f"**{row['claim']}: raw and controlled verdicts differ** ({row['raw']} raw, "
            f"{row['controlled']} controlled): controlling for {ctrl.replace(',', ', ') or 'nothing'} "
            f"moves ρ from {row['raw effect [95 % CI]']} to {row['controlled effect [95 % CI]']}, so "
            "the raw "
            "association runs through size or interface, not structure alone."
        )
    return out


def _outlier_note(claims: pd.DataFrame, applied: bool) -> str:
    """Whether the 1.5×IQR rule ran on the claims, and how many graphs it removed from each."""
    if not applied:
        return (
            "The paper's 1.5×IQR outlier rule was **not applied** to the claims "
            "(`report.outlier_rule: false`): every graph counts."
        )
    pooled = claims.loc[(claims["stratum"] == POOLED) & (claims["analysis"] == "raw")]
    removed = pooled.loc[pooled["n_removed"] > 0]
    head = (
        "The paper's 1.5×IQR outlier rule **was applied** to the claims "
        "(`report.outlier_rule: true`): before each test, graphs whose per-graph value of the "
        "claim's measure lies outside [Q1 − 1.5·IQR, Q3 + 1.5·IQR] were removed (C1: the "
        "primary measure's mean; C5 is not filtered: its maxT permutes one set of graphs for "
        "the whole grid; R2–R3 use their own sections' graphs, unfiltered). "
    )
    if removed.empty:
        return head + "It removed no graph."
    parts = [
        f"{row['claim']} {fmt(int(row['n_removed']))} (of {fmt(int(row['n'] + row['n_removed']))})"
        for _, row in removed.iterrows()
    ]
    return head + "Graphs removed: " + "; ".join(parts) + "."


def _main_figure(claims: pd.DataFrame, data: ClaimData) -> Figure | None:
    """Added-variable plot of the first correlation claim with a finite controlled estimate."""
    rows = claims.loc[
        (claims["analysis"] == "controlled")
        & (claims["stratum"] == POOLED)
        & claims["claim"].str.match(r"C[234]")
        & claims["r"].notna()
    ]
    if rows.empty or data.frame is None:
        return None
    row = rows.iloc[0]
    frame = data.frame
    ctrl = [c for c in row["controls"].split(",") if c]
    z = frame[ctrl].to_numpy(dtype=float) if ctrl else None
    ex, ey = partial_residuals(frame[row["x"]], frame[row["y"]], z)
    fig, ax = plt.subplots(figsize=(5.2, 3.6), layout="constrained")
    for stratum, idx in frame.groupby("stratum").groups.items():
        pos = frame.index.get_indexer(idx)
        ax.scatter(ex[pos], ey[pos], s=22, alpha=0.85, label=str(stratum))
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    ax.set_xlabel(f"rank of {short(row['x'])} | controls", fontsize=8)
    ax.set_ylabel(f"rank of {short(row['y'], 30)} | controls", fontsize=8)
    ax.set_title(
        f"{row['claim']} controlled: ρ = {fmt_interval(row['r'], row['ci_low'], row['ci_high'])}, "
        f"q = {fmt(row['q'])}, {row['verdict']}",
        fontsize=8,
    )
    ax.legend(fontsize=6, loc="best")
    return figure(
        "main_controlled_association",
        f"{row['claim']}: residual ranks of {row['x']} and {row['y']} after removing "
        f"{row['controls'].replace(',', ', ') or 'no control'}; one point per graph.",
        fig,
    )


def section_claims(
    claims: pd.DataFrame,
    data: ClaimData,
    excluded: Mapping[str, str] | None = None,
    *,
    outlier_rule: bool,
) -> Section:
    """The claims (raw beside controlled), the verdict rules, the main controlled association.

    `outlier_rule` is ``report.outlier_rule``: the section says whether the
    claims applied it and how many graphs it removed (column ``n_removed``).
    """
    sec = Section(TITLES["claims"])
    checks = claims.loc[claims["claim"].isin(CHECKS)]
    claims = claims.loc[~claims["claim"].isin(CHECKS)]
    view = claims_view(claims)
    counts = view["controlled"].where(view["controlled"] != "", view["raw"]).value_counts()
    n_family = int(claims.loc[claims["stratum"] == POOLED, "p"].notna().sum())
    sec.text(
        "Does the wiring of a sparse network, drawn from a random graph, predict its "
        "robustness once size and interface are held fixed? Each claim below is tested raw, "
        "controlled and with clean accuracy as a sensitivity analysis; final verdicts: "
        + ", ".join(f"{fmt(int(v))} {k}" for k, v in counts.items())
        + f". **Families:** the claims are their own Holm family ({fmt(n_family)} pooled tests, "
        "`q` here); the exploratory correlation grid keeps Benjamini–Hochberg within each "
        "stratum, aggregate and method (the correlations section)."
    )
    sec.table("Claims: raw, controlled and sensitivity, pooled over graphs", view)
    if len(checks):
        sec.table("Checks that the measures work (not findings about wiring)", claims_view(checks))
    sec.text(_outlier_note(claims, outlier_rule))
    for paragraph in _differences(view, claims):
        sec.text(paragraph)
    sec.figure(_main_figure(claims, data))
    if excluded:
        sec.table(
            "Measures excluded from the claims",
            pd.DataFrame({"measure": list(excluded), "reason": list(excluded.values())}),
        )
    strata = claims.loc[claims["stratum"] != POOLED]
    if len(strata):
        sec.table("Claims per stratum", strata.drop(columns=["q"]))
    sec.text("**Verdict rules.** " + RULES["correlation"])
    for key in ("small", "C1", "C5", "paired", "checks"):
        sec.text(RULES[key])
    return sec
