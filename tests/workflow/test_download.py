"""The download_dataset rule: one download per dataset, before the jobs that read it.

A mirror on 127.0.0.1 serves tiny MNIST-like IDX files the test writes; a data
catalog (``GRAPHPRIOR_DATA_CATALOG``) points graphprior at it with their digests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.idx_mirror import Mirror, write_catalog, write_mnist_like

from .conftest import SMOKE_RESULTS, run_workflow, tail, workflow_env


def _env(tmp_path: Path, mirror_url: str, files: dict) -> dict:
    catalog = write_catalog(tmp_path / "catalog.json", "mnist", files, [mirror_url])
    return workflow_env(
        {
            "GRAPHPRIOR_DATA_CATALOG": str(catalog),
            "NO_PROXY": "127.0.0.1",
            "no_proxy": "127.0.0.1",
        }
    )


@pytest.mark.slow
def test_two_jobs_needing_one_missing_dataset_download_it_once(tmp_path):
    served = tmp_path / "served"
    files = write_mnist_like(served)
    run = tmp_path / "run"
    with Mirror(served) as mirror:
        # the first chunk's training (every graph of the smoke study, graphs_per_job)
        targets = [f"{SMOKE_RESULTS}/training/c0"]
        rc, log = run_workflow(
            run,
            *targets,
            "--config",
            "dataset=mnist",
            env=_env(tmp_path, mirror.url, files),
            log_name="download.log",
            check=False,
        )
    text = log.read_text()
    assert rc == 0, tail(log, 80)
    assert text.count("download_dataset: the dataset's files") == 1, tail(log, 80)
    # every graph in one training job (graphs_per_job), which waited for the download
    assert len(re.findall(r"(?:^|\] )Job \d+: train_sparse_nets c\d+:", text, re.M)) == 1, tail(
        log, 80
    )
    # each file fetched exactly once, although training reads all of them
    assert sorted(mirror.requests) == sorted(f"/{name}" for name, _ in files.values())
    folder = run / "resources" / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(n for n, _ in files.values())
    for graph_id in ("er-n30-p0.15-s1", "ws-n30-k4-p0.3-s1"):
        assert (run / targets[0] / f"{graph_id}.parquet").is_file()
    train_logs = "".join(
        p.read_text() for p in (run / f"{SMOKE_RESULTS}/logs/train_sparse_nets").iterdir()
    )
    assert "downloading" not in train_logs  # compute jobs never download


def test_without_network_the_run_names_the_file_to_place(tmp_path):
    files = write_mnist_like(tmp_path / "served")
    run = tmp_path / "run"
    rc, log = run_workflow(
        run,
        f"{SMOKE_RESULTS}/training/c0",
        "--config",
        "dataset=mnist",
        env=_env(tmp_path, "http://127.0.0.1:9/", files),
        log_name="offline.log",
        check=False,
        cores=1,
    )
    assert rc != 0
    text = log.read_text() + (run / f"{SMOKE_RESULTS}/logs/download_dataset.log").read_text()
    place = run / "resources" / "mnist" / files["train_images"][0]
    assert f"place the file at {place.relative_to(run)}" in text, tail(log, 60)
    assert "rule train_sparse_nets" not in log.read_text()  # nothing ran without the data
