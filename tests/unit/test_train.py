"""Stacked training: equals separate runs, survives divergence, selects checkpoints."""

import dataclasses

import networkx as nx
import pytest
import torch
import torch.nn.functional as F

from graphprior.config import ConfigError, StudyConfig, TrainingConfig, validate_config
from graphprior.config.choices import Status
from graphprior.data import load_dataset
from graphprior.graphs.dag import MappingOptions, build_layered_dag
from graphprior.graphs.netspec import dense_spec, spec_from_dag
from graphprior.nets.inits import initialise
from graphprior.nets.stacked import StackedNet, cross_entropy_per_sample, softmax_classes
from graphprior.nets.train import TrainConfig, set_normalisation, train_stack

#: The smallest valid study: its ``training`` section holds the schema's defaults.
TINY = {
    "dataset": "digits",
    "device": "cpu",
    "graphs": {
        "generators": [
            {"generator": "erdos_renyi_gnp", "params": {"n": [10], "p": [0.3]}, "seeds": [1]}
        ]
    },
}


def train_config(**training) -> TrainConfig:
    """A TrainConfig from a validated config: the schema's defaults, then ``training``."""
    study = StudyConfig.from_dict(validate_config({**TINY, "training": training}))
    return TrainConfig.from_training(study.training, "cpu")


def digits(n=300):
    out = {}
    for s in ("train", "val", "test"):
        x, y = load_dataset("digits", s)
        out[s] = (x[:n], y[:n])
    return out


def graph_spec():
    g = nx.watts_strogatz_graph(60, 6, 0.3, seed=1)
    return spec_from_dag(build_layered_dag(g, MappingOptions(seed=1)), (1, 8, 8), 10)


def test_stack_trains_like_separate_runs():
    data = digits()
    spec = graph_spec()
    cfg = train_config(epochs=2, batch_size=32, lr=0.003)
    stack = StackedNet(spec, k=2)
    set_normalisation(stack, data["train"][0])
    initialise(stack, ["he_normal", "xavier_uniform"], [1, 2])
    singles = [stack.select(k) for k in range(2)]
    res = train_stack(stack, data, [5, 6], cfg, progress=False)
    for k, single in enumerate(singles):
        r = train_stack(single, data, [[5, 6][k]], cfg, progress=False)[0]
        for i in range(stack.n_layers):
            assert torch.allclose(stack.weights[i][k], single.weights[i][0], atol=1e-4)
        assert abs(r.test_accuracy - res[k].test_accuracy) < 1e-6


def test_graph_nets_learn_digits():
    data = digits(1200)
    net = StackedNet(graph_spec(), k=2)
    set_normalisation(net, data["train"][0])
    initialise(net, ["he_fanin_corrected", "he_fanin_corrected"], [1, 2])
    res = train_stack(net, data, [1, 2], train_config(epochs=15, lr=0.003), progress=False)
    assert all(r.status is Status.OK for r in res)
    assert all(r.test_accuracy > 0.6 for r in res), [r.test_accuracy for r in res]
    assert all(1 <= r.best_epoch <= 15 for r in res)


def test_divergence_is_recorded_and_does_not_stop_the_others():
    data = digits()
    net = StackedNet(dense_spec((1, 8, 8), [16], 10), k=2)
    set_normalisation(net, data["train"][0])
    initialise(net, ["he_normal", "he_normal"], [1, 2])
    with torch.no_grad():
        net.weights[0][1].fill_(float("nan"))  # model 1 produces NaN from the first step
    res = train_stack(net, data, [1, 2], train_config(epochs=10, lr=0.01), progress=False)
    assert res[1].status is Status.DIVERGED
    assert res[0].status is Status.OK and res[0].test_accuracy > 0.5
    assert torch.isfinite(net.weights[0][0]).all()


def test_untrainable_when_near_chance():
    data = digits()
    net = StackedNet(dense_spec((1, 8, 8), [4], 10), k=1)
    set_normalisation(net, data["train"][0])
    initialise(net, ["he_normal"], [1])
    with torch.no_grad():
        net.mask(0).zero_()  # no path from the input: the net can only learn the prior
    net.apply_masks()
    res = train_stack(net, data, [1], train_config(epochs=2, lr=1e-3), progress=False)
    assert res[0].status is Status.UNTRAINABLE


def test_train_config_takes_its_defaults_from_the_schema():
    cfg = train_config()
    assert (cfg.lr, cfg.epochs, cfg.batch_size, cfg.optimizer) == (0.003, 40, 64, "adam")
    assert dataclasses.replace(cfg, epochs=2).epochs == 2
    # TrainConfig's own defaults and a partial section's are the schema's, not others
    assert TrainConfig(epochs=2, device="cpu") == train_config(epochs=2)
    partial = TrainingConfig.from_dict({"epochs": 2})
    assert TrainConfig.from_training(partial, "cpu") == train_config(epochs=2)
    with pytest.raises(ConfigError, match="TrainingConfig: unknown key.s. epoch$"):
        TrainingConfig.from_dict({"epoch": 2})


def test_class_dimension_helpers_equal_the_plain_forms_with_gradients():
    torch.manual_seed(0)
    logits = torch.randn(3, 17, 10, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 10, (3, 17))
    plain = F.cross_entropy(logits.reshape(-1, 10), y.reshape(-1), reduction="none").view(3, 17)
    fast = cross_entropy_per_sample(logits, y)
    torch.testing.assert_close(fast, plain)
    w = torch.rand(3, 17, dtype=torch.float64)
    (g_plain,) = torch.autograd.grad((plain * w).sum(), logits)
    (g_fast,) = torch.autograd.grad((fast * w).sum(), logits)
    torch.testing.assert_close(g_fast, g_plain)
    for x in (logits.detach(), logits.detach()[0]):  # stacked (K, B, C) and single (B, C)
        torch.testing.assert_close(softmax_classes(x), torch.softmax(x, -1))
