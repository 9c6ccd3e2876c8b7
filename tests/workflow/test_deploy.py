"""The workflow as a Snakemake catalog module: deployed with snakedeploy, it plans what the
repository root plans, with and without ``--configfile``."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SNAKEDEPLOY = BIN / "snakedeploy"

pytestmark = pytest.mark.slow


def _planned_jobs(cwd: Path, *args: str) -> int:
    """The job count of a dry run in ``cwd`` (Snakemake's ``total`` line).

    ``--forceall``: every job, whatever results a folder already holds.
    """
    res = subprocess.run(
        [str(BIN / "snakemake"), "-n", "--forceall", "--cores", "1", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    totals = re.findall(r"^total\s+(\d+)$", res.stdout + res.stderr, flags=re.M)
    assert totals, res.stdout[-3000:]
    return int(totals[-1])


def _deploy(tmp_path: Path) -> Path:
    """snakedeploy deploy-workflow from a git clone of this repository into a scratch folder."""
    clone, dest = tmp_path / "clone", tmp_path / "deployed"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    # the working tree, so that the test checks what is about to be committed
    for path in ("workflow", "config", "src", "profiles"):
        shutil.rmtree(clone / path)
        shutil.copytree(REPO / path, clone / path, ignore=shutil.ignore_patterns("__pycache__"))
    res = subprocess.run(
        [str(SNAKEDEPLOY), "deploy-workflow", str(clone), str(dest), "--branch", "main"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    snakefile = dest / "workflow" / "Snakefile"
    text = snakefile.read_text()
    assert "use rule * from" in text
    # snakedeploy's local provider declares the module's Snakefile relative to the clone
    # ("workflow/Snakefile"), which Snakemake resolves against the deployed Snakefile's
    # folder; a GitHub deployment declares github(...). Point it at the clone.
    snakefile.write_text(text.replace('"workflow/Snakefile"', f'"{clone}/workflow/Snakefile"'))
    return dest


@pytest.mark.skipif(not SNAKEDEPLOY.exists(), reason="snakedeploy is not installed (test extra)")
def test_the_deployed_workflow_plans_what_the_repository_plans(tmp_path):
    dest = _deploy(tmp_path)
    assert (dest / "config" / "config.yaml").exists() and (dest / "profiles").is_dir()
    smoke = ("--configfile", "config/smoke.yaml")
    # --configfile replaces the deployed default study whole, as at the repository root
    assert _planned_jobs(dest, *smoke) == _planned_jobs(REPO, *smoke)
    assert _planned_jobs(dest) == _planned_jobs(REPO)


def test_the_workflow_schema_is_the_package_schema():
    """workflow/schemas/ holds a real file (the catalog reads it), equal to the package's."""
    schema = REPO / "workflow" / "schemas" / "config.schema.yaml"
    assert not schema.is_symlink()
    package = REPO / "src" / "graphprior" / "config" / "schema.yaml"
    assert schema.read_text() == package.read_text(), "run `make schema`"
