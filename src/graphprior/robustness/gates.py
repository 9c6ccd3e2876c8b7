"""Validity gates of an attack group: checks that the attacks measured what they claim to.

After Carlini et al. 2019, "On Evaluating Adversarial Robustness" (arXiv
1902.06705), and Croce, Hein 2020 (AutoAttack's own checks): an evaluation is
suspect — typically of gradient masking — when an attack at ε = 0 does not
give clean accuracy, when a large ε does not drive robust accuracy to zero,
when more iterations or restarts still lower robust accuracy, when a
black-box attack beats the white-box ones, when inputs have zero gradient,
or when an iterative attack is weaker than a single step. Each gate is one
row per model ``{"model_index", "check", "value", "threshold", "passed"}``;
a model that fails a gate has its attack measures left out of the claims.
Definitions and the check names: ``docs/measures.md``, section "Validity
gates".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from graphprior.config.sections import AttackConfig
from graphprior.robustness.apgd import ApgdBudget, apgd
from graphprior.robustness.smooth import smooth_relu_gradients
from graphprior.robustness.square import margin
from graphprior.robustness.stacking import frozen_eval, layout

__all__ = [
    "WHITE_BOX",
    "check_rows",
    "zero_gradient_share",
    "zero_gradient_shares",
    "apgd_ce_plain_and_smooth",
    "row_values",
    "input_gates",
    "effort_gate",
]


#: The ensemble's gradient members, by attack name.
WHITE_BOX = ("apgd_ce", "apgd_t", "apgd_smooth")
#: The same members as runs: APGD's loss, and whether through the smooth surrogate.
_WHITE_BOX_RUNS = (("ce", False), ("dlr_targeted", False), ("ce", True))


def check_rows(
    check: str, values: Any, threshold: float, passed: Any, k: int
) -> list[dict[str, Any]]:
    """One gate row per model."""
    v = np.broadcast_to(np.asarray(values, dtype=np.float64), (k,))
    p = np.broadcast_to(np.asarray(passed, dtype=bool), (k,))
    return [
        {"model_index": i, "check": check, "value": float(v[i]), "threshold": float(threshold),
         "passed": bool(p[i])}
        for i in range(k)
    ]  # fmt: skip


def _zero_margin_gradient(stacked: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """Per input ``(K, B)``: correctly classified, and margin-loss input gradient exactly zero."""
    with frozen_eval(stacked):
        xg = x.detach().requires_grad_(True)
        with torch.enable_grad():
            logits = stacked(xg)
            (grad,) = torch.autograd.grad(margin(logits, y).sum(), xg)
    return logits.argmax(-1) == y, grad.flatten(2).abs().amax(2) == 0


def _share(zero: torch.Tensor, correct: torch.Tensor) -> np.ndarray:
    """Per model: share of the correct inputs in ``zero`` (NaN for a model with none correct)."""
    n = correct.sum(1).double()
    share = (zero & correct).sum(1).double() / n.clamp_min(1)
    return torch.where(n > 0, share, torch.full_like(share, math.nan)).cpu().numpy()


def zero_gradient_shares(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`zero_gradient_share` both ways in one pass each, and the correct count.

    Returns per model ``(own, through the surrogate too, correctly classified inputs)``.
    """
    stacked, x, y = layout(model, x, y)
    correct, own = _zero_margin_gradient(stacked, x, y)
    with smooth_relu_gradients():
        blind = own & _zero_margin_gradient(stacked, x, y)[1]
    return _share(own, correct), _share(blind, correct), correct.sum(1).cpu().numpy()


def zero_gradient_share(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, smooth: bool = True
) -> np.ndarray:
    """Share of correctly classified inputs where every gradient the attacks follow is zero.

    The margin ``z_y − max_{j≠y} z_j`` (the unnormalised DLR loss) does not
    saturate like the cross-entropy, so a zero gradient means the gradient
    carries no signal there (the reference's ``check_zero_gradients`` uses
    the DLR loss for the same reason). With ``smooth`` an input counts only
    where the gradient through the softplus surrogate
    (:mod:`graphprior.robustness.smooth`, the ``apgd_smooth`` member's) is zero
    as well; without, the model's own gradient alone. NaN for a model with no
    correct input.
    """
    if smooth:
        return zero_gradient_shares(model, x, y)[1]
    stacked, x, y = layout(model, x, y)
    correct, own = _zero_margin_gradient(stacked, x, y)
    return _share(own, correct)


def apgd_ce_plain_and_smooth(
    stacked: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    norm: str,
    budget: ApgdBudget,
    generators: Sequence[torch.Generator],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-input robustness ``(K, B)`` under APGD-CE, and under APGD-CE through the surrogate.

    The pair of runs behind the ``largest_eps_fools`` gate (one generator each).
    """
    out = []
    for smooth, gen in zip((False, True), generators, strict=True):
        with smooth_relu_gradients(smooth):
            out.append(
                apgd(stacked, x, y, eps, norm=norm, loss="ce", budget=budget, generator=gen)[0]
            )
    return out[0], out[1]


def row_values(rows: Sequence[dict], k: int, measure: str, attack: str, norm: str, eps: float):
    """The per-model values ``(K,)`` of one measure in a list of robustness rows (NaN if absent)."""
    out = np.full(k, math.nan)
    for r in rows:
        same_eps = (math.isnan(eps) and math.isnan(r["eps"])) or r["eps"] == eps
        if r["measure"] == measure and r["attack"] == attack and r["norm"] == norm and same_eps:
            out[r["model_index"]] = r["value"]
    return out


def _leq(check: str, values: np.ndarray, threshold: float, k: int) -> list[dict]:
    """A gate passed where ``value <= threshold`` (NaN: not measurable, passes)."""
    passed = ~(values > threshold + 1e-12)
    return check_rows(check, values, threshold, passed, k)


def input_gates(rows: Sequence[dict], k: int, cfg: AttackConfig) -> list[dict]:
    """The gates computed from the rows already measured (PGD, FGSM, AutoAttack grids)."""
    tol = cfg.checks.tolerance
    out: list[dict] = []
    clean = row_values(rows, k, "clean_accuracy", "none", "none", math.nan)
    for norm in ("linf", "l2"):
        if 0.0 in cfg.pgd.norm(norm).eps:
            diff = np.abs(row_values(rows, k, "robust_accuracy", "pgd", norm, 0.0) - clean)
            out += _leq(f"eps0_equals_clean:pgd:{norm}", diff, 0.0, k)
        for eps in cfg.autoattack.eps(norm):
            white = np.fmin.reduce(
                [row_values(rows, k, "robust_accuracy", a, norm, eps) for a in WHITE_BOX], axis=0
            )
            square = row_values(rows, k, "robust_accuracy", "square", norm, eps)
            out += _leq(f"square_not_stronger:{norm}:{eps:g}", white - square, tol, k)
    common = sorted(set(cfg.fgsm.eps) & set(cfg.pgd.linf.eps))
    if common:
        gap = np.max(
            [row_values(rows, k, "robust_accuracy", "pgd", "linf", e)
             - row_values(rows, k, "robust_accuracy", "fgsm", "linf", e) for e in common],
            axis=0,
        )  # fmt: skip
        out += _leq("pgd_not_weaker_than_fgsm:linf", gap, tol, k)
    return out


def _scaled(budget: tuple[ApgdBudget, ApgdBudget], level: int) -> tuple[ApgdBudget, ApgdBudget]:
    """The ensemble's white-box budgets at effort ``level`` (1: as configured): more steps."""
    ce, t = budget
    return (
        ApgdBudget(ce.steps * level, ce.restarts),
        ApgdBudget(t.steps * level, t.restarts, t.n_targets),
    )


def _joined_with_stronger(
    stacked: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    robust: torch.Tensor,
    eps: float,
    norm: str,
    budget: tuple[ApgdBudget, ApgdBudget],
    generators: Sequence[torch.Generator],
) -> torch.Tensor:
    """``robust`` ``(K, B)`` and-ed with APGD-CE, APGD-T and APGD-CE through the surrogate."""
    more = robust.clone()
    cols = torch.nonzero(robust.any(0)).flatten()  # only inputs some model still resists can change
    if cols.numel() == 0:
        return more
    x, y = x[cols], y[cols]
    budgets = (budget[0], budget[1], budget[0])
    for (loss, smooth), b, gen in zip(_WHITE_BOX_RUNS, budgets, generators, strict=True):
        with smooth_relu_gradients(smooth):
            r, _ = apgd(stacked, x, y, eps, norm=norm, loss=loss, budget=b, generator=gen)
        more[:, cols] &= r
    return more


def effort_gate(
    stacked: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    robust: torch.Tensor,
    *,
    eps: float,
    norm: str,
    budget: tuple[ApgdBudget, ApgdBudget],
    factor: int,
    tol: float,
    generators: Sequence[torch.Generator],
    max_escalations: int = 0,
) -> tuple[list[dict], torch.Tensor, np.ndarray]:
    """Robust accuracy drops by at most ``tol`` when the white-box members get more effort.

    Effort 1 is the ensemble's budget (``budget``: APGD-CE's and APGD-T's;
    ``robust``: the ensemble's per-input robustness ``(K, B)``). The gate runs
    APGD-CE, APGD-T and ``apgd_smooth`` again from new random starts with
    ``factor``× the steps and the configured restarts (``generators``: one per
    run, in that order; docs/benchmarks.md, "Settled experiments",
    says why not more restarts): with the ensemble's own run, every input
    gets one more set of restarts, at ``factor``× the steps. The gate's value
    is the robust accuracy before minus that of every run together. A model
    whose robust accuracy drops by more than ``tol`` is checked again, effort ``factor`` against ``factor²``,
    and so on, at most ``max_escalations`` times; only those models are
    attacked again (``StackedNet.select``: a model's attack does not depend on
    its stack-mates). Every run counts: each model's per-input robustness is
    the worst case over all the runs it got. Returns the gate rows (the last
    doubling each model got), that per-input robustness ``(K, B)``, and each
    model's largest effort.
    """
    k = stacked.k
    current = robust.clone()
    effort = np.ones(k, dtype=np.int64)
    todo = list(range(k))
    drop = np.zeros(k)
    for escalation in range(max_escalations + 1):
        stronger = int(factor ** (escalation + 1))
        scaled = _scaled(budget, stronger)
        if len(todo) < k and hasattr(stacked, "select"):
            more = _joined_with_stronger(
                stacked.select(todo), x, y, current[todo], eps, norm, scaled, generators
            )
        else:  # every model again (a generic stack cannot be cut), then the ones to check
            more = _joined_with_stronger(stacked, x, y, current, eps, norm, scaled, generators)
            more = more[todo]
        d = (current[todo].double().mean(1) - more.double().mean(1)).cpu().numpy()
        drop[todo] = d
        current[todo] = more
        effort[todo] = stronger
        todo = [i for i, di in zip(todo, d, strict=True) if di > tol + 1e-12]
        if not todo:
            break
    return _leq(f"more_effort:{norm}:{eps:g}", drop, tol, k), current, effort
