"""The reference AutoAttack (the pyautoattack package, standard version), model by model.

:mod:`graphprior.robustness.autoattack` runs its own AutoAttack on a whole stack
of models at the config's budget. With ``attack.autoattack.reference: true`` the
attack stage also runs the reference implementation's standard version
(APGD-CE, APGD-T, FAB-T and Square at their standard effort, chained) on each
model of the stack, on the same inputs: the number a RobustBench reader calls
AutoAttack, whatever budget the study's own ensemble has. pyautoattack is
imported only here, when the option is on.
"""

from __future__ import annotations

import torch
from torch import nn

from graphprior.robustness.stacking import as_stacked, frozen_eval, single_model

__all__ = ["REFERENCE_ATTACK", "reference_autoattack"]

#: The ``attack`` name of the reference's rows in the `robustness` table.
REFERENCE_ATTACK = "autoattack_reference"

_NORMS = {"linf": "Linf", "l2": "L2"}


def reference_autoattack(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, norm: str, *, seed: int = 0
) -> torch.Tensor:
    """Which inputs each model of ``model`` still classifies correctly after the reference's
    standard AutoAttack at radius ``eps`` in ``norm`` (``linf`` or ``l2``): ``(K, n)`` bool.
    """
    try:
        import pyautoattack
    except ImportError as exc:  # the option is on, the package is not installed
        raise RuntimeError(
            "attack.autoattack.reference: true needs the reference AutoAttack, the pyautoattack "
            "package (pip install pyautoattack)"
        ) from exc
    if norm not in _NORMS:
        raise ValueError(f"reference AutoAttack: norm {norm!r} is not one of {sorted(_NORMS)}")
    stacked = as_stacked(model)
    robust = []
    for k in range(stacked.k):
        single = single_model(stacked, k)
        with frozen_eval(single):
            attack = pyautoattack.AutoAttack(
                single, norm=_NORMS[norm], eps=float(eps), seed=seed, device=x.device,
                version="standard",
            )  # fmt: skip
            attack.logger.setLevel(50)  # its per-attack report would flood the job's log
            x_adv = attack.run_standard_evaluation(x, y, batch_size=max(int(x.shape[0]), 1))[0]
            with torch.no_grad():
                robust.append(single(x_adv).argmax(1) == y)
    return torch.stack(robust)
