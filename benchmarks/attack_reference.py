"""Side-by-side runs of our AutoAttack and CLEVER against their reference implementations.

Used by ``benchmarks/attack.py`` (which documents the models and prints the
tables). Two comparisons, each timed in the same process, one after the
other, so that the ratio of the two times is what the noisy shared machine
can measure:

* :func:`autoattack_rows`: our stacked :func:`graphprior.robustness.autoattack`
  (APGD-CE, APGD-T, Square on every input, all K models at once) against the
  reference ``pyautoattack`` package run model by model. Two budgets: the
  default of ``config/config.yaml`` (reference in its ``custom`` version with
  the same three attacks, iterations, target classes and queries, Square's
  schedule rescaled to the query count as ours) and the reference's
  ``standard`` version (which adds FAB-T; ours runs its members at the
  standard budget). The reference attacks only the inputs still robust
  after each member; ours runs every member on every input. Ours has a
  fourth member, ``apgd_smooth``, which the reference has no counterpart of.
* :func:`clever_rows`: our batched :func:`graphprior.robustness.clever.clever_u_batched`
  against ART's ``clever_u`` (through
  ``clever_scores`` of tests/art_reference.py, model by model,
  input by input), at the settings of ``attack.clever`` of
  ``config/config.yaml``. Ours is timed at the config's ``n_classes`` (one
  runner-up class fitted) and with every class fitted, the estimator ART
  computes; agreement is measured on the latter.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from graphprior.config.sections import AttackConfig
from graphprior.graphs.selection import load_study
from graphprior.robustness.apgd import ApgdBudget
from graphprior.robustness.autoattack import AutoAttackBudget, autoattack, budget_from_config
from graphprior.robustness.clever import clever_u_batched, norm_order
from graphprior.robustness.stacking import as_stacked, single_model

# ART, the tests' reference (the test extra); benchmarks/conftest.py puts the repository root
# on the path
from tests.art_reference import clever_scores  # noqa: E402

CONFIG = Path(__file__).resolve().parents[1] / "config" / "config.yaml"
#: ε of a norm the default config runs no AutoAttack at (its first ε otherwise).
FALLBACK_EPS = {"linf": 0.1, "l2": 0.5}
#: the reference's standard version (Croce, Hein 2020), without FAB-T
STANDARD = AutoAttackBudget(ApgdBudget(100, 1), ApgdBudget(100, 1, 9), 5000, 0.8)


def default_attack_config() -> AttackConfig:
    """The ``attack`` section of ``config/config.yaml``, defaults filled in."""
    return load_study(CONFIG).attack


def _reference(model, norm: str, eps: float, budget: AutoAttackBudget | None):
    """A ``pyautoattack.AutoAttack`` on one model: standard version (None) or our budget."""
    import pyautoattack  # optional: only this benchmark and a unit test need it

    ref_norm = {"linf": "Linf", "l2": "L2"}[norm]
    if budget is None:
        ref = pyautoattack.AutoAttack(model, norm=ref_norm, eps=eps, seed=0)
    else:
        ref = pyautoattack.AutoAttack(
            model, norm=ref_norm, eps=eps, seed=0, version="custom",
            attacks=["apgd-ce", "apgd-t", "square"],
        )  # fmt: skip
        ref.apgd.n_iter, ref.apgd.n_restarts = budget.apgd_ce.steps, budget.apgd_ce.restarts
        ref.apgd_targeted.n_iter = budget.apgd_t.steps
        ref.apgd_targeted.n_restarts = budget.apgd_t.restarts
        ref.apgd_targeted.n_target_classes = budget.apgd_t.n_targets
        ref.square.n_queries, ref.square.p_init = budget.square_queries, budget.square_p_init
        ref.square.rescale_schedule = True  # as ours: p's schedule scaled to the query count
    ref.logger.setLevel(50)
    ref.verbose = False
    return ref


def reference_robust_accuracy(
    net, x: torch.Tensor, y: torch.Tensor, norm: str, eps: float, budget
) -> float:
    """Mean over the models of the reference AutoAttack's robust accuracy, model by model."""
    accs = []
    for k in range(as_stacked(net).k):
        model = single_model(net, k).eval()
        ref = _reference(model, norm, eps, budget)
        with torch.no_grad():
            x_adv = ref.run_standard_evaluation(x, y, batch_size=len(x))[0]
            accs.append(float((model(x_adv).argmax(1) == y).double().mean()))
    return float(np.mean(accs))


def _timed(fn):
    """CPU seconds of ``fn()`` (one thread: immune to other jobs on a shared machine) and its result."""
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def rate(n: float, seconds: float) -> str:
    """Samples per second with three significant digits."""
    r = n / seconds
    return f"{r:,.0f}" if r >= 100 else f"{r:.3g}"


def failed_fits(scores: np.ndarray, radius: float) -> int:
    """Scores below 1 % of the radius: a reverse-Weibull fit that ran off (location ≫ the maxima)."""
    return int((scores < 0.01 * radius).sum())


def autoattack_rows(nets, x, y, n_default: int, n_standard: int) -> list[list[str]]:
    """One row per net, budget and norm: throughput and robust accuracy, ours and reference."""
    cfg = default_attack_config().autoattack
    budgets = [
        ("default (config.yaml)", budget_from_config(cfg), n_default),
        ("standard", STANDARD, n_standard),
    ]
    rows = []
    for label, budget, n in budgets:
        xs, ys = x[:n], y[:n]
        ref_budget = None if label == "standard" else budget
        for name, net in nets:
            k = as_stacked(net).k
            for norm in ("linf", "l2"):
                eps = float((cfg.eps(norm) or (FALLBACK_EPS[norm],))[0])
                t_ours, robust = _timed(
                    lambda net=net, norm=norm, eps=eps, xs=xs, ys=ys, budget=budget: autoattack(
                        net, xs, ys, eps, norm=norm, budget=budget, seed=0
                    )["autoattack"]
                )
                t_ref, acc_ref = _timed(
                    lambda net=net, norm=norm, eps=eps, xs=xs, ys=ys, rb=ref_budget: (
                        reference_robust_accuracy(net, xs, ys, norm, eps, rb)
                    )
                )
                rows.append(
                    [
                        name, str(k), label, f"{norm}, ε={eps:g}", str(n),
                        rate(k * n, t_ours), rate(k * n, t_ref),
                        f"{t_ref / t_ours:.1f}×",
                        f"{float(robust.double().mean()):.3f}", f"{acc_ref:.3f}",
                    ]
                )  # fmt: skip
    return rows


def clever_rows(nets, x, n: int) -> list[list[str]]:
    """One row per net and setting of ours: throughput, and agreement with ART's scores."""
    c = default_attack_config().clever
    kw = {"nb_batches": int(c.nb_batches), "batch_size": int(c.batch_size)}
    radius, norm = float(c.radius), norm_order(c.norm)
    xs = x[:n]
    rows = []
    for name, net in nets:
        k = as_stacked(net).k
        t_art, art0 = _timed(lambda net=net: clever_scores(net, xs, n, radius=radius, norm=norm,
                                                           seed=0, **kw))  # fmt: skip
        art1 = clever_scores(net, xs, n, radius=radius, norm=norm, seed=1, **kw)
        art_spread = np.abs(art0 - art1)
        for n_classes in (c.n_classes, None):
            t_ours, res = _timed(
                lambda net=net, nc=n_classes: clever_u_batched(
                    net, xs, radius=radius, norm=norm, n_classes=nc, seed=0, **kw
                )
            )
            diff = np.abs(res.scores - art0)
            fitted = "all classes" if n_classes is None else f"{n_classes} class(es)"
            rows.append(
                [
                    name, str(k), fitted, str(n), rate(k * n, t_ours), rate(k * n, t_art),
                    f"{t_art / t_ours:.1f}×", f"{res.scores.mean():.3f}", f"{art0.mean():.3f}",
                    f"{diff.mean():.3f} / {np.median(diff):.3f}",
                    f"{art_spread.mean():.3f} / {np.median(art_spread):.3f}",
                    f"{failed_fits(res.scores, radius)} / {failed_fits(art0, radius)} / "
                    f"{failed_fits(art1, radius)} of {art0.size}",
                ]
            )  # fmt: skip
    return rows
