"""Report section "Attack validity": the validity gates of every attack group, and flagged measures."""

from __future__ import annotations

import pandas as pd

from graphprior.analysis.study.gates import MOSTLY, SATURATION_HIGH, SATURATION_LOW
from graphprior.analysis.study_context import StudyContext
from graphprior.report.document import Section
from graphprior.report.render import fmt
from graphprior.report.sections import TITLES

__all__ = ["section_gates"]


def _summary(checks: pd.DataFrame) -> pd.DataFrame:
    """One row per gate: models checked, models failing, the worst value and the threshold."""
    checks = checks.assign(passed=checks["passed"].astype(bool))
    rows = []
    for check, g in checks.groupby("check", sort=True):
        rows.append(
            {
                "check": check,
                "models": len(g),
                "failed": int((~g["passed"]).sum()),
                "worst value": g["value"].max(),
                "threshold": g["threshold"].iloc[0],
            }
        )
    return pd.DataFrame(rows)


def _by_arm(checks: pd.DataFrame, models: pd.DataFrame | None) -> pd.DataFrame:
    """Models checked and models failing per mapping arm (baselines as one row)."""
    if models is None or "arm" not in models.columns:
        return pd.DataFrame()
    kind = models.set_index("model_id")["arm"].astype(object)
    kind = kind.where(kind.notna(), "baselines")
    checks = checks.assign(arm=checks["model_id"].map(kind).fillna("baselines"))
    rows = []
    for arm, g in checks.groupby("arm", sort=True):
        bad = g.loc[~g["passed"].astype(bool)]
        rows.append(
            {
                "arm": arm,
                "models": g["model_id"].nunique(),
                "models failing a gate": bad["model_id"].nunique(),
                "gates failed": ", ".join(sorted(bad["check"].str.split(":").str[0].unique())),
            }
        )
    return pd.DataFrame(rows)


def section_gates(ctx: StudyContext) -> Section:
    """Every gate (passed or not), the failed ones by model, and the saturated or capped measures."""
    sec = Section(TITLES["gates"])
    checks = ctx.tables.get("attack_checks")
    if checks is None or checks.empty:
        sec.text("No validity gates were recorded for this run (table attack_checks is empty).")
    else:
        failed = ctx.failed_gates
        sec.text(
            f"{fmt(checks['check'].nunique())} validity gates on {fmt(checks['model_id'].nunique())} "
            f"models in {fmt(checks['group'].nunique())} attack groups; "
            f"{fmt(len(failed))} failed checks on {fmt(failed['model_id'].nunique())} models. "
            "A model failing any gate has its input-attack measures left out of the "
            'correlations and claims (docs/measures.md, section "Validity gates").'
        )
        by_arm = _by_arm(checks, ctx.tables.get("models"))
        if len(by_arm):
            sec.table("Models failing a gate, per arm (the claims read the main arm)", by_arm)
        sec.table("Validity gates (a gate passes where value ≤ threshold)", _summary(checks))
        if len(failed):
            sec.table(
                "Failed gates",
                failed[["group", "model_id", "check", "value", "threshold"]],
            )
    flags = ctx.flags
    flagged = flags.loc[flags["flagged"].astype(bool)] if len(flags) else flags
    sec.text(
        f"A robust accuracy below {fmt(SATURATION_LOW)} or above {fmt(SATURATION_HIGH)} for more "
        f"than {fmt(MOSTLY)} of the models, or a CLEVER score capped at the radius for more than "
        f"{fmt(MOSTLY)} of the inputs, is saturated: flagged here and in the study table's "
        f"metadata, and left out of the correlations and claims. {fmt(len(flagged))} of "
        f"{fmt(len(flags))} measures are flagged."
    )
    if len(flagged):
        sec.table(
            "Flagged measures (share of models low / high; CLEVER: share of capped scores)",
            flagged[["column", "share_low", "share_high"]],
        )
    return sec
