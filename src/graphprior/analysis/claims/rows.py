"""Rows of the claims table and the step that adds Holm q-values and verdicts.

:func:`claim_row` builds one :class:`ClaimRow` (the columns of
:data:`graphprior.io.tables.CLAIMS_SCHEMA` and the fields that steer its
verdict); :func:`finish_claims` adjusts the pooled rows' p-values by Holm
(the claims' own family) and decides every verdict
(:class:`graphprior.config.choices.Verdict`):

* fewer than :data:`~graphprior.analysis.stats.inference.INSUFFICIENT_BELOW`
  clusters: ``insufficient``;
* a row with its own rule (C1, C5, the checks) takes that rule's verdict, given q;
* a directional row: :func:`~graphprior.analysis.claims.verdicts.claim_verdict` on
  r, its interval, q (p on stratum rows, which are not in the family) and
  the pre-registered equivalence bound (``negligible``); no estimate is
  ``not testable``; a pooled ``supported`` / ``contradicted`` needs every
  stratum estimate of the same claim and analysis to have the sign of the
  pooled one, else it is ``inconclusive``;
* a row on a measure too unreliable to show an effect (``unreliable=True``)
  that would read ``inconclusive`` or ``negligible`` reads ``unreliable``:
  a measure of low reliability attenuates every correlation towards 0, so
  neither "no evidence" nor "no effect" can be read from it (a significant
  effect still stands: attenuation cannot create one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graphprior.analysis.claims.verdicts import claim_verdict
from graphprior.analysis.stats.inference import INSUFFICIENT_BELOW
from graphprior.analysis.stats.multiple_testing import holm_qvalues
from graphprior.analysis.study.aggregate import iqr_filter
from graphprior.config.choices import POOLED, Verdict
from graphprior.io import tables as T

__all__ = ["NAN", "ClaimRow", "claim_row", "finish_claims", "outlier_rule"]

NAN = float("nan")


@dataclass
class ClaimRow:
    """One row of the claims table and what decides its verdict.

    The fields up to ``verdict`` are the columns of
    :data:`graphprior.io.tables.CLAIMS_SCHEMA` (:meth:`record`); the rest
    steer the verdict (:func:`finish_claims`) and are not written:
    ``n_units`` (independent graphs: fewer than ``INSUFFICIENT_BELOW`` is
    ``insufficient``), ``sign`` (the predicted sign of a directional claim),
    ``rule`` (a verdict, or a function of q, for a row with its own rule),
    ``equivalence`` (the pre-registered bound of ``negligible``) and
    ``unreliable`` (the measure's reliability is too low to read "no effect").
    """

    claim: str
    analysis: str
    stratum: str
    x: str
    y: str
    controls: str
    statistic: str
    r: float = NAN
    ci_low: float = NAN
    ci_high: float = NAN
    p: float = NAN
    p_method: str = "asymptotic"
    q: float = NAN
    n: int = 0
    n_removed: int = 0
    fixed_effects: str = ""
    verdict: str = ""
    n_units: int = 0
    sign: int | None = None
    rule: str | Callable[[float], str] | None = None
    equivalence: float | None = None
    unreliable: bool = False
    #: the mapping arm whose graph nets the row reads ("" for a study without arms)
    arm: str = ""

    def record(self) -> dict[str, Any]:
        """The row's table columns, in schema order."""
        return {name: getattr(self, name) for name in T.CLAIMS_SCHEMA.names}


def claim_row(
    claim: str,
    *,
    analysis: str,
    stratum: str,
    statistic: str,
    x: str = "",
    y: str = "",
    controls: str = "",
    r: float = NAN,
    ci_low: float = NAN,
    ci_high: float = NAN,
    p: float = NAN,
    p_method: str = "asymptotic",
    n: int = 0,
    n_units: int | None = None,
    n_removed: int = 0,
    sign: int | None = None,
    fixed_verdict: str | Callable[[float], str] | None = None,
    fixed_effects: str = "",
    equivalence: float | None = None,
    unreliable: bool = False,
) -> ClaimRow:
    """One row of the claims table, every field but the claim's id by name.

    `sign` (the predicted sign) for a directional claim, else `fixed_verdict` (or f(q)).
    """
    return ClaimRow(
        claim, analysis, stratum, x, y, controls, statistic,
        r=float(r), ci_low=float(ci_low), ci_high=float(ci_high), p=float(p), p_method=p_method,
        n=int(n), n_removed=int(n_removed), fixed_effects=fixed_effects,
        n_units=int(n if n_units is None else n_units), sign=sign, rule=fixed_verdict,
        equivalence=equivalence, unreliable=unreliable,
    )  # fmt: skip


def outlier_rule(frame: pd.DataFrame, y: str, apply: bool) -> tuple[pd.DataFrame, int]:
    """The paper's 1.5×IQR rule on one row per graph: drop graphs outside y's fences.

    ``report.outlier_rule`` decides `apply`; off, the frame comes back whole
    with 0 removed. :func:`graphprior.analysis.study.aggregate.iqr_filter` does the work.
    """
    if not apply or frame.empty:
        return frame, 0
    return iqr_filter(frame, [y])


def _directional(row: ClaimRow, q: float) -> str:
    if row.sign is None:
        return Verdict.NOT_TESTABLE if not np.isfinite(row.r) else Verdict.INCONCLUSIVE
    return claim_verdict(row.r, row.ci_low, row.ci_high, q, row.sign, equivalence=row.equivalence)


def finish_claims(rows: list[ClaimRow], arm: str | None = None) -> pd.DataFrame:
    """Holm q over the pooled rows with a p-value, verdicts, schema columns.

    The rows are one arm's (each arm's claims are their own Holm family);
    `arm` fills their ``arm`` column.
    """
    for row in rows:
        row.arm = arm or ""
    pooled = [row for row in rows if row.stratum == POOLED]
    for row, q in zip(pooled, holm_qvalues([row.p for row in pooled]), strict=True):
        row.q = float(q)
    for row in rows:
        if row.n_units < INSUFFICIENT_BELOW:
            row.verdict = Verdict.INSUFFICIENT
        elif row.rule is not None:
            row.verdict = row.rule(row.q) if callable(row.rule) else row.rule
        else:
            row.verdict = _directional(row, row.q if row.stratum == POOLED else row.p)
    for row in pooled:
        if row.verdict not in ("supported", "contradicted"):
            continue
        signs = [
            np.sign(other.r)
            for other in rows
            if other.claim == row.claim
            and other.analysis == row.analysis
            and other.stratum != POOLED
            and np.isfinite(other.r)
        ]
        if any(s != np.sign(row.r) for s in signs):
            row.verdict = Verdict.INCONCLUSIVE
    for row in rows:
        if row.unreliable and row.verdict in (Verdict.INCONCLUSIVE, Verdict.NEGLIGIBLE):
            row.verdict = Verdict.UNRELIABLE
        row.verdict = str(row.verdict)
    table = pd.DataFrame([row.record() for row in rows], columns=list(T.CLAIMS_SCHEMA.names))
    table["n"] = table["n"].astype("int64")
    table["n_removed"] = table["n_removed"].astype("int64")
    return table
