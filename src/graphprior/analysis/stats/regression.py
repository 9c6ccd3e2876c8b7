"""Regression: OLS of a measure on standardised graph properties, HC3 errors and VIFs.

The fit is :mod:`statsmodels` (``OLS(...).fit(cov_type="HC3")``); see
docs/report.md for how the report uses it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.outliers_influence import variance_inflation_factor

from graphprior.analysis.primitives import require_columns, unique

__all__ = ["ols_hc3"]

logger = logging.getLogger(__name__)


def ols_hc3(
    df: pd.DataFrame,
    y: str,
    x_cols: Sequence[str],
    controls: Sequence[str] = (),
) -> dict[str, Any]:
    """OLS of a measure on standardised predictors, with HC3 robust errors and VIFs.

    Rows with a missing or infinite value in `y` or a predictor are dropped.
    Predictors (x columns, then controls) that are constant are dropped, as is
    any predictor that is a linear combination of the intercept and the
    predictors kept before it (so a rank-deficient design never reaches the
    fit). Kept predictors are z-scored (mean 0, sample SD 1, ``ddof=1``); `y`
    keeps its units, so a coefficient is the change in `y` per standard
    deviation of the predictor, holding the others fixed. The fit is
    ``statsmodels.OLS(...).fit(cov_type="HC3")`` (MacKinnon–White HC3
    heteroskedasticity-consistent errors, normal-based p-values), and each
    predictor's VIF is
    :func:`statsmodels.stats.outliers_influence.variance_inflation_factor`
    on the design with the constant.

    Parameters
    ----------
    df : DataFrame
        Usually the per-graph table.
    y : str
        Response column.
    x_cols : sequence of str
        Predictors of interest (graph properties).
    controls : sequence of str
        Control predictors (e.g. clean accuracy, parameter count).

    Returns
    -------
    dict
        ``y``; ``n`` (rows used); ``r2`` and ``r2_adj`` (NaN if the model
        cannot be fitted: fewer rows than coefficients + 1); ``dropped``
        (dict predictor → reason); ``coefficients``: DataFrame indexed by term
        (``"const"`` first) with columns ``role`` (``"intercept"``, ``"x"`` or
        ``"control"``), ``coef``, ``se_hc3``, ``z``, ``p``, ``ci_low``,
        ``ci_high`` (95 %) and ``vif`` (NaN for the constant).
    """
    x_cols = unique(x_cols)
    controls = [c for c in unique(controls) if c not in x_cols]
    predictors = [c for c in [*x_cols, *controls] if c != y]
    require_columns(df, [y, *predictors])
    data = df[[y, *predictors]].astype(float)
    data = data.loc[np.isfinite(data.to_numpy()).all(axis=1)]
    n = len(data)
    design, kept, dropped = _design(data, predictors)
    for col, reason in dropped.items():
        logger.info("OLS %s: predictor %s dropped (%s)", y, col, reason)
    columns = ["role", "coef", "se_hc3", "z", "p", "ci_low", "ci_high", "vif"]
    result: dict[str, Any] = {
        "y": y,
        "n": int(n),
        "r2": float("nan"),
        "r2_adj": float("nan"),
        "dropped": dropped,
        "coefficients": pd.DataFrame(columns=columns, index=pd.Index([], name="term")),
    }
    if n < design.shape[1] + 2:
        logger.warning("OLS %s: %d rows for %d coefficients, not fitted", y, n, design.shape[1])
        return result
    roles = ["intercept", *("x" if c in x_cols else "control" for c in kept)]
    result.update(_fit(data, y, design, ["const", *kept], roles))
    return result


def _design(
    data: pd.DataFrame, predictors: Sequence[str]
) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """Intercept and z-scored predictors; constant or collinear ones dropped, in order."""
    n = len(data)
    dropped: dict[str, str] = {}
    kept: list[str] = []
    design = np.ones((n, 1))
    for col in predictors:
        values = data[col].to_numpy()
        if n == 0 or values.min() == values.max():
            dropped[col] = "constant"
            continue
        z = (values - values.mean()) / values.std(ddof=1)
        candidate = np.column_stack([design, z])
        if np.linalg.matrix_rank(candidate) < candidate.shape[1]:
            dropped[col] = "collinear"
            continue
        design, kept = candidate, [*kept, col]
    return design, kept, dropped


def _fit(
    data: pd.DataFrame, y: str, design: np.ndarray, terms: list[str], roles: list[str]
) -> dict[str, Any]:
    """The HC3 fit: ``r2``, ``r2_adj`` and the coefficient table with VIFs."""
    exog = pd.DataFrame(design, columns=terms, index=data.index)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        # HC3 divides by (1 - leverage)^2: infinite SE for a point of leverage 1.
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = sm.OLS(data[y], exog).fit(cov_type="HC3")
        vif = [np.nan] + [variance_inflation_factor(design, i) for i in range(1, len(terms))]
    ci = fit.conf_int(alpha=0.05)
    coefficients = pd.DataFrame(
        {
            "role": roles,
            "coef": fit.params.to_numpy(),
            "se_hc3": fit.bse.to_numpy(),
            "z": fit.tvalues.to_numpy(),
            "p": fit.pvalues.to_numpy(),
            "ci_low": ci.iloc[:, 0].to_numpy(),
            "ci_high": ci.iloc[:, 1].to_numpy(),
            "vif": vif,
        },
        index=pd.Index(terms, name="term"),
    )
    return {
        "r2": float(fit.rsquared),
        "r2_adj": float(fit.rsquared_adj),
        "coefficients": coefficients,
    }
