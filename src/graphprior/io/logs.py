"""Logging for workflow jobs: everything, tqdm bars included, goes to the rule's log."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

__all__ = ["setup_job_logging", "QUIET_LOGGERS"]

#: Libraries whose INFO lines only repeat what the job log already says (ART logs
#: "Inferred 1 hidden layers" for every classifier it wraps): WARNING and above only.
QUIET_LOGGERS = ("art",)

#: The log file the last call opened: the next job of a chunk closes it.
_open_log: list = []


def setup_job_logging(log_path: str | Path | None, level: int = logging.INFO) -> None:
    """Send `logging` records and stderr (where tqdm writes) to the job's log file."""
    handlers: list[logging.Handler] = []
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        stream = open(log_path, "a", buffering=1)  # noqa: SIM115 - lives as long as the job
        _open_log.append(stream)
        sys.stderr = stream
        handlers.append(logging.StreamHandler(stream))
    else:
        handlers.append(logging.StreamHandler(sys.stderr))
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    logging.captureWarnings(True)
    # the previous graph's log (a chunk runs several in one process): nothing writes to it now
    while len(_open_log) > (1 if log_path else 0):
        _open_log.pop(0).close()
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
