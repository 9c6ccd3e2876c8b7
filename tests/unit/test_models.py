"""Masked stacked networks: wiring matches the DAG, masks hold, checkpoints are safe."""

import networkx as nx
import numpy as np
import pytest
import torch

from graphprior.config import INITS
from graphprior.graphs.dag import MappingOptions, build_layered_dag
from graphprior.graphs.netspec import dense_spec, spec_from_dag, spec_param_count
from graphprior.nets.checkpoints import (
    CheckpointError,
    load_model,
    load_stacked,
    save_model,
    stack_nets,
)
from graphprior.nets.inits import initialise
from graphprior.nets.stacked import StackedNet


def small_net(k=3, opts=None):
    g = nx.Graph([(0, 1), (1, 2), (0, 2), (2, 3)])
    sources_sinks = MappingOptions(
        orientation="index_ascending", input_wiring="sources", readout="sinks"
    )
    ld = build_layered_dag(g, opts or sources_sinks)
    return ld, StackedNet(spec_from_dag(ld, (5,), 3), k=k)


def test_spec_counts_match_a_hand_count():
    # 0->1, 0->2, 1->2, 2->3: layers [0], [1], [2], [3]; input (5) feeds node 0 only; sink 3 reads out
    ld, net = small_net()
    assert ld.layers == [[0], [1], [2], [3]]
    weights = 5 + 1 + 2 + 1 + 3  # input->0, 0->1, {0,1}->2, 2->3, 3->3 classes
    biases = 4 + 3
    assert spec_param_count(net.spec) == weights + biases
    assert int(net.n_params()[0]) == weights + biases


def test_matched_density_counts_against_the_dense_net_of_the_same_widths():
    # widths 1-1-1-1 on 5 inputs and 3 classes: the dense net has 5 + 1 + 1 + 1 + 3 = 11 weights;
    # the graph net has 12 (the skip edge 0->2 is the extra one), so its matched density is 12/11
    _, net = small_net(k=2)
    assert net.spec.dense_weight_count() == 11
    assert torch.allclose(net.matched_density(), torch.full((2,), 12 / 11))
    # every block each layer reads is full, so the block density is 1
    assert torch.allclose(net.density(), torch.ones(2))
    # for a dense net, pruned or not, both are the kept fraction
    dense = StackedNet(dense_spec((5,), [4, 2], 3), k=1)
    assert dense.spec.dense_weight_count() == 5 * 4 + 4 * 2 + 2 * 3
    with torch.no_grad():
        dense.mask(0)[0, :, :2] = 0  # drop 8 of the 34 weights
    assert torch.allclose(dense.matched_density(), torch.tensor([26 / 34]))
    assert torch.allclose(dense.density(), dense.matched_density())


def test_every_dag_edge_is_one_unmasked_weight():
    g = nx.gnp_random_graph(25, 0.2, seed=2)
    ld = build_layered_dag(g, MappingOptions(seed=4))
    spec = spec_from_dag(ld, (6,), 4)
    hidden_edges = sum(
        int(h.mask[:, 6:].sum()) if 0 in h.inputs else int(h.mask.sum()) for h in spec.hidden
    )
    assert hidden_edges == ld.dag.number_of_edges()


def test_masked_weights_stay_zero_through_training():
    ld, net = small_net(k=2)
    initialise(net, ["he_normal", "uniform_0.1"], [1, 2])
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    x = torch.rand(16, 5)
    y = torch.randint(0, 3, (16,))
    for _ in range(5):
        loss = torch.nn.functional.cross_entropy(net(x).reshape(-1, 3), y.repeat(2))
        opt.zero_grad()
        loss.backward()
        opt.step()
        net.apply_masks()
    for i in range(net.n_layers):
        assert torch.all(net.weights[i][net.mask(i) == 0] == 0)
        assert torch.any(net.weights[i][net.mask(i) == 1] != 0)


def test_masks_are_buffers_not_parameters():
    _, net = small_net()
    names = {n for n, _ in net.named_parameters()}
    assert not any(n.startswith("mask") for n in names)
    assert any(n.startswith("mask") for n, _ in net.named_buffers())


@pytest.mark.parametrize("init", INITS)
def test_inits_are_seeded_and_masked(init):
    _, a = small_net(k=1)
    _, b = small_net(k=1)
    initialise(a, [init], [11])
    initialise(b, [init], [11])
    for i in range(a.n_layers):
        assert torch.equal(a.weights[i], b.weights[i])
        assert torch.all(a.weights[i][a.mask(i) == 0] == 0)


def test_fanin_corrected_he_uses_real_fan_in():
    spec = dense_spec((400,), [300], 2)
    spec.hidden[0].mask[:, 4:] = False  # every hidden neuron keeps 4 inputs
    net = StackedNet(spec, k=1)
    initialise(net, ["he_fanin_corrected"], [0])
    w = net.weights[0][0][:, :4].detach()
    assert abs(float(w.std()) - np.sqrt(2 / 4)) < 0.05


def test_stacked_forward_equals_single_models():
    _, net = small_net(k=3)
    initialise(net, ["he_normal", "xavier_normal", "normal_0.1"], [1, 2, 3])
    x = torch.rand(7, 5)
    out = net(x)
    for k in range(3):
        assert torch.allclose(net.select(k)(x)[0], out[k], atol=1e-6)
    xs = torch.rand(3, 7, 5)
    out = net(xs)
    for k in range(3):
        assert torch.allclose(net.select(k)(xs[k])[0], out[k], atol=1e-6)


def test_checkpoint_round_trip_and_stacking(tmp_path):
    _, net = small_net(k=2)
    initialise(net, ["he_normal", "he_uniform"], [1, 2])
    for k in range(2):
        save_model(net.select(k), tmp_path / f"m{k}.safetensors", {"model_id": f"m{k}"})
    model = load_model(tmp_path / "m1.safetensors")
    x = torch.rand(4, 5)
    assert not model.training
    assert torch.allclose(model(x), net(x)[1], atol=1e-6)
    loaded = stack_nets([load_stacked(tmp_path / f"m{k}.safetensors")[0] for k in range(2)])
    assert torch.allclose(loaded(x), net(x), atol=1e-6)
    assert load_stacked(tmp_path / "m0.safetensors")[1]["model_id"] == "m0"


def test_truncated_checkpoint_names_the_file(tmp_path):
    _, net = small_net(k=1)
    path = tmp_path / "m.safetensors"
    save_model(net, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="m.safetensors"):
        load_model(path)
    with pytest.raises(CheckpointError, match="not found"):
        load_model(tmp_path / "missing.safetensors")


def test_readout_features_match_logits():
    _, net = small_net(k=2)
    initialise(net, ["he_normal", "he_normal"], [1, 2])
    x = torch.rand(6, 5)
    feats, logits = net.readout_features(x)
    w = net.readout_weights()
    recon = torch.einsum("kbf,kcf->kbc", feats, w) + net.biases[-1].unsqueeze(1)
    assert torch.allclose(recon, logits, atol=1e-5)


def test_readout_features_cover_every_model_of_a_pruned_stack():
    spec = dense_spec((6,), [8], 3)
    net = StackedNet(spec, k=2)
    initialise(net, ["he_normal", "he_normal"], [1, 2])
    with torch.no_grad():
        out = net.mask(net.n_layers - 1)
        out.zero_()
        out[0, :, :4] = 1  # model 0 reads hidden neurons 0-3
        out[1, :, 4:] = 1  # model 1 reads hidden neurons 4-7
    net.apply_masks()
    x = torch.rand(5, 6)
    feats, logits = net.readout_features(x)
    assert feats.shape[-1] == 8
    recon = torch.einsum("kbf,kcf->kbc", feats, net.readout_weights()) + net.biases[-1].unsqueeze(1)
    assert torch.allclose(recon, logits, atol=1e-5)


@pytest.mark.parametrize("wiring", ["sources", "all"])
def test_forward_equals_a_node_by_node_evaluation_of_the_dag(wiring):
    """Every neuron is relu(bias + input weights · x + weights · its DAG predecessors)."""
    g = nx.gnm_random_graph(12, 20, seed=3)
    ld = build_layered_dag(g, MappingOptions(input_wiring=wiring, readout="sinks", seed=1))
    net = StackedNet(spec_from_dag(ld, (4,), 3), k=2)
    initialise(net, ["he_normal", "normal_0.1"], [1, 2])
    with torch.no_grad():
        for b in net.biases:
            b.normal_()
    x = torch.rand(5, 4)
    layers = [*net.spec.hidden, net.spec.output]
    widths = net.spec.block_widths()

    def weight(i, k, row, block, col):  # weight of layer i, row, from column `col` of `block`
        if block not in layers[i].inputs:
            return 0.0
        offset = sum(widths[b] for b in layers[i].inputs[: layers[i].inputs.index(block)])
        return float((net.weights[i] * net.mask(i))[k, row, offset + col].detach())

    out = net(x).detach()
    for k in range(2):
        act = {}
        for v in sorted(ld.dag.nodes(), key=lambda v: ld.layer_of[v]):
            i, row = ld.layer_of[v], ld.position[v]
            z = float(net.biases[i][k, row].detach()) + sum(
                weight(i, k, row, 0, c) * x[:, c] for c in range(4)
            )
            for u in ld.dag.predecessors(v):
                z = z + weight(i, k, row, ld.layer_of[u] + 1, ld.position[u]) * act[u]
            act[v] = torch.relu(torch.as_tensor(z) * torch.ones(5))
        o = len(layers) - 1
        logits = float(0) + net.biases[o][k].detach()
        logits = logits + sum(
            torch.outer(
                act[v],
                torch.tensor(
                    [weight(o, k, c, ld.layer_of[v] + 1, ld.position[v]) for c in range(3)]
                ),
            )
            for v in ld.readout_nodes
        )
        assert torch.allclose(out[k], logits, atol=1e-5)
