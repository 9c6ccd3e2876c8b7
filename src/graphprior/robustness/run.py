"""The entry points of the attack stage: every robustness measure of a stack, as long rows.

:func:`run_input_attacks` computes the input-space measures (config section
``attack``); :mod:`graphprior.robustness.beyond_input` the weight, pruning and
neural-collapse measures (config section ``measures``) with the :class:`Rows`
and :func:`timed` helpers defined here. Both take their config section with
every default already filled in by :func:`graphprior.config.validate_config`
(the schema is the one source of defaults) and return rows of the ``robustness`` table
(:func:`graphprior.robustness.rows.model_rows`), in a fixed order: the
order of the measures below, then of the config's lists, then of the models.
Measure names and definitions: ``docs/measures.md``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn

from graphprior.config.sections import AttackConfig
from graphprior.nets.stacked import StackedNet
from graphprior.robustness.accuracy import (
    auc_robust_accuracy,
    clean_correct,
    mean_adversarial_confidence,
    paper_robustness,
    robust_accuracy,
    robust_correct,
    success_rate_on_correct,
)
from graphprior.robustness.autoattack import MEMBERS, autoattack, budget_from_config
from graphprior.robustness.clever import clever_u_batched, norm_order
from graphprior.robustness.fgsm_pgd import Norm, fgsm
from graphprior.robustness.gates import (
    apgd_ce_plain_and_smooth,
    check_rows,
    effort_gate,
    input_gates,
    zero_gradient_shares,
)
from graphprior.robustness.metrics import accuracy_and_f1, loss_sensitivity
from graphprior.robustness.minimal import (
    LINESEARCH_MAX,
    PerturbationSummary,
    min_perturbation_apgd_bisection,
    min_perturbation_fgsm_linesearch,
    min_perturbation_pgd_bisection,
    summarize_min_perturbation,
)
from graphprior.robustness.onepixel import onepixel_success_rate
from graphprior.robustness.reference import REFERENCE_ATTACK, reference_autoattack
from graphprior.robustness.rows import model_rows
from graphprior.robustness.stacking import as_stacked

__all__ = [
    "SUITES",
    "attack_subset",
    "seeded_subset",
    "primary_min_perturbation",
    "run_input_attacks",
]

#: What :func:`run_input_attacks` measures: ``full``, every input-space measure;
#: ``paper``, only the paper's (clean accuracy, the FGSM grid, FGSM at the paper's
#: ε and the FGSM line search), what a baseline's pruning step gets when no graph
#: net is paired with it (docs/measures.md, "Baselines").
SUITES = ("full", "paper")

log = logging.getLogger(__name__)

NAN = math.nan
Perturb = Callable[[StackedNet, torch.Tensor, torch.Tensor], torch.Tensor]


@contextlib.contextmanager
def timed(what: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    log.info("%s: %.2f s", what, time.perf_counter() - start)


class Rows(list):
    """Rows of K models; :meth:`add` appends one row per model."""

    def __init__(self, k: int):
        super().__init__()
        self.k = k

    def add(self, measure: str, attack: str, norm: str, eps: float, values: Any, n: Any) -> None:
        self.extend(model_rows(measure, attack, norm, eps, values, n, k=self.k))


# --------------------------------------------------------------------------- input attacks


def _clean_and_fgsm_grid(
    rows: Rows, stacked: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: AttackConfig
) -> None:
    """Clean accuracy and F1, and robust accuracy over the FGSM grid."""
    n = int(x.shape[0])
    with timed("clean accuracy"):
        acc, f1 = accuracy_and_f1(stacked, x, y)
    rows.add("clean_accuracy", "none", "none", NAN, acc, n)
    rows.add("clean_f1_micro", "none", "none", NAN, f1, n)
    with timed("FGSM grid"):
        eps_grid = list(cfg.fgsm.eps)
        fgsm_acc = robust_accuracy(stacked, x, y, "fgsm", eps_grid, nested=False).cpu().numpy()
    for j, eps in enumerate(eps_grid):
        rows.add("robust_accuracy", "fgsm", "linf", eps, fgsm_acc[:, j], n)
    if len(set(eps_grid)) > 1:
        rows.add("robust_auc", "fgsm", "linf", NAN, auc_robust_accuracy(eps_grid, fgsm_acc), n)


def _clean_and_fgsm(
    rows: Rows, stacked: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: AttackConfig
) -> None:
    _clean_and_fgsm_grid(rows, stacked, x, y, cfg)
    with timed("FGSM at the paper's eps"):
        eps = cfg.paper_eps
        correct = clean_correct(stacked, x, y)
        rate, n_att = success_rate_on_correct(stacked, x, y, eps, "fgsm")
        rate_np = rate.cpu().numpy()
        x_adv = fgsm(stacked, x, y, eps)
        conf, n_conf = mean_adversarial_confidence(stacked, x_adv, y, mask=correct)
    rows.add("success_rate", "fgsm", "linf", eps, rate_np, n_att.cpu().numpy())
    rows.add(
        "paper_robustness", "fgsm", "linf", eps, paper_robustness(rate_np), n_att.cpu().numpy()
    )
    rows.add("adv_confidence_mean", "fgsm", "linf", eps, conf, n_conf)


def _pgd_grids(
    rows: Rows, stacked: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: AttackConfig, seed: int
) -> None:
    n = int(x.shape[0])
    for norm in (Norm.LINF, Norm.L2):  # the schema's order, whatever the config's order
        pcfg = cfg.pgd.norm(norm.value)
        with timed(f"PGD {norm.value} grid"):
            gen = torch.Generator().manual_seed(seed)
            eps_grid = list(pcfg.eps)
            kw = {"nested": True, "norm": norm, "steps": pcfg.steps, "rel_step": pcfg.rel_step,
                  "early_stop": True}  # fmt: skip
            robust = robust_correct(stacked, x, y, "pgd", eps_grid, generator=gen, **kw)
            if pcfg.clean_start:  # after the random start, whose draws stay as they were
                robust &= robust_correct(stacked, x, y, "pgd", eps_grid, random_start=False, **kw)
            pgd_acc = robust.double().mean(-1).cpu().numpy()
        for j, eps in enumerate(eps_grid):
            rows.add("robust_accuracy", "pgd", norm.value, eps, pgd_acc[:, j], n)
        if len(set(eps_grid)) > 1:
            auc = auc_robust_accuracy(eps_grid, pgd_acc)
            rows.add("robust_auc", "pgd", norm.value, NAN, auc, n)


def _pgd_bisections(
    rows: Rows, stacked: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: AttackConfig, seed: int
) -> None:
    mcfg = cfg.min_perturbation
    summaries = []
    for norm_name in ("linf", "l2"):
        with timed(f"PGD bisection {norm_name}"):
            min_eps = min_perturbation_pgd_bisection(
                stacked, x, y, norm=norm_name, eps_max=mcfg.bound(norm_name),
                steps=mcfg.pgd_steps, n_bisect=mcfg.bisection_steps,
                rel_step=cfg.pgd.norm(norm_name).rel_step,
                generator=torch.Generator().manual_seed(seed + 1),
            )  # fmt: skip
            s = summarize_min_perturbation(min_eps, mcfg.bound(norm_name))
            summaries.append(("pgd_bisection", norm_name, s))
    for attack, norm_name, summary in summaries:
        _summary_rows(rows, attack, norm_name, summary)


def _paper_linesearch(
    rows: Rows, stacked: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: AttackConfig
) -> None:
    """The paper's minimal-ε FGSM line search (``min_perturbation.linesearch``)."""
    if cfg.min_perturbation.linesearch:
        with timed("FGSM line search"):
            s = summarize_min_perturbation(
                min_perturbation_fgsm_linesearch(stacked, x, y), LINESEARCH_MAX
            )
        _summary_rows(rows, "fgsm_linesearch", "linf", s)


def _summary_rows(rows: Rows, attack: str, norm: str, s: PerturbationSummary) -> None:
    rows.add("min_perturbation_mean", attack, norm, NAN, s.mean, s.n_fooled)
    rows.add("min_perturbation_median", attack, norm, NAN, s.median, s.n_fooled)
    rows.add("min_perturbation_median_censored", attack, norm, NAN, s.median_censored, s.n_correct)
    rows.add("min_perturbation_min", attack, norm, NAN, s.min, s.n_fooled)
    rows.add("min_perturbation_max", attack, norm, NAN, s.max, s.n_fooled)
    rows.add("never_fooled_share", attack, norm, NAN, s.never_fooled_share, s.n_correct)
    rows.add("min_perturbation_rmean", attack, norm, NAN, s.rmean, s.n)


def primary_min_perturbation(
    net: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: AttackConfig = AttackConfig(),
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Each input's minimal ε by bisection with AutoAttack's white-box chain (the primary measure).

    ``cfg`` is the ``attack`` section: ``primary`` gives the norm, the bracket
    [0, ``eps_max``] halved ``bisection_steps`` times and APGD-CE's
    ``restarts``; APGD-CE's steps and APGD-T come from ``autoattack``.
    Returns ``(K, B)`` as :func:`graphprior.robustness.minimal.min_perturbation_bisection`.
    """
    pcfg = cfg.primary
    budget = budget_from_config(cfg.autoattack)
    ce = dataclasses.replace(budget.apgd_ce, restarts=pcfg.restarts)
    return min_perturbation_apgd_bisection(
        net, x, y, norm=pcfg.norm, eps_max=pcfg.eps_max, n_bisect=pcfg.bisection_steps,
        budgets=(ce, budget.apgd_t), generator=generator,
    )  # fmt: skip


def _primary(
    rows: Rows, stacked: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: AttackConfig, seed: int,
    robust: dict, checks: list | None,
) -> None:  # fmt: skip
    """The primary measure's rows and gate (``attack.primary``; :func:`primary_min_perturbation`).

    Rows: every minimal-perturbation summary under attack ``apgd_bisection``,
    ``min_perturbation_rmean`` the primary one. Gate
    ``bisection_not_weaker_than_autoattack:<norm>:<ε>``: on the inputs both
    saw, the share the bisection finds robust at each AutoAttack ε (above ε
    plus one final bracket width, the search's resolution) exceeds
    AutoAttack's robust accuracy (`robust`) by at most the tolerance.
    """
    pcfg = cfg.primary
    n_p = pcfg.n_samples
    xb, yb = (x, y) if n_p is None else (x[:n_p], y[:n_p])
    norm, eps_max = pcfg.norm, pcfg.eps_max
    with timed(f"primary: APGD bisection {norm} on {int(xb.shape[0])} inputs"):
        min_eps = primary_min_perturbation(
            stacked, xb, yb, cfg, torch.Generator().manual_seed(seed + 2)
        )
    _summary_rows(rows, "apgd_bisection", norm, summarize_min_perturbation(min_eps, eps_max))
    tol = cfg.checks.tolerance
    # the bisection's value lies up to one bracket width above the smallest ε its oracle
    # succeeds at: an input counts as robust at ε only above ε + that width
    width = eps_max / 2**pcfg.bisection_steps
    for (aa_norm, eps), worst in robust.items():
        common = min(int(worst.shape[1]), int(xb.shape[0]))
        if aa_norm != norm or checks is None or common == 0 or eps >= eps_max:
            continue
        by_bisection = (min_eps[:, :common] > eps + width).double().mean(1)
        gap = (by_bisection - worst[:, :common].double().mean(1)).cpu().numpy()
        check = f"bisection_not_weaker_than_autoattack:{norm}:{eps:g}"
        checks += check_rows(check, gap, tol, ~(gap > tol + 1e-12), stacked.k)


def _onepixel_and_clever(
    rows: Rows, stacked: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: AttackConfig, seed: int
) -> None:
    ocfg, ccfg = cfg.onepixel, cfg.clever
    if ocfg.n_samples > 0:
        with timed("one-pixel attack"):
            op = onepixel_success_rate(
                stacked, x, y, ocfg.n_samples, maxiter=ocfg.maxiter, popsize=ocfg.popsize,
                seed=seed,
            )  # fmt: skip
        rows.add("onepixel_success_rate", "onepixel", "none", NAN, op.success_rate, op.n_attacked)
        n_op = min(ocfg.n_samples, int(x.shape[0]))
        rows.add("onepixel_exhaustive", "onepixel", "none", NAN, float(op.exhaustive), n_op)
        rows.add(
            "adv_confidence_mean", "onepixel", "none", NAN, op.adv_confidence_mean, op.n_successful
        )
    if ccfg.n_samples > 0:
        with timed("CLEVER"):
            res = clever_u_batched(
                stacked, x[: ccfg.n_samples], nb_batches=ccfg.nb_batches,
                batch_size=ccfg.batch_size, radius=ccfg.radius, norm=norm_order(ccfg.norm),
                n_classes=ccfg.n_classes, seed=seed,
            )  # fmt: skip
        clever_norm = {1.0: "l1", 2.0: "l2", math.inf: "linf"}[norm_order(ccfg.norm)]
        radius, n_cl = ccfg.radius, res.scores.shape[1]
        rows.add("clever_score", "clever", clever_norm, radius, res.scores.mean(1), n_cl)
        rows.add("clever_capped_share", "clever", clever_norm, radius, res.capped.mean(1), n_cl)


def _autoattack(
    rows: Rows, stacked: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: AttackConfig, seed: int,
    checks: list | None, reference: list[dict],
) -> dict[tuple[str, float], torch.Tensor]:  # fmt: skip
    """The AutoAttack rows and gates; returns the per-input worst case ``(K, n)`` per (norm, ε).

    ``reference``: the clean and FGSM rows on the same inputs, for the gates
    that compare with them.
    """
    acfg, ccfg, n = cfg.autoattack, cfg.checks, int(x.shape[0])
    worst_cases: dict[tuple[str, float], torch.Tensor] = {}
    budget = budget_from_config(acfg)
    tol, factor, escalations = ccfg.tolerance, ccfg.effort_factor, ccfg.max_escalations
    m = n if ccfg.effort_samples is None else min(n, ccfg.effort_samples)
    for j, norm in enumerate(("linf", "l2")):
        for eps in acfg.eps(norm):
            with timed(f"AutoAttack {norm} eps={eps:g}"):
                robust = autoattack(
                    stacked, x, y, eps, norm=norm, budget=budget, seed=seed + j,
                    chained=acfg.chained,
                )  # fmt: skip
            with timed(f"more-effort gate {norm} eps={eps:g} on {m} inputs"):
                gens = tuple(
                    torch.Generator().manual_seed(seed + s) for s in (10 + j, 12 + j, 14 + j)
                )
                gate, gated, effort = effort_gate(
                    stacked, x[:m], y[:m], robust["autoattack"][:, :m], eps=eps, norm=norm,
                    budget=(budget.apgd_ce, budget.apgd_t), factor=factor, tol=tol,
                    generators=gens, max_escalations=escalations,
                )  # fmt: skip
                worst = robust["autoattack"].clone()
                worst[:, :m] = gated
            # the ensemble's members at their budget; `autoattack`: the worst case of every run
            for attack in MEMBERS:
                rows.add("robust_accuracy", attack, norm, eps, robust[attack].double().mean(1), n)
            rows.add("robust_accuracy", "autoattack", norm, eps, worst.double().mean(1), n)
            rows.add("autoattack_effort", "autoattack", norm, eps, effort.astype(float), n)
            if acfg.reference:  # the reference implementation's standard version, per model
                with timed(f"reference AutoAttack {norm} eps={eps:g}"):
                    ref = reference_autoattack(stacked, x, y, eps, norm, seed=seed + j)
                rows.add("robust_accuracy", REFERENCE_ATTACK, norm, eps, ref.double().mean(1), n)
            worst_cases[(norm, eps)] = worst
            if checks is not None:
                checks += gate
    # the model's own gradient is a model property; the gate also asks the surrogate's
    own, blind, n_correct = zero_gradient_shares(stacked, x, y)
    rows.add("zero_gradient_share", "none", "none", NAN, own, n_correct)
    if checks is None:
        return worst_cases
    for j, norm in enumerate(("linf", "l2")):
        eps = cfg.min_perturbation.bound(norm)
        gens = [torch.Generator().manual_seed(seed + s + j) for s in (20, 22)]
        plain, smooth = apgd_ce_plain_and_smooth(stacked, x, y, eps, norm, budget.apgd_ce, gens)
        value = (plain & smooth).double().mean(1).cpu().numpy()
        checks += check_rows(
            f"largest_eps_fools:{norm}:{eps:g}", value, tol, value <= tol, stacked.k
        )
    checks += check_rows("zero_gradient_share", blind, tol, ~(blind > tol), stacked.k)
    measured = [r for r in rows if r["attack"] != "fgsm" and not r["measure"].startswith("clean")]
    checks += input_gates([*reference, *measured], stacked.k, cfg)
    return worst_cases


def run_input_attacks(
    net: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: AttackConfig = AttackConfig(),
    generator_seed: int = 0,
    checks: list | None = None,
    suite: str = "full",
) -> list[dict]:
    """Every input-space measure for a stack of models, as long-format rows.

    Parameters
    ----------
    net : nn.Module
        A :class:`graphprior.nets.stacked.StackedNet` (or any stack / single model).
    x, y : torch.Tensor
        Test inputs ``(N, …)`` in [0, 1] and labels ``(N,)``; the first
        ``cfg.n_samples`` are used, and the first ``cfg.primary.n_samples``
        (all when None) by the primary measure.
    cfg : AttackConfig
        The ``attack`` config section (``AttackConfig()``: the schema's
        defaults; ``AttackConfig.from_dict`` of a validated config's section).
    generator_seed : int
        Seed of every random draw (PGD starts, bisection, DE, CLEVER).
    checks : list, optional
        Where given, the validity gates of the attacks are appended to it
        (rows of :func:`graphprior.robustness.gates.check_rows`).
    suite : str
        One of :data:`SUITES`: ``paper`` stops after the paper's measures.

    Returns
    -------
    list of dict
        Rows ``{"model_index", "measure", "attack", "norm", "eps", "layer",
        "value", "n"}``; ``eps`` is NaN where no single budget applies,
        ``norm`` is "none" for budget-free measures (and for the one-pixel
        attack, an L0 budget of one pixel), ``n`` counts the samples behind
        the value. Measure names and definitions: ``docs/measures.md``.
    """
    stacked = as_stacked(net)
    n = cfg.n_samples
    x_all, y_all = x, torch.as_tensor(y).long()
    x, y = x_all[:n], y_all[:n]
    seed = int(generator_seed)
    if suite not in SUITES:
        raise ValueError(f"suite must be one of {SUITES}, got {suite!r}")
    rows = Rows(stacked.k)
    _clean_and_fgsm(rows, stacked, x, y, cfg)
    if suite == "paper":
        _paper_linesearch(rows, stacked, x, y, cfg)
        return list(rows)
    xs, ys = attack_subset(x, y, cfg.subset_samples)
    reference: list[dict] = list(rows)
    if xs is not x:  # the gates compare with clean and FGSM accuracy on the same inputs
        reference = Rows(stacked.k)
        _clean_and_fgsm_grid(reference, stacked, xs, ys, cfg)
    _pgd_grids(rows, stacked, xs, ys, cfg, seed)
    robust = _autoattack(rows, stacked, xs, ys, cfg, seed, checks, reference)
    _paper_linesearch(rows, stacked, x, y, cfg)
    _pgd_bisections(rows, stacked, xs, ys, cfg, seed)
    xp, yp = (x_all, y_all) if xs is x else (xs, ys)
    _primary(rows, stacked, xp, yp, cfg, seed, robust, checks)
    _onepixel_and_clever(rows, stacked, xs, ys, cfg, seed)
    with timed("loss sensitivity"):
        sensitivity = loss_sensitivity(stacked, x, y)
    rows.add("loss_sensitivity", "none", "l2", NAN, sensitivity, int(x.shape[0]))
    return list(rows)


def attack_subset(
    x: torch.Tensor, y: torch.Tensor, size: int | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The inputs of the costly attacks (``attack.subset_samples``): ``x, y`` themselves when
    ``size`` is None or covers them, else a random subset of ``size``, drawn with seed 0
    (the same for every model and group), in ascending order.

    >>> xs, ys = attack_subset(torch.arange(10.0), torch.arange(10), 3)
    >>> ys.tolist() == sorted(ys.tolist()) and len(ys) == 3
    True
    """
    if size is None:
        return x, y
    return seeded_subset(x, y, int(size), torch.Generator().manual_seed(0))


def seeded_subset(
    x: torch.Tensor, y: torch.Tensor, n: int, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random subset of ``n`` samples, in ascending index order (all if ``n`` covers them)."""
    if n >= len(y):
        return x, y
    idx = torch.randperm(len(y), generator=gen)[:n].sort().values.to(x.device)
    return x[idx], y[idx]
