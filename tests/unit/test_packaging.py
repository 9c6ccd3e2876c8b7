"""Packaging: the wheel is complete, the lock covers pyproject.toml, workflow/envs/ follow the lock."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
LOCK = (REPO / "requirements.lock").read_text()


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of every pin in requirements.lock."""
    pins = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", LOCK):
        m = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", block)
        if m:
            pins[_canonical(m[1])] = (m[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return pins


def _requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    reqs = list(project["dependencies"])
    for group in project["optional-dependencies"].values():
        reqs += group
    return [Requirement(r) for r in reqs]


def test_every_requirement_has_a_hashed_pin_in_the_lock_that_satisfies_it():
    pins = _locked()
    assert len(pins) > 50
    for req in _requirements():
        version, hashes = pins[_canonical(req.name)]
        assert req.specifier.contains(Version(version), prereleases=True), (req, version)
    unhashed = [name for name, (_, hashes) in pins.items() if not hashes]
    assert not unhashed, f"pins without a hash: {unhashed}"


def test_groups_keep_tools_out_of_the_runtime_dependencies():
    runtime = {_canonical(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}
    for tool in ("pytest", "ruff", "snakefmt", "black", "snakemake", "duckdb", "polars"):
        assert tool not in runtime
    assert PYPROJECT["project"]["dependencies"][0] == "torch==2.13.0"
    assert set(PYPROJECT["project"]["optional-dependencies"]) == {"workflow", "test", "dev"}


def test_conda_env_files_follow_the_lock():
    res = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_envs.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    pins = _locked()
    runtime = yaml.safe_load((REPO / "workflow" / "envs" / "graphprior.yaml").read_text())
    pip_pins = dict(p.split("==") for p in runtime["dependencies"][-1]["pip"])
    assert pip_pins["torch"] == "2.13.0"
    assert pip_pins["numpy"] == pins["numpy"][0]
    assert "pytest" not in pip_pins and "snakemake" not in pip_pins


def test_license_citation_and_catalog_files():
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert citation["cff-version"].startswith("1.2") and citation["license"] == "MIT"
    catalog = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())
    assert catalog["usage"]["mandatory-flags"]["desc"]


def test_installed_wheel_loads_the_shipped_default_config(tmp_path):
    """``pip install .`` (a wheel) into a clean venv, then load_config on the default
    config: the schema ships as package data. The venv borrows this environment's
    third-party packages through a .pth line, so nothing is downloaded."""
    # build from a copy: an in-place build leaves build/ and *.egg-info in the checkout
    source = tmp_path / "source"
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(source),
        ],
        check=True,
        timeout=300,
    )
    wheel = next(dist.glob("graphprior-*.whl"))
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    # a plain path line: the dependencies, not this checkout's editable install
    (site / "zz_borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [
            str(python),
            "-c",
            "import graphprior, sys; c = graphprior.load_config(sys.argv[1]); "
            "print(graphprior.__file__); print(c.dataset, c.on_error)",
            str(REPO / "config" / "config.yaml"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    where, values = out.stdout.splitlines()[-2:]
    assert Path(where).is_relative_to(env_dir), where  # the wheel's copy, not src/
    assert values.split()[1] == "record"
