"""Report section "Confound audit": structure against size and interface, before any correlation."""

from __future__ import annotations

import pandas as pd

from graphprior.analysis.audit import arm_column, coupling, variance_explained
from graphprior.analysis.claims.table import ClaimData
from graphprior.analysis.study.arms import arm_correlations
from graphprior.analysis.study.columns import MAIN_PROPERTIES, OLS_PROPERTIES, bare, study_name
from graphprior.analysis.study.interface import (
    claim_controls,
    claim_frame,
    interface_columns,
    structural,
)
from graphprior.analysis.study_context import StudyContext
from graphprior.config.choices import POOLED
from graphprior.report.document import Section
from graphprior.report.render import fmt
from graphprior.report.sections import TITLES

__all__ = ["arm_frames", "audit_tables", "section_audit"]

#: Properties compared across arms with the primary measure (graph density, DAG sources).
ARM_PROPERTIES = ("density", "dag_sources")


def _arms_rows(ctx: StudyContext) -> pd.DataFrame:
    return ctx.arms if ctx.arms is not None else ctx.ok


def arm_frames(
    ctx: StudyContext, xs: list[str], ys: list[str], variables: list[str]
) -> list[tuple[str, pd.DataFrame, list[str]]]:
    """Per-(graph, arm) tables of every mapping arm: ``(label, frame, variables used)``.

    One arm (label ``all``) without an arm column; arms with fewer than three
    graphs are left out.
    """
    rows = _arms_rows(ctx)
    col = arm_column(rows)
    arms = [("all", rows)] if col is None else list(rows.groupby(col, sort=True))
    out = []
    for arm, ok in arms:
        # the arm's own rows carry its strata (`{stratum}/{arm}`) and twin links
        frame, used = claim_frame(ok, ok, xs, ys, variables, ctx.mean_key)
        if len(frame) >= 3:
            out.append((f"{col}={arm}" if col else str(arm), frame, used))
    return out


def _variables(ctx: StudyContext) -> list[str]:
    """Size/interface variables of the audit: every control but clean accuracy, in any arm."""
    rows = _arms_rows(ctx)
    return [c for c in claim_controls(rows, ctx.config.mapping) if c != "test_accuracy"]


def audit_tables(ctx: StudyContext, data: ClaimData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coupling and variance-explained tables of every mapping arm (one arm without an arm column).

    The coupling lists every size/interface variable in every arm, a constant
    one with ρ = NaN and a note (a fixed interface is constant within its
    strata); the fits use the variables that vary in the arm.
    """
    variables = _variables(ctx)
    props = structural([c for c in ctx.xs if bare(c) in MAIN_PROPERTIES])
    ols = structural([c for c in (study_name(p, ctx.study) for p in OLS_PROPERTIES) if c])
    ols = [c for c in ols if c in ctx.xs]
    measures = [m.column for m in data.measures]
    couples, fits = [], []
    for label, frame, used in arm_frames(ctx, [*props, *ols], measures, variables):
        present = [v for v in variables if v in frame.columns]
        couples.append(coupling(frame, props, present, label))
        fits.append(variance_explained(frame, measures, used, ols, label))
    concat = lambda fs: pd.concat(fs, ignore_index=True) if fs else pd.DataFrame()  # noqa: E731
    return concat(couples), concat(fits)


def arm_comparison(ctx: StudyContext, data: ClaimData) -> pd.DataFrame:
    """Spearman ρ of graph density and of ``dag_sources`` with the primary measure, per arm."""
    if data.primary is None:
        return pd.DataFrame()
    xs = [c for c in (study_name(p, ctx.study) for p in ARM_PROPERTIES) if c]
    frames = arm_frames(ctx, xs, [data.primary.column], [])
    return arm_correlations([(label, frame) for label, frame, _ in frames], xs, data.primary.column)


def _arm_lines(couples: pd.DataFrame) -> list[str]:
    """One line per arm: its strongest coupling, or that its interface is held fixed."""
    lines = []
    for arm, part in couples.groupby("arm", sort=True):
        strata = part.loc[part["stratum"] != POOLED]
        fixed = [
            v
            for v, g in (strata if len(strata) else part).groupby("variable", sort=True)
            if g["r"].isna().all() and g["note"].str.startswith(f"{v} constant").all()
        ]
        valid = part.loc[(part["stratum"] == POOLED) & part["r"].notna()]
        text = f"**{arm}:** "
        if len(valid):
            top = valid.loc[valid["r"].abs().idxmax()]
            text += (
                f"strongest pooled coupling ρ({top['property']}, {top['variable']}) = "
                f"{fmt(top['r'])} over {fmt(int(top['n']))} graphs"
                + (
                    " — the structural property is largely a proxy for size or interface"
                    if abs(top["r"]) >= 0.5
                    else " — no strong coupling"
                )
            )
        else:
            text += "no coupling can be computed"
        if fixed:
            where = "within every stratum" if len(strata) else "over the graphs"
            text += f"; {', '.join(f'`{v}`' for v in fixed)} constant {where} (held fixed)"
        lines.append(text + ".")
    return lines


def section_audit(ctx: StudyContext, data: ClaimData) -> Section:
    """Spearman of structure with size/interface; R² of size alone and with structure added."""
    sec = Section(TITLES["audit"])
    width = interface_columns(_arms_rows(ctx), ctx.config.mapping)
    variables = _variables(ctx)
    sec.text(
        "Before reading any correlation: which structural properties move with size and "
        "interface? Size/interface variables here: "
        + (", ".join(f"`{c}`" for c in variables) or "none found")
        + (
            f" (input width = `{width['input_width']}` under `input_wiring: "
            f"{ctx.config.mapping.input_wiring}`)"
            if "input_width" in width
            else ""
        )
        + ". docs/report.md lists which columns count as size or interface. Each mapping arm "
        "is audited on its own graphs; the claims use the main arm"
        + (f" (`{ctx.arm}`)" if ctx.arm else "")
        + " only."
    )
    couples, fits = audit_tables(ctx, data)
    if couples.empty:
        sec.text("Too few graphs for the audit.")
        return sec
    for line in _arm_lines(couples):
        sec.text(line)
    sec.table("Spearman ρ of structural properties with size/interface variables", couples)
    if not fits.empty:
        sec.table(
            "Share of between-graph variance explained (OLS R², per-graph "
            f"{ctx.mean_key}s): size/interface alone, with structure added; p: HC3 Wald test "
            "that every structural coefficient is 0",
            fits,
        )
    side = arm_comparison(ctx, data)
    if not side.empty:
        sec.table(
            f"Mapping arms side by side: Spearman ρ of graph density and of the DAG's sources "
            f"with `{data.primary.column}` (per-graph {ctx.mean_key}s over inits and "
            "orientations), pooled and per stratum",
            side,
        )
    return sec
