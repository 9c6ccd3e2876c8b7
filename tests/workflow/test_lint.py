"""The workflow stays lint-clean: snakemake --lint, snakefmt --check, ruff."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(args, **kw):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, **kw)


def test_snakemake_lint_is_clean():
    res = run([str(BIN / "snakemake"), "--lint", "--cores", "1"])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]


def test_snakefmt_check_is_clean():
    res = run([str(BIN / "snakefmt"), "--check", "Snakefile", "workflow"])
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
        [str(BIN / "snakemake"), "-n", "--cores", "1", "--directory", str(tmp_path),
         "--snakefile", str(ROOT / "Snakefile"), "--config", "device=cpu", "--quiet", "rules"]
    )  # fmt: skip
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "train_sparse_nets" in res.stdout


def test_import_layer_contract_is_kept():
    res = run([str(BIN / "lint-imports")])
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]


def _planned_jobs(tmp_path, device: str) -> dict[str, str]:
    """Rule name → the resources line of its job, from a dry run of the default config."""
    res = run(
        [str(BIN / "snakemake"), "-n", "--cores", "1", "--directory", str(tmp_path),
         "--snakefile", str(ROOT / "Snakefile"), "--config", f"device={device}"]
    )  # fmt: skip
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    jobs, rule = {}, None
    for line in res.stdout.splitlines():
        if line.startswith(("rule ", "localrule ")):
            rule = line.split()[1].rstrip(":")
        elif rule and line.strip().startswith("resources:"):
            jobs[rule] = line
    return jobs


def test_gpu_jobs_declare_a_gpu_and_baseline_groups_get_attack_jobs_of_their_own(tmp_path):
    from graphprior.config import baseline_groups, job_chunks
    from graphprior.graphs.selection import graph_specs, load_study

    cuda, cpu = _planned_jobs(tmp_path / "cuda", "cuda"), _planned_jobs(tmp_path / "cpu", "cpu")
    gpu_rules = ("train_sparse_nets", "prune_baseline", "attack")
    for rule, line in cuda.items():
        assert ("gpu=1" in line) == rule.startswith(gpu_rules), (rule, line)
    assert not any("gpu=1" in line for line in cpu.values())
    attack_jobs = [r for r in cuda if r.startswith("attack")]
    config = load_study(ROOT / "config" / "config.yaml")
    ids = [s.graph_id for s in graph_specs(config)]
    n_graph_chunks = len(job_chunks(ids, config["graphs_per_job"]))
    assert len(attack_jobs) == n_graph_chunks + len(baseline_groups(config))
