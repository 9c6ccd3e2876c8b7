"""Report section "Claims": the claims table and the verdict rules in words."""

from __future__ import annotations

import pandas as pd

from graphprior.analysis.verdicts import ALPHA
from graphprior.report.document import Section
from graphprior.report.render import fmt
from graphprior.report.sections import TITLES

__all__ = ["RULES", "section_claims"]


#: The verdict rules, as written in the report and in docs/report.md.
RULES: dict[str, str] = {
    "correlation": (
        "Directional correlation claims (C2–C4, R1): **supported** if the BH q-value is below "
        f"{ALPHA}, the 95 % cluster-bootstrap interval excludes 0 on the predicted side and the "
        "coefficient has the predicted sign; **contradicted** if q < "
        f"{ALPHA} and the interval excludes 0 on the opposite side with the opposite sign; "
        "**inconclusive** otherwise, including when the statistic could not be computed "
        "(`graphprior.analysis.verdicts.claim_verdict`). The primary test uses the per-graph mean; the "
        "column `median aggregate` repeats it on per-graph medians, and `all measures s/c/i` "
        "counts supported/contradicted/inconclusive over every main robustness measure, "
        "oriented so that the claim predicts lower robustness."
    ),
    "C1": (
        "C1 (no dependence on the initialisation): Friedman test blocked by graph on the "
        "paper's initialisations (all initialisations if fewer than 3 of them were run), "
        "effect size Kendall's W with a bootstrap interval over graphs. **contradicted** if "
        f"p < {ALPHA} and W ≥ 0.1 (a detectable, at least small, consistent ordering of the "
        "initialisations); **supported** if not contradicted and the interval's upper bound is "
        "below 0.3 (a moderate or larger dependence is ruled out); **inconclusive** otherwise or "
        "with fewer than 5 complete graphs or 3 initialisations."
    ),
    "C5": (
        "C5 (all correlations are weak), over every pooled Spearman correlation of the "
        f"correlations table (per-graph means): **contradicted** if any with q < {ALPHA} "
        f"has |r| ≥ 0.5; **supported** if every one with q < {ALPHA} has |r| < 0.3 and no "
        "bootstrap interval reaches ±0.5; **inconclusive** otherwise "
        "(`graphprior.analysis.verdicts.weak_correlation_verdict`, Cohen's thresholds). The row shows the "
        "strongest correlation."
    ),
    "paired": (
        "Paired and per-model claims (R2a, R2b, R3a, R3b): the statistic is the median over "
        "graphs of a per-graph value (mean over the graph's models); **supported** if the "
        f"two-sided Wilcoxon signed-rank p < {ALPHA}, the bootstrap interval of the median "
        "(graphs resampled) excludes 0 on the predicted side and the median has the predicted "
        "sign; **contradicted** if the same holds on the opposite side; **inconclusive** "
        "otherwise (`claim_verdict` applied to median, interval and p)."
    ),
}


def section_claims(claims: pd.DataFrame) -> Section:
    """The claims table (:func:`graphprior.analysis.claims.claims_table`) and the rules."""
    sec = Section(TITLES["claims"])
    counts = claims["verdict"].value_counts()
    sec.text(
        f"The paper's claims C1–C5 and the related claims R1–R3 checked against this run: "
        f"{fmt(int(counts.get('supported', 0)))} supported, "
        f"{fmt(int(counts.get('contradicted', 0)))} contradicted, "
        f"{fmt(int(counts.get('inconclusive', 0)))} inconclusive. value is the statistic named in "
        "evidence, [ci_low, ci_high] its 95 % interval (graphs resampled)."
    )
    sec.table("Claims", claims)
    sec.text("**Verdict rules.** " + RULES["correlation"])
    sec.text(RULES["C1"])
    sec.text(RULES["C5"])
    sec.text(RULES["paired"])
    return sec
