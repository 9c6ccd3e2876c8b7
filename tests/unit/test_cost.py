"""The cost model behind every heavy rule's runtime and mem_mb (graphprior.config.cost)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from graphprior.config import StudyConfig, cost
from graphprior.config.cost import NetSize
from graphprior.config.sections import AttackConfig, MeasuresConfig

NET = NetSize(models=4, layers=10, weights=5000, neurons=60, input_dim=64)


def _attack(**over) -> dict:
    """An attack section with one L-infinity budget and few measures, counted by hand below."""
    attack = {
        "n_samples": 100, "subset_samples": None,
        "fgsm": {"eps": [0.0, 0.1]},
        "pgd": {"linf": {"eps": [0.1], "steps": 10, "clean_start": False},
                "l2": {"eps": [], "steps": 10, "clean_start": False}},
        "autoattack": {"linf": {"eps": [0.1]}, "l2": {"eps": []},
                       "apgd_ce": {"steps": 5, "restarts": 1},
                       "apgd_t": {"steps": 5, "restarts": 1, "n_targets": 2},
                       "square": {"queries": 30}},
        "checks": {"effort_factor": 2, "max_escalations": 0, "effort_samples": None},
        "min_perturbation": {"linesearch": False, "bisection_steps": 1, "pgd_steps": 4},
        "primary": {"n_samples": 10, "bisection_steps": 1, "restarts": 1},
        "onepixel": {"n_samples": 0, "maxiter": 1, "popsize": 1},
        "clever": {"n_samples": 0, "nb_batches": 1, "batch_size": 1},
    }  # fmt: skip
    attack.update(over)
    return attack


MEASURES = {
    "n_samples": 0,
    "weight_perturbation": {"deltas": [], "norms": [], "n_draws": 0, "worst_case_steps": 0},
    "pruning": {"train_samples": 0, "kept_fractions": []},
}


def _passes(attack: dict, n_test: int) -> float:
    """:func:`cost.attack_passes` of an attack section (a dict) with :data:`MEASURES`."""
    return cost.attack_passes(
        AttackConfig.from_dict(attack), MeasuresConfig.from_dict(MEASURES), n_test
    )


def test_a_pass_costs_per_layer_and_per_weight():
    for kind, (per_layer, per_weight) in cost.PASS_COST.items():
        per_model = per_layer * 10 + per_weight * 5000
        assert cost.pass_seconds(NET, kind) == pytest.approx(4 * per_model)


def test_attack_passes_count_every_measures_inputs_and_iterations():
    # paper suite: 100 × (2 FGSM budgets + clean, paper eps, confidence); loss sensitivity: 100
    paper = 100 * (2 + 3)
    pgd = 100 * 1 * 10
    # AutoAttack per input: APGD-CE and apgd_smooth 2 × 5, APGD-T 5 × 2 targets, Square 30 / 3
    member = 2 * 5 + 5 * 2 + 30 / 3
    gate = 100 * 2 * (member - 30 / 3)  # once at 2×, every input, no Square
    largest_eps = 2 * 100 * 5
    bisection = 2 * 100 * (1 + 1) * 4
    primary = 10 * (1 + 1) * (5 * 1 + 5 * 2)
    expected = paper + 100 + pgd + (100 * member + gate + largest_eps) + bisection + primary
    assert _passes(_attack(), n_test=360) == pytest.approx(expected)


def test_a_subset_and_a_gate_subsample_cut_only_the_costly_attacks():
    full = _passes(_attack(), 360)
    subset = _passes(_attack(subset_samples=20), 360)
    gate = _passes(
        _attack(checks={"effort_factor": 2, "max_escalations": 0, "effort_samples": 10}), 360
    )
    assert subset < full and gate < full
    # the paper's measures keep every input
    paper = AttackConfig.from_dict(_attack(subset_samples=20))
    assert cost.paper_suite_passes(paper, 100) == 100 * 5


def test_declared_runtime_and_memory_have_a_floor_and_a_safety_factor():
    assert cost.runtime_minutes(0) == cost.MIN_MINUTES
    hour = cost.runtime_minutes(3600)
    assert hour == math.ceil(cost.SAFETY * (cost.FIXED_SECONDS + 3600) / 60)
    assert cost.memory_mb(NET, 0) == cost.BASE_MB
    assert cost.memory_mb(NET, 1000) > cost.memory_mb(NET, 100) > cost.BASE_MB


def test_a_job_sums_its_stacks_and_a_paper_suite_part_costs_less():
    config = StudyConfig.from_dict(
        {"dataset": "digits", "attack": _attack(), "measures": MEASURES,
         "training": {"epochs": 10, "batch_size": 64}}
    )  # fmt: skip
    one, three = cost.train_job(config, [NET]), cost.train_job(config, [NET] * 3)
    assert three.seconds == pytest.approx(3 * one.seconds)
    assert one.seconds == pytest.approx(cost.pass_seconds(NET) * 10 * (1257 + 360 / 3))
    assert cost.attack_job(config, [NET], "paper").seconds < cost.attack_job(config, [NET]).seconds


def test_a_baseline_part_holds_one_step_and_a_oneshot_group_every_level():
    config = StudyConfig.from_dict(
        {"dataset": "digits", "training": {"inits": ["a", "b"]},
         "baseline": {"shapes": {"s": [10, 5]}, "inits": None, "seeds": [0, 1, 2],
                      "densities": [0.2, 0.5], "n_densities": 3}}
    )  # fmt: skip
    part = cost.baseline_size(config, "baseline-fc_magnitude-s", [], per_part=True)
    whole = cost.baseline_size(config, "baseline-fc_magnitude-s", [], per_part=False)
    assert part == NetSize(6, 3, 64 * 10 + 10 * 5 + 5 * 10, 25, 64)
    assert whole.models == 12
    iterative = cost.baseline_size(config, "baseline-fc_random_iterative-s", [], False)
    assert iterative.models == 6


def test_the_planned_split_sizes_are_those_the_data_loads():
    from graphprior.config import SPLIT_SIZES
    from graphprior.data import load_dataset

    for name in ("digits", "mnist5k", "mnist1d"):  # the offline ones
        sizes = tuple(len(load_dataset(name, split)[1]) for split in ("train", "val", "test"))
        assert sizes == SPLIT_SIZES[name], name


def test_a_graph_with_a_relational_arm_costs_its_larger_net_and_more_models():
    from graphprior.config.study import RelationalConfig
    from graphprior.graphs import selection as S
    from graphprior.graphs.relational import config_relational_net

    config = S.load_study("config/smoke.yaml")
    spec = S.graph_specs(config)[0]
    with_arm = S.net_size(config, spec)
    mapping = dataclasses.replace(config.mapping, relational=None)
    dag_only = S.net_size(dataclasses.replace(config, mapping=mapping), spec)
    rel = config_relational_net(
        S.make_graph(spec), RelationalConfig(rounds=1, width=64, params=None), (8, 8), 10
    ).spec
    rel_weights = sum(int(layer.mask.sum()) for layer in [*rel.hidden, rel.output])
    assert with_arm.weights == max(dag_only.weights, rel_weights) > dag_only.weights
    assert with_arm.models == dag_only.models + 2  # one more net per graph, two inits
