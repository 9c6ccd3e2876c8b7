"""Benchmark: our batched attacks against ART's, and the wall cost of each measure.

1. PGD throughput (model-samples per second: K models × B inputs / seconds) of
   :func:`graphprior.robustness.pgd` on a stack of K models against ART's
   ``ProjectedGradientDescent`` run model by model on the same models, with
   equal settings (ε, 20 steps, step 0.25 ε, one random start, ART batch size =
   all inputs), and the robust accuracy each reaches (mean over the K models).
   Ours runs with ``early_stop=True`` as in :func:`run_input_attacks` (inputs
   every model misclassifies take no more steps; robust accuracy unchanged).
2. Seconds per model of every measure of :func:`run_input_attacks` at the
   default settings (300 test inputs; one-pixel on 20 images, CLEVER on 5),
   measured on the K = 7 stack and divided by 7; ART's ``PixelAttack`` on a few
   images for comparison.
3. AutoAttack: our stacked ensemble against the reference ``pyautoattack``
   (model by model) at config.yaml's budget and at the reference's standard
   version, L∞ and L2 at config.yaml's ε, K = 1 and 7 (WS graph net):
   throughput and robust accuracy side by side (``--aa-n`` inputs at the
   default budget, ``--aa-std-n`` at the standard one).
4. CLEVER: our batched estimator against ART's ``clever_u`` at config.yaml's
   ``attack.clever`` on ``--clever-n`` inputs, K = 1 and 7: throughput and
   score agreement, next to ART's own seed-to-seed difference.
   (3 and 4 live in ``benchmarks/attack_reference.py``.)

The models: a Watts–Strogatz graph (n = 150, k = 6, p = 0.3) mapped to a
sparse net on 8×8 digits (13 hidden layers, ~2.2k weights), and the paper's
dense shape 64-100-50-20-10; K stacked copies with different seeds, trained
15 epochs with Adam, inputs standardised with one global mean and std. One
thread (``torch.set_num_threads(1)``). Every time is CPU seconds of this
process (``time.process_time``): with one thread that is the work's own
time, which other jobs on a shared machine do not inflate as they do wall time.

Usage::

    make benchmarks BENCH=attack [BENCH_ARGS="--repeats 3 --art-onepixel 5 --aa-n 100"]
        [--aa-std-n 12] [--clever-n 3] [--skip-reference]

Prints a Markdown table and writes it to ``benchmarks/results/attack.md``.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np
import torch
import torch.nn.functional as F
from attack_reference import autoattack_rows, clever_rows
from suite import record

from graphprior.data import load_dataset
from graphprior.graphs.dag import MappingOptions, build_layered_dag
from graphprior.graphs.netspec import dense_spec, spec_from_dag
from graphprior.graphs.selection import validate_study
from graphprior.nets.inits import initialise
from graphprior.nets.stacked import SingleNet, StackedNet
from graphprior.robustness.accuracy import clean_correct, robust_accuracy
from graphprior.robustness.autoattack import autoattack, budget_from_config
from graphprior.robustness.clever import clever_u_batched, norm_order
from graphprior.robustness.metrics import accuracy_and_f1, loss_sensitivity
from graphprior.robustness.minimal import (
    min_perturbation_fgsm_linesearch,
    min_perturbation_pgd_bisection,
)
from graphprior.robustness.onepixel import onepixel_success_rate

# ART, the tests' reference (the test extra); benchmarks/conftest.py puts the repository root
# on the path
from tests.art_reference import art_classifier, numpy_global_seed  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "attack.md"
# any graph config: only the attack section's defaults are read
DEFAULT_GRAPHS = {
    "generators": [
        {"generator": "erdos_renyi_gnp", "params": {"n": [10], "p": [0.3]}, "seeds": [0]}
    ]
}


def graph_spec():
    graph = nx.watts_strogatz_graph(150, 6, 0.3, seed=0)
    return spec_from_dag(build_layered_dag(graph, MappingOptions(seed=0)), (1, 8, 8), 10)


def train_stack(k: int, spec=None, epochs: int = 15) -> StackedNet:
    net = StackedNet(spec if spec is not None else graph_spec(), k)
    initialise(net, ["he_normal"] * k, list(range(k)))
    x, y = load_dataset("digits", "train")
    flat = x.reshape(len(x), -1)
    net.set_normalisation(
        torch.full((64,), float(flat.mean())), torch.full((64,), float(flat.std()))
    )
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), 64):
            idx = perm[i : i + 64]
            loss = F.cross_entropy(net(x[idx]).reshape(-1, 10), y[idx].repeat(k))
            opt.zero_grad()
            loss.backward()
            opt.step()
            net.apply_masks()
    return net.eval()


def timed_runs(fn: Callable[[int], float], repeats: int) -> tuple[float, float]:
    """Best CPU time and mean result of ``fn(seed)`` over seeds 0 … repeats − 1."""
    times, results = [], []
    for seed in range(repeats):
        start = time.process_time()
        results.append(fn(seed))
        times.append(time.process_time() - start)
    return min(times), float(np.mean(results))


def best_of(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.process_time()
        out = fn()
        times.append(time.process_time() - start)
    return min(times), out


def art_pgd(net: StackedNet, x: torch.Tensor, y: torch.Tensor, norm: str, eps: float, steps: int):
    """ART's PGD on each model of the stack: a function seed → mean robust accuracy.

    Like ours, the timed call includes the two prediction passes that score
    the result.
    """
    from art.attacks.evasion import ProjectedGradientDescent

    attacks = []
    for k in range(net.k):
        clf = art_classifier(SingleNet(net.select(k)), (1, 8, 8), 10)
        attack = ProjectedGradientDescent(
            clf,
            norm=np.inf if norm == "linf" else 2,
            eps=eps,
            eps_step=0.25 * eps,
            max_iter=steps,
            num_random_init=1,
            batch_size=len(x),
            verbose=False,
        )
        attacks.append((clf, attack))
    xs, onehot, ys = x.numpy(), np.eye(10, dtype=np.float32)[y.numpy()], y.numpy()

    def run(seed: int) -> float:
        accs = []
        with numpy_global_seed(seed):
            for clf, attack in attacks:
                adv = attack.generate(xs, y=onehot)
                correct = (clf.predict(adv).argmax(1) == ys) & (clf.predict(xs).argmax(1) == ys)
                accs.append(correct.mean())
        return float(np.mean(accs))

    return run


def throughput_rows(nets: list[tuple[str, StackedNet]], x, y, repeats: int) -> list[list[str]]:
    rows = []
    steps = 20
    for name, net in nets:
        for norm, eps in (("linf", 0.1), ("l2", 1.0)):

            def ours(seed: int, net=net, norm=norm, eps=eps) -> float:
                return robust_accuracy(
                    net, x, y, "pgd", [eps], norm=norm, steps=steps, rel_step=0.25, early_stop=True,
                    generator=torch.Generator().manual_seed(seed),
                ).mean().item()  # fmt: skip

            t_ours, acc_ours = timed_runs(ours, repeats)
            t_art, acc_art = timed_runs(art_pgd(net, x, y, norm, eps, steps), repeats)
            n = net.k * len(x)
            rows.append(
                [
                    name,
                    str(net.k),
                    f"{norm}, ε={eps}",
                    f"{n / t_ours:,.0f}",
                    f"{n / t_art:,.0f}",
                    f"{t_art / t_ours:.1f}×",
                    f"{acc_ours:.3f}",
                    f"{acc_art:.3f}",
                ]
            )
    return rows


def measure_rows(net: StackedNet, x, y, repeats: int, art_onepixel: int) -> list[list[str]]:
    # the schema's defaults
    cfg = validate_study({"dataset": "digits", "graphs": DEFAULT_GRAPHS}).attack
    seed = 0
    k = net.k
    pl, p2, mp = cfg.pgd.linf, cfg.pgd.l2, cfg.min_perturbation
    aa, cc = cfg.autoattack, cfg.clever
    measures: list[tuple[str, str, Callable[[], object]]] = [
        ("clean accuracy + micro-F1", "300 inputs", lambda: accuracy_and_f1(net, x, y)),
        (
            "FGSM grid",
            f"{len(cfg.fgsm.eps)} ε",
            lambda: robust_accuracy(net, x, y, "fgsm", cfg.fgsm.eps),
        ),
        (
            "PGD L∞ grid",
            f"{len(pl.eps)} ε × {pl.steps} steps",
            lambda: robust_accuracy(
                net, x, y, "pgd", pl.eps, nested=True, norm="linf", steps=pl.steps,
                rel_step=pl.rel_step, early_stop=True, generator=torch.Generator().manual_seed(seed),
            ),
        ),
        (
            "PGD L2 grid",
            f"{len(p2.eps)} ε × {p2.steps} steps",
            lambda: robust_accuracy(
                net, x, y, "pgd", p2.eps, nested=True, norm="l2", steps=p2.steps,
                rel_step=p2.rel_step, early_stop=True, generator=torch.Generator().manual_seed(seed),
            ),
        ),
        (
            "FGSM line search (paper)",
            "26 ε",
            lambda: min_perturbation_fgsm_linesearch(net, x, y),
        ),
        (
            "PGD bisection L∞",
            f"{mp.bisection_steps + 1} × {mp.pgd_steps} steps",
            lambda: min_perturbation_pgd_bisection(
                net, x, y, norm="linf", eps_max=mp.linf_max, steps=mp.pgd_steps,
                n_bisect=mp.bisection_steps, rel_step=pl.rel_step,
                generator=torch.Generator().manual_seed(seed),
            ),
        ),
        (
            "PGD bisection L2",
            f"{mp.bisection_steps + 1} × {mp.pgd_steps} steps",
            lambda: min_perturbation_pgd_bisection(
                net, x, y, norm="l2", eps_max=mp.l2_max, steps=mp.pgd_steps,
                n_bisect=mp.bisection_steps, rel_step=p2.rel_step,
                generator=torch.Generator().manual_seed(seed),
            ),
        ),
        (
            "One-pixel (ours, DE)",
            "20 images, maxiter 10, popsize 10",
            lambda: onepixel_success_rate(net, x, y, 20, maxiter=10, popsize=10, seed=seed),
        ),
        *[
            (
                f"AutoAttack {norm} (ours, 3 members)",
                f"ε = {aa.eps(norm)[0]:g}, {aa.apgd_ce.steps} it., "
                f"{aa.apgd_t.n_targets} targets, {aa.square.queries} queries",
                lambda norm=norm: autoattack(
                    net, x, y, float(aa.eps(norm)[0]), norm=norm, budget=budget_from_config(aa),
                    seed=seed,
                ),
            )
            for norm in ("linf", "l2")
        ],
        (
            "CLEVER (ours, batched)",
            f"{cc.n_samples} images, {cc.nb_batches} × {cc.batch_size}, "
            f"r = {cc.radius:g}, L{cc.norm}, {cc.n_classes} class fitted",
            lambda: clever_u_batched(
                net, x[: int(cc.n_samples)], nb_batches=int(cc.nb_batches),
                batch_size=int(cc.batch_size), radius=float(cc.radius),
                norm=norm_order(cc.norm), n_classes=cc.n_classes, seed=seed,
            ),
        ),
        ("loss sensitivity", "300 inputs", lambda: loss_sensitivity(net, x, y)),
    ]  # fmt: skip
    rows = []
    total = 0.0
    for name, setting, fn in measures:
        reps = 1 if "One-pixel" in name or "AutoAttack" in name else repeats
        t, out = best_of(fn, reps)
        total += t / k
        note = ""
        if "One-pixel" in name:
            note = f"success rate {float(np.mean(out.success_rate)):.2f}"
        rows.append([name, setting, f"{t / k:.3f}", note])
    if art_onepixel > 0:
        from art.attacks.evasion import PixelAttack

        single = SingleNet(net.select(0))
        correct = clean_correct(single, x, y)[0]
        idx = torch.nonzero(correct).flatten()[:art_onepixel]
        clf = art_classifier(single, (1, 8, 8), 10)
        attack = PixelAttack(clf, th=1, es=1, max_iter=10, verbose=False)
        xs = x[idx].numpy()
        with numpy_global_seed(seed):
            start = time.process_time()
            adv = attack.generate(xs, y=np.eye(10, dtype=np.float32)[y[idx].numpy()])
            t_art = time.process_time() - start
        rate = float(np.mean(clf.predict(adv).argmax(1) != y[idx].numpy()))
        t_ours, ours = best_of(
            lambda: onepixel_success_rate(
                single, x, y, art_onepixel, maxiter=10, popsize=10, seed=seed
            ),
            1,
        )
        rows.append(
            [
                "One-pixel (ART PixelAttack, DE)",
                f"{art_onepixel} images, max_iter 10, popsize 400/3",
                f"{t_art * 20 / art_onepixel:.3f}",
                f"scaled to 20 images; success rate {rate:.2f} "
                f"(ours on the same {art_onepixel}: {float(ours.success_rate[0]):.2f}, "
                f"{t_ours * 20 / art_onepixel:.3f} s)",
            ]
        )
    rows.append(["**all measures (default config)**", "", f"{total:.3f}", ""])
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--art-onepixel", type=int, default=5)
    parser.add_argument("--n", type=int, default=300, help="test inputs")
    parser.add_argument("--aa-n", type=int, default=100, help="inputs, AutoAttack default budget")
    parser.add_argument("--aa-std-n", type=int, default=12, help="inputs, AutoAttack standard")
    parser.add_argument("--clever-n", type=int, default=3, help="inputs, CLEVER vs ART")
    parser.add_argument("--skip-reference", action="store_true", help="no AutoAttack/CLEVER tables")
    args = parser.parse_args(argv)
    start, cpu_start = time.perf_counter(), time.process_time()
    torch.set_num_threads(1)
    x, y = load_dataset("digits", "test")
    x, y = x[: args.n], y[: args.n]
    stack7 = train_stack(7)
    dense7 = train_stack(7, dense_spec((1, 8, 8), [100, 50, 20], 10))
    nets = [
        ("WS graph net", stack7.select(0)),
        ("WS graph net", stack7),
        ("dense 64-100-50-20-10", dense7.select(0)),
        ("dense 64-100-50-20-10", dense7),
    ]
    acc, _ = accuracy_and_f1(stack7, x, y)
    t1 = table(
        ["net", "K", "PGD (20 steps, step 0.25 ε)", "ours samples/s", "ART samples/s", "speed-up",
         "robust acc. ours", "robust acc. ART"],
        throughput_rows(nets, x, y, args.repeats),
    )  # fmt: skip
    t2 = table(
        ["measure", "setting", "s per model", "note"],
        measure_rows(stack7, x, y, args.repeats, args.art_onepixel),
    )
    ref_text = ""
    if not args.skip_reference:
        ws = nets[:2]
        t3 = table(
            ["net", "K", "budget", "norm, ε", "inputs", "ours samples/s", "reference samples/s",
             "speed-up", "robust acc. ours", "robust acc. reference"],
            autoattack_rows(ws, x, y, args.aa_n, args.aa_std_n),
        )  # fmt: skip
        t4 = table(
            ["net", "K", "ours fits", "inputs", "ours samples/s", "ART samples/s", "speed-up",
             "mean score ours", "mean score ART", "|ours − ART| mean / median",
             "|ART seed 0 − seed 1| mean / median", "failed fits ours / ART s0 / ART s1"],
            clever_rows(ws, x, args.clever_n),
        )  # fmt: skip
        ref_text = (
            "### AutoAttack, ours vs the reference (`pyautoattack`)\n\n"
            "Model-samples per second; the reference runs model by model (seed 0 both). "
            "Default: config.yaml's budget (reference: `custom` version with APGD-CE, APGD-T, "
            "Square at that budget); standard: the reference's standard version (adds FAB-T) "
            "against our members at the standard budget (100 it., 9 targets, "
            "5000 queries); ours also runs `apgd_smooth`, which the reference has no "
            f"counterpart of. One run each, CPU time.\n\n{t3}\n\n"
            "### CLEVER, ours (batched) vs ART's `clever_u`\n\n"
            "config.yaml's `attack.clever` (5 batches × 20, r = 2, L2); ART fits every runner-up "
            "class. Model-samples per second; agreement over the K × inputs scores, ours and ART "
            "with seed 0, against ART's own seed-to-seed difference (seeds 0 and 1); a failed fit "
            "is a score below 1 % of the radius. One run each, CPU time.\n\n"
            f"{t4}\n\n"
        )
    env = (
        f"torch {torch.__version__}, 1 thread, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; WS(150, 6, 0.3) graph net on digits, "
        f"{int(stack7.n_params()[0])} parameters, clean accuracy {acc.mean():.3f} (mean of 7); "
        f"{len(x)} test inputs. Throughput: best time of {args.repeats} runs with seeds 0…"
        f"{args.repeats - 1}, robust accuracy the mean over those runs and the K models. "
        f"Measures: best of {args.repeats} runs (one-pixel, AutoAttack: one run). "
        f"Whole script: {time.perf_counter() - start:.0f} s wall, "
        f"{time.process_time() - cpu_start:.0f} s CPU."
    )
    text = (
        "### PGD throughput, ours vs ART\n\n"
        "Model-samples per second (K models × inputs / s); ART runs model by model.\n\n"
        f"{t1}\n\n### Cost per model of each measure\n\n{t2}\n\n{ref_text}{env}\n"
    )
    record("# Attack benchmark\n\n" + text, RESULTS)
