"""The claims: their rows, their verdicts and the table; each module's public names re-exported.

* :mod:`~graphprior.analysis.claims.rows` — one claim row, Holm q-values and
  the verdict of every row;
* :mod:`~graphprior.analysis.claims.verdicts` — the verdict rules;
* :mod:`~graphprior.analysis.claims.related_studies` — C1 and the related results R1–R3;
* :mod:`~graphprior.analysis.claims.table` — the claims table (C1–C5, R1–R3).
"""

from graphprior.analysis.claims.related_studies import (
    COLLAPSED_BELOW,
    c1_verdict,
    related_rows,
)
from graphprior.analysis.claims.rows import (
    NAN,
    claim_row,
    finish_claims,
    outlier_rule,
)
from graphprior.analysis.claims.table import (
    ALL_STRATA,
    ANALYSES,
    CLAIM_TEXT,
    PAPER,
    ClaimData,
    claim_data,
    claim_measures,
    claims_table,
)
from graphprior.analysis.claims.verdicts import (
    ALPHA,
    Verdict,
    claim_verdict,
    simultaneous_intervals,
    weak_correlation_verdict,
)

__all__ = [
    "NAN",
    "claim_row",
    "finish_claims",
    "outlier_rule",
    "ALPHA",
    "Verdict",
    "claim_verdict",
    "simultaneous_intervals",
    "weak_correlation_verdict",
    "COLLAPSED_BELOW",
    "related_rows",
    "c1_verdict",
    "ALL_STRATA",
    "ANALYSES",
    "CLAIM_TEXT",
    "PAPER",
    "ClaimData",
    "claims_table",
    "claim_data",
    "claim_measures",
]
