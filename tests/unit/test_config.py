"""Config validation names the key; defaults fill in; seeds and ids are stable."""

import copy

import pytest
import yaml

from graphprior import config as C
from graphprior.graphs import selection as S

with open("config/config.yaml") as _file:
    DEFAULT = yaml.safe_load(_file)


@pytest.mark.parametrize(
    "path", ["config/config.yaml", "config/smoke.yaml", "config/relational.yaml"]
)
def test_shipped_configs_are_valid(path):
    cfg = S.load_study(path)
    assert cfg.training.inits
    assert S.graph_specs(cfg)


def test_the_relational_preset_has_a_hundred_graphs_mostly_ws_flex():
    specs = S.graph_specs(S.load_study("config/relational.yaml"))
    generators = [s.generator for s in specs]
    assert len(specs) >= 100 and generators.count("ws_flex") >= 70


@pytest.mark.parametrize(
    ("relational", "named"),
    [
        ({"name": "fixed_interface"}, "mapping.relational.name"),
        ({"variants": ["twin"]}, "mapping.relational.variants"),
        ({"width": None}, "reference width or a parameter budget"),
        ({"inits": ["he_uniform"]}, "mapping.relational.inits"),
        ({"rounds": 0}, "mapping.relational"),
    ],
)
def test_a_wrong_relational_arm_is_named(relational, named):
    cfg = mutate(("mapping", "relational"), relational)
    with pytest.raises(C.ConfigError, match=named.replace(".", r"\.")):
        C.validate_config(cfg)


def mutate(path, value):
    cfg = copy.deepcopy(DEFAULT)
    node = cfg
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return cfg


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        (("training", "epochs"), -1, "training.epochs"),
        (("training", "inits"), ["he_normal", "glorot"], "training.inits"),
        (("attack", "fgsm", "eps"), [-0.1], "attack.fgsm.eps"),
        (("mapping", "orientation"), "sideways", "mapping.orientation"),
        (("dataset",), "cifar10", "dataset"),
        (("training", "lr"), 0, "training.lr"),
    ],
)
def test_invalid_values_name_the_key(path, value, named):
    with pytest.raises(C.ConfigError, match=named.replace(".", r"\.")):
        S.validate_study(mutate(path, value))


def test_a_number_yaml_read_as_text_says_how_to_write_it():
    """PyYAML (YAML 1.1) reads 3e-3 without a dot as a string."""
    raw = yaml.safe_load("lr: 3e-3")["lr"]
    assert raw == "3e-3"
    with pytest.raises(C.ConfigError, match=r"training\.lr.*write 3\.0e-3 or 0\.003"):
        S.validate_study(mutate(("training", "lr"), raw))


def test_unknown_keys_are_refused():
    cfg = copy.deepcopy(DEFAULT)
    cfg["trainig"] = {"epochs": 3}
    with pytest.raises(C.ConfigError, match="trainig"):
        S.validate_study(cfg)


def test_impossible_generator_parameters_name_generator_and_parameter():
    cfg = copy.deepcopy(DEFAULT)
    cfg["graphs"]["generators"] = [
        {"generator": "erdos_renyi_gnp", "params": {"n": [10], "p": [1.5]}, "seeds": [1]}
    ]
    with pytest.raises(C.ConfigError, match=r"erdos_renyi_gnp.*\bp\b"):
        S.validate_study(cfg)
    cfg["graphs"]["generators"] = [
        {"generator": "watts_strogatz", "params": {"n": [10], "k": [12], "p": [0.1]}, "seeds": [1]}
    ]
    with pytest.raises(C.ConfigError, match=r"watts_strogatz.*\bk\b"):
        S.validate_study(cfg)


def test_defaults_fill_missing_sections():
    cfg = S.validate_study({"dataset": "digits", "graphs": DEFAULT["graphs"]})
    assert cfg.training.epochs == 40
    assert cfg.mapping.orientation == "random"
    assert cfg.report.bootstrap == 1000


def test_seeds_are_stable_and_distinct():
    a = C.derive_seed("ws-n100-k6-p0.3-s1", "he_normal", 0)
    assert a == C.derive_seed("ws-n100-k6-p0.3-s1", "he_normal", 0)
    assert a != C.derive_seed("ws-n100-k6-p0.3-s1", "he_normal", 1)
    assert 0 <= a < 2**31


def test_unsafe_ids_are_refused():
    with pytest.raises(C.ConfigError):
        C.check_id("../etc/passwd")
    assert C.model_id("ws-n10-k2-p0.1-s1", "he_normal", 0) == "ws-n10-k2-p0.1-s1--he_normal--s0"


def test_config_hash_changes_with_content():
    assert C.config_hash(DEFAULT) == C.config_hash(copy.deepcopy(DEFAULT))
    assert C.config_hash(DEFAULT) != C.config_hash(mutate(("training", "epochs"), 3))


def test_mapping_orientation_seed_depends_on_graph():
    cfg = S.validate_study(DEFAULT)
    assert S.mapping_options(cfg, "a").seed != S.mapping_options(cfg, "b").seed


def _properties(node: dict) -> dict:
    """A schema node's properties, or those of its object branch (a nullable object is an anyOf)."""
    if "properties" in node:
        return node["properties"]
    branches = [b for b in node.get("anyOf", []) if "properties" in b]
    return branches[0]["properties"] if branches else {}


def _schema_default(key: str):
    node = C.schema()
    for part in key.split("."):
        node = _properties(node)[part]
    return node["default"]


def _readme_defaults():
    """(dotted key, default) for each row of config/README.md with one literal default."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "config" / "README.md").read_text()
    section, in_defaults_table = None, False
    for line in text.splitlines():
        heading = re.match(r"^## `(\w+)`", line)
        if line.startswith("## "):
            section = heading.group(1) if heading else None
        if line.startswith("|"):
            in_defaults_table = in_defaults_table or line.startswith("| key | default")
        else:
            in_defaults_table = False
        row = re.match(r"^\| `([\w.]+)` \| `([^`|]+)` \|", line)
        if row and in_defaults_table:
            key = f"{section}.{row.group(1)}" if section else row.group(1)
            yield key, yaml.safe_load(row.group(2))


def test_every_schema_key_has_a_description_and_a_default():
    missing = []

    def walk(node: dict, path: str) -> None:
        for key, sub in _properties(node).items():
            here = f"{path}{key}"
            if here not in ("dataset", "graphs", "graphs.generators"):  # required, no default
                if "default" not in sub or "description" not in sub:
                    missing.append(here)
            walk(sub, here + ".")

    walk(C.schema(), "")
    assert not missing, f"schema keys without a default or a description: {missing}"


def test_the_config_readme_names_the_schema_defaults():
    rows = list(_readme_defaults())
    assert len(rows) > 15
    for key, value in rows:
        assert _schema_default(key) == value, key


def test_uses_gpu_reads_the_device_and_a_visible_gpu(monkeypatch):
    import shutil

    from graphprior.config import uses_gpu

    assert uses_gpu("cuda") and uses_gpu("cuda:1") and not uses_gpu("cpu")
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert uses_gpu("auto")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert not uses_gpu("auto")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert not uses_gpu("auto")
