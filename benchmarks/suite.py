"""The benchmark suite: every maintained benchmark behind one entry point.

    make benchmarks                                   # every benchmark this machine can run
    make benchmarks BENCH=attack                      # one (a pytest ``-k`` expression)
    make benchmarks BENCH=attack BENCH_ARGS="--repeats 1"   # with its own options

Each benchmark is a function ``name(argv)`` of a module in this folder. It times
what it compares side by side in one process (the machines are shared, so
figures are ratios of things run together), prints a Markdown table and keeps it
in ``benchmarks/results/<name>.md``; docs/benchmarks.md quotes the current ones.
pytest-benchmark times each benchmark as a whole (one round) and writes the
run's summary to ``benchmarks/results/suite.json``.

A benchmark that needs what this machine lacks is skipped with the reason: the
GPU check a CUDA device (``BENCH_ARGS="--device cpu --skip-smoke"`` runs its
code on the CPU), the primary-measure benchmark a finished default run
(``make run``).
"""

from __future__ import annotations

import importlib
import shlex
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
#: The default study, which the benchmarks that need a config read.
CONFIG = REPO / "config" / "config.yaml"
#: Where ``make run`` leaves the default study (its ``study`` is ``default``).
FINISHED_RUN = REPO / "results" / "default"

#: name → (module, function, what it needs: None, "cuda" or "finished_run").
BENCHMARKS: dict[str, tuple[str, str, str | None]] = {
    "graph_properties": ("graph_properties", "main", None),
    "training": ("training", "main", None),
    "attack": ("attack", "main", None),
    "job_overhead": ("job_overhead", "main", None),
    "paper_scale": ("paper_scale", "main", None),
    "variance_coverage": ("measurement", "variance_coverage", None),
    "primary_measure": ("measurement", "primary_measure", "finished_run"),
    "gpu_check": ("gpu_check", "main", "cuda"),
}


def record(text: str, out: str | Path) -> None:
    """Print ``text`` and write it, newline-terminated, to ``out`` (folders created)."""
    print(text)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text.endswith("\n") else text + "\n")


def ok_models(results: Path) -> pd.DataFrame:
    """The ``models`` table of ``results`` (a finished run's folder), trained models only."""
    models = pd.read_parquet(results / "tables" / "models.parquet")
    return models[models["status"] == "ok"] if "status" in models else models


def missing(need: str | None, argv: list[str]) -> str | None:
    """Why a benchmark that needs ``need`` cannot run here (None when it can)."""
    if need == "cuda" and "cpu" not in argv:
        import torch

        if not torch.cuda.is_available():
            return 'no CUDA device (BENCH_ARGS="--device cpu --skip-smoke" runs it on the CPU)'
    if need == "finished_run" and "--results" not in argv:
        if not (FINISHED_RUN / "tables" / "models.parquet").exists():
            return f"no finished default run in {FINISHED_RUN} (make run)"
    return None


@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_benchmark(name: str, benchmark, bench_args: str) -> None:
    """Run one benchmark once under pytest-benchmark's timer; its table lands in results/."""
    module, function, need = BENCHMARKS[name]
    argv = shlex.split(bench_args)
    reason = missing(need, argv)
    if reason:
        pytest.skip(reason)
    run = getattr(importlib.import_module(module), function)
    errors: list[BaseException] = []

    def guarded() -> None:
        # raised after the timer stops, so a failed benchmark still has its one timing
        # (pytest-benchmark's summary cannot hold a benchmark without one)
        try:
            run(argv)
        except SystemExit as exc:  # a script's own exit: only a failing status is an error
            if exc.code not in (0, None):
                errors.append(exc)
        except Exception as exc:
            errors.append(exc)

    benchmark.extra_info["args"] = argv
    benchmark.pedantic(guarded, rounds=1, iterations=1)
    if errors:
        raise errors[0]
