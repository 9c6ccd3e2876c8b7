"""The typed config sections: defaults equal to the schema's, built from validated dicts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from graphprior.config import ConfigError, config_hash
from graphprior.config.schema import with_defaults
from graphprior.config.sections import (
    AttackConfig,
    AutoAttackConfig,
    MeasuresConfig,
    PgdNormConfig,
    ReportConfig,
)
from graphprior.config.study import ExtraArmConfig, RelationalConfig, StrataConfig, StudyConfig

REPO = Path(__file__).resolve().parents[2]
#: The smallest valid study: every other key takes the schema's default.
MINIMAL = {
    "dataset": "digits",
    "graphs": {
        "generators": [
            {"generator": "erdos_renyi_gnp", "params": {"n": [10], "p": [0.3]}, "seeds": [1]}
        ]
    },
}
SECTIONS = [(AttackConfig, "attack"), (MeasuresConfig, "measures"), (ReportConfig, "report")]


def _plain(value):
    """A section as the YAML/JSON a config holds: dicts and lists."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize(("cls", "key"), SECTIONS)
def test_every_default_is_the_schema_default(cls, key):
    assert _plain(cls()) == with_defaults(MINIMAL)[key]


@pytest.mark.parametrize("config", ["config.yaml", "smoke.yaml", "paper.yaml", "relational.yaml"])
@pytest.mark.parametrize(("cls", "key"), SECTIONS)
def test_a_validated_section_round_trips(cls, key, config):
    section = with_defaults(yaml.safe_load((REPO / "config" / config).read_text()))[key]
    typed = cls.from_dict(section)
    assert _plain(typed) == section
    assert hash(typed)  # frozen: usable as a cache key


def test_numbers_become_floats_and_lists_tuples():
    cfg = AttackConfig.from_dict({"fgsm": {"eps": [0, 1]}, "paper_eps": 1})
    assert cfg.fgsm.eps == (0.0, 1.0) and all(isinstance(e, float) for e in cfg.fgsm.eps)
    assert isinstance(cfg.paper_eps, float)


def test_a_partial_section_keeps_the_other_defaults():
    cfg = AttackConfig.from_dict({"pgd": {"linf": {"steps": 5}}})
    assert cfg.pgd.linf == dataclasses.replace(AttackConfig().pgd.linf, steps=5)
    assert cfg.pgd.l2 == AttackConfig().pgd.l2
    assert cfg.pgd.linf != PgdNormConfig(steps=5)  # the norm's own ε grid, not an empty one


def test_an_unknown_key_is_named():
    with pytest.raises(ConfigError, match=r"AttackConfig\.pgd\.linf: unknown key\(s\) stepz"):
        AttackConfig.from_dict({"pgd": {"linf": {"stepz": 5}}})
    with pytest.raises(ConfigError, match="expected a mapping"):
        MeasuresConfig.from_dict({"pruning": [1, 2]})


def test_the_autoattack_budget_is_labelled_standard_only_at_the_standard_effort():
    std = AutoAttackConfig.standard()
    assert std.budget_label() == "standard"
    assert AutoAttackConfig().budget_label() == "reduced"  # the schema's default budget
    fewer = dataclasses.replace(std, square=dataclasses.replace(std.square, queries=4999))
    assert fewer.budget_label() == "reduced"
    more = dataclasses.replace(std, apgd_ce=dataclasses.replace(std.apgd_ce, steps=200))
    assert more.budget_label() == "standard"


# --------------------------------------------------------------------------- the whole study

SHIPPED = ["config.yaml", "smoke.yaml", "paper.yaml", "paper-mini.yaml", "relational.yaml"]


def test_every_study_default_is_the_schema_default():
    """Every key of a study the minimal config leaves out: the dataclass's default is the schema's."""
    schema_study = with_defaults(MINIMAL)
    typed = StudyConfig().to_dict()
    assert typed.keys() == schema_study.keys()
    for key in typed:
        if key == "graphs":
            assert {k: v for k, v in typed[key].items() if k != "generators"} == {
                k: v for k, v in schema_study[key].items() if k != "generators"
            }
        else:
            assert typed[key] == schema_study[key], key


def test_the_optional_sections_default_to_the_schema_defaults_they_are_given():
    """A strata section, a relational arm or an extra arm written empty: the schema fills the same."""
    arm = {"name": "x", "input_wiring": "sources", "readout": "sinks"}
    raw = {**MINIMAL, "graphs": {**MINIMAL["graphs"], "strata": {}}}
    raw["mapping"] = {"relational": {}, "extra_arms": [arm]}
    filled = with_defaults(raw)
    assert _plain(StrataConfig()) == filled["graphs"]["strata"]
    assert _plain(RelationalConfig()) == filled["mapping"]["relational"]
    assert _plain(ExtraArmConfig(**arm)) == filled["mapping"]["extra_arms"][0]


@pytest.mark.parametrize("config", SHIPPED)
def test_a_validated_study_round_trips_and_keeps_its_hash(config):
    validated = with_defaults(yaml.safe_load((REPO / "config" / config).read_text()))
    study = StudyConfig.from_dict(validated)
    assert study.to_dict() == validated
    assert config_hash(study) == config_hash(validated)


def test_a_rules_slice_gives_the_defaults_of_the_keys_it_lacks():
    study = StudyConfig.from_dict({"dataset": "mnist", "training": {"epochs": 2}})
    assert (study.dataset, study.training.epochs) == ("mnist", 2)
    assert study.training.batch_size == StudyConfig().training.batch_size
    assert study.graphs == StudyConfig().graphs


def test_a_study_names_an_unknown_or_missing_key_where_it_is():
    with pytest.raises(ConfigError, match=r"StudyConfig\.training: unknown key\(s\) epoch\b"):
        StudyConfig.from_dict({"training": {"epoch": 2}})
    entry = {"generator": "erdos_renyi_gnp", "params": {"n": [10]}}
    with pytest.raises(ConfigError, match=r"StudyConfig\.graphs\.generators: missing key\(s\) seeds"):
        StudyConfig.from_dict({"graphs": {"generators": [entry]}})
