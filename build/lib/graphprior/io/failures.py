"""Failed jobs are recorded, not fatal: the rest of the study goes on (``on_error: record``).

A job that raises writes its outputs empty and a failure record (rule, group,
error type, message, log path) to ``results/failures/{rule}/{group}.json``;
a job that succeeds writes ``[]`` there. ``aggregate_parquet`` gathers them
into ``tables/failures.parquet`` and the report lists them. With
``on_error: raise`` the job fails as usual and Snakemake stops (or, with
``--keep-going``, runs what does not depend on it).
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd

__all__ = ["FAILURE_COLUMNS", "run_guarded", "write_failures", "read_failures"]

log = logging.getLogger(__name__)

FAILURE_COLUMNS = ["rule", "group", "error", "message", "log"]

T = TypeVar("T")


def write_failures(path: str | Path, records: list[dict]) -> None:
    """Write the failure records of one job (``[]`` for none) atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(records, indent=1))
    tmp.replace(path)


def read_failures(paths: list[str | Path]) -> pd.DataFrame:
    """All failure records of a run as a table (columns :data:`FAILURE_COLUMNS`)."""
    rows: list[dict] = []
    for p in paths:
        try:
            rows += json.loads(Path(p).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read failure record {p}: {exc}") from exc
    return pd.DataFrame(rows, columns=FAILURE_COLUMNS)


def run_guarded(
    rule: str,
    group: str,
    on_error: str,
    failure_path: str | Path,
    log_path: str | Path,
    compute: Callable[[], T],
    empty: Callable[[], T],
) -> T:
    """Run ``compute``; on an exception record it and return ``empty()`` (``on_error: record``).

    With ``on_error: raise`` the exception propagates and the job fails.
    """
    try:
        result = compute()
    except Exception as exc:
        if on_error != "record":
            raise
        log.error("%s %s failed; recorded and excluded:\n%s", rule, group, traceback.format_exc())
        record = {
            "rule": rule,
            "group": group,
            "error": type(exc).__name__,
            "message": str(exc),
            "log": str(log_path),
        }
        write_failures(failure_path, [record])
        return empty()
    write_failures(failure_path, [])
    return result
