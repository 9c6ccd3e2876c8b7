"""The claims table: C1–C5 of the paper and R1–R3 of related studies, raw and controlled.

One row per (claim, analysis, stratum), columns
:data:`graphprior.io.tables.CLAIMS_SCHEMA` (``results/tables/claims.parquet``,
docs/data-dictionary.md). The correlation claims C2–C4 are judged twice:
``raw`` (Spearman ρ of the property and the primary measure) and
``controlled`` (partial Spearman ρ controlling for clean accuracy, parameter
count, input and readout width, :func:`graphprior.analysis.interface.claim_controls`),
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
import scipy.stats

from graphprior.analysis.claim_rows import NAN, claim_row, finish_claims, outlier_rule
from graphprior.analysis.claims_related import related_rows
from graphprior.analysis.columns import CLAIM_PROPERTIES, MIN_GRAPHS, Measure, study_name
from graphprior.analysis.context import StudyContext
from graphprior.analysis.correlation import bh_qvalues
from graphprior.analysis.inference import correlation_test
from graphprior.analysis.interface import claim_controls, claim_frame, structural
from graphprior.analysis.verdicts import weak_correlation_verdict

__all__ = ["CLAIM_TEXT", "PAPER", "ClaimData", "claims_table", "claim_data", "claim_measures"]

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
        (failed attack gates, saturation); the primary measure is the first
        main measure not excluded.

    Returns
    -------
    DataFrame
        Columns exactly ``CLAIMS_SCHEMA.names``.
    """
    data = claim_data(ctx, excluded)
    rows = related_rows(ctx, stats, data.primary, rng)
    corr_rows: list[dict[str, Any]] = []
    if data.primary is not None and data.frame is not None:
        for cid, prop in CLAIM_PROPERTIES.items():
            x = study_name(prop, ctx.study)
            corr_rows += _correlation_claim(data, cid, x, ctx, rng)
        corr_rows += _c5(data, ctx, rng)
    else:
        for cid in (*CLAIM_PROPERTIES, "C5"):
            corr_rows.append(claim_row(cid, "raw", "pooled", "", "", "", "spearman"))
    return finish_claims([rows[0], *corr_rows, *rows[1:]])


@dataclass
class ClaimData:
    """What the correlation claims read: measures, primary measure, per-graph frame, controls."""

    measures: list[Measure]
    primary: Measure | None
    frame: pd.DataFrame | None
    controls: list[str]


def claim_data(ctx: StudyContext, excluded: Mapping[str, str] | None = None) -> ClaimData:
    """The claims' per-graph table (:func:`graphprior.analysis.interface.claim_frame`) and controls."""
    measures = claim_measures(ctx, dict(excluded or {}))
    primary = _primary(measures)
    if primary is None or ctx.ok.empty:
        return ClaimData(measures, primary, None, [])
    controls = claim_controls(ctx.ok, ctx.config["mapping"])
    props = [p for p in (study_name(v, ctx.study) for v in CLAIM_PROPERTIES.values()) if p]
    frame, used = claim_frame(
        ctx.ok, ctx.study, [*props, *ctx.xs], [m.column for m in measures], controls, ctx.mean_key
    )
    return ClaimData(measures, primary, frame, used)


def _primary(measures: list[Measure]) -> Measure | None:
    for m in measures:
        if m.measure == "paper_robustness":
            return m
    return measures[0] if measures else None


def _correlation_claim(
    data: ClaimData, cid: str, x: str | None, ctx: StudyContext, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Raw and controlled rows of one of C2–C4, pooled and per stratum (≥ MIN_GRAPHS clusters)."""
    primary, controls = data.primary, data.controls
    y = primary.column
    frame, n_removed = outlier_rule(data.frame, y, ctx.outlier_rule)
    sign = -primary.direction  # higher x, lower robustness
    if x is None or x not in frame.columns:
        return [
            claim_row(cid, a, "pooled", x or "", y, "", s, sign=sign)
            for a, s in (("raw", "spearman"), ("controlled", "partial_spearman"))
        ]
    rows = []
    n_perm, n_boot = int(ctx.config["report"]["permutations"]), ctx.n_boot
    for analysis, ctrl in (("raw", []), ("controlled", [c for c in controls if c != x])):
        statistic = "partial_spearman" if analysis == "controlled" else "spearman"
        strata = [("pooled", frame)] + [
            (str(name), g) for name, g in frame.groupby("stratum", sort=True)
        ]
        for stratum, part in strata:
            if stratum != "pooled" and part["unit"].nunique() < MIN_GRAPHS:
                continue
            z = part[ctrl].to_numpy(dtype=float) if ctrl else None
            t = correlation_test(
                part[x], part[y], z, part["unit"], n_perm=n_perm, n_boot=n_boot, rng=rng
            )
            rows.append(
                claim_row(
                    cid, analysis, stratum, x, y, ",".join(ctrl), statistic,
                    r=t.r, ci_low=t.ci_low, ci_high=t.ci_high, p=t.p, p_method=t.p_method,
                    n=t.n, n_units=t.n_units, n_removed=n_removed, sign=sign,
                )
            )  # fmt: skip
    return rows


def _c5(data: ClaimData, ctx: StudyContext, rng: np.random.Generator) -> list[dict[str, Any]]:
    """C5 raw and controlled: the weak-correlation rule over structural properties × measures."""
    controls = data.controls
    xs = structural(ctx.xs)
    ys = [m.column for m in data.measures]
    kept = {y: outlier_rule(data.frame, y, ctx.outlier_rule) for y in ys}
    rows = []
    n_perm, n_boot = int(ctx.config["report"]["permutations"]), ctx.n_boot
    for analysis, statistic in (("raw", "spearman"), ("controlled", "partial_spearman")):
        grid = []
        for x in xs:
            ctrl = controls if analysis == "controlled" else []
            for y in ys:
                r, p, n, k = _quick(kept[y][0], x, y, ctrl)
                grid.append((x, y, r, p, n, k))
        tab = pd.DataFrame(grid, columns=["x", "y", "r", "p", "n", "k"]).dropna(subset=["r"])
        if tab.empty:
            rows.append(claim_row("C5", analysis, "pooled", "", "", "", f"max_abs_{statistic}"))
            continue
        tab["q"] = bh_qvalues(tab["p"].to_numpy(dtype=float))
        lo, hi = _fisher(tab["r"], tab["n"] - tab["k"])
        verdict = weak_correlation_verdict(tab["r"], tab["q"], ci_low=lo, ci_high=hi)
        top = tab.loc[tab["r"].abs().idxmax()]
        ctrl = [c for c in controls if c != top["x"]] if analysis == "controlled" else []
        frame, n_removed = kept[str(top["y"])]
        z = frame[ctrl].to_numpy(dtype=float) if ctrl else None
        t = correlation_test(
            frame[top["x"]],
            frame[top["y"]],
            z,
            frame["unit"],
            n_perm=n_perm,
            n_boot=n_boot,
            rng=rng,
        )
        rows.append(
            claim_row(
                "C5", analysis, "pooled", str(top["x"]), str(top["y"]), ",".join(ctrl),
                f"max_abs_{statistic}", r=t.r, ci_low=t.ci_low, ci_high=t.ci_high, p=t.p,
                p_method=t.p_method, n=t.n, n_units=t.n_units, n_removed=n_removed,
                fixed_verdict=verdict,
            )
        )  # fmt: skip
    return rows


def _quick(frame: pd.DataFrame, x: str, y: str, ctrl: list[str]) -> tuple[float, float, int, int]:
    """Asymptotic (partial) Spearman r, p, n and the number of controls, for the C5 grid."""
    cols = [x, y, *[c for c in ctrl if c not in (x, y)]]
    data = frame[cols].astype(float)
    data = data.loc[np.isfinite(data.to_numpy()).all(axis=1)]
    if len(data) < 4 or data[x].nunique() < 2 or data[y].nunique() < 2:
        return NAN, NAN, len(data), 0
    ranks = scipy.stats.rankdata(data.to_numpy(), axis=0)
    centred = ranks - ranks.mean(axis=0)
    z = centred[:, 2:]
    k = int(np.linalg.matrix_rank(z)) if z.shape[1] else 0
    if z.shape[1]:
        coef = np.linalg.lstsq(z, centred[:, :2], rcond=None)[0]
        centred = centred[:, :2] - z @ coef
    ex, ey = centred[:, 0], centred[:, 1]
    denom = np.sqrt((ex @ ex) * (ey @ ey))
    dof = len(data) - 2 - k
    if dof < 1 or denom <= 1e-12:
        return NAN, NAN, len(data), k
    r = float(np.clip(ex @ ey / denom, -1, 1))
    t = r * np.sqrt(dof / max(1e-300, 1 - r * r))
    return r, float(2 * scipy.stats.t.sf(abs(t), dof)), len(data), k


def _fisher(r: pd.Series, n_eff: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """95 % Fisher-z intervals with n_eff − 3 degrees of freedom (NaN when too few)."""
    zr = np.arctanh(np.clip(r.to_numpy(dtype=float), -1 + 1e-12, 1 - 1e-12))
    with np.errstate(divide="ignore", invalid="ignore"):
        half = 1.959963984540054 / np.sqrt(n_eff.to_numpy(dtype=float) - 3)
    half[~np.isfinite(half)] = np.nan
    return np.tanh(zr - half), np.tanh(zr + half)
