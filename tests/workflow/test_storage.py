"""The smoke study without a shared filesystem: every file through a storage provider.

Cloud executors (Kubernetes, Google/AWS/Azure Batch, TES) share no filesystem
between jobs; files travel through Snakemake's default storage provider. Here
snakemake-storage-plugin-fs stands in for object storage on one machine: with
``--shared-fs-usage none`` every job gets its inputs from the storage folder and
puts its outputs back there (docs/cluster.md, "Without a shared filesystem"), and a
failure recorded in the storage is named, fails the run and is retried by the next.
The plugin copies with rsync (scripts/install_test_deps.sh installs it); CI sets
GRAPHPRIOR_STORAGE=1 so the test fails rather than skips without it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

from .conftest import (
    SMOKE_CONFIG,
    SMOKE_RESULTS,
    assert_same_tables,
    planned_jobs,
    run_workflow,
    tail,
)

pytestmark = pytest.mark.slow


def _missing() -> str | None:
    if importlib.util.find_spec("snakemake_storage_plugin_fs") is None:
        return "snakemake-storage-plugin-fs is not installed (the test extra installs it)"
    if shutil.which("rsync") is None:
        return "rsync is not installed (scripts/install_test_deps.sh installs it)"
    return None


def test_the_smoke_study_through_a_storage_provider_gives_the_local_tables(tmp_path, smoke_run):
    missing = _missing()
    if missing:
        if os.environ.get("GRAPHPRIOR_STORAGE", "") not in ("", "0"):
            pytest.fail(missing)
        pytest.skip(missing)
    run, store = tmp_path / "run", tmp_path / "store"
    store.mkdir()
    rc, log = run_workflow(
        run,
        "--default-storage-provider", "fs",
        "--default-storage-prefix", str(store),
        "--shared-fs-usage", "none",
        log_name="storage.log",
        check=False,
    )  # fmt: skip
    assert rc == 0, tail(log, 60)
    text = log.read_text()
    assert "Storing in storage" in text, tail(log)  # the outputs went through the provider
    # every table and the report are in the storage folder, none in the working folder
    assert (store / SMOKE_RESULTS / "report" / "report.html").is_file()
    assert not (run / SMOKE_RESULTS / "tables" / "study.parquet").exists()
    assert_same_tables(smoke_run, store)

    # A failure recorded in the storage is named at the end, fails the run, and the next
    # run of the same command retries it: the records are read through the provider.
    storage = ("--default-storage-provider", "fs", "--default-storage-prefix", str(store),
               "--shared-fs-usage", "none")  # fmt: skip
    graph = sorted((store / SMOKE_RESULTS / "graphs").glob("c*/*.graphml"))[0]
    chunk, graph_id = graph.parent.name, graph.stem
    bad = sorted((store / SMOKE_RESULTS / "models" / chunk / graph_id).glob("*.safetensors"))[0]
    good = bad.read_bytes()
    bad.write_bytes(good[: len(good) // 2])
    target = f"{SMOKE_RESULTS}/robustness/{chunk}"
    rc, log = run_workflow(run, *storage, "--forcerun", target, log_name="failed.log", check=False)
    text = log.read_text()
    assert rc != 0, tail(log, 60)  # every other job finished, then the run fails
    assert f"attack {graph_id}: CheckpointError: corrupt or truncated checkpoint" in text, tail(log)
    assert planned_jobs(run, SMOKE_CONFIG, *storage) == {
        "attack": 1,
        "aggregate_parquet": 1,
        "correlation_report": 1,
    }
    bad.write_bytes(good)
    rc, log = run_workflow(run, *storage, log_name="retried.log", check=False)
    assert rc == 0, tail(log, 60)
    assert "no failed jobs recorded" in log.read_text(), tail(log)
    assert planned_jobs(run, SMOKE_CONFIG, *storage) == {}  # the retried job stays done
    assert_same_tables(smoke_run, store)
