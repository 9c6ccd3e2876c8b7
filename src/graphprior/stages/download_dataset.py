"""Rule download_dataset: a downloaded dataset's files, fetched once before any job reads them."""

from __future__ import annotations

import logging
import os
from typing import Any

from graphprior.data import download_dataset, use_files
from graphprior.stages.job import start_job

__all__ = ["run"]

log = logging.getLogger(__name__)


def run(smk: Any) -> None:
    """Download (or check) every file of the study's dataset; they are ``output``."""
    config = start_job(smk)
    use_files(config.dataset, list(smk.output))  # written where the rule declares them
    paths = download_dataset(config.dataset)
    got = {os.path.abspath(p) for p in paths}
    missing = [p for p in smk.output if os.path.abspath(p) not in got]
    if missing:  # the workflow and graphprior.data disagree on the file names
        raise RuntimeError(f"download_dataset wrote {sorted(got)}, not {missing}")
    log.info("%s: %d files in place", config.dataset, len(paths))
