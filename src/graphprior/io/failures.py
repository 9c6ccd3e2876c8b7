"""Failed jobs are recorded, not fatal: the rest of the study goes on (``on_error: record``).

A graph or group whose job raises gets empty outputs and a failure record (rule,
group, error type, message, log path) in its job's
``results/{study}/failures/{rule}/{job}.json`` (``{job}`` is a chunk, ``c0``, ``c1``,
..., or a baseline's group or part): ``{"failures": [...], "retry": token}``, the
list empty when nothing failed (the token: :func:`retry_token`). ``aggregate_parquet``
gathers them into ``tables/failures.parquet`` and the report lists them. With
``on_error: raise`` the job fails as usual and Snakemake stops (or, with
``--keep-going``, runs what does not depend on it).

At the end of every run the workflow's ``onsuccess``/``onerror`` handlers call
:func:`end_of_run`: it prints one line per recorded failure (rule, group, reason,
log). Every guarded job has a ``retry`` param computed from its own record when
Snakemake plans a run (read through the storage provider where the files live
there; :func:`retry_token`): a record that lists failures changes it, so the next
run of the same command reruns exactly the failed jobs and what depends on them
(Snakemake's params trigger); nothing is touched on disk.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shlex
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import pandas as pd

__all__ = [
    "FAILURE_COLUMNS",
    "run_guarded",
    "write_failures",
    "read_failures",
    "read_local",
    "recorded_failures",
    "failure_summary",
    "end_of_run",
    "retry_token",
    "finish_run",
    "retry_command",
    "RecordedFailures",
]

log = logging.getLogger(__name__)

FAILURE_COLUMNS = ["rule", "group", "error", "message", "log"]

T = TypeVar("T")


def write_failures(path: str | Path, records: list[dict], retry: str | None = None) -> None:
    """Write the failure records of one job (an empty list for none) atomically.

    ``retry`` is the retry token the job ran with (its ``params.retry``, see
    :func:`retry_token`), kept beside the records so the next run can tell a job that
    succeeded after a retry from one that failed again.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"failures": records, "retry": retry}, indent=1))
    tmp.replace(path)


def _failures_in(data: object) -> list[dict]:
    """The records of a parsed failure record (a list in records written before the token)."""
    if isinstance(data, dict) and isinstance(data.get("failures"), list):
        return data["failures"]
    if isinstance(data, list):
        return data
    raise ValueError(f"not a failure record: {str(data)[:80]}")


def read_failures(paths: list[str | Path]) -> pd.DataFrame:
    """All failure records of a run as a table (columns :data:`FAILURE_COLUMNS`)."""
    rows: list[dict] = []
    for p in paths:
        try:
            rows += _failures_in(json.loads(Path(p).read_text()))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read failure record {p}: {exc}") from exc
    return pd.DataFrame(rows, columns=FAILURE_COLUMNS)


def retry_token(text: str | None) -> str | None:
    """A guarded job's ``params.retry``, from the text of its failure record (None: not run).

    Snakemake reruns a job whose params differ from those it ran with, and then
    everything downstream. A record that lists failures gives a new token (a hash of
    the failures and of the token the job ran with), so the next run of the same
    command retries the job; a record without failures gives back the token the job
    ran with, so a job that succeeded stays done. An unreadable record is retried.

    >>> retry_token(None) is None, retry_token('{"failures": [], "retry": "ab12"}')
    (True, 'ab12')
    >>> failed = '{"failures": [{"group": "g"}], "retry": null}'
    >>> token = retry_token(failed)
    >>> len(token), retry_token('{"failures": [{"group": "g"}], "retry": "%s"}' % token) != token
    (16, True)
    """
    if text is None:
        return None
    try:
        data = json.loads(text)
        failures = _failures_in(data)
    except ValueError:
        return hashlib.sha256(text.encode()).hexdigest()[:16]
    ran_with = data.get("retry") if isinstance(data, dict) else None
    if not failures:
        return ran_with
    key = json.dumps([failures, ran_with], sort_keys=True, default=str)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


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


def read_local(path: str | Path) -> str | None:
    """The text of a local file, None when it does not exist (a :func:`recorded_failures` reader)."""
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        return None


def recorded_failures(
    paths: Iterable[str | Path], read: Callable[[str], str | None] = read_local
) -> dict[str, list[dict]]:
    """Every non-empty failure record among ``paths``, by path.

    ``read`` gives a record's text, or None where the job has not run; the workflow
    passes one that reads through its storage provider when the files live there.
    A record that cannot be read or parsed counts as a failure of its job.
    """
    found: dict[str, list[dict]] = {}
    for path in map(str, paths):
        rule, group = Path(path).parent.name, Path(path).stem
        try:
            text = read(path)
            records = None if text is None else _failures_in(json.loads(text))
        except (OSError, ValueError) as exc:
            records = [
                {
                    "rule": rule,
                    "group": group,
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


def end_of_run(
    paths: Iterable[str | Path],
    read: Callable[[str], str | None] = read_local,
    echo: Callable[[str], None] = print,
    stopped: bool = False,
    command: str | None = None,
    root: str | Path = "results",
) -> dict[str, list[dict]]:
    """Print the failure summary of the records at ``paths``; return the failed ones.

    ``read`` reads a record (see :func:`recorded_failures`); ``stopped``: called when
    the run ended with an error (see :func:`failure_summary`); ``command``: the run's
    command line (default: this process's, ``sys.argv``). Nothing is changed on disk:
    the next run retries the failed jobs through their params (:func:`retry_token`).
    """
    failures = recorded_failures(paths, read)
    echo(failure_summary(failures, stopped, command or retry_command(), root))
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


class RecordedFailures(Exception):
    """Raised at the end of a finished run that recorded failures, so that it exits non-zero."""


def finish_run(
    paths: Iterable[str | Path],
    read: Callable[[str], str | None] = read_local,
    echo: Callable[[str], None] = print,
    root: str | Path = "results",
) -> None:
    """:func:`end_of_run` after a run that finished; recorded failures make it fail."""
    failures = end_of_run(paths, read, echo, root=root)
    if failures:
        n = sum(len(r) for r in failures.values())
        raise RecordedFailures(
            f"{n} job(s) failed and were recorded (listed above); every other job finished"
        )
