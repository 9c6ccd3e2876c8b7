"""Robustness measures of stacked masked nets: input attacks, weights, pruning, neural collapse.

One module per family; the shared contract (eval mode, frozen parameters,
seeded randomness, the long row format) lives in
:mod:`graphprior.robustness.stacking`:

- :mod:`~graphprior.robustness.fgsm_pgd`: FGSM and PGD (L∞, L2);
- :mod:`~graphprior.robustness.accuracy`: robust accuracy, success rates, AUC,
  adversarial confidence;
- :mod:`~graphprior.robustness.minimal`: minimal adversarial perturbation;
- :mod:`~graphprior.robustness.onepixel`: the One-Pixel attack;
- :mod:`~graphprior.robustness.metrics`: clean accuracy and F1, loss sensitivity;
- :mod:`~graphprior.robustness.weights`: weight perturbation and margins;
- :mod:`~graphprior.robustness.prunability`: pruning curves and prunability;
- :mod:`~graphprior.robustness.collapse`: neural collapse;
- :mod:`~graphprior.robustness.run` and :mod:`~graphprior.robustness.beyond_input`:
  the stage's entry points.

Definitions: ``docs/measures.md``.
"""

from graphprior.robustness.apgd import ApgdBudget, apgd
from graphprior.robustness.autoattack import AutoAttackBudget, autoattack
from graphprior.robustness.beyond_input import run_beyond_input_measures
from graphprior.robustness.fgsm_pgd import fgsm, pgd
from graphprior.robustness.run import SUITES, run_input_attacks
from graphprior.robustness.square import square_attack

__all__ = [
    "fgsm",
    "pgd",
    "apgd",
    "ApgdBudget",
    "square_attack",
    "autoattack",
    "AutoAttackBudget",
    "SUITES",
    "run_input_attacks",
    "run_beyond_input_measures",
]
