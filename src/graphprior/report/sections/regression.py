"""Report section "Regression": OLS of each main measure on graph properties, HC3 errors."""

from __future__ import annotations

from graphprior.analysis.study.columns import CONTROLS
from graphprior.analysis.study_context import StudyContext
from graphprior.analysis.summaries import regression_fits
from graphprior.report.document import Figure, Section
from graphprior.report.figures import figure, grid, short
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
        forest = _forest_figure(table)
        if forest is not None:
            sec.figure(forest)
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


def _forest_figure(table) -> Figure | None:
    """A forest plot per measure: each property's coefficient and its 95 % HC3 interval."""
    props = table.loc[table["role"] == "x"]
    measures = list(dict.fromkeys(props["measure"]))
    if not measures:
        return None
    terms = list(dict.fromkeys(props["term"]))
    fig, axes = grid(
        len(measures), ncols=min(len(measures), 3), size=(4.2, 0.9 + 0.28 * len(terms))
    )
    for ax, measure in zip(axes, measures, strict=False):
        rows = props.loc[props["measure"] == measure].set_index("term").reindex(terms)
        y = range(len(terms))
        coef = rows["coef"].to_numpy(dtype=float)
        err = [
            coef - rows["ci_low"].to_numpy(dtype=float),
            rows["ci_high"].to_numpy(dtype=float) - coef,
        ]
        signif = (rows["p"] < 0.05).to_numpy()
        for flag, colour in ((False, "0.55"), (True, "tab:red")):
            keep = signif == flag
            ax.errorbar(coef[keep], [i for i, k in zip(y, keep, strict=True) if k],
                        xerr=[e[keep] for e in err], fmt="o", ms=3.5, capsize=2, color=colour)  # fmt: skip
        ax.axvline(0, color="0.3", lw=0.7)
        ax.set_yticks(list(y), [short(t, 28) for t in terms], fontsize=6)
        ax.invert_yaxis()
        ax.set_title(short(measure, 48), fontsize=8)
        ax.set_xlabel("coefficient per SD of the property", fontsize=7)
    return figure(
        "regression_forest",
        "OLS coefficients of each graph property (per standard deviation, controls held fixed) "
        "with 95 % HC3 intervals, one panel per main measure; red: p < 0.05.",
        fig,
    )
