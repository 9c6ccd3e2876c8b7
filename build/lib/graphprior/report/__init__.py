"""Formatting only: the document model, figures, sections and rendering of the report.

The entry point of the ``correlation_report`` rule is :func:`build_report`
(:mod:`graphprior.report.compose`); the numbers come from
:mod:`graphprior.analysis`. No torch, even indirectly.
"""

from graphprior.report.compose import SECTIONS, build_report, compose_report
from graphprior.report.document import Figure, Report, Section, Table
from graphprior.report.render import fmt, to_html, to_markdown
from graphprior.report.sections import TITLES

__all__ = [
    "SECTIONS",
    "TITLES",
    "build_report",
    "compose_report",
    "Figure",
    "Report",
    "Section",
    "Table",
    "fmt",
    "to_html",
    "to_markdown",
]
