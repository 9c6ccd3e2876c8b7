"""What every job shares: logging into the rule's log, and failures recorded, not lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from graphprior.io.failures import run_guarded
from graphprior.io.logs import setup_job_logging

__all__ = ["start_job", "guarded", "results_root", "checkpoints_relative", "checkpoints_resolved"]

T = TypeVar("T")


def start_job(smk: Any) -> dict:
    """Send the job's logging to its log file; return the config slice the rule received."""
    setup_job_logging(smk.log[0])
    return smk.params.config


def guarded(smk: Any, group: str, compute: Callable[[], T], empty: Callable[[], T]) -> T:
    """Run ``compute`` under the config's ``on_error`` policy (see :func:`run_guarded`).

    ``on_error`` is read from the whole config, not from the rule's params: it is a
    policy for failures, and changing it must not rerun finished jobs.
    """
    return run_guarded(
        smk.rule,
        group,
        smk.config["on_error"],
        smk.output.failures,
        smk.log[0],
        compute,
        empty,
    )


def results_root(models_dir: str | Path) -> Path:
    """The ``results/`` folder of a model folder ``results/models/{group}``."""
    return Path(models_dir).parents[1]


def checkpoints_relative(rows: Any, models_dir: str | Path) -> Any:
    """`models` rows with each ``checkpoint`` relative to ``results/`` (the tables' base).

    The tables then stay valid when ``results/`` is moved or copied elsewhere.
    """
    root = results_root(models_dir)
    rows = rows.copy()
    rows["checkpoint"] = [Path(p).relative_to(root).as_posix() for p in rows["checkpoint"]]
    return rows


def checkpoints_resolved(rows: Any, models_dir: str | Path) -> Any:
    """The inverse of :func:`checkpoints_relative`: paths a job can open."""
    root = results_root(models_dir)
    rows = rows.copy()
    rows["checkpoint"] = [str(root / p) for p in rows["checkpoint"]]
    return rows
