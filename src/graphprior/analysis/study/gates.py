"""What the claims may use: attack validity gates, saturated measures, capped CLEVER scores.

* A model that fails any validity gate of its attack group (the
  ``attack_checks`` table) has its input-attack measures left out of the
  correlations and claims (:func:`mask_failed_models`).
* A robust-accuracy measure at an ε where robust accuracy is below
  :data:`SATURATION_LOW` or above :data:`SATURATION_HIGH` for most models
  says little about differences between models: it is flagged and left out
  of the claims (:func:`saturation_flags`); so is a CLEVER score whose values
  mostly sit at the radius cap (``clever_capped_share`` above one half).

The flags are written into the ``study`` table's metadata by the aggregation
(:func:`study_flags`) and listed by the report section "Attack validity".
Definitions: ``docs/measures.md``, sections "Validity gates" and "Saturation".
"""

from __future__ import annotations

import json
import math

import pandas as pd

from graphprior.analysis.study.table import measure_column

__all__ = [
    "SATURATION_LOW",
    "SATURATION_HIGH",
    "MOSTLY",
    "INPUT_ATTACK_MEASURES",
    "failed_gates",
    "failed_models",
    "saturation_flags",
    "flagged_columns",
    "mask_failed_models",
    "study_flags",
]

SATURATION_LOW = 0.05
SATURATION_HIGH = 0.95
#: "Most models": more than this share.
MOSTLY = 0.5

#: Measures of the input-space attacks, the ones a failed gate puts in doubt.
INPUT_ATTACK_MEASURES = frozenset(
    {
        "robust_accuracy", "robust_auc", "success_rate", "paper_robustness",
        "adv_confidence_mean", "min_perturbation_mean", "min_perturbation_median",
        "min_perturbation_median_censored", "min_perturbation_min", "min_perturbation_max",
        "never_fooled_share", "min_perturbation_rmean", "onepixel_success_rate", "clever_score",
        "clever_capped_share",
        "loss_sensitivity", "autoattack_effort",
    }
)  # fmt: skip


def failed_gates(checks: pd.DataFrame | None) -> pd.DataFrame:
    """The failed rows of the ``attack_checks`` table (empty when there is none)."""
    if checks is None or checks.empty:
        return pd.DataFrame(columns=["group", "model_id", "check", "value", "threshold", "passed"])
    return checks.loc[~checks["passed"].astype(bool)].reset_index(drop=True)


def failed_models(checks: pd.DataFrame | None) -> set[str]:
    """Models with at least one failed gate."""
    return set(failed_gates(checks)["model_id"])


def saturation_flags(robustness: pd.DataFrame) -> pd.DataFrame:
    """Per robust-accuracy measure (attack, norm, ε > 0): share of models low / high, and the flag.

    Also one row per CLEVER measure: the mean share of capped scores
    (``low`` column NaN), flagged when most scores are capped.
    """
    cols = ["column", "measure", "attack", "norm", "eps", "share_low", "share_high", "flagged"]
    out = []
    if robustness.empty:
        return pd.DataFrame(columns=cols)
    ra = robustness.loc[(robustness["measure"] == "robust_accuracy") & (robustness["eps"] > 0)]
    for (attack, norm, eps), g in ra.groupby(["attack", "norm", "eps"], sort=True):
        v = g["value"].dropna()
        if v.empty:
            continue
        low, high = float((v < SATURATION_LOW).mean()), float((v > SATURATION_HIGH).mean())
        flagged = low > MOSTLY or high > MOSTLY
        column = measure_column("robust_accuracy", attack, norm, eps)
        out.append([column, "robust_accuracy", attack, norm, float(eps), low, high, flagged])
    capped = robustness.loc[robustness["measure"] == "clever_capped_share"]
    for (norm, eps), g in capped.groupby(["norm", "eps"], sort=True):
        share = float(g["value"].mean())
        column = measure_column("clever_score", "clever", norm, eps)
        out.append(
            [column, "clever_score", "clever", norm, float(eps), math.nan, share, share > MOSTLY]
        )
    return pd.DataFrame(out, columns=cols)


def flagged_columns(robustness: pd.DataFrame) -> set[str]:
    """Study columns of the flagged (saturated or capped) measures."""
    flags = saturation_flags(robustness)
    return set(flags.loc[flags["flagged"].astype(bool), "column"])


def mask_failed_models(study: pd.DataFrame, checks: pd.DataFrame | None) -> pd.DataFrame:
    """The study with the input-attack measures of gate-failing models set to NaN."""
    bad = failed_models(checks)
    if not bad or "model_id" not in study.columns:
        return study
    study = study.copy()
    rows = study["model_id"].isin(bad)
    cols = [
        c
        for c in study.columns
        if any(c == m or c.startswith(m + "_") for m in INPUT_ATTACK_MEASURES)
    ]
    study.loc[rows, cols] = math.nan
    return study


def study_flags(robustness: pd.DataFrame, checks: pd.DataFrame | None) -> dict[str, str]:
    """The ``study`` table's metadata: flagged measures and the models failing a gate (JSON)."""
    flags = saturation_flags(robustness)
    flagged = flags.loc[flags["flagged"].astype(bool)]
    return {
        "graphprior.flagged_measures": json.dumps(
            [
                {
                    "column": r.column,
                    "share_low": None if math.isnan(r.share_low) else r.share_low,
                    "share_high": r.share_high,
                }
                for r in flagged.itertuples()
            ]
        ),
        "graphprior.gate_failed_models": json.dumps(sorted(failed_models(checks))),
    }
