"""Typed config sections: one frozen dataclass per section, with the schema's defaults.

A stage builds the section it needs once, from the schema-validated dict
(:meth:`Section.from_dict`; a whole study is :class:`graphprior.config.study.StudyConfig`),
and the library functions below the stages take these instead of dicts, so a
user calling them directly gets the schema's defaults (``AttackConfig()``) and
a reader sees which keys a function reads. The schema stays the one source of
defaults for the workflow: ``tests/unit/test_config_sections.py`` keeps every
default here equal to the schema's. Lists become tuples (the sections are
frozen and hashable).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from graphprior.config.errors import ConfigError

__all__ = [
    "Section",
    "EpsGrid",
    "PgdNormConfig",
    "PgdConfig",
    "ApgdSection",
    "ApgdTargetedSection",
    "SquareSection",
    "AutoAttackConfig",
    "ChecksConfig",
    "PrimaryConfig",
    "MinPerturbationConfig",
    "OnePixelConfig",
    "CleverConfig",
    "AttackConfig",
    "WeightPerturbationConfig",
    "PruningConfig",
    "NeuralCollapseConfig",
    "MeasuresConfig",
    "PrimaryMeasureSection",
    "SmallestEffectSection",
    "ReportConfig",
]

S = TypeVar("S", bound="Section")


class Section:
    """A config section; :meth:`from_dict` builds it from the validated dict."""

    @classmethod
    def from_dict(cls: type[S], data: Mapping[str, Any] | None) -> S:
        """The section from its dict (keys it lacks keep their defaults; unknown keys are errors)."""
        return _build(cls, data or {}, cls.__name__)


def _build(cls: type, data: Mapping[str, Any], where: str, base: Any = None) -> Any:
    """``cls`` from ``data``; a key ``data`` lacks keeps ``base``'s value (else the default)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    if base is None and all(_has_default(f) for f in fields.values()):
        base = cls()
    values = {
        k: _convert(hints[k], v, f"{where}.{k}", getattr(base, k, None)) for k, v in data.items()
    }
    if base is not None:
        return dataclasses.replace(base, **values)
    missing = sorted(k for k, f in fields.items() if not _has_default(f) and k not in values)
    if missing:
        raise ConfigError(f"{where}: missing key(s) {', '.join(missing)}")
    return cls(**values)


def _has_default(f: dataclasses.Field) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def _convert(tp: Any, value: Any, where: str, default: Any) -> Any:
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _build(tp, value or {}, where, default)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        kinds = [a for a in args if a is not type(None)]
        return value if len(kinds) > 1 else _convert(kinds[0], value, where, default)
    if origin is tuple:
        return tuple(_convert(args[0], v, where, None) for v in value)
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, float) and value.is_integer():
        return int(value)  # the schema's integer admits 10.0 (a YAML/JSON number)
    return value


# --------------------------------------------------------------------------- attack


@dataclass(frozen=True)
class EpsGrid(Section):
    """Budgets of one threat model (``attack.fgsm``, ``attack.autoattack.<norm>``)."""

    eps: tuple[float, ...] = ()


@dataclass(frozen=True)
class PgdNormConfig(Section):
    """One PGD threat model (``attack.pgd.linf`` / ``attack.pgd.l2``)."""

    eps: tuple[float, ...] = ()
    steps: int = 20
    clean_start: bool = True
    rel_step: float = 0.25


@dataclass(frozen=True)
class PgdConfig(Section):
    """``attack.pgd``: the grids of both norms."""

    linf: PgdNormConfig = PgdNormConfig(eps=(0.0, 0.02, 0.05, 0.1, 0.2))
    l2: PgdNormConfig = PgdNormConfig(eps=(0.0, 0.25, 0.5, 1.0, 2.0))

    def norm(self, name: str) -> PgdNormConfig:
        """The grid of norm ``linf`` or ``l2``."""
        return {"linf": self.linf, "l2": self.l2}[name]


@dataclass(frozen=True)
class ApgdSection(Section):
    """``attack.autoattack.apgd_ce``."""

    steps: int = 25
    restarts: int = 1


@dataclass(frozen=True)
class ApgdTargetedSection(Section):
    """``attack.autoattack.apgd_t``."""

    steps: int = 25
    restarts: int = 1
    n_targets: int = 3


@dataclass(frozen=True)
class SquareSection(Section):
    """``attack.autoattack.square``."""

    queries: int = 300
    p_init: float = 0.8


@dataclass(frozen=True)
class AutoAttackConfig(Section):
    """``attack.autoattack``: budgets per norm and each member's effort."""

    chained: bool = False
    reference: bool = False
    linf: EpsGrid = EpsGrid(eps=(0.1,))
    l2: EpsGrid = EpsGrid(eps=(0.5,))
    apgd_ce: ApgdSection = ApgdSection()
    apgd_t: ApgdTargetedSection = ApgdTargetedSection()
    square: SquareSection = SquareSection()

    def eps(self, norm: str) -> tuple[float, ...]:
        """The budgets of norm ``linf`` or ``l2``."""
        return {"linf": self.linf, "l2": self.l2}[norm].eps

    @classmethod
    def standard(cls) -> AutoAttackConfig:
        """The members' effort in the reference's standard version (Croce & Hein 2020): APGD-CE
        and APGD-T at 100 iterations, APGD-T on 9 target classes, Square at 5,000 queries."""
        return cls(
            apgd_ce=ApgdSection(steps=100, restarts=1),
            apgd_t=ApgdTargetedSection(steps=100, restarts=1, n_targets=9),
            square=SquareSection(queries=5000, p_init=0.8),
        )

    def budget_label(self) -> str:
        """``standard`` where every member gets at least the standard effort, else ``reduced``."""
        std = self.standard()
        at_least = (
            self.apgd_ce.steps >= std.apgd_ce.steps
            and self.apgd_t.steps >= std.apgd_t.steps
            and self.apgd_t.n_targets >= std.apgd_t.n_targets
            and self.square.queries >= std.square.queries
        )
        return "standard" if at_least else "reduced"


@dataclass(frozen=True)
class ChecksConfig(Section):
    """``attack.checks``: the validity gates."""

    tolerance: float = 0.01
    effort_factor: int = 2
    max_escalations: int = 2
    effort_samples: int | None = None


@dataclass(frozen=True)
class PrimaryConfig(Section):
    """``attack.primary``: the primary measure's bisection."""

    n_samples: int | None = None
    norm: str = "linf"
    eps_max: float = 0.3
    bisection_steps: int = 8
    restarts: int = 2


@dataclass(frozen=True)
class MinPerturbationConfig(Section):
    """``attack.min_perturbation``: the secondary minimal-perturbation searches."""

    linesearch: bool = True
    bisection_steps: int = 8
    pgd_steps: int = 20
    linf_max: float = 0.5
    l2_max: float = 4.0

    def bound(self, norm: str) -> float:
        """The search's upper bound in norm ``linf`` or ``l2``."""
        return {"linf": self.linf_max, "l2": self.l2_max}[norm]


@dataclass(frozen=True)
class OnePixelConfig(Section):
    """``attack.onepixel``."""

    n_samples: int = 10
    maxiter: int = 10
    popsize: int = 10


@dataclass(frozen=True)
class CleverConfig(Section):
    """``attack.clever``."""

    n_samples: int = 20
    nb_batches: int = 5
    batch_size: int = 20
    radius: float = 2.0
    norm: int | str = 2
    n_classes: int | None = 1


@dataclass(frozen=True)
class AttackConfig(Section):
    """``attack``: every input-space attack of a model (docs/measures.md)."""

    n_samples: int = 300
    subset_samples: int | None = None
    fgsm: EpsGrid = EpsGrid(eps=(0.0, 0.02, 0.05, 0.1, 0.2, 0.3))
    paper_eps: float = 0.1
    pgd: PgdConfig = PgdConfig()
    autoattack: AutoAttackConfig = AutoAttackConfig()
    checks: ChecksConfig = ChecksConfig()
    primary: PrimaryConfig = PrimaryConfig()
    min_perturbation: MinPerturbationConfig = MinPerturbationConfig()
    onepixel: OnePixelConfig = OnePixelConfig()
    clever: CleverConfig = CleverConfig()


# --------------------------------------------------------------------------- measures


@dataclass(frozen=True)
class WeightPerturbationConfig(Section):
    """``measures.weight_perturbation``."""

    deltas: tuple[float, ...] = (0.01, 0.02, 0.05, 0.1, 0.2)
    norms: tuple[str, ...] = ("linf", "l2")
    n_draws: int = 3
    worst_case_steps: int = 40
    worst_case_step_size: float | None = None


@dataclass(frozen=True)
class PruningConfig(Section):
    """``measures.pruning``."""

    kept_fractions: tuple[float, ...] = (1.0, 0.8, 0.6, 0.4, 0.2, 0.1, 0.05)
    tol: float = 0.1
    n_bisect: int = 8
    train_samples: int = 1000
    methods: tuple[str, ...] = ("magnitude", "random")


@dataclass(frozen=True)
class NeuralCollapseConfig(Section):
    """``measures.neural_collapse``."""

    train_samples: int = 500
    perturbed: bool = True


@dataclass(frozen=True)
class MeasuresConfig(Section):
    """``measures``: weight perturbation, prunability and neural collapse (docs/measures.md)."""

    n_samples: int = 300
    weight_perturbation: WeightPerturbationConfig = WeightPerturbationConfig()
    pruning: PruningConfig = PruningConfig()
    neural_collapse: NeuralCollapseConfig = NeuralCollapseConfig()


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class PrimaryMeasureSection(Section):
    """``report.primary_measure``: the pre-registered primary measure, by its robustness row."""

    measure: str = "min_perturbation_rmean"
    attack: str = "apgd_bisection"
    norm: str = "linf"


@dataclass(frozen=True)
class SmallestEffectSection(Section):
    """``report.smallest_effect``: the pre-registered smallest effects of interest."""

    share: float = 0.1
    rho: float = 0.2


@dataclass(frozen=True)
class ReportConfig(Section):
    """``report``: the statistics' settings (docs/report.md)."""

    aggregate: tuple[str, ...] = ("mean", "median")
    outlier_rule: bool = False
    bootstrap: int = 1000
    seed: int = 0
    permutations: int = 9999
    primary_measure: PrimaryMeasureSection = PrimaryMeasureSection()
    smallest_effect: SmallestEffectSection = SmallestEffectSection()
    min_reliability: float = 0.5
