"""Report section "Regression": OLS of each main measure on graph properties, HC3 errors."""

from __future__ import annotations

from graphprior.analysis.study.columns import CONTROLS
from graphprior.analysis.study_context import StudyContext
from graphprior.analysis.summaries import regression_fits
from graphprior.report.document import Section
from graphprior.report.sections import TITLES

__all__ = ["section_regression"]


def section_regression(ctx: StudyContext) -> Section:
    """OLS of each main measure on standardised properties and the controls, HC3 errors, VIFs."""
    sec = Section(TITLES["regression"])
    mean = ctx.mean_key
    if mean not in ctx.per_graph or not ctx.measures:
        sec.text("No per-graph table with robustness measures: no regression.")
        return sec
    xs, summary, table = regression_fits(ctx)
    sec.text(
        f"For each main measure, OLS on per-graph {mean}s with standardised predictors "
        f"({', '.join(xs) or 'none'}) and the controls ({', '.join(CONTROLS)}); coefficients are the "
        "change of the measure per standard deviation of a predictor, holding the others "
        "fixed; 95 % intervals and p from HC3 (heteroskedasticity-robust) errors; VIF > 10 "
        "flags collinear predictors. Predictors that are constant or collinear are dropped."
    )
    sec.table("Fits", summary)
    if table is not None:
        sec.table("Coefficients (HC3)", table)
        high = table.loc[table["vif"] > 10, "term"].unique()
        if len(high):
            sec.text("Predictors with VIF > 10 in some fit: " + ", ".join(high) + ".")
    else:
        sec.text(
            "No fit was possible: too few graphs for the number of coefficients (a fit needs at "
            "least two more graphs than coefficients)."
        )
    return sec
