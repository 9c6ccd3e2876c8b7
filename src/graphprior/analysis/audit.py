"""The confound audit: how much of the structure–robustness association is size or interface.

* :func:`coupling` — Spearman ρ of every structural property with every
  size/interface variable (with ``input_wiring: sources`` the number of DAG
  sources is the input width, so a property that moves the sources moves the
  interface), pooled and per stratum.
* :func:`variance_explained` — for each main measure, the share of
  between-graph variance (OLS R², one row per graph) explained by the
  size/interface variables alone and with the structural properties added,
  and the HC3 Wald test that the structural coefficients are all 0; pooled
  and per stratum.

Both run per mapping arm (:func:`arms`). See docs/report.md ("Confound audit").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.stats
import statsmodels.api as sm

from graphprior.analysis.primitives import is_constant
from graphprior.config.choices import POOLED

__all__ = ["COUPLING_COLUMNS", "FIT_COLUMNS", "arm_column", "coupling", "variance_explained"]

#: Columns of :func:`coupling`.
COUPLING_COLUMNS: tuple[str, ...] = (
    "arm",
    "stratum",
    "property",
    "variable",
    "r",
    "p",
    "n",
    "note",
)

#: Columns of :func:`variance_explained`.
FIT_COLUMNS: tuple[str, ...] = (
    "arm",
    "stratum",
    "measure",
    "n",
    "size_variables",
    "structural_variables",
    "r2_size",
    "r2_size_structure",
    "delta_r2",
    "structure_p_hc3",
)


def arm_column(study: pd.DataFrame) -> str | None:
    """``arm`` when the study has it (the size-matched design), else ``input_wiring``, else None."""
    for col in ("arm", "input_wiring"):
        if col in study.columns and study[col].notna().any():
            return col
    return None


def _strata(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    out = [(POOLED, frame)]
    if frame["stratum"].nunique() > 1:
        out += [(str(k), g) for k, g in frame.groupby("stratum", sort=True)]
    return out


def coupling(
    frame: pd.DataFrame, properties: Sequence[str], variables: Sequence[str], arm: str
) -> pd.DataFrame:
    """Spearman ρ of each structural property with each size/interface variable.

    ρ is NaN where either column is constant; ``note`` then says which
    (``"input_width constant within stratum"``; ``"… constant"`` in the
    pooled row), so a fixed interface shows as such rather than as a gap.
    """
    rows = []
    for stratum, data in _strata(frame):
        where = "" if stratum == POOLED else " within stratum"
        for prop in properties:
            for var in variables:
                both = data[[prop, var]].astype(float).dropna()
                r = p = float("nan")
                fixed = [c for c in (var, prop) if is_constant(both[c].to_numpy())]
                note = f"{fixed[0]} constant{where}" if fixed else ""
                note = note if len(both) else "no values"
                if len(both) >= 3 and not fixed:
                    res = scipy.stats.spearmanr(both[prop], both[var])
                    r, p = float(res.statistic), float(res.pvalue)
                rows.append(
                    {"arm": arm, "stratum": stratum, "property": prop, "variable": var}
                    | {"r": r, "p": p, "n": len(both), "note": note}
                )
    return pd.DataFrame(rows, columns=list(COUPLING_COLUMNS))


def _varying(data: pd.DataFrame, cols: Sequence[str]) -> list[str]:
    return [c for c in cols if not is_constant(data[c].to_numpy(dtype=float))]


def _independent(zs: pd.DataFrame, kept: list[str], candidates: list[str]) -> list[str]:
    """The candidates, in order, that are not linear combinations of ``kept`` and earlier ones.

    A duplicated regressor (two size columns equal up to scale within a stratum,
    say) would leave the design rank-deficient and its Wald test undefined.
    """
    out: list[str] = []
    for c in candidates:
        cols = [*kept, *out, c]
        design = np.column_stack([np.ones(len(zs)), zs[cols].to_numpy()])
        if np.linalg.matrix_rank(design) == design.shape[1]:
            out.append(c)
    return out


def _fit(data: pd.DataFrame, y: str, size: list[str], struct: list[str]) -> dict[str, float]:
    """R² of y on size alone and on size + structure; HC3 Wald p of the structure block."""
    nan = float("nan")
    out = {"r2_size": nan, "r2_size_structure": nan, "delta_r2": nan, "structure_p_hc3": nan}
    cols = [y, *size, *struct]
    d = data[cols].astype(float).dropna()
    size, struct = _varying(d, size), _varying(d, struct)
    if len(d) < len(size) + len(struct) + 3 or is_constant(d[y].to_numpy()):
        return out
    zs = (d - d.mean()) / d.std(ddof=0).replace(0, 1)
    size = _independent(zs, [], size)
    struct = _independent(zs, size, struct)
    base = sm.OLS(zs[y], sm.add_constant(zs[size], has_constant="add")).fit()
    full = sm.OLS(zs[y], sm.add_constant(zs[size + struct], has_constant="add")).fit(cov_type="HC3")
    out["r2_size"] = float(base.rsquared) if size else 0.0
    out["r2_size_structure"] = float(full.rsquared)
    out["delta_r2"] = out["r2_size_structure"] - out["r2_size"]
    if struct:
        restriction = np.zeros((len(struct), len(full.params)))
        for i, name in enumerate(struct):
            restriction[i, list(full.params.index).index(name)] = 1.0
        out["structure_p_hc3"] = float(full.wald_test(restriction, scalar=True).pvalue)
    return out


def variance_explained(
    frame: pd.DataFrame,
    measures: Sequence[str],
    variables: Sequence[str],
    properties: Sequence[str],
    arm: str,
) -> pd.DataFrame:
    """Per stratum and measure: R² of size/interface alone and with structure added (OLS, HC3)."""
    rows = []
    for stratum, data in _strata(frame):
        for y in measures:
            fit = _fit(data, y, list(variables), list(properties))
            rows.append(
                {
                    "arm": arm,
                    "stratum": stratum,
                    "measure": y,
                    "n": int(data[y].notna().sum()),
                    "size_variables": ",".join(variables),
                    "structural_variables": ",".join(properties),
                }
                | fit
            )
    return pd.DataFrame(rows, columns=list(FIT_COLUMNS))
