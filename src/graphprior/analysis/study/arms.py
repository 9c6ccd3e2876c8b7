"""Mapping arms: which arm the claims and correlations read, and the arms side by side.

A study may train every graph under several graph → network mappings (the
*arms*: the main one, ``mapping.arm``, and ``mapping.extra_arms``) that differ
only in the wiring of the input and the classifier. Results never mix arms:
the claims, the correlations and every per-graph statistic use the main arm
(:func:`main_arm_rows`); the confound audit and :func:`arm_correlations` show
the arms side by side. Studies without an ``arm`` column have one arm.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from graphprior.analysis.audit import coupling
from graphprior.config import MappingConfig
from graphprior.config.choices import POOLED

__all__ = ["DEFAULT_ARM", "arm_names", "main_arm", "main_arm_rows", "arm_correlations"]

log = logging.getLogger(__name__)

#: Name of the main arm when the config names none (``mapping.arm``).
DEFAULT_ARM = "fixed_interface"


def arm_names(study: pd.DataFrame) -> list[str]:
    """The arms present in the study, sorted (empty without an ``arm`` column or values)."""
    if "arm" not in study.columns:
        return []
    return sorted(str(a) for a in study["arm"].dropna().unique())


def main_arm(study: pd.DataFrame, mapping: MappingConfig) -> str | None:
    """The arm the claims use: ``mapping.arm`` (default :data:`DEFAULT_ARM`), or the only one.

    None when the study has no arms (an old study: every graph net is one arm).
    Raises ``ValueError`` when the study has several arms and none is the
    configured one.
    """
    arms = arm_names(study)
    if not arms:
        return None
    wanted = str(mapping.arm or DEFAULT_ARM)
    if wanted in arms:
        return wanted
    if len(arms) == 1:
        log.info("main arm %r not in the study; its only arm %r is used", wanted, arms[0])
        return arms[0]
    raise ValueError(f"main arm {wanted!r} (mapping.arm) is not among the study's arms {arms}")


def main_arm_rows(study: pd.DataFrame, arm: str | None) -> pd.DataFrame:
    """The rows of the main arm plus the rows without an arm (baselines); all rows for None."""
    if arm is None or "arm" not in study.columns:
        return study
    return study.loc[study["arm"].isna() | (study["arm"] == arm)]


def _bare_stratum(stratum: str, arm: str) -> str:
    """A stratum without its ``/{arm}`` suffix, so that the arms' rows line up."""
    suffix = f"/{arm}"
    return stratum[: -len(suffix)] if stratum.endswith(suffix) else stratum


def arm_correlations(
    frames: Sequence[tuple[str, pd.DataFrame]], xs: Sequence[str], y: str
) -> pd.DataFrame:
    """Spearman ρ of each x with `y` for every arm, pooled and per stratum, side by side.

    Parameters
    ----------
    frames : sequence of (arm, DataFrame)
        A label and the per-(graph, arm) table of one arm, with a ``stratum``
        column (:func:`graphprior.analysis.study.interface.claim_frame`); a
        ``/{arm}`` suffix of the strata is dropped.
    xs : sequence of str
        Properties (columns missing from a frame are skipped).
    y : str
        The measure.

    Returns
    -------
    DataFrame
        Columns ``stratum`` (without the arm suffix), ``x``, then
        ``ρ {arm}`` and ``n {arm}`` for each arm; one row per (stratum, x).
        ρ is NaN when x or y is constant in that stratum.
    """
    parts = []
    for arm, frame in frames:
        present = [x for x in xs if x in frame.columns]
        if not present or y not in frame.columns:
            continue
        c = coupling(frame, present, [y], arm)
        names = frame["arm"].dropna() if "arm" in frame.columns else pd.Series(dtype=object)
        name = str(names.iloc[0]) if len(names) else arm
        c["stratum"] = [_bare_stratum(str(s), name) for s in c["stratum"]]
        parts.append(c)
    if not parts:
        return pd.DataFrame(columns=["stratum", "x"])
    long = pd.concat(parts, ignore_index=True).rename(columns={"property": "x"})
    wide = long.pivot(index=["stratum", "x"], columns="arm", values=["r", "n"])
    out = pd.DataFrame(index=wide.index)
    for arm in dict.fromkeys(long["arm"]):
        out[f"ρ {arm}"] = wide[("r", arm)].astype(float)
        out[f"n {arm}"] = wide[("n", arm)].fillna(0).astype(int)
    out = out.reset_index()
    order = {POOLED: 0}
    out["_o"] = [order.get(s, 1) for s in out["stratum"]]
    return out.sort_values(["_o", "stratum", "x"]).drop(columns="_o").reset_index(drop=True)
