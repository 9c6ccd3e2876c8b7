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
model's own input gradient is zero. Unchained (the default study), every
member attacks every input, so each has its own robust accuracy; chained
(``attack.autoattack.chained``, as the reference runs it), APGD-CE attacks
every input and each later member (APGD-T, ``apgd_smooth``, then Square)
only the inputs some model of the stack still resists, so a member's
value is the robust accuracy of the chain up to it. The budget is
``attack.autoattack.*`` (the reference's standard budget: 100 iterations,
APGD-CE one restart, APGD-T 9 target classes, Square 5000 queries).
Definitions: ``docs/measures.md``, section "AutoAttack".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from graphprior.config.sections import AutoAttackConfig
from graphprior.robustness.apgd import ApgdBudget, apgd
from graphprior.robustness.smooth import smooth_relu_gradients
from graphprior.robustness.square import square_attack
from graphprior.robustness.stacking import as_stacked, frozen_eval, logits_of

__all__ = ["MEMBERS", "CHAIN", "AutoAttackBudget", "budget_from_config", "autoattack"]

#: The member attacks, in the order they run (each its own generator: ``_generators``).
MEMBERS = ("apgd_ce", "apgd_t", "square", "apgd_smooth")
#: The order of the chained ensemble: the white-box members, then the black-box one.
CHAIN = ("apgd_ce", "apgd_t", "apgd_smooth", "square")


@dataclass(frozen=True)
class AutoAttackBudget:
    """The budget of each member attack."""

    apgd_ce: ApgdBudget
    apgd_t: ApgdBudget
    square_queries: int
    square_p_init: float

    @classmethod
    def standard(cls) -> AutoAttackBudget:
        """The reference's standard version: 100 iterations, APGD-T on 9 targets, 5000 queries."""
        return budget_from_config(AutoAttackConfig.standard())


def budget_from_config(cfg: AutoAttackConfig) -> AutoAttackBudget:
    """The budget of the config section ``attack.autoattack``."""
    ce, t, sq = cfg.apgd_ce, cfg.apgd_t, cfg.square
    return AutoAttackBudget(
        apgd_ce=ApgdBudget(ce.steps, ce.restarts),
        apgd_t=ApgdBudget(t.steps, t.restarts, t.n_targets),
        square_queries=sq.queries,
        square_p_init=sq.p_init,
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
    norm: str = "linf",
    budget: AutoAttackBudget | None = None,
    seed: int = 0,
    chained: bool = False,
) -> dict[str, torch.Tensor]:
    """Per-input robustness under each member attack and under the ensemble.

    ``budget`` defaults to the reference's standard one
    (:meth:`AutoAttackBudget.standard`); the study passes its config's.

    Returns ``{"apgd_ce", "apgd_t", "square", "apgd_smooth", "autoattack"}`` →
    bool ``(K, B)``: whether each model classifies each input correctly clean
    and under that attack (``autoattack``: under all four). With ``chained``
    the members run in the order of :data:`CHAIN`, each on the inputs that
    some model still resists, and a member's entry is the chain's robustness
    up to and including it. A model with fewer than 4 classes skips APGD-T
    (its loss needs 4), which counts as not fooling.
    """
    stacked = as_stacked(model)
    budget = budget or AutoAttackBudget.standard()
    if x.shape[0] == 0:  # no inputs: nothing is robust, nothing to attack
        none = torch.zeros((stacked.k, 0), dtype=torch.bool, device=x.device)
        return {name: none.clone() for name in (*MEMBERS, "autoattack")}
    gens = dict(zip(MEMBERS, _generators(seed), strict=True))
    with frozen_eval(stacked):
        n_classes = int(
            logits_of(stacked, x[:1].unsqueeze(0).expand(stacked.k, *x[:1].shape)).shape[-1]
        )
    out: dict[str, torch.Tensor] = {}
    robust = None  # the chain's robustness so far
    for name in CHAIN if chained else MEMBERS:
        if name == "apgd_t" and n_classes < 4:
            member = out["apgd_ce"].clone()
        else:
            among = robust if chained else None
            member = _member(stacked, x, y, eps, norm, budget, name, gens[name], among)
        robust = member if robust is None else robust & member
        out[name] = robust.clone() if chained else member
    out["autoattack"] = robust
    return out


def _member(
    stacked: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    norm: str,
    budget: AutoAttackBudget,
    name: str,
    generator: torch.Generator,
    among: torch.Tensor | None = None,
) -> torch.Tensor:
    """One member's per-input robustness ``(K, B)``.

    With ``among`` ``(K, B)`` it attacks only the inputs some model still resists
    there (``among.any(0)``); the others count as fooled.
    """
    if among is not None:
        member = torch.zeros_like(among)
        cols = torch.nonzero(among.any(0)).flatten()  # one host sync per member, not per step
        if cols.numel():
            member[:, cols] = _member(stacked, x[cols], y[cols], eps, norm, budget, name, generator)
        return member
    if name == "square":
        return square_attack(
            stacked, x, y, eps, norm=norm, n_queries=budget.square_queries,
            p_init=budget.square_p_init, generator=generator,
        )[0]  # fmt: skip
    loss = "dlr_targeted" if name == "apgd_t" else "ce"
    member_budget = budget.apgd_t if name == "apgd_t" else budget.apgd_ce
    with smooth_relu_gradients(name == "apgd_smooth"):
        return apgd(
            stacked, x, y, eps, norm=norm, loss=loss, budget=member_budget, generator=generator
        )[0]
