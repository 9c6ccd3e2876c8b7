"""The whole study's configuration as one typed object: :class:`StudyConfig`.

Built once from the schema-validated dict (:meth:`StudyConfig.from_dict`, or
:func:`graphprior.load_config` from a YAML file) where a workflow stage or a
user starts; every library function below the stages reads the sections it
needs from it (``study.graphs.filter.max_graphs``), never from a dict. The
schema stays the one source of the workflow's defaults:
``tests/unit/test_config_sections.py`` keeps every default here equal to the
schema's and checks that :meth:`StudyConfig.to_dict` gives back the validated
dict of every shipped config, so a study's hash does not depend on which of
the two it was taken from.

A few values keep the shape the YAML gives them, because their keys are data
rather than settings: a generator entry's ``params`` (parameter → list of
values), the strata's per-family ``params``, the baseline ``shapes`` (name →
widths or ``auto``) and ``baseline.densities`` (``auto`` or a list).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphprior.config.choices import BASELINE_FAMILIES, INITS, STRATA_FAMILIES
from graphprior.config.schema import fill_defaults
from graphprior.config.sections import (
    AttackConfig,
    MeasuresConfig,
    ReportConfig,
    Section,
    _build,
)

__all__ = [
    "GeneratorConfig",
    "StratumSize",
    "StrataConfig",
    "FilterConfig",
    "GraphsConfig",
    "ExtraArmConfig",
    "RelationalConfig",
    "MappingConfig",
    "TrainingConfig",
    "IterativeConfig",
    "BaselineConfig",
    "StudyConfig",
    "plain",
]


def plain(value: Any) -> Any:
    """A section as the YAML/JSON a config holds: dataclasses become dicts, tuples lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- graphs


@dataclass(frozen=True)
class GeneratorConfig(Section):
    """One entry of ``graphs.generators``: a generator, its parameter grid and its seeds."""

    generator: str
    params: dict[str, Any]
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class StratumSize(Section):
    """One stratum of ``graphs.strata.sizes``: ``n`` nodes and ``m`` edges."""

    n: int
    m: int


def _default_knobs() -> dict[str, Any]:
    """The families' knobs the schema fills in: ``graphs.strata.params``."""
    return {
        "watts_strogatz": {"p": 0.2},
        "holme_kim": {"p": 0.5},
        "sbm": {"blocks": 2, "ratio": 10},
    }


@dataclass(frozen=True)
class StrataConfig(Section):
    """``graphs.strata``: size-matched families, every family at every size."""

    sizes: tuple[StratumSize, ...] = (StratumSize(50, 100), StratumSize(50, 200))
    families: tuple[str, ...] = STRATA_FAMILIES
    seeds: tuple[int, ...] = (1, 2, 3, 4, 5)
    params: dict[str, Any] = field(default_factory=_default_knobs)


@dataclass(frozen=True)
class FilterConfig(Section):
    """``graphs.filter``: the parameter range and the cap on the number of graphs."""

    min_params: int | None = None
    max_params: int | None = None
    param_count: str = "effective"
    max_graphs: int | None = None
    selection: str = "random"


@dataclass(frozen=True)
class GraphsConfig(Section):
    """``graphs``: which random graphs a study draws."""

    generators: tuple[GeneratorConfig, ...] = ()
    strata: StrataConfig | None = None
    twins: bool = True
    twin_swaps_per_edge: int = 10
    filter: FilterConfig = FilterConfig()


# --------------------------------------------------------------------------- mapping


@dataclass(frozen=True)
class ExtraArmConfig(Section):
    """One entry of ``mapping.extra_arms``: another interface for the same DAGs."""

    name: str
    input_wiring: str
    readout: str
    sinks_to_last_layer: bool | None = None
    hold_params_at: int | None = None
    variants: tuple[str, ...] = ("original", "twin")
    orientation_seeds: tuple[int, ...] | None = None
    inits: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RelationalConfig(Section):
    """``mapping.relational``: the relational-graph arm (one net per graph)."""

    name: str = "relational"
    rounds: int = 3
    width: int | None = 64
    params: int | None = None
    variants: tuple[str, ...] = ("original", "twin")
    inits: tuple[str, ...] | None = None


@dataclass(frozen=True)
class MappingConfig(Section):
    """``mapping``: how a graph becomes a network (the main arm's keys and the other arms)."""

    arm: str = "fixed_interface"
    orientation: str = "random"
    orientation_seeds: tuple[int, ...] = (0, 1)
    sinks_to_last_layer: bool = False
    input_wiring: str = "all"
    readout: str = "all"
    hold_params_at: int | None = None
    extra_arms: tuple[ExtraArmConfig, ...] = ()
    relational: RelationalConfig | None = None


# --------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainingConfig(Section):
    """``training``: the inits, seeds and optimiser every net of the study trains with."""

    inits: tuple[str, ...] = INITS
    seeds: tuple[int, ...] = (0,)
    optimizer: str = "adam"
    lr: float = 0.003
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 64
    epochs: int = 40
    select: str = "val"


@dataclass(frozen=True)
class IterativeConfig(Section):
    """``baseline.iterative``: the iterative pruning family's schedule."""

    prune_fraction: float = 0.2
    retrain_epochs: int = 2
    max_steps: int = 30


def _default_shapes() -> dict[str, Any]:
    return {"paper_small": [100, 50, 20], "paper_large": [50, 100, 100, 50], "matched": "auto"}


@dataclass(frozen=True)
class BaselineConfig(Section):
    """``baseline``: the dense nets pruned to the graph nets' densities."""

    activate: bool = True
    shapes: dict[str, Any] = field(default_factory=_default_shapes)
    families: tuple[str, ...] = BASELINE_FAMILIES
    densities: Any = "auto"
    n_densities: int = 3
    inits: tuple[str, ...] | None = None
    seeds: tuple[int, ...] | None = None
    iterative: IterativeConfig = IterativeConfig()
    finetune_epochs: int = 5

    @property
    def auto_densities(self) -> bool:
        """Whether the densities follow the graph nets' (``densities: auto``)."""
        return self.densities == "auto"


# --------------------------------------------------------------------------- the study


@dataclass(frozen=True)
class StudyConfig(Section):
    """A whole study: the top-level keys and every section, with the schema's defaults.

    >>> study = StudyConfig.from_dict({"study": "smoke", "training": {"epochs": 2}})
    >>> study.training.epochs, study.training.batch_size, study.mapping.arm
    (2, 64, 'fixed_interface')
    >>> StudyConfig.from_dict(study.to_dict()) == study
    True
    """

    study: str = "default"
    dataset: str = "digits"
    device: str = "auto"
    on_error: str = "record"
    graphs_per_job: int = 8
    container: str | None = None
    graphs: GraphsConfig = GraphsConfig()
    mapping: MappingConfig = MappingConfig()
    training: TrainingConfig = TrainingConfig()
    attack: AttackConfig = AttackConfig()
    measures: MeasuresConfig = MeasuresConfig()
    baseline: BaselineConfig = BaselineConfig()
    report: ReportConfig = ReportConfig()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> StudyConfig:
        """The study of a config mapping: the schema's defaults filled in first (a generator
        family's knobs, too), then every section typed; unknown keys are errors.

        The mapping need not be a whole valid config: a rule's slice of one (only the keys
        the rule reads) gives a study whose other keys are the defaults.
        """
        return _build(cls, fill_defaults(data or {}), cls.__name__)

    def to_dict(self) -> dict[str, Any]:
        """The study as the validated config dict it was built from (lists, not tuples)."""
        return plain(self)
