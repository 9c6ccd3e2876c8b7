"""Shared helpers for workflow tests: run Snakemake in a scratch folder, compare tables.

Every run uses this checkout's Snakefile with ``--directory`` pointing at a
temporary folder, so ``results/`` and ``.snakemake/`` never clash with a local
run in the checkout. ``smoke_run`` is one clean run of ``config/smoke.yaml``,
made once per session and shared by the end-to-end, reliability and SLURM tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]
SNAKEFILE = REPO / "workflow" / "Snakefile"
SMOKE_CONFIG = REPO / "config" / "smoke.yaml"
#: Where a run of the smoke config writes, relative to its run folder (results/{study}).
SMOKE_RESULTS = "results/smoke"

#: Columns that measure wall time, not results; left out when runs are compared.
TIMING_COLUMNS = ("train_seconds",)

#: Tables compared between runs: the data product and the correlations behind the report.
COMPARED_TABLES = (
    f"{SMOKE_RESULTS}/tables/graphs.parquet",
    f"{SMOKE_RESULTS}/tables/graph_properties.parquet",
    f"{SMOKE_RESULTS}/tables/models.parquet",
    f"{SMOKE_RESULTS}/tables/robustness.parquet",
    f"{SMOKE_RESULTS}/tables/study.parquet",
    f"{SMOKE_RESULTS}/tables/correlations.parquet",
    f"{SMOKE_RESULTS}/tables/claims.parquet",
    f"{SMOKE_RESULTS}/tables/variance.parquet",
    f"{SMOKE_RESULTS}/tables/reliability.parquet",
    f"{SMOKE_RESULTS}/tables/graphs_summary.parquet",
)

#: Per-job outputs (rule parts) below a study's results folder.
PART_FOLDERS = ("graphs", "properties", "training", "models", "robustness")


def workflow_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a Snakemake subprocess: this checkout's package first."""
    env = dict(os.environ)
    src = str(REPO / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    env.setdefault("MPLBACKEND", "Agg")
    env.update(extra or {})
    return env


def snakemake_args(
    run_dir: Path, *extra: str, configfile: Path = SMOKE_CONFIG, cores: int | None = 2
) -> list[str]:
    """``python -m snakemake`` on this checkout's Snakefile, working in ``run_dir``."""
    args = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(SNAKEFILE),
        "--directory",
        str(run_dir),
        "--configfile",
        str(configfile),
        "--nocolor",
    ]
    if cores is not None:
        args += ["--cores", str(cores)]
    return args + list(extra)


def start(args: list[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start a command in its own process group, stdout and stderr into ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # one group: stop Snakemake and its jobs together
            env=env or workflow_env(),
        )


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGTERM, grace: float = 30.0) -> int:
    """Send ``sig`` to the process group of ``proc``; SIGKILL it after ``grace`` seconds."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        return proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return proc.wait()


def tail(path: Path, n: int = 60) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log at {path})"
    return "\n".join(lines[-n:])


def run_workflow(
    run_dir: Path,
    *extra: str,
    log_name: str = "snakemake.log",
    timeout: float = 900,
    env: dict[str, str] | None = None,
    check: bool = True,
    wrapper: tuple[str, ...] = (),
    **kw,
) -> tuple[int, Path]:
    """Run Snakemake to the end (or ``timeout``); return (exit status, log path).

    ``wrapper`` goes in front of the command (e.g. ``timeout -s INT 900``). With
    ``check`` a non-zero exit fails the test and shows the log's tail.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    log_path = run_dir / log_name
    proc = start([*wrapper, *snakemake_args(run_dir, *extra, **kw)], log_path, env)
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        # SIGINT: Snakemake kills (or, on SLURM, cancels) its jobs and exits
        stop_group(proc, signal.SIGINT)
        pytest.fail(f"snakemake ran past {timeout} s in {run_dir}:\n{tail(log_path)}")
    except BaseException:
        stop_group(proc, signal.SIGINT, grace=10)
        raise
    if check and rc != 0:
        pytest.fail(f"snakemake failed (exit {rc}) in {run_dir}:\n{tail(log_path)}")
    return rc, log_path


def parts(run_dir: Path) -> list[Path]:
    """Every file a per-job rule wrote below results/ (no logs, no benchmarks).

    Snakemake's own ``.snakemake_timestamp`` in each folder output is not one.
    """
    out = []
    for folder in PART_FOLDERS:
        root = run_dir / SMOKE_RESULTS / folder
        if root.exists():
            out += sorted(
                p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".snakemake")
            )
    return out


def read_table(path: Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas()


def assert_same_tables(
    a: Path, b: Path, ignore: tuple[str, ...] = TIMING_COLUMNS, exact: bool = True
) -> None:
    """The compared tables of two run folders are equal, apart from ``ignore`` columns.

    ``exact`` compares floats bit for bit: the same code, config and machine must
    give the same numbers.
    """
    for rel in COMPARED_TABLES:
        left, right = read_table(a / rel), read_table(b / rel)
        drop = [c for c in ignore if c in left.columns]
        left, right = left.drop(columns=drop), right.drop(columns=drop)
        try:
            pd.testing.assert_frame_equal(left, right, check_exact=exact)
        except AssertionError as exc:
            raise AssertionError(f"{rel} differs between {a} and {b}: {exc}") from None
        meta_a = pq.read_schema(a / rel).metadata or {}
        meta_b = pq.read_schema(b / rel).metadata or {}
        key = b"graphprior.config_hash"
        assert meta_a.get(key) == meta_b.get(key), f"{rel}: config hash differs"


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """One clean local run of config/smoke.yaml (``--cores 2``); returns its run folder.

    Tables are under ``<run>/results/smoke/tables``, the report under ``<run>/results/smoke/report``,
    Snakemake's output in ``<run>/snakemake.log``.
    """
    run_dir = tmp_path_factory.mktemp("smoke_run")
    run_workflow(run_dir, "--rerun-incomplete")
    return run_dir


def jobs_in(text: str) -> dict[str, int]:
    """Rule -> job count from the 'Job stats' table Snakemake prints before it runs."""
    if "Job stats:" not in text:
        return {}
    stats = text.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    jobs: dict[str, int] = {}
    for line in stats.splitlines()[3:]:
        rule, _, count = line.rpartition(" ")
        if rule.strip() and rule.strip() not in ("total", "all"):
            jobs[rule.strip()] = int(count)
    return jobs


def planned_jobs(run: Path, configfile: Path = SMOKE_CONFIG, *extra: str) -> dict[str, int]:
    """Rule -> number of jobs a dry run plans (the 'Job stats' table of ``snakemake -n``)."""
    rc, log = run_workflow(
        run, "-n", *extra, configfile=configfile, log_name="dry-run.log", check=False, cores=1
    )
    text = log.read_text()
    assert rc == 0, tail(log)
    log.unlink()
    return jobs_in(text)


def job_resources(text: str) -> list[tuple[str, str]]:
    """(rule, its job's ``resources:`` line) for every job of a ``snakemake -n --verbose`` output."""
    jobs, rule = [], None
    for line in text.splitlines():
        if line.startswith(("rule ", "localrule ")):
            rule = line.split()[1].rstrip(":")
        elif rule and line.strip().startswith("resources:"):
            jobs.append((rule, line))
            rule = None
    return jobs
