"""Report section "Confound audit": structure against size and interface, before any correlation."""

from __future__ import annotations

import pandas as pd

from graphprior.analysis.audit import arm_column, coupling, variance_explained
from graphprior.analysis.claims import ClaimData
from graphprior.analysis.columns import MAIN_PROPERTIES, OLS_PROPERTIES, bare, study_name
from graphprior.analysis.context import StudyContext
from graphprior.analysis.interface import claim_frame, interface_columns, structural
from graphprior.report.document import Section
from graphprior.report.render import fmt
from graphprior.report.sections import TITLES

__all__ = ["audit_tables", "section_audit"]


def audit_tables(ctx: StudyContext, data: ClaimData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coupling and variance-explained tables of every mapping arm (one arm without an arm column)."""
    variables = [c for c in data.controls if c != "test_accuracy"]
    props = structural([c for c in ctx.xs if bare(c) in MAIN_PROPERTIES])
    ols = structural([c for c in (study_name(p, ctx.study) for p in OLS_PROPERTIES) if c])
    ols = [c for c in ols if c in ctx.xs]
    measures = [m.column for m in data.measures]
    col = arm_column(ctx.ok)
    arms = [("all", ctx.ok)] if col is None else list(ctx.ok.groupby(col, sort=True))
    couples, fits = [], []
    for arm, ok in arms:
        frame, used = claim_frame(ok, ctx.study, [*props, *ols], measures, variables, ctx.mean_key)
        if len(frame) < 3:
            continue
        label = f"{col}={arm}" if col else str(arm)
        couples.append(coupling(frame, props, used, label))
        fits.append(variance_explained(frame, measures, used, ols, label))
    concat = lambda fs: pd.concat(fs, ignore_index=True) if fs else pd.DataFrame()  # noqa: E731
    return concat(couples), concat(fits)


def section_audit(ctx: StudyContext, data: ClaimData) -> Section:
    """Spearman of structure with size/interface; R² of size alone and with structure added."""
    sec = Section(TITLES["audit"])
    width = interface_columns(ctx.study, ctx.config["mapping"])
    sec.text(
        "Before reading any correlation: which structural properties move with size and "
        "interface? Size/interface variables here: "
        + (", ".join(f"`{c}`" for c in data.controls if c != "test_accuracy") or "none found")
        + (
            f" (input width = `{width['input_width']}` under `input_wiring: "
            f"{ctx.config['mapping']['input_wiring']}`)"
            if "input_width" in width
            else ""
        )
        + ". docs/report.md lists which columns count as size or interface."
    )
    couples, fits = audit_tables(ctx, data)
    if couples.empty:
        sec.text("Too few graphs for the audit.")
        return sec
    pooled = couples.loc[(couples["stratum"] == "pooled") & couples["r"].notna()]
    for arm, part in pooled.groupby("arm", sort=True):
        top = part.loc[part["r"].abs().idxmax()]
        sec.text(
            f"**{arm}:** strongest coupling ρ({top['property']}, {top['variable']}) = "
            f"{fmt(top['r'])} over {fmt(int(top['n']))} graphs"
            + (
                " — the structural property is largely a proxy for size or interface."
                if abs(top["r"]) >= 0.5
                else " — no strong coupling."
            )
        )
    sec.table("Spearman ρ of structural properties with size/interface variables", couples)
    if not fits.empty:
        sec.table(
            "Share of between-graph variance explained (OLS R², per-graph "
            f"{ctx.mean_key}s): size/interface alone, with structure added; p: HC3 Wald test "
            "that every structural coefficient is 0",
            fits,
        )
    return sec
