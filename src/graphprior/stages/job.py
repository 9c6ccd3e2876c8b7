"""What every job shares: logging into the rule's log, and failures recorded, not lost."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

from graphprior.io.failures import run_guarded
from graphprior.io.logs import setup_job_logging

_log = logging.getLogger(__name__)

__all__ = [
    "graph_jobs",
    "start_job",
    "guarded",
    "results_root",
    "checkpoints_relative",
    "checkpoints_resolved",
]

T = TypeVar("T")


def graph_jobs(
    smk: Any, rule: str, wildcard: str, inputs: tuple[str, ...], outputs: tuple[str, ...]
) -> list[SimpleNamespace]:
    """The one-graph jobs inside a chunked job, each as a one-graph job's ``snakemake``.

    A chunk rule (``graphs_per_job`` graphs or groups, see :mod:`graphprior.stages`)
    gives their ids as ``params.ids`` and, aligned with them, one path per id for
    each per-graph input and output named in ``inputs`` / ``outputs`` and one log
    each. Every view has what a stage read from a one-graph job: ``rule`` (the
    rule's own name, not the chunk's, for the failure records), ``wildcards``,
    ``input``, ``output``, ``log``, ``params.config``, ``config`` and ``threads``,
    so each graph logs to its own file and fails (``on_error: record``) alone.
    """
    ids = [str(i) for i in smk.params.ids]
    logs = [str(p) for p in smk.log]
    per_id = {"log": logs}
    for kind, names in (("input", inputs), ("output", outputs)):
        for name in names:
            per_id[f"{kind}.{name}"] = [str(p) for p in getattr(getattr(smk, kind), name)]
    for what, paths in per_id.items():
        if len(paths) != len(ids):
            raise ValueError(f"{smk.rule}: {len(paths)} {what} paths for {len(ids)} ids")
    return [
        SimpleNamespace(
            rule=rule,
            wildcards=SimpleNamespace(**{wildcard: job_id}),
            input=SimpleNamespace(**{n: per_id[f"input.{n}"][i] for n in inputs}),
            output=SimpleNamespace(**{n: per_id[f"output.{n}"][i] for n in outputs}),
            log=[logs[i]],
            params=SimpleNamespace(config=smk.params.config),
            config=smk.config,
            threads=smk.threads,
        )
        for i, job_id in enumerate(ids)
    ]


def start_job(smk: Any) -> dict:
    """Send the job's logging to its log file; return the config slice the rule received.

    The log's first line names the rule and the graph or group, so no log of a
    chunk is empty: Snakemake's ``--show-failed-logs`` stops at the first empty
    log of a job, before the failing graph's.
    """
    setup_job_logging(smk.log[0])
    wildcards = getattr(smk, "wildcards", None)
    pairs = (
        wildcards.items() if hasattr(wildcards, "items") else vars(wildcards or object()).items()
    )
    _log.info("%s %s", smk.rule, " ".join(f"{k}={v}" for k, v in pairs))
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
    """The study's results folder of a model folder ``results/{study}/models/{group}``."""
    return Path(models_dir).parents[1]


def checkpoints_relative(rows: Any, models_dir: str | Path) -> Any:
    """`models` rows with each ``checkpoint`` relative to ``results/{study}/`` (the tables' base).

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
