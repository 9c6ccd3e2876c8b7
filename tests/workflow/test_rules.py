"""One rule per stage: `--forcerun`, `--until` and `--set-resources` take the stage's name.

Each chunk of graphs is a job of its stage's rule (wildcard ``chunk``), so the
stage names in the README address every chunk at once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graphprior.config import baseline_groups, baseline_parts, job_chunks
from graphprior.graphs.selection import graph_specs, load_study

from .conftest import REPO, SMOKE_CONFIG, job_resources, planned_jobs, run_workflow, tail

DEFAULT_CONFIG = REPO / "config" / "config.yaml"


def _default_chunks() -> int:
    config = load_study(DEFAULT_CONFIG)
    return len(job_chunks([s.graph_id for s in graph_specs(config)], config.graphs_per_job))


def test_until_train_sparse_nets_plans_the_graphs_and_their_training_only(tmp_path):
    """On the default config, in a fresh folder: every chunk generated and trained, nothing else."""
    n = _default_chunks()
    jobs = planned_jobs(tmp_path, DEFAULT_CONFIG, "--until", "train_sparse_nets")
    assert jobs == {"generate_graphs": n, "train_sparse_nets": n}


def test_set_resources_by_stage_name_reaches_every_chunk(tmp_path):
    """``--set-resources attack:mem_mb=…`` sets every attack chunk's memory, no other rule's."""
    config = load_study(DEFAULT_CONFIG)
    n_parts = sum(len(baseline_parts(config, g)) for g in baseline_groups(config))
    rc, log = run_workflow(
        tmp_path, "-n", "--verbose", "--set-resources", "attack:mem_mb=4321",
        configfile=DEFAULT_CONFIG, log_name="dry-run.log", check=False, cores=1,
    )  # fmt: skip
    assert rc == 0, tail(log)
    resources: dict[str, list[str]] = {}
    for rule, line in job_resources(log.read_text()):
        resources.setdefault(rule, []).append(line)
    assert len(resources["attack"]) == _default_chunks()
    assert all(re.search(r"\bmem_mb=4321\b", line) for line in resources["attack"])
    assert len(resources["attack_baseline"]) == n_parts
    assert not any("mem_mb=4321" in line for line in resources["attack_baseline"])


@pytest.mark.slow
def test_forcerun_attack_reruns_every_attack_chunk_and_what_reads_it(smoke_run: Path):
    """In a finished run: the attack chunks, the tables and the report; nothing upstream."""
    assert planned_jobs(smoke_run) == {}, "a finished run must plan nothing"
    assert planned_jobs(smoke_run, SMOKE_CONFIG, "--forcerun", "attack") == {
        "attack": 1,
        "aggregate_parquet": 1,
        "correlation_report": 1,
    }
    forced = planned_jobs(
        smoke_run, SMOKE_CONFIG, "--forcerun", "generate_graphs", "--until", "train_sparse_nets"
    )
    assert forced == {"generate_graphs": 1, "train_sparse_nets": 1}
