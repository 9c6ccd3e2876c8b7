"""Fixed cost per job: one graph per job vs ``graphs_per_job`` graphs per job, side by side.

Runs the real workflow (Snakemake on this checkout's Snakefile, ``--cores 1``, in
a temporary folder) on the same graphs twice, with ``graphs_per_job: 1`` and
``graphs_per_job: K``, and builds only the graph properties and the trained
models (``--until compute_graph_properties train_sparse_nets``; the graphs are
drawn in each run, the same ones, by one short job per chunk). The study is the default
one's training and mapping (digits, 7 inits; 10 epochs instead of 40, to keep
the run short) on 8 graphs of 100 nodes.

From Snakemake's ``benchmark:`` file of every job (wall seconds of the job,
Python start-up, imports and data loading included) and the ``train_seconds``
of every model (the seconds inside ``train_graph_models``, divided among its
models) it reports, per model:

- job wall time: summed job wall seconds / models,
- fixed part: (summed job wall seconds - summed train_seconds) / models, the
  start-up, reading and writing around the training,

and the ratio of the two settings. Writes benchmarks/results/job_overhead.md.

Usage: make benchmarks BENCH=job_overhead [BENCH_ARGS="--k 8 --epochs 10 --keep DIR"]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml
from suite import record

from graphprior.config import job_chunks
from graphprior.graphs.selection import graph_specs, validate_study

REPO = Path(__file__).resolve().parents[1]
#: The study's folder in a run (config ``study: job-overhead``).
RESULTS = "results/job-overhead"

#: 4 Erdős–Rényi graphs of 100 nodes and their twins; the default study's training.
GRAPHS = {
    "generators": [
        {"generator": "erdos_renyi_gnp", "params": {"n": [100], "p": [0.04, 0.06]}, "seeds": [1, 2]}
    ],
    "twins": True,
}


def study(epochs: int) -> dict:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config.update(study="job-overhead", device="cpu", graphs=GRAPHS)
    config["training"]["epochs"] = epochs
    config["baseline"] = {**config.get("baseline", {}), "activate": False}
    return config


def snakemake(run_dir: Path, configfile: Path, *extra: str) -> float:
    """Run Snakemake in ``run_dir`` with ``extra`` arguments; return its wall seconds."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "MPLBACKEND": "Agg"}
    args = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "workflow" / "Snakefile")]
    args += ["--directory", str(run_dir), "--configfile", str(configfile), "--cores", "1"]
    args += ["--nocolor", "--quiet", "all", *extra]
    t0 = time.perf_counter()
    res = subprocess.run(args, env=env, capture_output=True, text=True, cwd=REPO)
    if res.returncode != 0:
        raise SystemExit(f"snakemake failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    return time.perf_counter() - t0


def job_walls(run_dir: Path, rule: str) -> list[float]:
    """Wall seconds of every job of ``rule`` (one benchmark file per chunk)."""
    walls = []
    for path in sorted((run_dir / RESULTS / "benchmarks" / rule).glob("*.tsv")):
        with path.open() as f:
            walls += [float(row["s"]) for row in csv.DictReader(f, delimiter="\t")]
    return walls


def measure(work: Path, configfile: Path, ids: list[str], k: int) -> dict:
    """Properties and training of ``ids`` with ``graphs_per_job: k``, in a folder of its own."""
    run_dir = work / f"k{k}"
    until = ("--until", "compute_graph_properties", "train_sparse_nets")
    wall = snakemake(run_dir, configfile, *until, "--config", f"graphs_per_job={k}")
    parts = sorted((run_dir / RESULTS / "training").glob("c*/*.parquet"))
    assert sorted(p.stem for p in parts) == sorted(ids), parts
    models = pd.concat(pd.read_parquet(p) for p in parts)
    train = job_walls(run_dir, "train_sparse_nets")
    props = job_walls(run_dir, "compute_graph_properties")
    n = len(models)
    return {
        "k": k,
        "jobs": len(train),
        "models": n,
        "snakemake_s": wall,
        "train_job_s": sum(train),
        "train_seconds": float(models["train_seconds"].sum()),
        "per_model_s": sum(train) / n,
        "fixed_per_model_s": (sum(train) - float(models["train_seconds"].sum())) / n,
        "props_job_s": sum(props),
        "props_per_graph_s": sum(props) / len(ids),
    }


def table(rows: list[dict], k: int) -> str:
    one, many = rows
    lines = [
        f"| | graphs_per_job: 1 | graphs_per_job: {k} | ratio (1 / {k}) |",
        "|---|---:|---:|---:|",
    ]

    def line(label, key, fmt="{:.2f}", ratio=True):
        r = f"{one[key] / many[key]:.1f}×" if ratio and many[key] else ""
        lines.append(f"| {label} | {fmt.format(one[key])} | {fmt.format(many[key])} | {r} |")

    line("train_sparse_nets jobs", "jobs", "{:d}", ratio=False)
    line("models", "models", "{:d}", ratio=False)
    line("summed job wall time, training (s)", "train_job_s")
    line("summed train_seconds (s)", "train_seconds")
    line("**job wall time per model (s)**", "per_model_s")
    line("**fixed part per model (s)** = (job wall − train_seconds) / models", "fixed_per_model_s")
    line("summed job wall time, compute_graph_properties (s)", "props_job_s")
    line("properties job wall time per graph (s)", "props_per_graph_s")
    line("whole Snakemake run (s)", "snakemake_s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--k", type=int, default=8, help="graphs per job of the chunked run")
    ap.add_argument("--epochs", type=int, default=10, help="training epochs (default study: 40)")
    ap.add_argument("--keep", help="run in this folder and keep it (default: a temporary one)")
    ap.add_argument("--out", default=str(REPO / "benchmarks/results/job_overhead.md"))
    args = ap.parse_args(argv)
    config = study(args.epochs)
    ids = [s.graph_id for s in graph_specs(validate_study(config))]
    work = Path(args.keep or tempfile.mkdtemp(prefix="job-overhead-"))
    work.mkdir(parents=True, exist_ok=True)
    configfile = work / "config.yaml"
    configfile.write_text(yaml.safe_dump(config))
    rows = [measure(work, configfile, ids, k) for k in (1, args.k)]
    chunks = [len(c) for c in job_chunks(ids, args.k)]
    text = "\n".join(
        [
            "# Fixed cost per job",
            "",
            f"`make benchmarks BENCH=job_overhead BENCH_ARGS='--k {args.k} --epochs {args.epochs}'` on {platform.node()} "
            f"({os.cpu_count()} CPUs, Python {platform.python_version()}), "
            f"{time.strftime('%Y-%m-%d')}: {len(ids)} graphs of 100 nodes, "
            f"{rows[0]['models'] // len(ids)} models each (the default study's training, "
            f"digits, with {args.epochs} epochs), Snakemake `--cores 1`, chunks of {chunks} "
            "graphs.",
            "",
            table(rows, args.k),
            "",
        ]
    )
    record(text, args.out)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
