"""The attack stage's entry point for the weight, pruning and neural-collapse measures.

:func:`run_beyond_input_measures` takes the ``measures`` config section
(:class:`graphprior.config.sections.MeasuresConfig`) and
returns rows of the ``robustness`` table in a fixed order, as
:func:`graphprior.robustness.run.run_input_attacks` does for the input-space
measures. Definitions: ``docs/measures.md``, "Beyond input attacks".
"""

from __future__ import annotations

import logging
import time

import numpy as np
import torch

from graphprior.config.sections import MeasuresConfig, PruningConfig, WeightPerturbationConfig
from graphprior.nets.stacked import StackedNet
from graphprior.robustness.collapse import neural_collapse_rows
from graphprior.robustness.prunability import prunability, pruned_accuracy_and_loss
from graphprior.robustness.run import NAN, Perturb, Rows, seeded_subset, timed
from graphprior.robustness.stacking import stack_device
from graphprior.robustness.weights import (
    classification_margins,
    margin_summary,
    random_weight_perturbation_accuracy,
    worst_case_weight_perturbation_accuracy,
)

__all__ = ["run_beyond_input_measures"]

log = logging.getLogger(__name__)


def _weight_rows(
    rows: Rows,
    net: StackedNet,
    x: torch.Tensor,
    y: torch.Tensor,
    wp: WeightPerturbationConfig,
    gens: list,
) -> None:
    n = len(y)
    summary = margin_summary(classification_margins(net, x, y))
    rows.add("margin_mean", "none", "none", NAN, summary["mean"], n)
    rows.add("margin_median", "none", "none", NAN, summary["median"], n)
    deltas = list(wp.deltas)
    for norm in wp.norms:
        acc = random_weight_perturbation_accuracy(net, x, y, deltas, norm, wp.n_draws, gens[3])
        for j, d in enumerate(deltas):
            rows.add("weight_random_accuracy", "random", norm, d, acc[:, j], n)
        acc = worst_case_weight_perturbation_accuracy(
            net, x, y, deltas, norm, wp.worst_case_steps, gens[4],
            step_size=wp.worst_case_step_size,
        )  # fmt: skip
        for j, d in enumerate(deltas):
            rows.add("weight_worst_accuracy", "pgd", norm, d, acc[:, j], n)


def _pruning_rows(
    rows: Rows, net: StackedNet, test: tuple, train: tuple, pr: PruningConfig, seed: int
) -> None:
    (xt, yt), (xp, yp) = test, train
    fractions = list(pr.kept_fractions)
    for method in pr.methods:
        # the same random ranking for the test curve, the train curve and prunability
        test_curve = pruned_accuracy_and_loss(
            net, xt, yt, fractions, method, torch.Generator().manual_seed(seed)
        )
        train_curve = pruned_accuracy_and_loss(
            net, xp, yp, fractions, method, torch.Generator().manual_seed(seed)
        )
        for j, f in enumerate(fractions):
            rows.add("pruned_accuracy", method, "none", f, test_curve["accuracy"][:, j], len(yt))
            rows.add("pruned_train_loss", method, "none", f, train_curve["loss"][:, j], len(yp))
        alpha = prunability(
            net, xp, yp, pr.tol, method, pr.n_bisect,
            torch.Generator().manual_seed(seed),
        )  # fmt: skip
        rows.add("prunability", method, "none", NAN, alpha, len(yp))


def run_beyond_input_measures(
    net: StackedNet,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    cfg: MeasuresConfig = MeasuresConfig(),
    generator_seed: int = 0,
    perturb: Perturb | None = None,
    perturb_info: dict | None = None,
) -> list[dict]:
    """Weight, pruning and neural-collapse measures for the K stacked models, as long rows.

    ==========================  ==================  =========  ==============  ==========
    measure                     attack              norm       eps             n
    ==========================  ==================  =========  ==============  ==========
    margin_mean, margin_median  none                none       NaN             test
    weight_random_accuracy      random              linf / l2  δ               test
    weight_worst_accuracy       pgd                 linf / l2  δ               test
    pruned_accuracy             magnitude / random  none       kept fraction   test
    pruned_train_loss           magnitude / random  none       kept fraction   train
    prunability                 magnitude / random  none       NaN             train
    nc1 … nc4, ncc_accuracy     none / pgd          none / …   NaN / attack ε  train
    ==========================  ==================  =========  ==============  ==========

    NC rows have ``layer=None`` for the readout and the hidden-layer index for
    the layerwise ``nc1`` and ``ncc_accuracy``; other rows have ``layer=None``.

    Parameters
    ----------
    net : the K stacked models (trained).
    x_test, y_test, x_train, y_train : full splits; seeded subsets are drawn.
    cfg : the ``measures`` config section (``MeasuresConfig()``: the schema's
        defaults; ``MeasuresConfig.from_dict`` of a validated config's section).
    generator_seed : every random choice (subsets, directions, random pruning)
        derives from it, each measure from its own child seed, so changing one
        measure's settings does not change another's draws.
    perturb : optional ``perturb(net, x, y) -> x_adv (K, B, ...)`` for the
        perturbed neural-collapse rows (skipped when None).
    perturb_info : ``{"attack": str, "norm": str, "eps": float}`` labelling
        those rows (default ``pgd``, ``linf``, NaN).
    """
    pr, nc = cfg.pruning, cfg.neural_collapse
    info = {"attack": "pgd", "norm": "linf", "eps": NAN, **(perturb_info or {})}
    seeds = np.random.SeedSequence(int(generator_seed)).generate_state(8)
    gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
    device = stack_device(net)
    xt, yt = seeded_subset(x_test, y_test, cfg.n_samples, gens[0])
    xp, yp = seeded_subset(x_train, y_train, pr.train_samples, gens[1])
    xn, yn = seeded_subset(x_train, y_train, nc.train_samples, gens[2])
    xt, yt, xp, yp, xn, yn = (t.to(device) for t in (xt, yt, xp, yp, xn, yn))

    rows = Rows(net.k)
    with timed("weight perturbation and margins"):
        _weight_rows(rows, net, xt, yt, cfg.weight_perturbation, gens)
    with timed("pruning"):
        _pruning_rows(rows, net, (xt, yt), (xp, yp), pr, int(seeds[5]))
    t0 = time.perf_counter()
    if nc.perturbed and perturb is None:
        log.info("no perturbation given: perturbed neural-collapse rows skipped")
    use_perturb = perturb if nc.perturbed else None
    rows += neural_collapse_rows(
        net, xn, yn, use_perturb, info["attack"], info["norm"], float(info["eps"])
    )
    log.info("neural collapse: %.2f s (n=%d)", time.perf_counter() - t0, len(yn))
    return list(rows)
