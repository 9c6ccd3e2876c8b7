"""Failed jobs are recorded, not fatal: the rest of the study goes on (``on_error: record``).

A graph or group whose job raises gets empty outputs and a failure record (rule,
group, error type, message, log path) in its job's
``results/{study}/failures/{rule}/{job}.json`` (``{job}`` is a chunk, ``c0``, ``c1``,
..., or a baseline's group or part); a job with no failure writes ``[]`` there. ``aggregate_parquet`` gathers them
into ``tables/failures.parquet`` and the report lists them. With
``on_error: raise`` the job fails as usual and Snakemake stops (or, with
``--keep-going``, runs what does not depend on it).

At the end of every run the workflow's ``onsuccess``/``onerror`` handlers call
:func:`end_of_run`: it prints one line per recorded failure (rule, group, reason,
log) and marks each failed job's record as out of date (its modification time
set to the epoch, older than any input), so that the next run of the same
command reruns exactly the failed jobs and what depends on them.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd

__all__ = [
    "FAILURE_COLUMNS",
    "run_guarded",
    "write_failures",
    "read_failures",
    "recorded_failures",
    "failure_summary",
    "mark_for_rerun",
    "end_of_run",
    "finish_run",
    "retry_command",
    "in_storage_note",
    "RecordedFailures",
]

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
    log_path: str | Path,
    compute: Callable[[], T],
    empty: Callable[[], T],
    records: list[dict],
) -> T:
    """Run ``compute``; on an exception add its record to ``records`` and return ``empty()``.

    That is ``on_error: record``; with ``on_error: raise`` the exception propagates and
    the job fails. The caller writes ``records`` (:func:`write_failures`).
    """
    try:
        return compute()
    except Exception as exc:
        if on_error != "record":
            raise
        log.error("%s %s failed; recorded and excluded:\n%s", rule, group, traceback.format_exc())
        records.append(
            {
                "rule": rule,
                "group": group,
                "error": type(exc).__name__,
                "message": str(exc),
                "log": str(log_path),
            }
        )
        return empty()


def recorded_failures(root: str | Path = "results") -> dict[Path, list[dict]]:
    """Every non-empty failure record below ``root/failures``, by record file."""
    found = {}
    for path in sorted(Path(root, "failures").glob("*/*.json")):
        try:
            records = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            records = [
                {
                    "rule": path.parent.name,
                    "group": path.stem,
                    "error": "unreadable",
                    "message": f"cannot read failure record {path}: {exc}",
                    "log": "",
                }
            ]
        if records:
            found[path] = records
    return found


def _reason(record: dict, width: int = 160) -> str:
    lines = str(record.get("message", "")).strip().splitlines()
    text = f"{record.get('error', 'Error')}: {lines[0] if lines else ''}".strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def failure_summary(
    failures: dict[Path, list[dict]],
    stopped: bool = False,
    command: str = "snakemake",
    root: str | Path = "results",
) -> str:
    """The console summary: one line per failed job (rule, group, reason, log).

    ``stopped``: the run ended with an error (Snakemake's ``onerror``), so
    jobs may be missing that no record accounts for. ``command``: the
    command line of the run, which retries the failed jobs once their cause is fixed.
    """
    if not failures and stopped:
        return (
            "graphprior: the run stopped before it finished (Snakemake's error above); no job "
            f"recorded a failure of its own ({root}/failures/). Fix the cause and rerun the "
            "same command: finished jobs are kept."
        )
    if not failures:
        return f"graphprior: no failed jobs recorded ({root}/failures/)."
    records = [r for recs in failures.values() for r in recs]
    lines = [f"graphprior: {len(records)} job(s) failed and were recorded (on_error: record):"]
    for r in records:
        lines.append(f"  {r.get('rule')} {r.get('group')}: {_reason(r)}")
        lines.append(f"      log: {r.get('log') or '-'}")
    lines += [
        "Their outputs are empty and the tables and the report leave them out.",
        "Fix the cause and rerun the same command; only these jobs and what depends on",
        "them run again (on_error: raise stops at the first failure instead):",
        f"  {command}",
    ]
    return "\n".join(lines)


def mark_for_rerun(paths) -> None:
    """Make the failed jobs out of date: their record older than any of their inputs.

    Snakemake reruns a job whose output is older than an input (its ``mtime``
    trigger), and then every job downstream of it. The record's content stays.
    """
    for path in paths:
        os.utime(path, (0, 0))


def end_of_run(
    root: str | Path = "results",
    echo: Callable[[str], None] = print,
    stopped: bool = False,
    command: str | None = None,
    storage=None,
) -> dict:
    """Print the failure summary and mark the failed jobs for a rerun; return the records.

    ``stopped``: called when the run ended with an error (see :func:`failure_summary`).
    ``command``: the run's command line (default: this process's, ``sys.argv``).
    ``storage``: Snakemake's storage settings; with a default storage provider the
    records are not local files, so only :func:`in_storage_note` is printed.
    """
    if storage is not None and storage.default_storage_provider:
        echo(in_storage_note(root, storage))
        return {}
    failures = recorded_failures(root)
    echo(failure_summary(failures, stopped, command or retry_command(), root))
    mark_for_rerun(failures)
    return failures


def retry_command(argv: list[str] | None = None) -> str:
    """The command line that retries a run's failed jobs: the run's own, shell-quoted.

    >>> retry_command(["/venv/bin/snakemake", "--cores", "2", "--configfile", "my config.yaml"])
    "snakemake --cores 2 --configfile 'my config.yaml'"
    """
    args = list(sys.argv if argv is None else argv)
    program = Path(args[0]).name if args else "snakemake"
    if program in ("__main__.py", "snakemake.py", "-c", ""):
        program = "snakemake"
    return shlex.join([program, *args[1:]])


def in_storage_note(root: str | Path, storage) -> str:
    """The end-of-run line of a run whose files live in a storage provider.

    The failure records are outputs in the storage (``storage.default_storage_prefix``),
    not local files, so the run cannot list or mark them; the `failures` table and the
    report there list every recorded failure.
    """
    where = f"{str(storage.default_storage_prefix).rstrip('/')}/{root}"
    return (
        f"graphprior: files are in the storage ({storage.default_storage_provider}: {where}); "
        f"recorded failures, if any, are in {where}/tables/failures.parquet and the report. "
        "Retry a failed chunk with --forcerun and its output, e.g. "
        f"--forcerun {root}/robustness/c0."
    )


class RecordedFailures(Exception):
    """Raised at the end of a finished run that recorded failures, so that it exits non-zero."""


def finish_run(
    root: str | Path = "results", echo: Callable[[str], None] = print, storage=None
) -> None:
    """:func:`end_of_run` after a run that finished; recorded failures make it fail."""
    failures = end_of_run(root, echo, storage=storage)
    if failures:
        n = sum(len(r) for r in failures.values())
        raise RecordedFailures(
            f"{n} job(s) failed and were recorded (listed above); every other job finished"
        )
