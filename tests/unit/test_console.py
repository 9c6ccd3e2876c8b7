"""graphprior's Snakemake console (the logger plugin the default profile selects)."""

from __future__ import annotations

import io
import logging
from types import SimpleNamespace

from snakemake_interface_logger_plugins.common import LogEvent

from snakemake_logger_plugin_graphprior import LogHandler

STATS = """Job stats:
job                            count
---------------------------  -------
generate_graphs                    1
attack                             2
prune_baseline                     3
all                                1
total                              7
"""


def _handler(**settings) -> tuple[LogHandler, io.StringIO]:
    common = SimpleNamespace(dryrun=False, verbose=False, **settings)
    handler = LogHandler(common, None)
    handler.stream = io.StringIO()
    handler.setFormatter(logging.Formatter("%(message)s"))
    return handler, handler.stream


def _record(msg=None, level=logging.INFO, **extra) -> logging.LogRecord:
    record = logging.LogRecord("snakemake", level, __file__, 1, msg, None, None)
    record.__dict__.update(extra)
    return record


def test_one_line_per_job_progress_in_tenths_and_no_scheduler_noise():
    handler, out = _handler()
    handler.emit(_record(event=LogEvent.WORKFLOW_STARTED))
    handler.emit(_record("Select jobs to execute..."))
    handler.emit(_record("Execute 2 jobs..."))
    handler.emit(
        _record(" Rule: attack", event=LogEvent.JOB_INFO, rule_msg="attack c0: 8 graph(s)", jobid=4)
    )
    handler.emit(_record(event=LogEvent.JOB_FINISHED, job_id=1))
    for done in range(1, 41):
        handler.emit(_record(event=LogEvent.PROGRESS, done=done, total=40))
    handler.emit(_record("a gate failed", level=logging.WARNING))
    handler.emit(_record(STATS, event=LogEvent.RUN_INFO))
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("] Job 4: attack c0: 8 graph(s)")
    progress = [line for line in lines if "jobs done" in line]
    assert len(progress) == 11 and progress[-1] == "40 of 40 jobs done (100%)"
    assert "a gate failed" in lines
    assert not any("Select jobs" in line or "Execute" in line for line in lines)
    assert " Rule: attack" not in out.getvalue()  # Snakemake's job block, left out
    assert ["attack", "2"] in [line.split() for line in lines]  # the stats, once


def test_a_dry_run_and_verbose_print_snakemakes_console():
    for settings in ({"dryrun": True}, {"verbose": True}):
        handler, out = _handler()
        handler.common_settings.__dict__.update(settings)
        handler.emit(_record("Select jobs to execute..."))
        handler.emit(_record(STATS, event=LogEvent.RUN_INFO))
        handler.emit(_record(" Rule: attack", event=LogEvent.JOB_INFO, rule_msg="m", jobid=1))
        text = out.getvalue()
        assert "Select jobs" in text and " Rule: attack" in text
        # Snakemake's blank line between the stats and the first job, which parsers rely on
        assert "total                              7\n\n" in text


def test_snakemake_finds_the_plugin():
    from snakemake_interface_logger_plugins.registry import LoggerPluginRegistry

    plugin = LoggerPluginRegistry().get_plugin("graphprior")
    assert plugin.log_handler is LogHandler
