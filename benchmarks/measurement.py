"""Measurement: which robustness measure a graph can be measured by, and whether its interval holds.

Two benchmarks (``make benchmarks BENCH=primary_measure`` and ``BENCH=variance_coverage``).

**primary_measure.** Which robustness measure can a graph be measured by? Reliability against cost.

On a finished default run (``make run``), every trainable graph net of the
main arm is attacked on *every* digits test input by the candidates for the
study's primary measure:

* ``fgsm_paper``: the paper's FGSM robustness at ε = 0.1 (robust share of
  the correctly classified inputs, binary per input);
* ``autoattack_linf``: AutoAttack L∞ robust accuracy at ε = 0.1 (binary per
  input, the default budget);
* ``pgd_bisection_rmean``: each input's minimal L∞ perturbation by PGD
  bisection (``attack.min_perturbation``), restricted mean up to its
  ``linf_max`` (continuous per input);
* ``apgd_bisection_rmean``: the same by bisection with AutoAttack's
  white-box chain as the oracle (``attack.primary``, the primary measure),
  restricted mean up to ``attack.primary.eps_max``.

Each is then scored from the first 100 inputs (the old common set) and from
all 360, with 3 models per graph (orientation 0) or 6 (both orientations),
and decomposed per size stratum (:func:`graphprior.analysis.stats.variance_components`):
the graph's variance share with its interval and decision against the
pre-registered bound, the reliability of a graph's mean implied by the
components, and the split-half reliability over orientations. The seconds
per model are the attack's CPU time on one thread for 360 inputs, measured in
this run side by side.

**variance_coverage.** How often the graph share's interval covers the truth, and how often it decides wrongly.

Simulates the default study's design — 5 families × 10 graphs, 2 orientations
× 3 initialisations per graph, one model each (300 models per stratum) — with
a planted graph share (family share 0, orientation 0.05, the rest residual),
decomposes each simulated study with
:func:`graphprior.analysis.stats.variance_components` and counts, over many
studies: coverage of the true share by the 95 % interval, the share of
studies deciding `negligible` (upper bound below the pre-registered 0.1) and
`matters` (lower bound above 0) — for plain and bias-corrected percentile
intervals on the same simulated studies.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from suite import CONFIG, FINISHED_RUN, ok_models, record

from graphprior import load_config
from graphprior.analysis.stats import share_decision, split_half_reliability, variance_components
from graphprior.config import derive_seed
from graphprior.config.sections import AttackConfig
from graphprior.data import load_dataset
from graphprior.robustness.accuracy import clean_correct, correct_at
from graphprior.robustness.autoattack import autoattack, budget_from_config
from graphprior.robustness.fgsm_pgd import fgsm
from graphprior.robustness.minimal import min_perturbation_pgd_bisection
from graphprior.robustness.run import primary_min_perturbation
from graphprior.stages.attack import _architecture_key, load_group

OUT = Path(__file__).parent / "results" / "primary_measure.md"
CANDIDATES = ("fgsm_paper", "autoattack_linf", "pgd_bisection_rmean", "apgd_bisection_rmean")


def per_input(
    net, x, y, acfg: AttackConfig, seed
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Per model and input: each candidate's score, and each candidate's seconds."""
    eps = float(acfg.paper_eps)
    mcfg = acfg.min_perturbation
    out, secs = {}, {}
    t = time.perf_counter()
    correct = clean_correct(net, x, y)
    robust = correct & correct_at(net, fgsm(net, x, y, eps), y)
    # paper robustness: robust among the correctly classified (NaN for misclassified)
    out["fgsm_paper"] = torch.where(correct, robust.double(), torch.nan).numpy()
    secs["fgsm_paper"] = time.perf_counter() - t
    t = time.perf_counter()
    aa = autoattack(net, x, y, eps, norm="linf", budget=budget_from_config(acfg.autoattack),
                    seed=seed)["autoattack"]  # fmt: skip
    out["autoattack_linf"] = aa.double().numpy()
    secs["autoattack_linf"] = time.perf_counter() - t
    t = time.perf_counter()
    min_eps = min_perturbation_pgd_bisection(
        net, x, y, norm="linf", eps_max=float(mcfg.linf_max), steps=int(mcfg.pgd_steps),
        n_bisect=int(mcfg.bisection_steps), rel_step=float(acfg.pgd.linf.rel_step),
        generator=torch.Generator().manual_seed(seed),
    ).numpy()  # fmt: skip
    out["pgd_bisection_rmean"] = np.minimum(np.nan_to_num(min_eps, nan=0.0), float(mcfg.linf_max))
    secs["pgd_bisection_rmean"] = time.perf_counter() - t
    t = time.perf_counter()
    pcfg = acfg.primary
    gen = torch.Generator().manual_seed(seed)
    min_eps = primary_min_perturbation(net, x, y, acfg, gen).numpy()
    out["apgd_bisection_rmean"] = np.minimum(np.nan_to_num(min_eps, nan=0.0), float(pcfg.eps_max))
    secs["apgd_bisection_rmean"] = time.perf_counter() - t
    return out, secs


def primary_measure(argv: list[str] | None = None) -> None:
    """Reliability and cost of every candidate measure on a finished default run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=FINISHED_RUN)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="keep the per-input scores here (.npz) and reuse them",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    acfg = load_config(CONFIG).attack
    x, y = load_dataset("digits", "test")
    y = y.long()
    models = ok_models(args.results)
    models = models[
        (models["model_family"] == "graph_prior") & (models["arm"] == "fixed_interface")
    ]
    graphs = pd.read_parquet(args.results / "tables" / "graphs.parquet")
    models = models.merge(graphs[["graph_id", "stratum", "parent_id", "generator"]], on="graph_id")
    scores: dict[str, list[np.ndarray]] = {c: [] for c in CANDIDATES}
    seconds = {c: 0.0 for c in CANDIDATES}
    order = []
    for _, group in models.groupby("graph_id", sort=True):
        for _, sub in group.groupby(_architecture_key(group), sort=False):
            order.append(sub)
    frame = pd.concat(order, ignore_index=True)
    if args.cache is not None and args.cache.exists():
        cached = np.load(args.cache)
        scores = {c: [cached[c]] for c in CANDIDATES}
        seconds = {c: float(cached[f"{c}_seconds"]) for c in CANDIDATES}
        if list(cached["model_id"]) != list(frame["model_id"]):
            raise SystemExit(f"{args.cache} holds other models; delete it to rerun the attacks")
    else:
        for sub in order:
            sub = sub.assign(checkpoint=[str(args.results / p) for p in sub["checkpoint"]])
            net = load_group(sub)[0]
            values, secs = per_input(net, x, y, acfg, derive_seed("primary", *sub["model_id"]))
            for c in CANDIDATES:
                scores[c].append(values[c])
                seconds[c] += secs[c]
        if args.cache is not None:
            np.savez(
                args.cache, model_id=frame["model_id"].to_numpy(dtype=str),
                **{c: np.concatenate(scores[c]) for c in CANDIDATES},
                **{f"{c}_seconds": seconds[c] for c in CANDIDATES},
            )  # fmt: skip
    frame["cluster"] = frame["parent_id"].fillna(frame["graph_id"])
    n_models = len(frame)
    rows = []
    rng = np.random.default_rng(0)
    bound = float(load_config(CONFIG).report.smallest_effect.share)
    for c in CANDIDATES:
        per_model_input = np.concatenate(scores[c])
        for n_inputs in (100, per_model_input.shape[1]):
            value = np.nanmean(per_model_input[:, :n_inputs], axis=1)
            for per_graph, keep in (("3", frame["orientation_seed"] == 0), ("6", None)):
                sel = frame if keep is None else frame[keep]
                v = value[sel.index.to_numpy()]
                for stratum, part in sel.groupby("stratum", sort=True):
                    pv = v[np.searchsorted(sel.index.to_numpy(), part.index.to_numpy())]
                    vc = variance_components(
                        pv, part["generator"], part["graph_id"], part["orientation_seed"],
                        part["init"], cluster=part["cluster"], n_boot=args.bootstrap, rng=rng,
                    )  # fmt: skip
                    g = vc["graph"]
                    split = (
                        split_half_reliability(
                            pv,
                            part["graph_id"],
                            part["orientation_seed"].astype(int),
                            block=part["init"],
                            n_boot=0,
                        ).reliability  # fmt: skip
                        if keep is None
                        else float("nan")
                    )
                    rows.append({
                        "candidate": c, "inputs": n_inputs, "models/graph": per_graph,
                        "stratum": stratum,
                        "graph share [95 % CI]": f"{g.share:.3f} [{g.ci_low:.3f}, {g.ci_high:.3f}]",
                        "decision": share_decision(g.ci_low, g.ci_high, bound).value,
                        "reliability [95 % CI]": (
                            f"{vc.reliability:.2f} [{vc.reliability_ci[0]:.2f}, "
                            f"{vc.reliability_ci[1]:.2f}]"
                        ),
                        "split-half (orientations)": f"{split:.2f}",
                        "s/model (360 inputs)": f"{seconds[c] / n_models:.3f}",
                    })  # fmt: skip
    table = pd.DataFrame(rows)
    text = (
        f"# Primary measure: reliability against cost\n\n"
        f"`make benchmarks BENCH=primary_measure` on {n_models} fixed-interface graph "
        f"nets of a finished default run ({frame['graph_id'].nunique()} graphs), one thread; "
        f"smallest graph share of interest {bound:g}.\n\n" + table.to_markdown(index=False)
    )
    record(text, OUT)


COVERAGE_OUT = Path(__file__).parent / "results" / "variance_coverage.md"
BOUND = 0.1


def simulate(rng: np.random.Generator, share: float, families=5, graphs=10, orientations=2,
             inits=3) -> pd.DataFrame:  # fmt: skip
    """One study: graph variance `share`, orientation 0.05, residual the rest (total 1)."""
    sd_g, sd_o, sd_e = np.sqrt(share), np.sqrt(0.05), np.sqrt(0.95 - share)
    rows = []
    for f in range(families):
        for g in range(graphs):
            g_eff = rng.normal(0, sd_g)
            for o in range(orientations):
                o_eff = rng.normal(0, sd_o)
                for i in range(inits):
                    rows.append((f, f"{f}-{g}", o, i, g_eff + o_eff + rng.normal(0, sd_e)))
    return pd.DataFrame(rows, columns=["family", "graph", "orientation", "init", "y"])


def variance_coverage(argv: list[str] | None = None) -> None:
    """Coverage and decisions of the graph share's interval in simulated default studies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--bootstrap", type=int, default=400)
    args = parser.parse_args(argv)
    rows = []
    for share in (0.0, 0.05, 0.15, 0.25):
        for interval in ("percentile", "bc"):
            covered = negligible = matters = 0
            for s in range(args.studies):
                rng = np.random.default_rng(1000 + s)  # the same studies for both intervals
                f = simulate(rng, share)
                g = variance_components(
                    f["y"], f["family"], f["graph"], f["orientation"], f["init"],
                    n_boot=args.bootstrap, rng=rng, interval=interval,
                )["graph"]  # fmt: skip
                covered += g.ci_low <= share <= g.ci_high
                negligible += g.ci_high < BOUND
                matters += g.ci_low > 0
            n = args.studies
            rows.append({"true graph share": share, "interval": interval,
                         "coverage": covered / n, "decided negligible": negligible / n,
                         "decided matters": matters / n})  # fmt: skip
    text = (
        "# Graph share: coverage and decisions in simulated default studies\n\n"
        f"`make benchmarks BENCH=variance_coverage` (`--studies {args.studies} "
        f"--bootstrap {args.bootstrap}`): 5 families × 10 graphs × 2 orientations × 3 inits, "
        f"bound {BOUND}.\n\n" + pd.DataFrame(rows).to_markdown(index=False)
    )
    record(text, COVERAGE_OUT)
