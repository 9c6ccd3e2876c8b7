"""The relational-graph mapping and WS-flex graphs, on cases whose answer is known."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch
from torch import nn

from graphprior.graphs.generators import get_generator, ws_flex_graph
from graphprior.graphs.netspec import spec_param_count
from graphprior.graphs.relational import (
    block_mask,
    dense_param_count,
    match_node_widths,
    match_width,
    node_widths,
    relational_net,
    relational_param_count,
    relational_spec,
)
from graphprior.nets.stacked import StackedNet
from graphprior.nets.train import TrainConfig, train_stack

SHAPE, CLASSES = (12,), 3


def _dense_copy(net: StackedNet) -> nn.Sequential:
    """A plain MLP holding the stacked net's weights (model 0)."""
    layers: list[nn.Module] = []
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        lin = nn.Linear(w.shape[2], w.shape[1])
        with torch.no_grad():
            lin.weight.copy_(w[0])
            lin.bias.copy_(b[0])
        layers += [lin] + ([nn.ReLU()] if i < net.n_layers - 1 else [])
    return nn.Sequential(*layers)


def test_complete_graph_is_the_dense_mlp():
    graph = nx.complete_graph(5)
    spec = relational_spec(graph, 10, 2, SHAPE, CLASSES)
    assert all(layer.mask.all() for layer in [*spec.hidden, spec.output])
    assert spec_param_count(spec) == dense_param_count(10, 2, 12, CLASSES)
    torch.manual_seed(0)
    net = StackedNet(spec)
    for w, b in zip(net.weights, net.biases, strict=True):
        nn.init.normal_(w, std=0.5)
        nn.init.normal_(b, std=0.1)
    x = torch.rand(7, 12)
    assert torch.allclose(net(x)[0], _dense_copy(net)(x), atol=1e-6)


def test_empty_graph_gives_independent_narrow_mlps():
    graph = nx.empty_graph(4)
    widths = node_widths(10, 4)
    assert widths.tolist() == [3, 3, 2, 2]
    mask = block_mask(graph, widths)
    expected = np.zeros((10, 10), dtype=bool)
    start = 0
    for w in widths:
        expected[start : start + w, start : start + w] = True
        start += w
    assert (mask == expected).all()
    # node 0's neurons never see node 1's: changing node 1's first-layer weights
    # leaves node 0's activations in the last hidden layer unchanged
    spec = relational_spec(graph, 10, 3, SHAPE, CLASSES)
    net = StackedNet(spec)
    torch.manual_seed(1)
    for w in net.weights:
        nn.init.normal_(w)
    net.apply_masks()
    x = torch.rand(5, 12)
    before = net.forward_blocks(x)[0][-1][0, :, :3].clone()
    with torch.no_grad():
        net.weights[0][0, 3:6] += 1.0
    after = net.forward_blocks(x)[0][-1][0, :, :3]
    assert torch.equal(before, after)


def test_block_pattern_follows_the_edges():
    graph = nx.path_graph(3)  # 0-1-2
    mask = block_mask(graph, np.array([1, 2, 1]))
    blocks = np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]], dtype=bool)
    owner = np.array([0, 1, 1, 2])
    assert (mask == blocks[np.ix_(owner, owner)]).all()


def test_masked_weights_stay_zero_through_training():
    graph = ws_flex_graph(8, 2.5, 0.3, seed=3)
    spec = relational_spec(graph, 16, 2, SHAPE, CLASSES)
    net = StackedNet(spec, k=2)
    for w in net.weights:
        nn.init.normal_(w, std=0.3)
    net.apply_masks()
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(64, 12, generator=gen)
    y = torch.randint(0, CLASSES, (64,), generator=gen)
    data = {"train": (x, y), "val": (x, y), "test": (x, y)}
    cfg = TrainConfig("adam", 0.01, 0.9, 0.0, 16, 3, "val", "cpu")
    train_stack(net, data, [0, 1], cfg, progress=False)
    for i, w in enumerate(net.weights):
        off = net.mask(i) == 0
        assert off.any() or i in (0, net.n_layers - 1)
        assert torch.count_nonzero(w[off]) == 0


@pytest.mark.parametrize("rounds", [1, 3])
def test_parameter_matching_within_one_percent_on_a_stratum(rounds):
    target_width = 64
    dims = (64,)
    reference = dense_param_count(target_width, rounds, 64, 10)
    counts = []
    for k in (2.0, 3.5, 6.0, 11.3, 20.0):
        for p in (0.0, 0.3, 1.0):
            graph = ws_flex_graph(32, k, p, seed=7)
            net = relational_net(graph, rounds, dims, 10, width=target_width)
            assert net.n_params == spec_param_count(net.spec)
            assert sum(net.node_widths) == net.width
            counts.append(net.n_params)
    # the densest graphs (k = 20 of 31) sit just above the reference width, where one
    # neuron is the coarsest step: there the 1 % of the issue is what the rule can hold
    assert max(abs(c - reference) / reference for c in counts) <= 0.01


def test_match_width_is_the_closest_width():
    graph = ws_flex_graph(16, 4.0, 0.2, seed=1)
    target = 5000
    best = match_width(graph, target, 2, 12, 3)

    def count(w):
        return spec_param_count(relational_spec(graph, w, 2, SHAPE, CLASSES))

    assert all(abs(count(best) - target) <= abs(count(w) - target) for w in range(16, 200))


def test_placing_the_uneven_neurons_by_degree_comes_closer_than_an_even_split():
    graph = ws_flex_graph(20, 3.3, 0.5, seed=4)
    target = 7777
    adjacency = nx.to_numpy_array(graph, dtype=bool) | np.eye(20, dtype=bool)
    even = relational_param_count(adjacency, match_width(graph, target, 2, 12, 3), 2, 12, 3)
    widths = match_node_widths(graph, target, 2, 12, 3)
    tuned = relational_param_count(adjacency, widths, 2, 12, 3)
    assert abs(tuned - target) <= abs(even - target)
    assert widths.max() - widths.min() <= 1
    spec = relational_spec(graph, widths, 2, SHAPE, CLASSES)
    assert spec_param_count(spec) == tuned


def test_a_budget_replaces_the_reference_width():
    graph = nx.cycle_graph(6)
    net = relational_net(graph, 2, SHAPE, CLASSES, params=3000)
    assert abs(net.n_params - 3000) / 3000 < 0.02
    with pytest.raises(ValueError, match="reference width or a parameter budget"):
        relational_net(graph, 2, SHAPE, CLASSES)


def test_ws_flex_has_the_average_degree_and_is_seeded():
    for n, k in ((64, 4.3), (30, 2.0), (50, 7.7)):
        graph = ws_flex_graph(n, k, 0.2, seed=5)
        assert graph.number_of_edges() == round(n * k / 2)
        assert nx.is_connected(graph)
    a, b = ws_flex_graph(40, 5.5, 0.4, seed=2), ws_flex_graph(40, 5.5, 0.4, seed=2)
    assert sorted(a.edges()) == sorted(b.edges())


def test_ws_flex_lattice_degrees_differ_by_at_most_one():
    graph = ws_flex_graph(20, 5.5, 0.0, seed=0)
    degrees = [d for _, d in graph.degree()]
    assert max(degrees) - min(degrees) <= 2  # each node: its reach plus the others' reach into it
    assert nx.average_clustering(graph) > 0.3


def test_ws_flex_covers_clustering_and_path_length():
    lattice, rewired = ws_flex_graph(64, 6.0, 0.0, seed=1), ws_flex_graph(64, 6.0, 1.0, seed=1)
    assert nx.average_clustering(lattice) > 2 * nx.average_clustering(rewired)
    assert nx.average_shortest_path_length(lattice) > 1.5 * nx.average_shortest_path_length(rewired)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n": 10, "k": 1.5, "p": 0.1}, "average degree"),
        ({"n": 10, "k": 9.0, "p": 0.1}, "2 <= k <= 8"),
        ({"n": 10, "k": 3.0, "p": 1.5}, "probability"),
        ({"n": 2, "k": 2.0, "p": 0.1}, "at least 3"),
    ],
)
def test_ws_flex_refuses_impossible_points(params, message):
    with pytest.raises(ValueError, match=message):
        get_generator("ws_flex").check("ws_flex", params)
