"""Jobs import graphprior as an installed package (docs/cluster.md, "Software in the jobs").

The workflow never imports the package from a checkout's folder; with ``--sdm conda``
the rules' environment gets graphprior from ``workflow/envs/graphprior.post-deploy.sh``,
and with the config key ``container`` every job runs in that container image. No conda and no
container engine are installed here: the post-deploy script runs in a fresh venv (what
Snakemake does in a fresh conda environment), and a stand-in ``apptainer`` lets a dry
run plan the jobs in the image.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, SMOKE_CONFIG, snakemake_args, workflow_env

POST_DEPLOY = REPO / "workflow" / "envs" / "graphprior.post-deploy.sh"


def test_no_workflow_file_puts_a_folder_on_the_import_path():
    found = [
        str(p.relative_to(REPO))
        for p in (REPO / "workflow").rglob("*")
        if p.is_file() and p.suffix in (".py", ".smk", "") and "sys.path" in p.read_text()
    ]
    assert found == []


def _fresh_env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A new venv with nothing but pip, first on PATH (as Snakemake activates a conda env)."""
    venv = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env = {k: v for k, v in env.items() if not k.startswith("GRAPHPRIOR_")}
    return venv, env


def _copy_of_the_script(tmp_path: Path) -> Path:
    """Where Snakemake runs the script: a copy in its conda folder, far from the checkout."""
    copy = tmp_path / ".snakemake" / "conda" / "0a1b2c.post-deploy.sh"
    copy.parent.mkdir(parents=True)
    shutil.copy(POST_DEPLOY, copy)
    return copy


@pytest.mark.slow
def test_the_conda_post_deploy_script_installs_graphprior_from_the_checkout(tmp_path):
    venv, env = _fresh_env(tmp_path)
    env["GRAPHPRIOR_CHECKOUT"] = str(REPO)  # what the workflow sets when it is parsed
    script = _copy_of_the_script(tmp_path)
    res = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import graphprior; print(graphprior.__file__)"],
        env=env, capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    # editable: the environment runs the checkout's code as it is now
    assert Path(where.stdout.strip()).resolve() == (REPO / "src/graphprior/__init__.py").resolve()


def test_the_post_deploy_script_without_a_checkout_names_graphprior_source(tmp_path):
    """A workflow read from a remote module has no checkout: the script says what to set."""
    script = _copy_of_the_script(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHPRIOR_")}
    for extra in ({}, {"GRAPHPRIOR_CHECKOUT": str(tmp_path)}):  # none, or not a checkout
        res = subprocess.run(
            ["bash", str(script)], env={**env, **extra}, capture_output=True, text=True
        )
        assert res.returncode == 1
        assert "no graphprior checkout" in res.stderr and "GRAPHPRIOR_SOURCE" in res.stderr


def test_the_workflow_tells_the_post_deploy_script_where_its_checkout_is(tmp_path):
    """Parsing the workflow from a checkout sets GRAPHPRIOR_CHECKOUT in Snakemake's process,
    whose environment the conda post-deploy script (run by Snakemake) inherits."""
    args = snakemake_args(tmp_path, "-n", "--until", "generate_graphs", cores=1)[3:]
    code = (
        "import os\nfrom snakemake.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "print('CHECKOUT=' + os.environ.get('GRAPHPRIOR_CHECKOUT', ''))"
    )
    env = {k: v for k, v in workflow_env().items() if not k.startswith("GRAPHPRIOR_")}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert f"CHECKOUT={REPO}" in res.stdout.splitlines(), res.stdout[-2000:] + res.stderr[-2000:]


def _dry_run(tmp_path: Path, image: str | None) -> str:
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "apptainer").write_text('#!/bin/sh\necho "apptainer version 1.3.4"\n')
    (fake / "apptainer").chmod(0o755)
    extra = {"PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    env = workflow_env(extra)
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    image_args = ("--config", f"container={image}") if image else ()
    args = snakemake_args(run, "-n", "--sdm", "apptainer", "--until", "generate_graphs",
                          *image_args, configfile=SMOKE_CONFIG, cores=1)  # fmt: skip
    res = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res.stdout + res.stderr


def test_the_container_key_runs_every_job_in_that_image(tmp_path):
    image = "docker://registry.example.org/graphprior:0.1.0"
    assert f"Singularity image {image} will be pulled" in _dry_run(tmp_path, image)
    assert "Singularity image" not in _dry_run(tmp_path, None)
