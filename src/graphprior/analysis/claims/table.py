"""The claims table: C1–C5 of the paper and R1–R3 of related studies, raw and controlled.

One row per (claim, analysis, stratum), columns
:data:`graphprior.io.tables.CLAIMS_SCHEMA` (``results/{study}/tables/claims.parquet``,
docs/data-dictionary.md). The correlation claims C2–C4 are judged twice:
``raw`` (Spearman ρ of the property and the primary measure) and
``controlled`` (partial Spearman ρ controlling for clean accuracy, parameter
count, input and readout width, :func:`graphprior.analysis.study.interface.claim_controls`),
each pooled and per stratum. C5 counts structural properties only. The
claims form their own Holm family (``q``, pooled rows); the exploratory
correlations table keeps Benjamini–Hochberg within its own families. Rules:
docs/report.md ("Verdict rules").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graphprior.analysis.claims.related_studies import related_rows
from graphprior.analysis.claims.rows import ClaimRow, claim_row, finish_claims, outlier_rule
from graphprior.analysis.claims.surface import SURFACE_CLAIM, surface_claim
from graphprior.analysis.claims.verdicts import simultaneous_intervals, weak_correlation_verdict
from graphprior.analysis.stats import maxt_correlations, pooled_frame
from graphprior.analysis.stats.correlation import residualise
from graphprior.analysis.stats.inference import correlation_test
from graphprior.analysis.study.columns import (
    CLAIM_PROPERTIES,
    DESIGN_PROPERTIES,
    MIN_GRAPHS,
    Measure,
    bare,
    primary_measure,
    study_name,
)
from graphprior.analysis.study.interface import (
    claim_controls,
    claim_frame,
    strata_column,
    structural,
)
from graphprior.analysis.study_context import StudyContext
from graphprior.config.choices import POOLED

__all__ = [
    "ALL_STRATA",
    "ANALYSES",
    "CLAIM_TEXT",
    "PAPER",
    "ClaimData",
    "claims_table",
    "arm_claims",
    "correlation_claims",
    "claim_data",
    "claim_measures",
]

#: Source of the claims C1–C5.
PAPER = "Ben Amor et al. 2021"

#: Statement and source of each claim, in table order.
CLAIM_TEXT: dict[str, tuple[str, str]] = {
    "C1": ("Robustness does not depend on the initialisation method", PAPER),
    "C2": ("Higher graph density goes with lower robustness", PAPER),
    "C3": ("Higher average path length goes with lower robustness", PAPER),
    "C4": ("Higher average node eccentricity goes with lower robustness", PAPER),
    "C3-DAG": ("Higher average path length of the DAG goes with lower robustness", PAPER),
    "C4-DAG": ("Higher average node eccentricity of the DAG goes with lower robustness", PAPER),
    "C5": ("All correlations between structural properties and robustness are weak", PAPER),
    "Y1": (
        "Robustness is a smooth function of clustering and path length (a surface in C and L)",
        "You et al. 2020",
    ),
    "R1": (
        "Prunability predicts the generalisation gap (less prunable, larger gap)",
        "Kuhn et al. 2021",
    ),
    "R2a": (
        "Neural collapse breaks under small attacks: NC1 perturbed > clean",
        "Su et al. 2023",
    ),
    "R2b": ("Earlier layers stay more collapsed under attack than later ones", "Su et al. 2023"),
    "R3a": ("Accuracy degrades under weight perturbation as δ grows", "Tsai et al. 2021"),
    "R3b": ("Worst-case weight perturbation hurts more than random", "Tsai et al. 2021"),
}


def claim_measures(ctx: StudyContext, excluded: Mapping[str, str]) -> list[Measure]:
    """The main measures the claims may use: those not in `excluded` (column → reason)."""
    return [m for m in ctx.measures if m.column not in excluded]


def claims_table(
    ctx: StudyContext,
    stats: dict[str, Any],
    rng: np.random.Generator,
    excluded: Mapping[str, str] | None = None,
    unreliable: Mapping[str, set[str]] | None = None,
) -> pd.DataFrame:
    """Every claim's rows, with Holm q-values over the pooled tests and verdicts.

    Parameters
    ----------
    ctx : StudyContext
        The study.
    stats : dict
        ``init``, ``weight``, ``prunability`` and ``nc`` statistics of the report.
    rng : numpy.random.Generator
        Permutations and resamples (the ``claims`` section's generator).
    excluded : mapping, optional
        Measures (study columns) kept out of every claim, with the reason
        (failed attack gates, saturation); the primary measure is the
        pre-registered one (``report.primary_measure``), never a stand-in.
    unreliable : mapping, optional
        Measure (study column) → the strata (values of the claims' ``stratum``,
        or :data:`ALL_STRATA` for all of them) where its per-graph reliability
        cannot reach ``report.min_reliability``
        (:func:`graphprior.analysis.measurement.unreliable_measures`).

    Returns
    -------
    DataFrame
        Columns exactly ``CLAIMS_SCHEMA.names``.
    """
    data = claim_data(ctx, excluded)
    rows = related_rows(ctx, stats, data.primary, rng)
    corr_rows = correlation_claims(ctx, data, rng, unreliable or {})
    return finish_claims([rows[0], *corr_rows, *rows[1:]], ctx.arm)


def arm_claims(
    ctx: StudyContext,
    rng: np.random.Generator,
    excluded: Mapping[str, str] | None = None,
    unreliable: Mapping[str, set[str]] | None = None,
) -> pd.DataFrame:
    """The claims on graph properties (C2–C5, Y1) for the arm of `ctx`, its own Holm family.

    The claims the main arm's table adds (C1, R1–R3) are about
    initialisations and related measures, not the mapping; they are not repeated.
    """
    data = claim_data(ctx, excluded)
    return finish_claims(correlation_claims(ctx, data, rng, unreliable or {}), ctx.arm)


def correlation_claims(
    ctx: StudyContext,
    data: ClaimData,
    rng: np.random.Generator,
    unreliable: Mapping[str, set[str]],
) -> list[ClaimRow]:
    """C2–C4 (and their DAG variants), C5 and Y1 on the per-graph frame of `data`."""
    rows: list[ClaimRow] = []
    if data.primary is None or data.frame is None:
        for cid in (*CLAIM_PROPERTIES, "C5", SURFACE_CLAIM):
            rows.append(claim_row(cid, analysis="raw", stratum=POOLED, statistic="spearman"))
        return rows
    for cid, prop in CLAIM_PROPERTIES.items():
        x = study_name(prop, ctx.study)
        rows += _correlation_claim(data, cid, x, ctx, rng, unreliable)
    rows += _c5(data, ctx, rng)
    y = data.primary.column
    rows += surface_claim(
        data.frame, ctx.study, y, n_perm=ctx.report.permutations, n_boot=ctx.n_boot,
        rho=ctx.report.smallest_effect.rho, rng=rng,
        unreliable=_low_reliability(POOLED, data.frame, "", unreliable.get(y, set())),
    )  # fmt: skip
    return rows


@dataclass
class ClaimData:
    """What the correlation claims read: measures, primary measure, per-graph frame, controls."""

    measures: list[Measure]
    primary: Measure | None
    frame: pd.DataFrame | None
    controls: list[str]


def claim_data(ctx: StudyContext, excluded: Mapping[str, str] | None = None) -> ClaimData:
    """The claims' per-graph table (:func:`graphprior.analysis.study.interface.claim_frame`) and controls."""
    measures = claim_measures(ctx, dict(excluded or {}))
    primary = primary_measure(measures, ctx.report)
    if primary is None or ctx.ok.empty:
        return ClaimData(measures, primary, None, [])
    controls = claim_controls(ctx.ok, ctx.config.mapping)
    props = [p for p in (study_name(v, ctx.study) for v in CLAIM_PROPERTIES.values()) if p]
    frame, used = claim_frame(
        ctx.ok, ctx.study, [*props, *ctx.xs], [m.column for m in measures], controls, ctx.mean_key
    )
    return ClaimData(measures, primary, frame, used)


#: In `claims_table`'s `unreliable` sets: the measure is unreliable in every stratum.
ALL_STRATA = "*"

#: The analyses of a correlation claim: raw, controlled for size and interface, and the
#: sensitivity analysis that adds clean accuracy (downstream of structure, so not the main one).
ANALYSES: tuple[str, ...] = ("raw", "controlled", "sensitivity")


def _analysis_controls(analysis: str, controls: list[str], x: str) -> list[str]:
    if analysis == "raw":
        return []
    size = [c for c in controls if c not in (x, "test_accuracy")]
    if analysis == "controlled":
        return size
    return [*size, *(["test_accuracy"] if "test_accuracy" in controls else [])]


def _pooled(
    frame: pd.DataFrame, x: str, columns: list[str], sized: bool
) -> tuple[pd.DataFrame | None, str]:
    """The per-graph frame for a pooled row of `x`, and its fixed effects.

    `sized`: the strata are size strata (the study's ``stratum``), not
    generators; graphs of different generators at one size are compared as
    they are, as in the correlations table. A property the strata set
    (density, :data:`~graphprior.analysis.study.columns.DESIGN_PROPERTIES`) is
    compared across the strata of one parameter count (size fixed effects;
    ``None`` when no two strata share a size), every other one within
    strata (:func:`graphprior.analysis.stats.pooled_frame`).
    """
    if not sized:
        return frame, ""
    return pooled_frame(frame, columns, "stratum", "n_params", bare(x) in DESIGN_PROPERTIES)


def _class_strata(label: str) -> set[str]:
    """The claims' strata of a size-class label of the measurement tables (``a+b/arm``)."""
    members, _, arm = label.rpartition("/") if "/" in label else (label, "", "")
    return {f"{m}/{arm}" if arm else m for m in members.split("+")}


def _low_reliability(stratum: str, part: pd.DataFrame, fixed: str, bad: set[str]) -> bool:
    """Whether the row's measure cannot reach the reliability its comparison needs.

    A stratum row: that stratum's. A pooled row within strata: every stratum's.
    A pooled row across the strata of one size: the size class's.
    """
    if ALL_STRATA in bad:
        return True
    if stratum != POOLED:
        return stratum in bad
    strata = set(part["stratum"])
    if fixed == "size":
        return any(_class_strata(b) == strata for b in bad if "+" in b)
    return bool(strata) and strata <= bad


def _correlation_claim(
    data: ClaimData,
    cid: str,
    x: str | None,
    ctx: StudyContext,
    rng: np.random.Generator,
    unreliable: Mapping[str, set[str]],
) -> list[ClaimRow]:
    """Raw, controlled and sensitivity rows of one of C2–C4, pooled and per stratum.

    Pooled rows over several strata align every variable within its stratum
    (stratum fixed effects), or, for a property the strata fix, within the
    strata of one parameter count (size fixed effects: the density design);
    stratum rows need at least ``MIN_GRAPHS`` clusters. A variable the design
    fixes within every stratum and size has no estimate (``not testable``).
    """
    primary, controls = data.primary, data.controls
    y = primary.column
    frame, n_removed = outlier_rule(data.frame, y, ctx.outlier_rule)
    sign = -primary.direction  # higher x, lower robustness
    rho = ctx.report.smallest_effect.rho
    bad = unreliable.get(y, set())
    sized = strata_column(ctx.study) == "stratum"
    if x is None or x not in frame.columns:
        return [
            claim_row(
                cid,
                analysis=a,
                stratum=POOLED,
                x=x or "",
                y=y,
                statistic="spearman",
                sign=sign,
            )
            for a in ANALYSES
        ]
    rows = []
    n_perm, n_boot = ctx.report.permutations, ctx.n_boot
    for analysis in ANALYSES:
        ctrl = _analysis_controls(analysis, controls, x)
        statistic = "partial_spearman" if ctrl else "spearman"
        pooled, fe = _pooled(frame, x, [x, y, *ctrl], sized)
        design = fe == "size" or (bare(x) in DESIGN_PROPERTIES and sized)
        by_stratum = frame.groupby("stratum", sort=True)
        strata = [(POOLED, pooled, fe)] + [
            (str(name), None if design else g, "") for name, g in by_stratum
        ]
        for stratum, part, fixed in strata:
            if part is None:  # the design fixes x here: no estimate, `not testable`
                where = frame if stratum == POOLED else frame[frame["stratum"] == stratum]
                rows.append(claim_row(cid, analysis=analysis, stratum=stratum, x=x, y=y,
                                      controls=",".join(ctrl), statistic=statistic,
                                      n=len(where), n_units=where["unit"].nunique(), sign=sign,
                                      fixed_effects=fixed))  # fmt: skip
                continue
            if stratum != POOLED and part["unit"].nunique() < MIN_GRAPHS:
                continue
            z = part[ctrl].to_numpy(dtype=float) if ctrl else None
            t = correlation_test(
                part[x], part[y], z, part["unit"], n_perm=n_perm, n_boot=n_boot, rng=rng
            )
            low_reliability = _low_reliability(stratum, part, fixed, bad)
            rows.append(
                claim_row(
                    cid, analysis=analysis, stratum=stratum, x=x, y=y, controls=",".join(ctrl),
                    statistic=statistic,
                    r=t.r, ci_low=t.ci_low, ci_high=t.ci_high, p=t.p, p_method=t.p_method,
                    n=t.n, n_units=t.n_units, n_removed=n_removed, sign=sign,
                    fixed_effects=fixed, equivalence=rho, unreliable=low_reliability,
                )
            )  # fmt: skip
    return rows


def _c5(data: ClaimData, ctx: StudyContext, rng: np.random.Generator) -> list[ClaimRow]:
    """C5 raw and controlled: the weak-correlation rule on the selection-adjusted grid.

    Every structural property against every claim measure, per-graph,
    Spearman on ranks within strata (stratum fixed effects), controls
    partialled out within strata for the controlled analysis. The grid's
    maximum is tested by maxT (rows permuted within strata, twins with their
    original; :func:`graphprior.analysis.stats.maxt_correlations`) and every
    pair gets a simultaneous (Bonferroni, Fisher-z) interval
    (:func:`graphprior.analysis.claims.verdicts.simultaneous_intervals`); the
    verdict reads both (:func:`graphprior.analysis.claims.verdicts.weak_correlation_verdict`).
    The row reports the strongest pair.
    """
    xs = structural(ctx.xs)
    ys = [m.column for m in data.measures]
    frame = data.frame
    n_perm = ctx.report.permutations
    sized = strata_column(ctx.study) == "stratum"
    several = sized and frame["stratum"].nunique() > 1
    block = frame["stratum"] if sized else pd.Series("", index=frame.index)
    rows = []
    for analysis in ("raw", "controlled"):
        statistic = f"max_abs_{'partial_spearman' if analysis == 'controlled' else 'spearman'}"
        ctrl = (
            [c for c in data.controls if c != "test_accuracy"] if analysis == "controlled" else []
        )
        cols = [c for c in dict.fromkeys([*xs, *ys, *ctrl]) if c in frame.columns]
        sub = frame.dropna(subset=cols)
        xs_used = [x for x in xs if x in sub.columns and sub[x].nunique() > 1]
        ys_used = [y for y in ys if y in sub.columns and sub[y].nunique() > 1]
        if len(sub) < 4 or not xs_used or not ys_used:
            rows.append(
                claim_row(
                    "C5",
                    analysis=analysis,
                    stratum=POOLED,
                    statistic=statistic,
                )
            )
            continue
        blocks = block.loc[sub.index]
        ranks = sub[[*xs_used, *ys_used, *ctrl]].groupby(blocks).rank()
        resid, k = _within_residuals(ranks, blocks, ctrl)
        res = maxt_correlations(
            resid[xs_used].to_numpy(), resid[ys_used].to_numpy(), block=blocks,
            cluster=sub["unit"], n_perm=n_perm, rng=rng,
        )  # fmt: skip
        n_eff = len(sub) - (blocks.nunique() - 1) - k
        lo, hi = simultaneous_intervals(res.r, np.full(res.r.shape, n_eff))
        lo, hi = lo.reshape(res.r.shape), hi.reshape(res.r.shape)
        verdict = weak_correlation_verdict(res.r, res.p_adjusted, lo, hi)
        i, j = np.unravel_index(np.nanargmax(np.abs(res.r)), res.r.shape)
        rows.append(
            claim_row(
                "C5", analysis=analysis, stratum=POOLED, x=xs_used[i], y=ys_used[j],
                controls=",".join(ctrl), statistic=statistic,
                r=res.r[i, j], ci_low=lo[i, j], ci_high=hi[i, j], p=res.p_adjusted[i, j],
                p_method="maxT exact" if res.exact else "maxT permutation", n=len(sub),
                n_units=sub["unit"].nunique(), fixed_verdict=verdict.value,
                fixed_effects="stratum" if several else "",
            )
        )  # fmt: skip
    return rows


def _within_residuals(
    ranks: pd.DataFrame, stratum: pd.Series, ctrl: list[str]
) -> tuple[pd.DataFrame, int]:
    """Ranks less their stratum mean, and less their projection on the controls (within strata)."""
    centred = ranks - ranks.groupby(stratum).transform("mean")
    rest = [c for c in centred.columns if c not in ctrl]
    values, k = residualise(
        centred[rest].to_numpy(dtype=float), centred[ctrl].to_numpy(dtype=float)
    )
    return pd.DataFrame(values, columns=rest, index=centred.index), k
