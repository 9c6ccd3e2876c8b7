"""What every job shares: logging into the rule's log, and failures recorded, not lost."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

from graphprior.config import StudyConfig
from graphprior.data import use_files
from graphprior.io.failures import run_guarded, write_failures
from graphprior.io.logs import setup_job_logging

_log = logging.getLogger(__name__)

__all__ = [
    "PER_GRAPH",
    "chunk_files",
    "graph_jobs",
    "run_chunk",
    "start_job",
    "use_declared_data",
    "guarded",
    "model_folder",
    "checkpoints_relative",
    "checkpoints_resolved",
]

T = TypeVar("T")

#: What a chunk job's folder holds per graph, by the name of the input or output in the
#: rule: every per-graph input and output of a chunk is one folder, one entry per graph.
PER_GRAPH = {
    "graph": "{id}.graphml",
    "properties": "{id}.parquet",
    "training": "{id}.parquet",
    "models": "{id}",
    "robustness": "{id}.parquet",
    "checks": "{id}.parquet",
}


def chunk_files(folders: list[str], chunks: list[list[str]], name: str) -> list[str]:
    """The per-graph files of chunk folders (``name`` as in :data:`PER_GRAPH`), in graph order.

    ``chunks`` holds each folder's graph ids (the workflow's ``GRAPH_CHUNKS``).

    >>> chunk_files(["r/properties/c0", "r/properties/c1"], [["a", "b"], ["c"]], "properties")
    ['r/properties/c0/a.parquet', 'r/properties/c0/b.parquet', 'r/properties/c1/c.parquet']
    """
    folders = [str(f) for f in folders]
    if len(folders) != len(chunks):
        raise ValueError(f"{name}: {len(folders)} chunk folders for {len(chunks)} chunks")
    pattern = PER_GRAPH[name]
    return [
        str(Path(folder) / pattern.format(id=i))
        for folder, ids in zip(folders, chunks, strict=True)
        for i in ids
    ]


def graph_jobs(
    smk: Any, rule: str, wildcard: str, inputs: tuple[str, ...], outputs: tuple[str, ...]
) -> list[SimpleNamespace]:
    """The one-graph jobs inside a chunk job, each as a one-graph job's ``snakemake``.

    A chunk job (``graphs_per_job`` graphs or groups, see :mod:`graphprior.stages`)
    has its graph ids as ``params.ids``, its chunk as ``wildcards.chunk`` and one
    folder per input and output named in ``inputs`` / ``outputs``, which holds each
    graph's file (:data:`PER_GRAPH`). Every view has what a one-graph stage reads:
    ``rule``, ``wildcards`` (``chunk`` and ``wildcard`` = the graph's id), ``input``,
    ``output``, ``log`` (the chunk's log, each graph's lines after a line naming it),
    ``params.config``, ``config``, ``threads``, and ``failure_records``: the list the
    chunk's failures gather in (see :func:`run_chunk`), so each graph fails alone.
    """
    use_declared_data(smk)
    ids = [str(i) for i in smk.params.ids]
    records: list[dict] = []
    per_id = {}
    for kind, names in (("input", inputs), ("output", outputs)):
        for name in names:
            folder = getattr(getattr(smk, kind), name)
            if not isinstance(folder, (str, Path)):
                raise ValueError(f"{smk.rule}: {kind}.{name} is not one chunk folder: {folder!r}")
            per_id[f"{kind}.{name}"] = chunk_files([folder], [ids], name)
    chunk = str(smk.wildcards.chunk)
    return [
        SimpleNamespace(
            rule=rule,
            wildcards=SimpleNamespace(chunk=chunk, **{wildcard: job_id}),
            input=SimpleNamespace(**{n: per_id[f"input.{n}"][i] for n in inputs}),
            output=SimpleNamespace(**{n: per_id[f"output.{n}"][i] for n in outputs}),
            log=[str(smk.log[0])],
            params=SimpleNamespace(config=smk.params.config),
            config=smk.config,
            threads=smk.threads,
            failure_records=records,
        )
        for i, job_id in enumerate(ids)
    ]


def run_chunk(smk: Any, jobs: list[SimpleNamespace], run_one: Callable[[Any], None]) -> None:
    """Run ``run_one`` on each one-graph job of a chunk; write the chunk's failure record.

    ``output.failures`` gets every graph's failure (none when all succeeded), so that
    a rerun of the same command retries the chunk (:mod:`graphprior.io.failures`).
    """
    for job in jobs:
        run_one(job)
    write_failures(smk.output.failures, jobs[0].failure_records if jobs else [], _retry(smk))


def use_declared_data(smk: Any) -> None:
    """A job that declares its dataset's files (input ``data``) reads them where they are.

    Without a shared filesystem they are wherever Snakemake staged them, not under
    ``./resources`` (:func:`graphprior.data.use_files`); bundled datasets have none.
    """
    files = list(getattr(getattr(smk, "input", None), "data", None) or [])
    config = getattr(getattr(smk, "params", None), "config", None) or {}
    if files and "dataset" in config:
        use_files(config["dataset"], files)


def start_job(smk: Any) -> StudyConfig:
    """Send the job's logging to its log file; return the study of the config slice the rule
    received (keys outside the slice, which the rule does not read, keep their defaults).

    The log's first line names the rule and the graph or group, so no log of a
    chunk is empty: Snakemake's ``--show-failed-logs`` stops at the first empty
    log of a job, before the failing graph's.
    """
    setup_job_logging(smk.log[0])
    use_declared_data(smk)
    wildcards = getattr(smk, "wildcards", None)
    pairs = (
        wildcards.items() if hasattr(wildcards, "items") else vars(wildcards or object()).items()
    )
    _log.info("%s %s", smk.rule, " ".join(f"{k}={v}" for k, v in pairs))
    return StudyConfig.from_dict(smk.params.config)


def guarded(smk: Any, group: str, compute: Callable[[], T], empty: Callable[[], T]) -> T:
    """Run ``compute`` under the config's ``on_error`` policy (see :func:`run_guarded`).

    ``on_error`` is read from the whole config, not from the rule's params: it is a
    policy for failures, and changing it must not rerun finished jobs. A one-graph job
    of a chunk adds its failure to the chunk's (``failure_records``); any other job
    writes its own record to ``output.failures``.
    """
    records: list[dict] = []
    result = run_guarded(
        smk.rule, group, smk.config["on_error"], smk.log[0], compute, empty, records
    )
    sink = getattr(smk, "failure_records", None)
    if sink is None:
        write_failures(smk.output.failures, records, _retry(smk))
    else:
        sink.extend(records)
    return result


def model_folder(group: str, chunk: str | int | None = None) -> str:
    """Where a group's checkpoints lie in the study's folder ``results/{study}/``.

    A graph's: ``models/c{chunk}/{graph_id}`` (inside its training chunk's folder); a
    baseline's: ``models/{baseline}``.
    """
    return f"models/{group}" if chunk is None else f"models/c{chunk}/{group}"


def checkpoints_relative(rows: Any, models_dir: str | Path, folder: str) -> Any:
    """`models` rows with each ``checkpoint`` relative to ``results/{study}/`` (the tables' base).

    ``models_dir`` is where the job wrote them, ``folder`` its place in the study's
    folder (:func:`model_folder`): the tables stay valid when ``results/`` is moved or
    copied elsewhere, and no path is derived from where the job ran.
    """
    rows = rows.copy()
    rows["checkpoint"] = [
        f"{folder}/{Path(p).relative_to(models_dir).as_posix()}" for p in rows["checkpoint"]
    ]
    return rows


def checkpoints_resolved(rows: Any, models_dir: str | Path, folder: str) -> Any:
    """The inverse of :func:`checkpoints_relative`: paths a job can open in ``models_dir``."""
    rows = rows.copy()
    rows["checkpoint"] = [
        str(Path(models_dir) / Path(p).relative_to(folder)) for p in rows["checkpoint"]
    ]
    return rows


def _retry(smk: Any) -> str | None:
    """The retry token the job runs with (its rule's ``params.retry``; see
    :func:`graphprior.io.failures.retry_token`), written into its failure record."""
    return getattr(getattr(smk, "params", None), "retry", None)
