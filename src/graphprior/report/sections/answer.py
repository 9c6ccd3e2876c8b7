"""The report's first screen: how much of robustness the wiring explains, then the claims.

One sentence and one figure per question: the graph's share of the variance
of the pre-registered primary measure in every stratum and arm, with its
interval, its decision and the reliability of a graph's mean; then the
claims C2–C4 as a forest plot of the controlled estimates with the
equivalence bounds drawn in. Numbers: ``variance.parquet``,
``reliability.parquet``, ``claims.parquet``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphprior.analysis.stats import SAME_SIZE
from graphprior.config.sections import ReportConfig
from graphprior.report.document import Figure, Section
from graphprior.report.figures import figure, plt, short
from graphprior.report.render import fmt, fmt_interval
from graphprior.report.sections import TITLES

__all__ = [
    "section_answer",
    "answer_sentence",
    "other_arms_sentence",
    "size_sentence",
    "share_table",
]

#: Measures in the first figure: the primary one and the next main ones (all: the table below).
FIGURE_MEASURES = 8

_DECISION_WORDS = {
    "matters": "the graph matters (interval excludes 0)",
    "negligible": "negligible (the whole interval lies below the bound)",
    "undecided": "undecided (the interval covers 0 and reaches the bound)",
    "not identifiable": "not identifiable (the design has one model per graph)",
}


def _bars(value: np.ndarray, low: np.ndarray, high: np.ndarray) -> list[np.ndarray]:
    """Error-bar lengths below and above: 0 where a bound is missing or on the wrong side.

    A percentile interval of a clipped estimate need not contain it (the
    point is clipped at 0, the resamples are not), so a bar never goes negative.
    """
    below = np.clip(np.nan_to_num(value - low), 0.0, None)
    above = np.clip(np.nan_to_num(high - value), 0.0, None)
    return [below, above]


def _pct(v: float) -> str:
    return "–" if not np.isfinite(v) else f"{100 * v:.1f} %"


def _stratum_key(stratum: str) -> tuple[bool, str]:
    """Strata first, then the size classes of several strata (``a+b``: the density design)."""
    return ("+" in stratum, stratum)


def _graph_rows(variance: pd.DataFrame, measure: str | None) -> pd.DataFrame:
    rows = variance.loc[variance["component"] == "graph"]
    if measure is not None:
        rows = rows.loc[rows["measure"] == measure]
    order = rows["stratum"].map(_stratum_key)
    return rows.assign(_key=order).sort_values(["arm", "_key"]).drop(columns="_key")


def _reliability(reliability: pd.DataFrame, split: str = "components") -> pd.DataFrame:
    return reliability.loc[reliability["split"] == split].set_index(["stratum", "arm", "measure"])


def measure_label(measure: str, autoattack_budget: str | None) -> str:
    """A measure's name as a headline shows it: an AutoAttack measure says its budget when reduced.

    Only AutoAttack at the reference's standard effort is called AutoAttack plainly.

    >>> measure_label("robust_accuracy_autoattack_linf_0p1", "reduced")
    '`robust_accuracy_autoattack_linf_0p1` (AutoAttack at a reduced budget, not the standard one)'
    >>> measure_label("robust_accuracy_autoattack_linf_0p1", "standard")
    '`robust_accuracy_autoattack_linf_0p1`'
    >>> measure_label("robust_accuracy_autoattack_reference_linf_0p1", "reduced")
    '`robust_accuracy_autoattack_reference_linf_0p1`'
    """
    reference = "autoattack_reference" in measure  # the reference's standard version
    if "autoattack" in measure and not reference and autoattack_budget == "reduced":
        return f"`{measure}` (AutoAttack at a reduced budget, not the standard one)"
    return f"`{measure}`"


def answer_sentence(
    variance: pd.DataFrame,
    reliability: pd.DataFrame,
    primary: str | None,
    main_arm: str | None,
    autoattack_budget: str | None = None,
) -> str:
    """The first sentence of the report: the graph's share of the primary measure, per stratum.

    ``autoattack_budget`` (``standard``, ``reduced`` or None, the `models` column) names a
    reduced AutoAttack budget beside an AutoAttack primary measure.
    """
    if primary is None or variance.empty:
        return (
            "**No answer:** the pre-registered primary measure was not measured or was kept out "
            "(see the attack validity section), so the study cannot say how much of robustness "
            "the graph explains."
        )
    rows = _graph_rows(variance, primary)
    main = rows.loc[rows["arm"] == main_arm] if main_arm is not None else rows
    main = main if len(main) else rows
    rel = _reliability(reliability)
    within = main.loc[~main["stratum"].str.contains("+", regex=False)]
    classes = main.loc[main["stratum"].str.contains("+", regex=False)]
    arm = f" in the main arm `{main_arm}`" if main_arm else ""
    text = (
        "**The answer.** Of the variance of the primary robustness measure "
        f"{measure_label(primary, autoattack_budget)} across "
        f"models{arm}, the graph (within its generator) explains "
        + _shares(within, rel, "in stratum")
        + "."
    )
    if len(classes):
        text += (
            " Across the strata of one size, where density varies (the density design: the "
            "graph's share includes what its density does), it explains "
            + _shares(classes, rel, "in")
            + "."
        )
    return text


def other_arms_sentence(
    variance: pd.DataFrame, reliability: pd.DataFrame, primary: str | None, main_arm: str | None
) -> str | None:
    """The same answer under every other mapping arm (None with one arm)."""
    if primary is None or variance.empty or main_arm is None:
        return None
    rows = _graph_rows(variance, primary)
    rows = rows.loc[(rows["arm"] != main_arm) & ~rows["stratum"].str.contains("+", regex=False)]
    if rows.empty:
        return None
    rel = _reliability(reliability)
    parts = []
    for arm, part in rows.groupby("arm", sort=True):
        if not np.isfinite(part["share"].to_numpy(dtype=float)).any():
            parts.append(f"under `{arm}` the graph's share is not identifiable in any stratum "
                         "(one model per graph: nothing to separate the graph from the rest)")  # fmt: skip
        else:
            parts.append(f"under `{arm}` " + _shares(part, rel, "in stratum"))
    return (
        "**Under the other mappings** (the same graphs, each arm analysed on its own; section "
        f"“{TITLES['arms']}”): " + "; ".join(parts) + "."
    )


def _shares(rows: pd.DataFrame, rel: pd.DataFrame, where: str) -> str:
    """``x % (95 % CI a to b) in stratum `s`, …`` with one decision and one reliability list.

    One decision word when every row has the same decision, else one per row.
    """
    decisions = set(rows["decision"])
    parts, reliabilities = [], []
    for _, r in rows.iterrows():
        own = (
            "" if len(decisions) == 1 else f"; {_DECISION_WORDS.get(r['decision'], r['decision'])}"
        )
        parts.append(f"{_pct(r['share'])} {where} `{r['stratum']}` (95 % CI {_pct(r['ci_low'])} "
                     f"to {_pct(r['ci_high'])}{own})")  # fmt: skip
        key = (r["stratum"], r["arm"], r["measure"])
        rr = rel.loc[key] if key in rel.index else None
        if rr is not None and np.isfinite(rr["reliability"]):
            reliabilities.append(fmt_interval(rr["reliability"], rr["ci_low"], rr["ci_high"], 2))
    out = ", ".join(parts)
    if len(decisions) == 1:
        word = _DECISION_WORDS.get(next(iter(decisions)), next(iter(decisions)))
        head, _, reason = word.partition(" (")
        each = " in each" if len(parts) > 1 else ""
        out += f": {head}{each}" + (f" ({reason}" if reason else "")
    if reliabilities:
        out += (f"; a graph's mean is measured with reliability {', '.join(reliabilities)}"
                + (" respectively" if len(reliabilities) > 1 else ""))  # fmt: skip
    return out


def _share_figure(
    variance: pd.DataFrame, reliability: pd.DataFrame, main_arm: str | None, bound: float
) -> Figure | None:
    rows = _graph_rows(variance, None)
    rows = rows.loc[np.isfinite(rows["share"].to_numpy(dtype=float))]
    if main_arm is not None:
        rows = rows.loc[rows["arm"] == main_arm]
    if rows.empty:
        return None
    strata = sorted(rows["stratum"].unique(), key=_stratum_key)
    # the primary measure first, then the next main measures in report order: one screen
    measures = list(dict.fromkeys(rows.sort_values("primary", ascending=False, kind="stable")[
        "measure"]))[:FIGURE_MEASURES]  # fmt: skip
    rows = rows.loc[rows["measure"].isin(measures)]
    rel = _reliability(reliability)
    fig, axes = plt.subplots(
        1, 2, figsize=(12.5, 1.4 + 0.3 * len(measures)), layout="constrained",
        gridspec_kw={"width_ratios": [3, 1.3]}, sharey=True,
    )  # fmt: skip
    offsets = np.linspace(-0.2, 0.2, len(strata)) if len(strata) > 1 else np.zeros(1)
    colours = plt.get_cmap("tab10")
    y_of = {m: len(measures) - 1 - i for i, m in enumerate(measures)}
    for k, stratum in enumerate(strata):
        sub = rows.loc[rows["stratum"] == stratum]
        ys = np.array([y_of[m] for m in sub["measure"]]) + offsets[k]
        share = sub["share"].to_numpy(dtype=float)
        lo, hi = sub["ci_low"].to_numpy(dtype=float), sub["ci_high"].to_numpy(dtype=float)
        axes[0].errorbar(
            share, ys, xerr=_bars(share, lo, hi), fmt="o", ms=4, capsize=2,
            color=colours(k), label=stratum,
        )  # fmt: skip
        r = [rel.loc[(stratum, a, m)] if (stratum, a, m) in rel.index else None
             for a, m in zip(sub["arm"], sub["measure"], strict=True)]  # fmt: skip
        val = np.array([np.nan if x is None else x["reliability"] for x in r], dtype=float)
        rlo = np.array([np.nan if x is None else x["ci_low"] for x in r], dtype=float)
        rhi = np.array([np.nan if x is None else x["ci_high"] for x in r], dtype=float)
        axes[1].errorbar(
            val, ys, xerr=_bars(val, rlo, rhi), fmt="s", ms=4,
            capsize=2, color=colours(k),
        )  # fmt: skip
    axes[0].axvline(bound, color="k", ls="--", lw=1)
    axes[0].text(bound, len(measures) - 0.4, f" bound {bound:g}", fontsize=8, va="bottom")
    axes[0].set_xlabel("graph's share of the variance across models (95 % CI)")
    primary = set(rows.loc[rows["primary"].astype(bool), "measure"])
    order = sorted(measures, key=lambda m: y_of[m])
    axes[0].set_yticks(
        range(len(measures)), [("★ " if m in primary else "") + short(m, 46) for m in order],
        fontsize=8,
    )  # fmt: skip
    axes[0].set_xlim(left=0)
    axes[0].legend(fontsize=8, title="stratum", title_fontsize=8, loc="best")
    axes[1].set_xlabel("reliability of a graph's mean")
    axes[1].set_xlim(-0.05, 1.0)
    arm = f", arm {main_arm}" if main_arm else ""
    return figure(
        "answer_variance_share",
        f"How much of robustness the graph explains{arm}: the graph's variance share of the "
        f"primary measure (★) and the next main measures (left, dashed: the pre-registered bound "
        f"{bound:g}) and the "
        "reliability of a graph's mean implied by the variance components (right), per size "
        "stratum, with 95 % cluster-bootstrap intervals.",
        fig,
    )


def _forest(claims: pd.DataFrame, rho: float) -> Figure | None:
    rows = claims.loc[
        claims["claim"].str.match(r"^C[234]")
        & (claims["analysis"] == "controlled")
        & np.isfinite(claims["r"].to_numpy(dtype=float))
    ]
    if rows.empty:
        return None
    labels = [f"{c} · {s}" for c, s in zip(rows["claim"], rows["stratum"], strict=True)]
    fig, ax = plt.subplots(figsize=(8.5, 1.2 + 0.3 * len(rows)), layout="constrained")
    ys = np.arange(len(rows))[::-1]
    r = rows["r"].to_numpy(dtype=float)
    lo, hi = rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float)
    ax.axvspan(-rho, rho, color="0.9", label=f"equivalence bounds ±{rho:g}")
    ax.axvline(0, color="k", lw=0.8)
    ax.errorbar(
        r, ys, xerr=_bars(r, lo, hi), fmt="o", ms=4, capsize=2,
        color="C0",
    )  # fmt: skip
    for y, verdict in zip(ys, rows["verdict"], strict=True):
        ax.text(1.02, y, verdict, fontsize=7, va="center", transform=ax.get_yaxis_transform())
    ax.set_yticks(ys, labels, fontsize=8)
    ax.set_xlim(-1, 1)
    ax.set_xlabel("partial Spearman ρ (controlled for size and interface), 95 % CI")
    ax.legend(fontsize=8, loc="lower left")
    return figure(
        "answer_claims_forest",
        "Claims C2–C4 on the primary measure: controlled estimates with 95 % intervals, pooled "
        "(stratum fixed effects; C2 across the strata of one size) and per stratum; the grey band holds the pre-registered "
        "equivalence bounds, the verdict stands to the right.",
        fig,
    )


def size_sentence(contrasts: pd.DataFrame, primary: str | None) -> str | None:
    """What size does: each denser stratum's mean of the primary measure against the first."""
    if primary is None or contrasts.empty:
        return None
    parts = [
        f"`{r['stratum']}` {fmt(r['mean'])} against `{r['reference']}` {fmt(r['reference_mean'])} "
        f"(difference {fmt(r['difference'])}, 95 % CI {fmt(r['ci_low'])} to {fmt(r['ci_high'])})"
        for _, r in contrasts.iterrows()
    ]
    params = contrasts[["n_params", "reference_n_params"]].to_numpy(dtype=float)
    if np.isfinite(params).all() and (np.abs(params[:, 0] / params[:, 1] - 1) <= SAME_SIZE).all():
        return (
            "**Density at equal size.** Between strata of one parameter count "
            f"({fmt(params[0, 1])}) the primary measure's per-graph mean is "
            + "; ".join(parts)
            + ". A stratum of more edges has more hidden-to-hidden and fewer input weights and "
            "deeper DAGs at once, so this is what density does with everything that comes with "
            "it; C2 reads it across these strata (size fixed effects), C3 and C4 within them."
        )
    return (
        "**Size, not wiring.** Between strata the primary measure's per-graph mean is "
        + "; ".join(parts)
        + ". A stratum of more edges has more parameters and deeper DAGs at once, so this is "
        "what size does; the claims compare graphs within a stratum (pooled rows with stratum "
        "fixed effects) and never read it as an effect of structure."
    )


def section_answer(
    variance: pd.DataFrame,
    reliability: pd.DataFrame,
    claims: pd.DataFrame,
    primary: str | None,
    main_arm: str | None,
    report: ReportConfig,
    contrasts: pd.DataFrame | None = None,
    autoattack_budget: str | None = None,
) -> Section:
    """The first section: the variance share sentence and figure, then the claims' forest plot.

    `contrasts` (:func:`graphprior.analysis.measurement.stratum_contrasts`)
    adds what the size strata differ by; `autoattack_budget` is the study's
    (``reduced`` when any model's AutoAttack ran below the standard effort).
    """
    sec = Section(TITLES["answer"])
    bound, rho = report.smallest_effect.share, report.smallest_effect.rho
    sec.text(answer_sentence(variance, reliability, primary, main_arm, autoattack_budget))
    others = other_arms_sentence(variance, reliability, primary, main_arm)
    if others is not None:
        sec.text(others)
    sec.figure(_share_figure(variance, reliability, main_arm, bound))
    sec.text(
        f"Pre-registered in the config before any claim was computed: the primary measure, the "
        f"smallest graph share of interest ({bound:g}), the smallest correlation of interest "
        f"(|ρ| = {rho:g}) and the reliability a measure needs "
        f"({fmt(report.min_reliability, 2)}). A share is **negligible** when "
        "its whole interval lies below the bound, **matters** when the interval excludes 0, and is "
        "**undecided** otherwise; variance.parquet and reliability.parquet hold every measure, "
        "stratum and arm."
    )
    size = size_sentence(contrasts if contrasts is not None else pd.DataFrame(), primary)
    if size is not None:
        sec.text(size)
    sec.figure(_forest(claims, rho))
    sec.table("The graph's variance share of every measure, per stratum and arm", share_table(
        variance, reliability))  # fmt: skip
    return sec


def share_table(
    variance: pd.DataFrame, reliability: pd.DataFrame, measure: str | None = None
) -> pd.DataFrame:
    """One row per (measure, stratum, arm): the graph's share, its decision, the reliability.

    `measure` keeps one measure's rows (every measure by default).
    """
    rows = _graph_rows(variance, measure)
    rel = _reliability(reliability)
    out = []
    rows = rows.assign(_key=rows["stratum"].map(_stratum_key))
    for _, r in rows.sort_values(["primary", "arm", "measure", "_key"],
                                 ascending=[False, True, True, True]).iterrows():  # fmt: skip
        key = (r["stratum"], r["arm"], r["measure"])
        rr = rel.loc[key] if key in rel.index else None
        out.append({
            "measure": ("★ " if r["primary"] else "") + r["measure"], "stratum": r["stratum"],
            "arm": r["arm"], "graph share [95 % CI]": fmt_interval(r["share"], r["ci_low"],
                                                                  r["ci_high"], 2),
            "decision": r["decision"],
            "reliability [95 % CI]": "" if rr is None else fmt_interval(
                rr["reliability"], rr["ci_low"], rr["ci_high"], 2),
            "graphs": int(r["n_graphs"]), "models": int(r["n_models"]),
        })  # fmt: skip
    return pd.DataFrame(out)
