"""Mapping arms: a fixed network interface, other interfaces on the same DAGs, several orientations."""

import copy

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import torch

from graphprior.config import ConfigError, validate_config
from graphprior.graphs import selection as S
from graphprior.graphs.dag import MappingOptions, Readout, build_layered_dag
from graphprior.graphs.netspec import dense_spec, spec_from_dag
from graphprior.graphs.selection import validate_study
from graphprior.nets.checkpoints import load_model
from graphprior.nets.records import interface_widths
from graphprior.nets.stacked import StackedNet
from graphprior.stages.attack import _architecture_key, attack_group, load_group
from graphprior.stages.train_sparse_nets import graph_stacks, train_graph_models
from tests.unit.test_train import TINY

PAPER_ARM = {
    "name": "paper_interface",
    "input_wiring": "sources",
    "readout": "last_layer",
    "sinks_to_last_layer": True,
}


def study_dict(mapping=None, **training):
    """TINY with a ``mapping`` section (defaults: the fixed interface) and ``training``, as the
    validated config dict."""
    cfg = copy.deepcopy(TINY)
    cfg["mapping"] = mapping if mapping is not None else {"extra_arms": [PAPER_ARM]}
    cfg["training"] = {"inits": ["he_normal"], "seeds": [0], "epochs": 1, **training}
    return validate_config(cfg)


def study(mapping=None, **training):
    """:func:`study_dict` as the validated :class:`~graphprior.config.StudyConfig`."""
    return validate_study(study_dict(mapping, **training))


def nets_of(graph, graph_id, config):
    """{(arm, orientation seed): (layered DAG, one-model StackedNet)} of one graph."""
    out = {}
    for arm, o, opts in S.graph_mappings(config, graph_id):
        layered = build_layered_dag(graph, opts)
        out[arm, o] = layered, StackedNet(spec_from_dag(layered, (1, 8, 8), 10), k=1)
    return out


def masks_differ(a, b) -> bool:
    """Whether two specs differ in layer count or in any layer's mask."""
    layers_a, layers_b = [*a.hidden, a.output], [*b.hidden, b.output]
    if len(layers_a) != len(layers_b):
        return True
    return any(not np.array_equal(x.mask, y.mask) for x, y in zip(layers_a, layers_b, strict=True))


def test_one_stratum_has_one_interface_under_the_fixed_arm_but_different_masks():
    # one stratum: n = 30 nodes, m = 60 edges; a Watts–Strogatz graph and a G(n, m) draw
    ws = nx.watts_strogatz_graph(30, 4, 0.3, seed=1)
    gnm = nx.gnm_random_graph(30, 60, seed=1)
    assert ws.number_of_edges() == gnm.number_of_edges() == 60
    cfg = study()
    a = nets_of(ws, "ws-n30-k4-p0.3-s1", cfg)
    b = nets_of(gnm, "gnm-n30-m60-s1", cfg)
    for o in (0, 1):
        (la, na), (lb, nb) = a["fixed_interface", o], b["fixed_interface", o]
        assert interface_widths(na) == interface_widths(nb) == ([30], [30])
        assert masks_differ(na.spec, nb.spec)
        assert set(la.dag.edges()) != set(lb.dag.edges())
        assert sum(h.width for h in na.spec.hidden) == sum(h.width for h in nb.spec.hidden) == 30
    # under the paper's interface the input width is each DAG's number of sources
    for nets in (a, b):
        for o in (0, 1):
            layered, net = nets["paper_interface", o]
            sources = [v for v in layered.dag if layered.dag.in_degree(v) == 0]
            assert interface_widths(net)[0] == [len(sources)]
            assert interface_widths(net)[1] == [len(layered.layers[-1])]


def test_readout_all_feeds_every_hidden_neuron_to_the_classifier():
    g = nx.Graph([(0, 1), (1, 2), (0, 2), (2, 3), (4, 3)])
    opts = MappingOptions(orientation="index_ascending", input_wiring="sources", readout="all")
    layered = build_layered_dag(g, opts)
    assert opts.readout is Readout.ALL and layered.readout_nodes == [0, 1, 2, 3, 4]
    spec = spec_from_dag(layered, (5,), 3)
    assert spec.output.inputs == list(range(1, len(layered.layers) + 1))
    assert spec.output.mask.shape == (3, 5) and spec.output.mask.all()
    # the sinks readout reads only node 4 (3 -> 4) here
    sinks = build_layered_dag(g, MappingOptions(orientation="index_ascending", readout="sinks"))
    assert sinks.readout_nodes == [4]


def test_orientation_seeds_give_different_dags_shared_by_every_arm():
    g = nx.gnm_random_graph(30, 60, seed=2)
    nets = nets_of(g, "gnm-n30-m60-s2", study())
    edges = {key: set(layered.dag.edges()) for key, (layered, _) in nets.items()}
    assert edges["fixed_interface", 0] != edges["fixed_interface", 1]
    for o in (0, 1):
        assert edges["fixed_interface", o] == edges["paper_interface", o]
    seeds = {(arm, o): opts.seed for arm, o, opts in S.graph_mappings(study(), "x")}
    assert (
        seeds["fixed_interface", 0] == seeds["paper_interface", 0] == S.orientation_rng_seed("x", 0)
    )
    assert seeds["fixed_interface", 0] != seeds["fixed_interface", 1]


def test_index_orientation_has_one_orientation_and_other_seeds_are_refused():
    cfg = study({"orientation": "index_descending"})
    assert S.orientation_seeds(cfg) == [0]
    assert [(arm, o) for arm, o, _ in S.graph_mappings(cfg, "x")] == [("fixed_interface", 0)]
    assert study({"orientation": "index_ascending", "orientation_seeds": [0]})
    with pytest.raises(ConfigError, match=r"mapping\.orientation_seeds.*\[0\]"):
        study({"orientation": "index_ascending", "orientation_seeds": [0, 3]})


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ([{**PAPER_ARM, "name": "fixed_interface"}], r"extra_arms\[0\]\.name.*main arm"),
        ([PAPER_ARM, {**PAPER_ARM, "readout": "sinks"}], r"extra_arms\[1\]\.name.*extra_arms\[0\]"),
        ([{**PAPER_ARM, "variants": ["twin"]}], r"extra_arms\[0\]\.variants.*original"),
        ([{"name": "same", "input_wiring": "all", "readout": "all"}], r"extra_arms\[0\].*same"),
        ([{"name": "x", "input_wiring": "all", "readout": "middle"}], r"extra_arms\.0\.readout"),
        ([{"name": "Bad-Name", "input_wiring": "all", "readout": "sinks"}], r"extra_arms\.0\.name"),
        ([{"name": "x", "readout": "sinks"}], r"extra_arms\.0.*input_wiring"),
        ([{**PAPER_ARM, "orientation_seeds": [2]}], r"extra_arms\[0\]\.orientation_seeds.*subset"),
    ],
)
def test_extra_arms_are_validated_with_the_key_named(extra, match):
    with pytest.raises(ConfigError, match=match):
        study({"extra_arms": extra})


def test_an_arm_can_skip_the_twins_and_inherits_the_sink_placement():
    arm = {"name": "sources_sinks", "input_wiring": "sources", "readout": "sinks"}
    cfg = study({"sinks_to_last_layer": True, "extra_arms": [{**arm, "variants": ["original"]}]})
    original = S.graph_mappings(cfg, "ws-n30-k4-p0.3-s1")
    twin = S.graph_mappings(cfg, "ws-n30-k4-p0.3-s1-twin")
    assert [(a, o) for a, o, _ in original] == [
        ("fixed_interface", 0),
        ("fixed_interface", 1),
        ("sources_sinks", 0),
        ("sources_sinks", 1),
    ]
    assert {a for a, _, _ in twin} == {"fixed_interface"}
    assert all(opts.sinks_to_last_layer for _, _, opts in original)
    # the main arm's options (properties, filter, report) are the first orientation's
    assert S.mapping_options(cfg, "g") == S.graph_mappings(cfg, "g")[0].options


def test_an_arm_can_train_on_some_of_the_orientations_only():
    arm = {"name": "sources_sinks", "input_wiring": "sources", "readout": "sinks"}
    cfg = study({"extra_arms": [{**arm, "orientation_seeds": [1]}]})
    mappings = S.graph_mappings(cfg, "ws-n30-k4-p0.3-s1")
    assert [(a, o) for a, o, _ in mappings] == [
        ("fixed_interface", 0),
        ("fixed_interface", 1),
        ("sources_sinks", 1),
    ]
    # the arm's orientation-1 DAG is the main arm's orientation-1 DAG
    assert mappings[2].options.seed == mappings[1].options.seed


def test_an_extra_arm_trains_its_own_subset_of_the_inits_paired_with_the_main_arm():
    cfg = study(mapping={"extra_arms": [{**PAPER_ARM, "inits": ["xavier_normal"]}]},
                inits=["he_normal", "xavier_normal"])  # fmt: skip
    jobs = graph_stacks(nx.gnm_random_graph(12, 20, seed=1), "gnm-n12-m20-s1", cfg)
    by_arm = {(j.common["arm"], j.metadata["orientation_seed"]): j for j in jobs}
    assert by_arm["fixed_interface", 0].inits == ["he_normal", "xavier_normal"]
    paper = by_arm["paper_interface", 0]
    assert paper.inits == ["xavier_normal"]
    # the same draws as the main arm's xavier_normal model: a paired design
    assert paper.init_seeds == by_arm["fixed_interface", 0].init_seeds[1:]
    with pytest.raises(ConfigError, match=r"extra_arms\[0\]\.inits.*subset of training\.inits"):
        study(mapping={"extra_arms": [{**PAPER_ARM, "inits": ["he_uniform"]}]})


def test_model_ids_are_unique_across_arms_and_orientations():
    cfg = study(inits=["he_normal", "xavier_normal"], seeds=[0, 1])
    jobs = graph_stacks(nx.gnm_random_graph(12, 20, seed=1), "gnm-n12-m20-s1", cfg)
    ids = [i for job in jobs for i in job.ids]
    assert len(jobs) == 4 and len(ids) == 16 == len(set(ids))
    assert "gnm-n12-m20-s1--he_normal--s1--paper_interface--o1" in ids
    # the init and data seeds are paired across arms and orientations
    assert all(job.init_seeds == jobs[0].init_seeds for job in jobs)


def test_baseline_widths_come_from_the_masks():
    net = StackedNet(dense_spec((5,), [4, 2], 3), k=2)
    with torch.no_grad():
        net.mask(0)[0, 1, :] = 0  # model 0: neuron 1 of the first layer loses every input weight
        net.mask(2)[1, :, 0] = 0  # model 1: the classifier no longer reads neuron 0
    assert interface_widths(net) == ([3, 4], [2, 1])


def test_training_writes_every_arm_and_orientation_and_attack_stacks_follow_them(tmp_path):
    cfg = study()
    graph = nx.gnm_random_graph(12, 20, seed=3)
    rows = train_graph_models(graph, "gnm-n12-m20-s3", cfg, tmp_path)
    assert len(rows) == 4 and rows["model_id"].is_unique
    assert set(zip(rows["arm"], rows["orientation_seed"], strict=True)) == {
        ("fixed_interface", 0),
        ("fixed_interface", 1),
        ("paper_interface", 0),
        ("paper_interface", 1),
    }
    fixed = rows[rows["arm"] == "fixed_interface"]
    assert (fixed["input_width"] == 12).all() and (fixed["readout_width"] == 12).all()
    assert (rows["n_neurons"] == 12).all()
    paper = rows[rows["arm"] == "paper_interface"]
    assert (paper["input_wiring"] == "sources").all() and paper["sinks_to_last_layer"].all()
    assert (paper["input_width"] < 12).all()
    x = torch.rand(2, 1, 8, 8)
    for path in rows["checkpoint"]:
        assert load_model(path)(x).shape == (2, 10)
    table = pd.DataFrame(rows)
    stacks = list(table.groupby(_architecture_key(table), sort=False))
    assert len(stacks) == 4
    for _, sub in stacks:
        net, _ = load_group(sub)
        assert net.k == 1


def test_a_group_attacked_as_one_union_measures_each_model_as_its_own_stack(tmp_path):
    """The deterministic input measures of a model do not depend on its stack-mates."""
    cfg = study_dict()
    a = cfg["attack"]
    a["n_samples"], a["onepixel"]["n_samples"], a["clever"]["n_samples"] = 24, 0, 0
    a["pgd"]["linf"]["steps"] = a["pgd"]["l2"]["steps"] = a["min_perturbation"]["pgd_steps"] = 3
    a["min_perturbation"]["bisection_steps"] = 2
    a["autoattack"]["apgd_ce"]["steps"] = a["autoattack"]["apgd_t"]["steps"] = 3
    a["autoattack"]["apgd_t"]["n_targets"], a["autoattack"]["square"]["queries"] = 1, 5
    m = cfg["measures"]
    m["n_samples"], m["weight_perturbation"]["worst_case_steps"] = 24, 2
    m["pruning"].update(train_samples=100, n_bisect=2, kept_fractions=[1.0, 0.5])
    m["neural_collapse"]["train_samples"] = 100
    cfg = validate_study(cfg)
    rows = train_graph_models(nx.gnm_random_graph(12, 20, seed=3), "gnm-n12-m20-s3", cfg, tmp_path)
    table = pd.DataFrame(rows)
    union_checks, alone_checks = [], []
    union = attack_group(table, cfg, union_checks)
    alone = pd.concat(
        [attack_group(sub, cfg, alone_checks) for _, sub in table.groupby(_architecture_key(table))]
    )
    exact = {"clean_accuracy", "clean_f1_micro", "success_rate", "loss_sensitivity",
             "zero_gradient_share"}  # fmt: skip
    key = ["model_id", "measure", "attack", "norm", "eps"]
    pick = lambda df: (  # noqa: E731
        df[df["measure"].isin(exact) | (df["attack"] == "fgsm")]
        .sort_values(key)
        .reset_index(drop=True)
    )
    a, b = pick(union), pick(alone)
    assert len(a) == len(b) > 4 * 10
    pd.testing.assert_frame_equal(a[key], b[key])
    assert np.allclose(a["value"], b["value"], atol=1e-6, equal_nan=True)
    # every gate of every model, once, under either layout
    gate_key = lambda c: sorted((g["model_id"], g["check"]) for g in c)  # noqa: E731
    assert gate_key(union_checks) == gate_key(alone_checks)
    zero = lambda c: {g["model_id"]: g["value"] for g in c if g["check"] == "zero_gradient_share"}  # noqa: E731
    assert zero(union_checks) == pytest.approx(zero(alone_checks), nan_ok=True)
    # the beyond-input measures still come from each stack's own weights
    margin = lambda df: df[df["measure"] == "margin_mean"].set_index("model_id")["value"]  # noqa: E731
    pd.testing.assert_series_equal(margin(union).sort_index(), margin(alone).sort_index())
