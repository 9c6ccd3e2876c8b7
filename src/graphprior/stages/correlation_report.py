"""Rule correlation_report: the HTML and Markdown report, its figures and the correlations."""

from __future__ import annotations

from typing import Any

from graphprior.config import config_hash
from graphprior.report import build_report
from graphprior.stages.job import start_job

__all__ = ["run"]


def run(smk: Any) -> None:
    """Build the report from the tables in ``input`` into the files in ``output``."""
    config = start_job(smk)
    digest = config_hash(smk.params.config)  # of the config slice the rule received
    build_report(dict(smk.input.items()), dict(smk.output.items()), config, digest)
