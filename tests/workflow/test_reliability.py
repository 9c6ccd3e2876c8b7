"""Reliability of the workflow: resume after a stop or a crash, identical reruns,
early and precise errors on bad input, and no unsafe deserialisation.

Unit-level checks of damaged inputs live next to the code they test and are not
repeated here:
- a missing dataset file names the path to put it at: tests/unit/test_data.py
  (``test_missing_file_without_network_says_where_to_put_it``);
- a truncated checkpoint names the file: tests/unit/test_models.py
  (``test_truncated_checkpoint_names_the_file``);
- a corrupt graph file names the file: tests/unit/test_graphs.py
  (``test_read_graph_corrupt_file``);
- a corrupt Parquet part names the file: tests/unit/test_tables.py
  (``test_corrupt_parquet_names_the_file``);
- a diverging model is recorded, not fatal: tests/unit/test_train.py
  (``test_divergence_is_recorded_and_does_not_stop_the_others``).
Here the same damage is made inside a finished run, to check that the message
reaches the user through Snakemake.
"""

from __future__ import annotations

import ast
import base64
import copy
import json
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from graphprior.graphs.graphml import read_graph
from graphprior.graphs.selection import graph_specs, load_study
from graphprior.io.tables import read_table

from .conftest import (
    REPO,
    SMOKE_CONFIG,
    SMOKE_RESULTS,
    assert_same_tables,
    jobs_in,
    parts,
    planned_jobs,
    run_workflow,
    snakemake_args,
    start,
    stop_group,
    tail,
    workflow_env,
)

# ---------------------------------------------------------------------------
# helpers


def wait_for(
    found: Callable[[], bool], proc: subprocess.Popen, log: Path, timeout: float = 600
) -> None:
    """Poll until ``found()``; fail if the run ends first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while not found():
        if proc.poll() is not None:
            pytest.fail(
                f"the run ended (exit {proc.returncode}) before the stop point:\n{tail(log)}"
            )
        if time.monotonic() > deadline:
            stop_group(proc, signal.SIGKILL)
            pytest.fail(f"stop point not reached in {timeout} s:\n{tail(log)}")
        time.sleep(0.1)


def check_parts_readable(run: Path) -> None:
    """Every part on disk under its final name is whole: writers write a temporary
    file and rename it. (A temporary file a killed job leaves behind is never read:
    readers only open final names, and a rerun writes a new one.)"""
    from graphprior.nets.checkpoints import load_model

    for path in parts(run):
        if path.suffix == ".parquet":
            read_table(path)
        elif path.suffix == ".graphml":
            read_graph(path)
        elif path.suffix == ".safetensors":
            load_model(path)


def mtimes(run: Path) -> dict[Path, int]:
    """Modification times of the finished parts: a writer's ``*.tmp`` file that a stop
    interrupted is no finished work, and the rerun of its job writes it anew."""
    return {p: p.stat().st_mtime_ns for p in parts(run) if p.suffix != ".tmp"}


def incomplete_outputs(run: Path) -> list[Path]:
    """Outputs Snakemake marked incomplete (jobs that were running at a crash).

    Snakemake keeps one marker per output under ``.snakemake/incomplete``, named by
    the urlsafe base64 of the output path.
    """
    root = run / ".snakemake" / "incomplete"
    out = []
    if root.exists():
        for marker in root.rglob("*"):
            if not marker.is_file() or marker.name == "migration_underway":
                continue
            encoded = "".join(p.lstrip("@") for p in marker.relative_to(root).parts)
            try:
                out.append(run / base64.urlsafe_b64decode(encoded).decode())
            except ValueError:
                continue
    return out


def under_any(path: Path, roots: list[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)


# ---------------------------------------------------------------------------
# resume


@pytest.mark.slow
def test_stopped_and_crashed_runs_resume_without_redoing_work(tmp_path, smoke_run):
    """Stop a run (SIGTERM) after the first model group is trained, restart it and
    crash it (SIGKILL of every process) after the first robustness part, restart
    again: it finishes, keeps every finished part untouched, leaves no damaged file
    behind, and its tables equal those of an uninterrupted run."""
    run = tmp_path / "run"
    args = snakemake_args(run, "--rerun-incomplete")
    run.mkdir()

    # 1. a stop, as `timeout`, a scheduler or Ctrl-C deliver it: Snakemake removes the
    #    outputs of the jobs it had to kill
    log1 = run / "1-stop.log"
    proc = start(args, log1)
    wait_for(lambda: any((run / SMOKE_RESULTS / "training").rglob("*.parquet")), proc, log1)
    stop_group(proc, signal.SIGTERM)
    check_parts_readable(run)
    done_before_stop = mtimes(run)
    assert done_before_stop, "nothing finished before the stop"

    # 2. a crash: nothing gets to clean up, so outputs of running jobs stay behind,
    #    marked incomplete
    log2 = run / "2-crash.log"
    proc = start(args, log2)
    wait_for(lambda: any((run / SMOKE_RESULTS / "robustness").rglob("*.parquet")), proc, log2)
    stop_group(proc, signal.SIGKILL)
    check_parts_readable(run)
    incomplete = incomplete_outputs(run)
    done_before_crash = {p: m for p, m in mtimes(run).items() if not under_any(p, incomplete)}
    changed = [p for p, m in done_before_stop.items() if done_before_crash.get(p) != m]
    assert not changed, f"the first restart redid finished jobs: {changed}"

    # 3. resume. A killed Snakemake cannot remove its lock, and Snakemake cannot tell
    #    a stale lock from a live one: `--unlock` first (docs/cluster.md), then the
    #    same command finishes the run.
    run_workflow(run, "--unlock", log_name="3-unlock.log", cores=None)
    rc, log3 = run_workflow(run, "--rerun-incomplete", log_name="3-resume.log", check=False)
    assert rc == 0, tail(log3)
    after = mtimes(run)
    changed = [p for p, m in done_before_crash.items() if after.get(p) != m]
    assert not changed, f"the last restart redid finished jobs: {changed}"
    check_parts_readable(run)
    assert_same_tables(smoke_run, run)


# ---------------------------------------------------------------------------
# determinism


@pytest.mark.slow
def test_two_clean_runs_give_identical_tables(tmp_path, smoke_run):
    """Seeds derive from the config and ids, so a second run in a fresh folder gives
    the same numbers bit for bit; only wall-time columns differ."""
    run = tmp_path / "run"
    run_workflow(run, "--rerun-incomplete")
    assert_same_tables(smoke_run, run)


# ---------------------------------------------------------------------------
# bad input: the config


def _smoke() -> dict:
    with open(SMOKE_CONFIG) as f:
        return yaml.safe_load(f)


def _with(path: tuple, value) -> dict:
    cfg = copy.deepcopy(_smoke())
    node = cfg
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return cfg


def _key_forms(path: tuple) -> tuple[str, str]:
    """The dotted form (ours) and the subscript form (jsonschema's) of a key path."""
    dotted = ".".join(str(p) for p in path)
    subscript = "".join(f"[{p!r}]" for p in path)
    return dotted, subscript


BAD_CONFIGS = {
    "unknown generator": (
        _with(("graphs", "generators", 0, "generator"), "erdos_renyi_foo"),
        ("graphs", "generators", 0, "generator"),
        "erdos_renyi_foo",
    ),
    "probability above 1": (
        _with(("graphs", "generators", 0, "params", "p"), [1.5]),
        ("graphs", "generators"),
        "'p'",
    ),
    "negative epsilon": (
        _with(("attack", "fgsm", "eps"), [0.1, -0.1]),
        ("attack", "fgsm", "eps"),
        "-0.1",
    ),
    "negative epochs": (
        _with(("training", "epochs"), -1),
        ("training", "epochs"),
        "-1",
    ),
    "unknown top-level key": (
        {**_smoke(), "trainig": {"epochs": 2}},
        (),
        "'trainig'",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_config_fails_the_dry_run_naming_the_key(tmp_path, case):
    config, key_path, detail = BAD_CONFIGS[case]
    cfg_file = tmp_path / "bad.yaml"
    cfg_file.write_text(yaml.safe_dump(config))
    run = tmp_path / "run"
    res = subprocess.run(
        snakemake_args(run, "-n", configfile=cfg_file, cores=1),
        capture_output=True,
        text=True,
        timeout=300,
        env=workflow_env(),
    )
    out = res.stdout + res.stderr
    assert res.returncode != 0, out[-3000:]
    # refused while the workflow is parsed: no DAG, no job, no results folder
    assert "Job stats" not in out and "Building DAG" not in out, out[-3000:]
    assert not (run / "results").exists()
    if key_path:
        assert any(form in out for form in _key_forms(key_path)), out[-3000:]
    assert detail in out, out[-3000:]


# ---------------------------------------------------------------------------
# bad input: damaged files inside a finished run reach the user with their name


def _copy_run(smoke_run: Path, dest: Path) -> Path:
    shutil.copytree(smoke_run, dest, symlinks=True)
    return dest


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGE = {
    # damaged file (glob below results/), job that reads it, message naming it
    "graph-file": (
        "graphs/{c}/{g}.graphml",
        SMOKE_RESULTS + "/properties/{c}",
        "corrupt graph file",
    ),
    "parquet-part": (
        "properties/{c}/{g}.parquet",
        SMOKE_RESULTS + "/tables/graphs.parquet",
        "cannot read Parquet file",
    ),
    "checkpoint": (
        "models/{c}/{g}/*.safetensors",
        SMOKE_RESULTS + "/robustness/{c}",
        "corrupt or truncated checkpoint",
    ),
}


def first_graph(run: Path) -> tuple[str, str]:
    """The chunk (``c0``) and id of the first graph of a finished run."""
    path = sorted((run / SMOKE_RESULTS / "graphs").glob("c*/*.graphml"))[0]
    return path.parent.name, path.stem


@pytest.mark.slow
@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_file_is_named_in_the_failing_job(tmp_path, smoke_run, case):
    """Truncate one file of a finished run and force the job that reads it: the job
    fails and Snakemake shows its log, whose error names the damaged file."""
    pattern, target, message = DAMAGE[case]
    run = _copy_run(smoke_run, tmp_path / "run")
    chunk, graph_id = first_graph(run)
    bad = sorted((run / SMOKE_RESULTS).glob(pattern.format(c=chunk, g=graph_id)))[0]
    _truncate(bad)
    rc, log = run_workflow(
        run,
        "--force",
        target.format(c=chunk),
        "--show-failed-logs",
        # on_error is a failure policy, not a rule's params: it never replans upstream jobs
        "--config",
        "on_error=raise",
        log_name="damaged.log",
        check=False,
    )
    text = log.read_text(errors="replace")
    assert rc != 0, tail(log)
    assert f"{message} {bad.relative_to(run)}" in text, tail(log, 120)


@pytest.mark.slow
def test_recorded_failure_is_named_on_the_console_and_retried(tmp_path, smoke_run):
    """With on_error: record (the default) a job that fails writes empty outputs and a
    failure record; the study goes on, the tables keep everything else, the report
    lists the failed job and the console names it at the end of the run. Once the
    damage is repaired, the same command reruns exactly that job and what depends on
    it, and the failure is gone."""
    run = _copy_run(smoke_run, tmp_path / "run")
    chunk, graph_id = first_graph(run)
    bad = sorted((run / SMOKE_RESULTS / "models" / chunk / graph_id).glob("*.safetensors"))[0]
    good = bad.read_bytes()
    _truncate(bad)
    # Snakemake cannot see a change inside a directory output: ask for the re-attack
    target = f"{SMOKE_RESULTS}/robustness/{chunk}"
    rc, log = run_workflow(run, "--forcerun", target, log_name="recorded.log", check=False)
    assert rc != 0, tail(log)  # every other job finished, then the run fails
    text = log.read_text()
    summary = text.split("job(s) failed and were recorded", 1)[-1]
    retry = re.search(r"^  (snakemake .*)$", summary, re.M)
    assert retry and f"--forcerun {target}" in retry.group(1), tail(log)
    assert f"attack {graph_id}: CheckpointError: corrupt or truncated checkpoint" in summary, tail(
        log
    )
    assert f"log: {SMOKE_RESULTS}/logs/attack/{chunk}.log" in summary, tail(log)
    record = json.loads(
        (run / SMOKE_RESULTS / "failures" / "attack" / f"{chunk}.json").read_text()
    )["failures"]
    assert len(record) == 1 and record[0]["rule"] == "attack"
    assert "corrupt or truncated checkpoint" in record[0]["message"]
    failures = pd.read_parquet(run / SMOKE_RESULTS / "tables" / "failures.parquet")
    assert list(failures["group"]) == [graph_id]
    robustness = pd.read_parquet(run / SMOKE_RESULTS / "tables" / "robustness.parquet")
    models = pd.read_parquet(run / SMOKE_RESULTS / "tables" / "models.parquet")
    attacked = set(robustness["model_id"])
    lost = set(models.loc[models["group"] == graph_id, "model_id"])
    assert attacked == set(models["model_id"]) - lost  # every other group kept its measures
    report = (run / SMOKE_RESULTS / "report" / "report.md").read_text()
    assert "Failed jobs" in report and graph_id in report

    # a recorded failure does not look done: the plain command plans it again
    retry = {"attack": 1, "aggregate_parquet": 1, "correlation_report": 1}
    assert planned_jobs(run, SMOKE_CONFIG) == retry

    bad.write_bytes(good)
    before = mtimes(run)
    # --verbose: no rule message evaluates the params early, so the retry token the job
    # writes must come from the plan (read before the job's outputs are removed)
    rc, log = run_workflow(
        run, "--rerun-incomplete", "--verbose", log_name="retried.log", check=False
    )
    assert rc == 0, tail(log)
    text = log.read_text()
    assert jobs_in(text) == retry, tail(log)
    redone = sorted(str(p.relative_to(run)) for p, m in mtimes(run).items() if before[p] != m)
    # the failed group's attack job reran: every group of its chunk (graphs_per_job)
    study = load_study(SMOKE_CONFIG)
    ids = [s.graph_id for s in graph_specs(study)]
    folder = run / SMOKE_RESULTS / "robustness" / chunk
    in_chunk = sorted(p.stem for p in folder.glob("*.parquet"))
    assert set(in_chunk) <= set(ids) and graph_id in in_chunk
    assert redone == sorted(f"{SMOKE_RESULTS}/robustness/{chunk}/{g}.parquet" for g in in_chunk)
    assert "no failed jobs recorded" in text, tail(log)
    record_path = run / SMOKE_RESULTS / "failures" / "attack" / f"{chunk}.json"
    assert json.loads(record_path.read_text())["failures"] == []
    # and the retried job stays done: the same command plans nothing more
    assert planned_jobs(run, SMOKE_CONFIG) == {}
    assert pd.read_parquet(run / SMOKE_RESULTS / "tables" / "failures.parquet").empty
    assert_same_tables(smoke_run, run)


# ---------------------------------------------------------------------------
# safety: nothing in the code unpickles


SCANNED = ("src", "workflow", "scripts", "benchmarks")


def _python_files() -> list[Path]:
    files = []
    for folder in SCANNED:
        root = REPO / folder
        if root.exists():
            files += [p for p in root.rglob("*.py") if ".venv" not in p.parts]
    return sorted(files)


def _snakemake_files() -> list[Path]:
    files = [REPO / "workflow" / "Snakefile"] if (REPO / "workflow" / "Snakefile").exists() else []
    return files + sorted((REPO / "workflow").rglob("*.smk"))


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


UNPICKLERS = {
    "pickle.load",
    "pickle.loads",
    "cPickle.load",
    "cPickle.loads",
    "dill.load",
    "dill.loads",
    "joblib.load",
    "pd.read_pickle",
    "pandas.read_pickle",
    "torch.serialization.load",
}
SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader", "yaml.SafeLoader", "yaml.CSafeLoader"}


def unsafe_calls(source: str) -> list[tuple[int, str]]:
    """(line, reason) for every call that can execute code from a data file."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        if name in UNPICKLERS or name.endswith(".read_pickle"):
            found.append((node.lineno, f"{name}() unpickles"))
        elif name == "torch.load":
            if not _is_true(_keyword(node, "weights_only")):
                found.append((node.lineno, "torch.load() without weights_only=True"))
        elif name in ("yaml.unsafe_load", "yaml.full_load", "yaml.unsafe_load_all"):
            found.append((node.lineno, f"{name}() is not safe"))
        elif name in ("yaml.load", "yaml.load_all"):
            loader = _keyword(node, "Loader")
            if loader is None and len(node.args) > 1:
                loader = node.args[1]
            if loader is None or _dotted(loader) not in SAFE_YAML_LOADERS:
                found.append((node.lineno, f"{name}() without a safe Loader"))
        elif name in ("np.load", "numpy.load") and _is_true(_keyword(node, "allow_pickle")):
            found.append((node.lineno, f"{name}(allow_pickle=True)"))
    return found


UNSAFE_PATTERNS = [
    (re.compile(r"\bpickle\.loads?\("), "pickle.load() unpickles"),
    (
        re.compile(r"\btorch\.load\((?![^)]*weights_only\s*=\s*True)"),
        "torch.load() without weights_only=True",
    ),
    (
        re.compile(r"\byaml\.(?:unsafe_|full_)?load\((?![^)]*SafeLoader)"),
        "yaml.load() without a safe Loader",
    ),
    (re.compile(r"\bread_pickle\("), "read_pickle() unpickles"),
]


def test_the_scanner_finds_what_it_looks_for():
    bad = (
        "import pickle, torch, yaml, numpy as np, pandas as pd\n"
        "pickle.load(f)\n"
        "torch.load(p)\n"
        "torch.load(p, weights_only=False)\n"
        "yaml.load(s)\n"
        "yaml.load(s, Loader=yaml.FullLoader)\n"
        "yaml.unsafe_load(s)\n"
        "np.load(p, allow_pickle=True)\n"
        "pd.read_pickle(p)\n"
    )
    assert [line for line, _ in unsafe_calls(bad)] == list(range(2, 10))
    good = (
        "torch.load(p, weights_only=True)\n"
        "yaml.safe_load(s)\n"
        "yaml.load(s, Loader=yaml.SafeLoader)\n"
        "np.load(p)\n"
    )
    assert unsafe_calls(good) == []


def test_no_unsafe_deserialisation_in_the_code():
    """Checkpoints are safetensors, configs go through yaml.safe_load: no file the
    workflow reads can run code. Fails on any pickle/torch.load/yaml.load misuse."""
    problems = []
    for path in _python_files():
        for line, why in unsafe_calls(path.read_text()):
            problems.append(f"{path.relative_to(REPO)}:{line}: {why}")
    for path in _snakemake_files():
        for i, text in enumerate(path.read_text().splitlines(), 1):
            for pattern, why in UNSAFE_PATTERNS:
                if pattern.search(text):
                    problems.append(f"{path.relative_to(REPO)}:{i}: {why}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------
# a config edit reruns only the jobs that read the edited key

UPSTREAM = {"generate_graphs", "compute_graph_properties"}
DOWNSTREAM = {"aggregate_parquet", "correlation_report"}


def _edited_config(tmp_path: Path, key: str, value) -> Path:
    config = yaml.safe_load(SMOKE_CONFIG.read_text())
    *parents, leaf = key.split(".")
    node = config
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.slow
@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("report.bootstrap", 49, {"correlation_report"}),
        ("attack.pgd.linf.steps", 4, {"attack", "attack_baseline"} | DOWNSTREAM),
        (
            "training.epochs",
            2,
            {"train_sparse_nets", "prune_baseline", "attack", "attack_baseline"} | DOWNSTREAM,
        ),
    ],
)
def test_a_config_edit_reruns_only_the_jobs_that_read_it(tmp_path, smoke_run, key, value, expected):
    """Each rule gets only its slice of the config as params, so Snakemake's default
    rerun triggers (params included) replan exactly the jobs downstream of the key."""
    run = _copy_run(smoke_run, tmp_path / "run")
    assert planned_jobs(run, SMOKE_CONFIG) == {}, "a finished run must plan nothing"
    jobs = planned_jobs(run, _edited_config(tmp_path, key, value))
    assert set(jobs) == expected, jobs
    assert not UPSTREAM & set(jobs)


@pytest.mark.slow
def test_each_study_writes_to_its_own_folder(tmp_path, smoke_run):
    """Studies never overwrite each other: every output lies under results/{study}/, so
    another study name plans every job anew in the same working folder, and the smoke
    study's finished folder stays done."""
    run = _copy_run(smoke_run, tmp_path / "run")
    assert [p.name for p in (run / "results").iterdir()] == ["smoke"]
    assert planned_jobs(run, SMOKE_CONFIG) == {}
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    full = planned_jobs(fresh, SMOKE_CONFIG)
    assert full["train_sparse_nets"] >= 1 and full["correlation_report"] == 1
    assert planned_jobs(run, _edited_config(tmp_path, "study", "another")) == full
