"""The workflow stays lint-clean: snakemake --lint, snakefmt --check, ruff."""

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import job_resources

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(args, **kw):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, **kw)


def test_snakemake_lint_is_clean():
    res = run([str(BIN / "snakemake"), "--lint", "--cores", "1"])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]


def test_snakefmt_check_is_clean():
    res = run([str(BIN / "snakefmt"), "--check", "workflow"])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]


def test_ruff_is_clean():
    if not (BIN / "ruff").exists():
        pytest.skip("ruff is not installed in this environment")
    res = run([str(BIN / "ruff"), "check", "src", "tests", "workflow/scripts", "benchmarks"])
    assert res.returncode == 0, res.stdout[-3000:]


def test_dry_run_of_the_default_config_plans_every_rule():
    res = run([str(BIN / "snakemake"), "-n", "--cores", "2", "--quiet", "rules"])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    for rule in (
        "generate_graphs",
        "compute_graph_properties",
        "train_sparse_nets",
        "prune_baseline",
        "attack",
        "aggregate_parquet",
        "correlation_report",
    ):
        assert rule in res.stdout, f"{rule} missing from the dry run"


def test_config_on_the_command_line_edits_the_default_config(tmp_path):
    """``--config KEY=VALUE`` edits the embedded default instead of replacing it."""
    res = run(
        [str(BIN / "snakemake"), "-n", "--verbose", "--cores", "1", "--directory", str(tmp_path),
         "--snakefile", str(ROOT / "workflow" / "Snakefile"), "--config", "device=cpu", "--quiet", "rules"]
    )  # fmt: skip
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "train_sparse_nets" in res.stdout


def test_import_layer_contract_is_kept():
    res = run([str(BIN / "lint-imports")])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]


def _planned_jobs(tmp_path, device: str) -> list[tuple[str, str]]:
    """(rule name, the resources line of its job) per job of a dry run of the default config."""
    res = run(
        [str(BIN / "snakemake"), "-n", "--verbose", "--cores", "1", "--directory", str(tmp_path),
         "--snakefile", str(ROOT / "workflow" / "Snakefile"), "--config", f"device={device}"]
    )  # fmt: skip
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return job_resources(res.stdout)


@pytest.mark.slow
def test_gpu_jobs_declare_a_gpu_and_baseline_steps_get_attack_jobs_of_their_own(tmp_path):
    from graphprior.config import baseline_groups, baseline_parts, job_chunks
    from graphprior.graphs.selection import graph_specs, load_study

    cuda, cpu = _planned_jobs(tmp_path / "cuda", "cuda"), _planned_jobs(tmp_path / "cpu", "cpu")
    gpu_rules = ("train_sparse_nets", "prune_baseline", "attack")
    for rule, line in cuda:
        assert ("gpu=1" in line) == rule.startswith(gpu_rules), (rule, line)
    assert not any("gpu=1" in line for _, line in cpu)
    config = load_study(ROOT / "config" / "config.yaml")
    ids = [s.graph_id for s in graph_specs(config)]
    n_graph_chunks = len(job_chunks(ids, config.graphs_per_job))
    chunk_jobs = [r for r, _ in cuda if r == "attack"]
    part_jobs = [r for r, _ in cuda if r == "attack_baseline"]
    assert len(chunk_jobs) == n_graph_chunks
    # the default's iterative group: the dense net and 6 steps down to 0.31; the
    # one-shot groups: one job per listed density
    parts = [p for g in baseline_groups(config) for p in baseline_parts(config, g)]
    assert len(part_jobs) == len(parts) == 7 + 2 + 2
