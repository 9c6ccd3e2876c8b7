"""profiles/slurm on a real (one-node, throwaway) SLURM cluster.

``make test-slurm`` (GRAPHPRIOR_SLURM=1) installs Debian's munge, slurmctld,
slurmd and slurm-client when they are missing, starts a private cluster with
``scripts/slurm_cluster.sh`` in a temporary folder, runs config/smoke.yaml through
the SLURM executor and checks that the tables equal those of a local run. A plain
``make test`` runs it where SLURM is already installed (``slurmctld`` on the
machine) and skips it elsewhere, saying why. CI (.ci/run) installs the packages
with scripts/install_test_deps.sh and sets GRAPHPRIOR_SLURM=1: there a cluster that
cannot be installed or started fails the test. The shipped profile leaves the status
command to the executor; this cluster has no slurmdbd, so the test asks for squeue.
docs/cluster.md explains the setup.

The dry run at the end needs no cluster: it checks that the profile parses and
that job grouping (batching small jobs into one SLURM job) plans.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import (
    REPO,
    SMOKE_RESULTS,
    assert_same_tables,
    run_workflow,
    snakemake_args,
    tail,
    workflow_env,
)

CLUSTER_SCRIPT = REPO / "scripts" / "slurm_cluster.sh"
PROFILE = REPO / "profiles" / "slurm"
DAEMONS = ("/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch")
#: The graph stage as one SLURM job: the first generation chunk and the properties chunk
#: reading it (the smoke study has one of each) in one submission. docs/cluster.md.
GROUPING = (
    "--groups",
    "generate_graphs=graphs",
    "compute_graph_properties=graphs",
    "--group-components",
    "graphs=50",
)


def _asked() -> bool:
    return os.environ.get("GRAPHPRIOR_SLURM", "") not in ("", "0")


def _installed() -> bool:
    return all(Path(p).exists() for p in DAEMONS)


def _install() -> None:
    """apt-get install the SLURM packages (GRAPHPRIOR_SLURM=1 only)."""
    if os.geteuid() != 0:
        pytest.skip("SLURM is not installed and installing it needs root (apt-get)")
    if shutil.which("apt-get") is None:
        pytest.skip("SLURM is not installed and apt-get is not available to install it")
    res = subprocess.run(
        ["bash", str(CLUSTER_SCRIPT), "install"], capture_output=True, text=True, timeout=900
    )
    if res.returncode != 0 or not _installed():
        # asked for (CI, make test-slurm): a missing cluster fails, it is not skipped
        pytest.fail(f"could not install SLURM with apt-get:\n{(res.stdout + res.stderr)[-2000:]}")


@pytest.fixture(scope="module")
def slurm_env(tmp_path_factory):
    """Start a private one-node cluster; yield the environment that points at it."""
    if not _asked() and not _installed():
        pytest.skip(
            "SLURM test skipped: SLURM (munged, slurmctld, slurmd, sbatch) is not installed; "
            "`make test-slurm` (GRAPHPRIOR_SLURM=1) installs it with apt-get and runs it"
        )
    if not _installed():
        _install()
    if os.geteuid() != 0:
        pytest.skip("the test cluster runs its daemons as root (SlurmUser=root); not root")
    # A short path: munged's socket path must fit in a Unix socket name (108 bytes).
    cluster = Path(tmp_path_factory.mktemp("slurm"))
    res = subprocess.run(
        ["bash", str(CLUSTER_SCRIPT), "start", str(cluster)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        if res.returncode != 0:
            message = f"could not start the SLURM test cluster:\n{res.stdout}{res.stderr}"
            if _asked():
                pytest.fail(message)
            pytest.skip(message)
        yield workflow_env(
            {
                "SLURM_CONF": str(cluster / "slurm.conf"),
                "PATH": f"{cluster / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            }
        )
    finally:
        # stops exactly the daemons it started, by their pid files
        subprocess.run(
            ["bash", str(CLUSTER_SCRIPT), "stop", str(cluster)],
            capture_output=True,
            timeout=120,
        )


@pytest.mark.slurm
@pytest.mark.slow
def test_slurm_run_gives_the_tables_of_a_local_run(slurm_env, smoke_run, tmp_path):
    """config/smoke.yaml through profiles/slurm, one SLURM job per Snakemake job:
    the same tables as the local run apart from wall times."""
    run = tmp_path / "run"
    rc, log = run_workflow(
        run,
        "--workflow-profile",
        str(PROFILE),
        # the test cluster has no accounting daemon (no sacct jobs): squeue, polled
        # every few seconds, not the profile's 20 s and up
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "2",
        env=slurm_env,
        cores=None,
        # SIGINT, not SIGTERM: Snakemake then cancels its SLURM jobs and exits;
        # on SIGTERM it waits for the jobs to end, forever if one is stuck in the queue
        wrapper=("timeout", "-s", "INT", "-k", "30", "900"),
        timeout=960,
        check=False,
    )
    text = log.read_text(errors="replace")
    assert rc == 0, tail(log, 80)
    assert "submitted with SLURM jobid" in text, "no job went through SLURM"
    assert "Using workflow specific profile" in text and "profiles/default" not in text
    assert (run / SMOKE_RESULTS / "report" / "report.html").exists()
    assert_same_tables(smoke_run, run)


# ---------------------------------------------------------------------------
# no cluster needed


def test_slurm_profile_and_grouping_plan_in_a_dry_run(tmp_path):
    """The profile's keys are options this Snakemake and plugin know, and grouping the
    graph stage (docs/cluster.md) packs every graph's two jobs into one group job."""
    res = subprocess.run(
        snakemake_args(
            tmp_path / "run",
            "-n",
            "--workflow-profile",
            str(PROFILE),
            *GROUPING,
            "--set-resources",
            "generate_graphs:runtime=1",
            "compute_graph_properties:runtime=2",
            cores=1,
        ),
        capture_output=True,
        text=True,
        timeout=300,
        env=workflow_env(),
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert f"Using workflow specific profile {PROFILE}" in out, out[:2000]
    assert out.count("Group job graphs") == 1, out[-3000:]
