"""A union of stacks with different architectures computes, trains and splits like the parts."""

import dataclasses

import networkx as nx
import pytest
import torch
import torch.nn.functional as F

from graphprior.graphs.dag import MappingOptions, build_layered_dag
from graphprior.graphs.netspec import spec_from_dag
from graphprior.nets.checkpoints import load_stacked, save_model
from graphprior.nets.inits import initialise
from graphprior.nets.stacked import StackedNet
from graphprior.nets.train import set_normalisation, train_stack
from graphprior.nets.union import split, train_many, union_of

from .test_train import digits, train_config

#: Two graphs, two orientations, both input wirings and both readouts.
MAPPINGS = [
    (0, dict(orientation="random", input_wiring="all", readout="sinks")),
    (0, dict(orientation="index_ascending", input_wiring="sources", readout="last_layer")),
    (1, dict(orientation="random", input_wiring="sources", readout="sinks")),
    (1, dict(orientation="index_descending", input_wiring="all", readout="last_layer")),
]


def specs():
    graphs = [nx.gnm_random_graph(30, 60, seed=s) for s in (1, 2)]
    out = []
    for g, opts in MAPPINGS:
        layered = build_layered_dag(graphs[g], MappingOptions(seed=3, **opts))
        out.append(spec_from_dag(layered, (1, 8, 8), 10))
    return out


def make_nets(x_train, ks=(2, 3, 1, 2)):
    nets = []
    for j, (spec, k) in enumerate(zip(specs(), ks, strict=True)):
        net = StackedNet(spec, k=k)
        set_normalisation(net, x_train)
        initialise(
            net, ["he_normal", "xavier_uniform", "normal_0.1"][:k], [10 * j + i for i in range(k)]
        )
        with torch.no_grad():  # non-zero biases, so that copying them is tested too
            for b in net.biases:
                b.normal_(0.0, 0.1, generator=torch.Generator().manual_seed(j))
        nets.append(net)
    return nets


def padded(union, parts):
    """Per union layer, a (K, out) bool tensor: True on padded neurons."""
    pad = [torch.ones_like(b, dtype=torch.bool) for b in union.biases]
    for p in parts:
        for ui, r in zip(p.layers, p.rows, strict=True):
            pad[ui][p.models, :r] = False
    return pad


def test_the_specs_differ_and_need_padding():
    s = specs()
    assert len({sp.to_json() for sp in s}) == len(s)
    assert len({len(sp.hidden) for sp in s}) > 1  # different depths
    union, parts = union_of(make_nets(digits(128)["train"][0]))
    assert union.k == 8
    assert any(p.any() for p in padded(union, parts))


def test_union_forward_equals_each_net():
    data = digits(128)
    nets = make_nets(data["train"][0])
    union, parts = union_of(nets)
    x = torch.rand(50, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits = union(x)
        for net, part in zip(nets, parts, strict=True):
            torch.testing.assert_close(logits[part.models], net(x), atol=1e-5, rtol=1e-5)


def test_split_round_trips_exactly_and_padding_is_zero():
    nets = make_nets(digits(128)["train"][0])
    union, parts = union_of(nets)
    for net, back in zip(nets, split(union, parts), strict=True):
        assert back.spec.to_json() == net.spec.to_json()
        assert back.bias_mask(0) is None
        sd, sd_back = net.state_dict(), back.state_dict()
        assert sd.keys() == sd_back.keys()
        for name in sd:
            assert torch.equal(sd[name], sd_back[name]), name
    for i, pad in enumerate(padded(union, parts)):
        assert not union.biases[i][pad].any()
        assert not union.bias_mask(i)[pad].any()
        assert not union.mask(i)[pad].any()  # padded neurons read nothing
        assert not (union.weights[i] * (1 - union.mask(i))).any()


def test_union_gradients_equal_the_separate_nets_and_padding_stays_zero():
    data = digits(64)
    nets = make_nets(data["train"][0])
    union, parts = union_of(nets)
    xb, yb = data["train"]

    def loss(net):
        logits = net(xb)
        ce = F.cross_entropy(logits.reshape(-1, 10), yb.repeat(net.k), reduction="none")
        return ce.view(net.k, -1).mean(1).sum()

    loss(union).backward()
    for net, part in zip(nets, parts, strict=True):
        loss(net).backward()
        for i, (ui, r, c) in enumerate(zip(part.layers, part.rows, part.cols, strict=True)):
            g = union.weights[ui].grad[part.models, :r][:, :, c]
            torch.testing.assert_close(g, net.weights[i].grad, atol=1e-5, rtol=1e-4)
            gb = union.biases[ui].grad[part.models, :r]
            torch.testing.assert_close(gb, net.biases[i].grad, atol=1e-5, rtol=1e-4)
    for i, pad in enumerate(padded(union, parts)):
        assert not union.biases[i].grad[pad].any()
        assert not (union.weights[i].grad * (1 - union.mask(i))).any()


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_train_many_trains_like_separate_stacks(optimizer):
    data = digits(96)
    cfg = train_config(epochs=2, batch_size=32, lr=0.01, optimizer=optimizer, weight_decay=1e-3)
    nets = make_nets(data["train"][0])
    seeds = [[100 * j + i for i in range(n.k)] for j, n in enumerate(nets)]
    alone = [n.select(list(range(n.k))) for n in nets]
    results, seconds = train_many(nets, data, seeds, cfg, progress=False)
    assert seconds > 0
    for net, ref, s, res in zip(nets, alone, seeds, results, strict=True):
        ref_res = train_stack(ref, data, s, cfg, progress=False)
        assert len(res) == net.k
        for i in range(net.n_layers):
            torch.testing.assert_close(net.weights[i], ref.weights[i], atol=1e-5, rtol=1e-4)
            torch.testing.assert_close(net.biases[i], ref.biases[i], atol=1e-5, rtol=1e-4)
        for a, b in zip(res, ref_res, strict=True):
            assert a.best_epoch == b.best_epoch and a.status is b.status
            assert a.test_accuracy == pytest.approx(b.test_accuracy, abs=1e-6)
            assert a.history == pytest.approx(b.history, abs=1e-6)
            assert a.test_loss == pytest.approx(b.test_loss, abs=1e-5)


def test_union_after_training_keeps_padding_zero():
    data = digits(96)
    cfg = train_config(epochs=1, batch_size=32, lr=0.05, optimizer="adam", weight_decay=1e-2)
    union, parts = union_of(make_nets(data["train"][0]))
    train_stack(union, data, list(range(union.k)), cfg, progress=False)
    pads = padded(union, parts)
    for i, pad in enumerate(pads):
        assert not union.biases[i][pad].any()
    with torch.no_grad():  # a stray write to padded biases: the bias masks keep them inert
        for b in union.biases:
            b.add_(1.0)
        blocks, _ = union.forward_blocks(data["val"][0])
    for i, pad in enumerate(pads[:-1]):
        assert not blocks[i + 1].permute(1, 0, 2)[:, pad].any()
    union.apply_masks()
    for i, pad in enumerate(pads):
        assert not union.biases[i][pad].any()
    sub = union.select([0, 5])  # keeps its bias masks
    assert torch.equal(sub.bias_mask(1), union.bias_mask(1)[[0, 5]])


def test_plain_checkpoints_are_unchanged(tmp_path):
    net = make_nets(digits(128)["train"][0])[0]
    assert not any(name.startswith("bias_mask") for name in net.state_dict())
    union, parts = union_of([net])
    back = split(union, parts)[0]
    save_model(back.select(1), tmp_path / "m.safetensors")
    loaded, _ = load_stacked(tmp_path / "m.safetensors")
    for name, t in net.select(1).state_dict().items():
        assert torch.equal(loaded.state_dict()[name], t), name


def test_union_checks_its_inputs():
    data = digits(128)
    nets = make_nets(data["train"][0])
    nets[1].input_std.mul_(2.0)
    with pytest.raises(ValueError, match="normalisation"):
        union_of(nets)
    other = dataclasses.replace(nets[0].spec, n_classes=3)
    with pytest.raises(ValueError, match="class count"):
        union_of([nets[0], StackedNet(other, k=1)])
    with pytest.raises(ValueError, match="data seeds"):
        train_many(nets[:1], data, [[1]], train_config(epochs=1), progress=False)
