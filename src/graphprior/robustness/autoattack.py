"""AutoAttack on stacks of models: its members and their per-input worst case.

Croce, Hein 2020, "Reliable evaluation of adversarial robustness with an
ensemble of diverse parameter-free attacks", ICML. An input counts as robust
for a model under ``autoattack`` when the model classifies it correctly clean
and no member attack fools it. The reference's standard version also runs
FAB-T; it is left out here (on the small nets of this study it adds nothing
the APGD-T run does not find: ``tests/unit/test_autoattack.py`` compares the
ensemble with the reference's standard version). A fourth member,
``apgd_smooth``, is APGD-CE through the model's ReLUs differentiated as
softplus (:mod:`graphprior.robustness.smooth`, after Athalye et al. 2018's
BPDA): it attacks the true model but still has a direction where the
model's own input gradient is zero. Every member attacks every
input, so each has its own robust accuracy; the budget is
``attack.autoattack.*`` (the reference's standard budget: 100 iterations,
APGD-CE one restart, APGD-T 9 target classes, Square 5000 queries).
Definitions: ``docs/measures.md``, section "AutoAttack".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from graphprior.robustness.apgd import ApgdBudget, apgd
from graphprior.robustness.contract import as_stacked, frozen_eval, logits_of
from graphprior.robustness.smooth import smooth_relu_gradients
from graphprior.robustness.square import square_attack

__all__ = ["MEMBERS", "AutoAttackBudget", "budget_from_config", "autoattack"]

#: The member attacks, in the order they run (each its own generator: ``_generators``).
MEMBERS = ("apgd_ce", "apgd_t", "square", "apgd_smooth")


@dataclass(frozen=True)
class AutoAttackBudget:
    """The budget of each member attack."""

    apgd_ce: ApgdBudget
    apgd_t: ApgdBudget
    square_queries: int
    square_p_init: float


def budget_from_config(cfg: dict) -> AutoAttackBudget:
    """The budget from the config section ``attack.autoattack``."""
    ce, t, sq = cfg["apgd_ce"], cfg["apgd_t"], cfg["square"]
    return AutoAttackBudget(
        apgd_ce=ApgdBudget(int(ce["steps"]), int(ce["restarts"])),
        apgd_t=ApgdBudget(int(t["steps"]), int(t["restarts"]), int(t["n_targets"])),
        square_queries=int(sq["queries"]),
        square_p_init=float(sq["p_init"]),
    )


def _generators(seed: int) -> list[torch.Generator]:
    """One child generator per member, so one member's budget never moves another's draws."""
    states = np.random.SeedSequence(int(seed)).generate_state(len(MEMBERS))
    return [torch.Generator().manual_seed(int(s)) for s in states]


def autoattack(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    *,
    norm: str,
    budget: AutoAttackBudget,
    seed: int,
) -> dict[str, torch.Tensor]:
    """Per-input robustness under each member attack and under the ensemble.

    Returns ``{"apgd_ce", "apgd_t", "square", "apgd_smooth", "autoattack"}`` →
    bool ``(K, B)``: whether each model classifies each input correctly clean
    and under that attack (``autoattack``: under all four). A model with fewer than 4
    classes skips APGD-T (its loss needs 4), which counts as not fooling.
    """
    stacked = as_stacked(model)
    if x.shape[0] == 0:  # no inputs: nothing is robust, nothing to attack
        none = torch.zeros((stacked.k, 0), dtype=torch.bool, device=x.device)
        return {name: none.clone() for name in (*MEMBERS, "autoattack")}
    g_ce, g_t, g_sq, g_sm = _generators(seed)
    out: dict[str, torch.Tensor] = {}
    out["apgd_ce"], _ = apgd(
        stacked, x, y, eps, norm=norm, loss="ce", budget=budget.apgd_ce, generator=g_ce
    )
    with frozen_eval(stacked):
        n_classes = int(
            logits_of(stacked, x[:1].unsqueeze(0).expand(stacked.k, *x[:1].shape)).shape[-1]
        )
    if n_classes >= 4:
        out["apgd_t"], _ = apgd(
            stacked, x, y, eps, norm=norm, loss="dlr_targeted", budget=budget.apgd_t,
            generator=g_t,
        )  # fmt: skip
    else:
        out["apgd_t"] = out["apgd_ce"].clone()
    out["square"], _ = square_attack(
        stacked, x, y, eps, norm=norm, n_queries=budget.square_queries,
        p_init=budget.square_p_init, generator=g_sq,
    )  # fmt: skip
    with smooth_relu_gradients():
        out["apgd_smooth"], _ = apgd(
            stacked, x, y, eps, norm=norm, loss="ce", budget=budget.apgd_ce, generator=g_sm
        )
    out["autoattack"] = out["apgd_ce"] & out["apgd_t"] & out["square"] & out["apgd_smooth"]
    return out
