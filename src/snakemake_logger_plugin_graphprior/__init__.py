"""graphprior's console for Snakemake runs (``--logger graphprior``, set in profiles/).

A Snakemake logger plugin: it replaces Snakemake's console with what a user of
a graphprior run follows, one line per job (the rule's message: rule, chunk,
graphs), the jobs per rule once, the progress at every tenth of the jobs, and every warning, error and failure
summary in full. Left out: the run header, per-job timestamps and "Finished
jobid" lines, the scheduler's "Select jobs to execute..." and the
environment lines. A dry run and ``--verbose`` print Snakemake's own console.
"""

from __future__ import annotations

import logging
import sys
import time

from snakemake_interface_logger_plugins.base import LogHandlerBase
from snakemake_interface_logger_plugins.common import LogEvent

__all__ = ["LogHandler"]

#: Plain messages that say nothing a user of the run acts on.
NOISE = (
    "Select jobs to execute",
    "Execute ",
    "Assuming unrestricted shared filesystem",
    "Using shell:",
    "Provided cores:",
    "Rules claiming more threads",
    "Conda environments: ignored",
    "Waiting at most",
)
#: Events that only repeat what the job's line said.
SILENT = {
    LogEvent.WORKFLOW_STARTED,
    LogEvent.JOB_STARTED,
    LogEvent.JOB_FINISHED,
    LogEvent.SHELLCMD,
    LogEvent.RESOURCES_INFO,
    LogEvent.RULEGRAPH,
    LogEvent.DEBUG_DAG,
}


class LogHandler(LogHandlerBase):
    """One line per job, progress in tenths, warnings and errors in full."""

    def __post_init__(self) -> None:
        # where Snakemake's own console writes: stdout when asked (`--stdout`, a dry run)
        self.stream = sys.stdout if getattr(self.common_settings, "stdout", False) else sys.stderr
        self.tenth = -1
        self._snakemake: logging.Handler | None = None

    @property
    def writes_to_stream(self) -> bool:
        return True

    @property
    def writes_to_file(self) -> bool:
        return False

    @property
    def has_filter(self) -> bool:
        return False

    @property
    def has_formatter(self) -> bool:
        return False

    @property
    def needs_rulegraph(self) -> bool:
        return False

    def _write(self, text: str) -> None:
        self.stream.write(text if text.endswith("\n") else text + "\n")
        self.stream.flush()

    def _native(self) -> logging.Handler:
        """Snakemake's own console handler on this stream, for what is shown in full."""
        if self._snakemake is None:
            from snakemake.logging import ColorizingTextHandler

            self._snakemake = ColorizingTextHandler(
                nocolor=bool(getattr(self.common_settings, "nocolor", False)),
                stream=self.stream,
                formatter=self.formatter,
            )
        return self._snakemake

    def emit(self, record: logging.LogRecord) -> None:
        try:
            settings = self.common_settings
            if settings.dryrun or settings.verbose or record.levelno >= logging.WARNING:
                self._native().emit(record)  # Snakemake's console, blank lines and all
                return
            text = self._line(record)
        except Exception:  # never lose a run over its console
            self.handleError(record)
            return
        if text is True:
            self._native().emit(record)
        elif text:
            self._write(text)

    def _line(self, record: logging.LogRecord) -> str | bool | None:
        """The console's line for ``record``: a line, True (Snakemake's own) or None (nothing)."""
        event = getattr(record, "event", None)
        if event in SILENT:
            return None
        if event == LogEvent.JOB_INFO:
            message = getattr(record, "rule_msg", None) or getattr(record, "rule_name", "")
            return f"[{time.strftime('%H:%M:%S')}] Job {getattr(record, 'jobid', '?')}: {message}"
        if event == LogEvent.PROGRESS:
            done, total = int(record.done), int(record.total)
            tenth = 10 * done // max(total, 1)
            if tenth == self.tenth and done != total:
                return None
            self.tenth = tenth
            return f"{done} of {total} jobs done ({100 * done // max(total, 1)}%)"
        text = self.format(record)
        if any(text.lstrip().startswith(prefix) for prefix in NOISE) or not text.strip():
            return None
        return True
