"""Every attack keeps its tensors on the data's device: the attack stage on the `meta` device.

CI has no GPU. A net and its inputs on PyTorch's ``meta`` device stand in for
CUDA: meta tensors have shapes but no data, and an op that mixes a meta tensor
with a CPU tensor (other than a 0-d scalar) raises, as CUDA does.
:class:`MetaRun`, a dispatch mode, checks that on every op, checks that no
random draw for the device uses a generator of another device (CUDA refuses
a CPU generator), and answers the few
questions that need data (``bool(t.any())``, ``nonzero``, a copy to the
host) with made-up values, so the whole attack stage runs: ``any`` is True,
``all`` False (every loop body and branch runs), a number is 1, ``nonzero``
selects every element, a copy to the host is zeros. The numbers are meaningless; the test is
whether any op met two devices.

With ``strand=True`` every host-to-device copy of a non-scalar tensor is
skipped, as if the code had drawn it on the CPU and forgotten to move it: the
same runs must then fail, which shows the check can fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from graphprior.config.sections import AttackConfig, MeasuresConfig
from graphprior.graphs.netspec import dense_spec
from graphprior.graphs.selection import load_study
from graphprior.nets.stacked import StackedNet
from graphprior.robustness import run_beyond_input_measures, run_input_attacks
from graphprior.robustness.apgd import ApgdBudget, apgd
from graphprior.robustness.autoattack import AutoAttackBudget, autoattack
from graphprior.robustness.clever import clever_u_batched
from graphprior.robustness.fgsm_pgd import fgsm, pgd
from graphprior.robustness.minimal import (
    min_perturbation_apgd_bisection,
    min_perturbation_pgd_bisection,
)
from graphprior.robustness.square import square_attack
from graphprior.robustness.weights import (
    random_weight_perturbation_accuracy,
    worst_case_weight_perturbation_accuracy,
)

ROOT = Path(__file__).resolve().parents[2]
aten = torch.ops.aten
META = torch.device("meta")


class MetaRun(TorchDispatchMode):
    """Run on ``meta``: fail on mixed devices, make up what needs data (module docstring)."""

    def __init__(self, strand: bool = False):
        super().__init__()
        self.strand = strand

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        tensors = [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]
        target = kwargs.get("device") or (tensors[0].device if tensors else None)
        gen = kwargs.get("generator")
        if gen is not None and target is not None and torch.device(target) == META:
            # there are no meta generators: any generator here is on another device
            raise RuntimeError(f"{func}: a {gen.device} generator draws for {target}")
        if not any(t.device == META for t in tensors) and target != META:
            return func(*args, **kwargs)
        if func is aten._to_copy.default:
            return self._copy(func, args, kwargs)
        devices = {t.device.type for t in tensors if t.dim() > 0}
        if len(devices) > 1 and func is not aten.copy_.default:
            raise RuntimeError(f"{func} mixes devices {sorted(devices)}")
        if func is aten._local_scalar_dense.default:
            if args[0].dtype == torch.bool:
                return not getattr(args[0], "from_all", False)
            return 1
        if func is aten.nonzero.default:
            return torch.empty((args[0].numel(), args[0].dim()), dtype=torch.long, device=META)
        if func is aten.index.Tensor:  # boolean masks select every element
            index = [self._every(i) for i in args[1]]
            return func(args[0], index)
        out = func(*args, **kwargs)
        if func in (aten.all.default, aten.all.dim):
            out.from_all = True  # bool() of it answers False
        return out

    def _copy(self, func, args, kwargs):
        src, dst = args[0], torch.device(kwargs.get("device") or args[0].device)
        if src.device == META and dst != META:  # to the host: no data, zeros
            return torch.zeros(src.shape, dtype=kwargs.get("dtype") or src.dtype, device=dst)
        if self.strand and src.device != META and dst == META and src.dim() > 0:
            return src.clone()  # left on the host, as a forgotten .to(device) would
        return func(*args, **kwargs)

    @staticmethod
    def _every(index):
        if index is None or index.dtype != torch.bool:
            return index
        return torch.empty(int(index.numel()), dtype=torch.long, device=META)


def _meta_stack() -> tuple[StackedNet, torch.Tensor, torch.Tensor]:
    net = StackedNet(dense_spec((1, 8, 8), [6], 10), 2).to(META).eval()
    x = torch.empty(6, 1, 8, 8, device=META)
    y = torch.zeros(6, dtype=torch.long, device=META)
    return net, x, y


SMALL = AutoAttackBudget(ApgdBudget(3, 1), ApgdBudget(3, 1, 2), 4, 0.8)

#: every attack with a random draw, as ``name -> call(net, x, y, generator)``
DRAWING = {
    "pgd linf": lambda n, x, y, g: pgd(n, x, y, eps=0.1, norm="linf", steps=2, generator=g),
    "pgd l2": lambda n, x, y, g: pgd(n, x, y, eps=0.5, norm="l2", steps=2, generator=g),
    "apgd-ce": lambda n, x, y, g: apgd(
        n, x, y, 0.1, norm="linf", loss="ce", budget=SMALL.apgd_ce, generator=g
    ),
    "apgd-t l2": lambda n, x, y, g: apgd(
        n, x, y, 0.5, norm="l2", loss="dlr_targeted", budget=SMALL.apgd_t, generator=g
    ),
    "square linf": lambda n, x, y, g: square_attack(
        n, x, y, 0.1, norm="linf", n_queries=3, p_init=0.8, generator=g
    ),
    "square l2": lambda n, x, y, g: square_attack(
        n, x, y, 0.5, norm="l2", n_queries=3, p_init=0.8, generator=g
    ),
    "autoattack chained": lambda n, x, y, g: autoattack(
        n, x, y, 0.1, norm="linf", budget=SMALL, seed=0, chained=True
    ),
    "pgd bisection": lambda n, x, y, g: min_perturbation_pgd_bisection(
        n, x, y, norm="linf", eps_max=0.3, steps=2, n_bisect=2, rel_step=0.25, generator=g
    ),
    "apgd bisection": lambda n, x, y, g: min_perturbation_apgd_bisection(
        n,
        x,
        y,
        norm="linf",
        eps_max=0.3,
        n_bisect=2,
        budgets=(SMALL.apgd_ce, SMALL.apgd_t),
        generator=g,
    ),  # fmt: skip
    "clever": lambda n, x, y, g: clever_u_batched(
        n, x, nb_batches=2, batch_size=4, radius=2.0, norm=2.0, n_classes=2, seed=0
    ),
    "random weights": lambda n, x, y, g: random_weight_perturbation_accuracy(
        n, x, y, [0.1], "linf", 1, g
    ),
    "worst-case weights": lambda n, x, y, g: worst_case_weight_perturbation_accuracy(
        n, x, y, [0.1], "l2", 2, g, step_size=None
    ),
}


@pytest.mark.parametrize("name", sorted(DRAWING))
def test_every_drawing_attack_stays_on_the_data_device_and_the_check_can_fail(name):
    net, x, y = _meta_stack()
    with MetaRun():
        DRAWING[name](net, x, y, torch.Generator().manual_seed(0))
    with pytest.raises(RuntimeError, match="device"), MetaRun(strand=True):
        DRAWING[name](net, x, y, torch.Generator().manual_seed(0))


def test_fgsm_draws_nothing_and_stays_on_the_data_device():
    net, x, y = _meta_stack()
    with MetaRun(strand=True):
        fgsm(net, x, y, 0.1)


def test_the_whole_attack_stage_runs_on_the_data_device():
    """run_input_attacks (gates included) and run_beyond_input_measures, the smoke study's
    attack and measures sections, every op on one device; stranded draws make it fail."""
    config = load_study(ROOT / "config" / "smoke.yaml")
    attack, measures = config.attack, config.measures
    assert isinstance(attack, AttackConfig) and isinstance(measures, MeasuresConfig)
    net, x, y = _meta_stack()
    with MetaRun():
        rows = run_input_attacks(net, x, y, attack, 0, checks=[])
        rows += run_beyond_input_measures(net, x, y, x, y, measures, 0)
    assert {r["measure"] for r in rows} >= {"robust_accuracy", "prunability", "nc1"}
    with pytest.raises(RuntimeError, match="device"), MetaRun(strand=True):
        run_input_attacks(net, x, y, attack, 0, checks=[])


def test_a_generator_on_another_device_is_caught():
    """A CPU generator drawing for a meta tensor: on CUDA, the same call raises."""
    with pytest.raises(RuntimeError, match="generator"), MetaRun():
        torch.rand(3, generator=torch.Generator(), device=META)
