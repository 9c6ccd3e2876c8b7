"""Report section "Measures from related studies": the introduction of its three subsections."""

from __future__ import annotations

from graphprior.report.document import Section
from graphprior.report.sections import TITLES

__all__ = ["section_related"]


def section_related() -> Section:
    """The heading section above weight perturbation, prunability and neural collapse."""
    related = Section(TITLES["related"])
    related.text(
        "Three related results measured on the same models: robustness to weight "
        "perturbations (Tsai et al. 2021), prunability as a predictor of generalisation (Kuhn "
        "et al. 2021) and neural collapse under attack (Su et al. 2023). Their claims are "
        "checked in the claims table (R1–R3)."
    )
    return related
