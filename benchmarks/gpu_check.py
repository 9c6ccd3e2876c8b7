"""GPU check: the smoke study on CUDA, one model's rows on CPU and CUDA, the preset's jobs on a GPU.

Three parts, one run, on a machine with a CUDA device:

1. **Smoke study on CUDA.** ``snakemake --configfile config/smoke.yaml
   --config device=cuda`` in a fresh folder; it must finish with an empty
   `failures` table and every gate of the graph nets passed.
2. **CPU against CUDA.** Two small trained nets (digits, 64-32-10) attacked by
   :func:`run_input_attacks` on CPU and on CUDA from the same weights and seed.
   Clean accuracy and the FGSM measures are deterministic up to float
   rounding: they must agree within :data:`EXACT` (one input in 360 flips at
   most). The random-start attacks draw on the data's device, so CPU and CUDA
   draw different starts: they must agree within :data:`STATISTICAL`.
3. **The preset on one GPU.** One ``train_sparse_nets`` job's work (the
   median graph of ``config/paper.yaml``, 6 inits, 50 optimiser steps at batch
   128, scaled to 30 epochs) and one attack job's input attacks at the preset's
   budget reduced as ``paper_scale.py`` reduces it, on 200 inputs, scaled to
   its ``subset_samples`` and iterations; wall time, CUDA synchronised.

Usage::

    make benchmarks BENCH=gpu_check      # needs CUDA; writes benchmarks/results/gpu_check.md
    make benchmarks BENCH=gpu_check BENCH_ARGS="--device cpu --skip-smoke"   # the same code on CPU

Exit status 1 when a part fails; the table says which.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
from paper_scale import (
    ALL_INPUTS,
    REDUCE,
    fresh,
    graph_net,
    one_epoch_config,
    reduced_config,
    tiled_mnist,
    train_one_epoch,
    training_job_seconds,
)
from suite import record

from graphprior.data import load_dataset
from graphprior.graphs.netspec import dense_spec
from graphprior.graphs.selection import load_study
from graphprior.nets.inits import initialise
from graphprior.nets.stacked import StackedNet
from graphprior.nets.train import TrainConfig, evaluate, train_stack
from graphprior.robustness import run_input_attacks

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "gpu_check.md"
#: largest CPU-CUDA difference of a deterministic measure (accuracies: one input in 360)
EXACT = 1 / 360 + 1e-9
#: largest CPU-CUDA difference of a measure with random starts (accuracies, shares)
STATISTICAL = 0.05
DETERMINISTIC = {"clean_accuracy", "clean_f1_micro", "success_rate", "paper_robustness"}


def smoke_on(device: str) -> list[str]:
    """Run the smoke study on ``device``; return what went wrong (empty: nothing)."""
    with tempfile.TemporaryDirectory() as work:
        cmd = [
            str(Path(sys.executable).parent / "snakemake"), "--snakefile", str(ROOT / "workflow" / "Snakefile"),
            "--directory", work, "--configfile", str(ROOT / "config" / "smoke.yaml"),
            "--config", f"device={device}", "--cores", str(os.cpu_count() or 1), "--quiet", "all",
        ]  # fmt: skip
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
        if res.returncode != 0:
            return [f"smoke study exited {res.returncode}: {res.stderr[-800:]}"]
        tables = Path(work) / "results" / "tables"
        problems = []
        failures = pd.read_parquet(tables / "failures.parquet")
        if len(failures):
            problems.append(f"{len(failures)} failed jobs: {failures['error'].tolist()[:3]}")
        checks = pd.read_parquet(tables / "attack_checks.parquet")
        graph_checks = checks.loc[~checks["group"].str.startswith("baseline")]
        if not graph_checks["passed"].all():
            problems.append(f"{int((~graph_checks['passed']).sum())} failed gates")
        return problems


def small_stack() -> tuple[StackedNet, torch.Tensor, torch.Tensor]:
    """Two 64-32-10 nets trained 5 epochs on digits (CPU), and the 360 test inputs."""
    net = StackedNet(dense_spec((1, 8, 8), [32], 10), 2)
    x, y = load_dataset("digits", "train")
    net.set_normalisation(torch.full((64,), float(x.mean())), torch.full((64,), float(x.std())))
    initialise(net, ["he_normal"] * 2, [0, 1])
    training = load_study(ROOT / "config" / "smoke.yaml").training
    cfg = dataclasses.replace(
        TrainConfig.from_training(training, "cpu"), epochs=5, batch_size=64, lr=3e-3
    )
    data = {s: load_dataset("digits", s) for s in ("train", "val", "test")}
    train_stack(net, data, [0, 1], cfg, progress=False)
    return net.eval(), *data["test"]


def agreement(device: str) -> tuple[pd.DataFrame, list[str]]:
    """The small stack's input-attack rows on CPU and on ``device``, and their largest gaps."""
    attack = load_study(ROOT / "config" / "smoke.yaml").attack
    net, x, y = small_stack()
    rows = {}
    for dev in ("cpu", device):
        moved = StackedNet(net.spec, net.k)
        moved.load_state_dict(net.state_dict())
        moved.to(dev).eval()
        out = run_input_attacks(moved, x.to(dev), y.to(dev), attack, generator_seed=0)
        rows[dev] = pd.DataFrame(out).set_index(["measure", "attack", "norm", "eps", "model_index"])
    both = rows["cpu"][["value"]].join(
        rows[device][["value"]], how="inner", suffixes=("", "_device")
    )
    both["gap"] = (both["value"] - both["value_device"]).abs()
    problems = []
    for measure, gaps in both.groupby(level="measure")["gap"]:
        limit = EXACT if measure in DETERMINISTIC else STATISTICAL
        if measure.startswith(("min_perturbation", "clever", "loss_sensitivity", "adv_conf")):
            continue  # unbounded scales: listed, not judged
        if gaps.max() > limit:
            problems.append(f"{measure}: CPU and {device} differ by {gaps.max():.4f} > {limit:.4f}")
    return both.reset_index(), problems


def preset_times(device: str) -> dict[str, float]:
    """Wall seconds of one graph train job and one graph attack job of the preset on ``device``."""
    study = load_study(ROOT / "config" / "paper.yaml")
    data = {k: tuple(t.to(device) for t in v) for k, v in tiled_mnist().items()}
    net, _ = graph_net(study, "pws-n350-k6-p0.5-s1")
    net = fresh(net, list(study.training.inits), "gpu-check", data["train"][0].cpu()).to(device)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def wall(fn) -> float:
        sync()
        start = time.perf_counter()
        fn()
        sync()
        return time.perf_counter() - start

    tcfg = one_epoch_config(study, device)
    b = tcfg.batch_size

    def train(n_steps: int) -> None:
        small = {"train": tuple(t[: n_steps * b] for t in data["train"]),
                 "val": tuple(t[:b] for t in data["val"]),
                 "test": tuple(t[:b] for t in data["test"])}  # fmt: skip
        train_stack(net, small, list(range(net.k)), tcfg, progress=False)

    one, many = wall(lambda: train(1)), wall(lambda: train(51))
    n_eval = 2048
    t = {"step": (many - one) / 50, "fixed": max(0.0, one - (many - one) / 50),
         "eval_input": wall(lambda: evaluate(net, data["test"][0][:n_eval],
                                             data["test"][1][:n_eval])) / n_eval}  # fmt: skip
    train_s = training_job_seconds(t, int(study.training.epochs), b)
    train_one_epoch(net, data, study)
    reduced, _, scale = reduced_config(study)
    n = 200
    x, y = data["test"][0][:n], data["test"][1][:n]
    typed = dataclasses.replace(reduced, n_samples=n)
    measured = wall(lambda: run_input_attacks(net, x, y, typed, 0, checks=[]))
    # scaled as AutoAttack is (inputs to the subset's, iterations to the preset's): the
    # attacks on every input (FGSM) are a small part of the job and scale less
    subset = study.attack.subset_samples or study.attack.n_samples
    factor = subset / n * scale["AutoAttack"] / (subset / REDUCE["n_samples"])
    return {"train job": train_s, "attack job (input attacks)": measured * factor,
            "attack job, measured at 200 inputs": measured}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--skip-smoke", action="store_true")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("gpu_check: no CUDA device visible; docs/benchmarks.md keeps 'CUDA is untested'")
    started = time.perf_counter()
    problems = [] if args.skip_smoke else smoke_on(args.device)
    rows, gaps = agreement(args.device)
    problems += gaps
    times = preset_times(args.device)
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    lines = [
        f"Device: {name}; torch {torch.__version__}.",
        f"Smoke study on {args.device}: {'skipped' if args.skip_smoke else 'ran'}.",
        f"CPU vs {args.device}: largest gap per measure (deterministic limit {EXACT:.4f}, "
        f"random-start limit {STATISTICAL}; {', '.join(ALL_INPUTS[:2])} … exact):",
        "",
        rows.groupby("measure")["gap"].max().to_frame().to_markdown(floatfmt=".4f"),
        "",
        *(f"- {k}: {v / 60:.1f} min" for k, v in times.items()),
        "",
        "Problems: " + ("; ".join(problems) if problems else "none"),
        f"Whole check: {time.perf_counter() - started:.0f} s.",
    ]
    text = "# GPU check\n\n" + "\n".join(lines)
    if args.device.startswith("cuda"):
        record(text, RESULTS)
    else:  # a dry run of the code on another device: printed, not recorded
        print(text)
    sys.exit(1 if problems else 0)
