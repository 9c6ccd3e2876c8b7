"""Graph -> DAG -> layers: orientations, layering, sinks, wiring."""

import networkx as nx
import numpy as np
import pytest

from graphprior.graphs.dag import MappingOptions, assign_layers, build_layered_dag, orient
from graphprior.graphs.netspec import spec_from_dag, spec_param_count


@pytest.mark.parametrize("orientation", ["index_ascending", "index_descending", "random"])
def test_orientation_is_acyclic_and_keeps_every_edge(orientation):
    g = nx.gnp_random_graph(40, 0.2, seed=3)
    d = orient(g, orientation, seed=5)
    assert nx.is_directed_acyclic_graph(d)
    assert d.number_of_edges() == g.number_of_edges()
    assert {frozenset(e) for e in d.edges()} == {frozenset(e) for e in g.edges()}


def test_index_orientations_follow_node_order():
    g = nx.path_graph(4)
    assert sorted(orient(g, "index_ascending").edges()) == [(0, 1), (1, 2), (2, 3)]
    assert sorted(orient(g, "index_descending").edges()) == [(1, 0), (2, 1), (3, 2)]


def test_random_orientation_is_seeded():
    g = nx.gnp_random_graph(30, 0.3, seed=1)
    assert sorted(orient(g, "random", 7).edges()) == sorted(orient(g, "random", 7).edges())
    assert sorted(orient(g, "random", 7).edges()) != sorted(orient(g, "random", 8).edges())


def test_layer_is_longest_path_from_sources():
    d = nx.DiGraph([(0, 1), (1, 2), (0, 2), (2, 3), (0, 4)])
    assert assign_layers(d, sinks_to_last_layer=False) == {0: 0, 1: 1, 2: 2, 3: 3, 4: 1}
    moved = assign_layers(d, sinks_to_last_layer=True)
    assert moved[4] == 3 and moved[3] == 3


def test_build_layered_dag_paper_mapping_on_a_star():
    # star with centre 0: descending orientation makes leaves sources, the centre the sink
    g = nx.star_graph(4)
    opts = MappingOptions(
        orientation="index_descending",
        sinks_to_last_layer=True,
        input_wiring="sources",
        readout="last_layer",
    )
    ld = build_layered_dag(g, opts)
    assert ld.layers == [[1, 2, 3, 4], [0]]
    assert ld.input_nodes == [1, 2, 3, 4]
    assert ld.readout_nodes == [0]
    assert ld.depth == 2 and ld.widths == [4, 1]


def test_readout_sinks_and_input_all():
    g = nx.Graph([(0, 1), (0, 2)])
    g.add_node(3)  # isolated: source and sink at once
    opts = MappingOptions(orientation="index_ascending", input_wiring="all", readout="sinks")
    ld = build_layered_dag(g, opts)
    assert ld.readout_nodes == [1, 2, 3]
    assert ld.input_nodes == [0, 1, 2, 3]
    assert ld.layer_of[3] == 0


def test_empty_graph_is_refused():
    with pytest.raises(ValueError, match="no nodes"):
        build_layered_dag(nx.Graph())


def test_options_accept_strings_and_reject_unknown_values():
    assert MappingOptions.from_dict({"orientation": "random"}).orientation.value == "random"
    with pytest.raises(ValueError):
        MappingOptions(orientation="sideways")


def test_removed_inputs_spread_evenly_and_reproducibly():
    from graphprior.graphs.netspec import removed_inputs

    a = removed_inputs([3, 1, 2, 0], 64, 10, seed=7)
    assert sorted(a) == [0, 1, 2, 3]
    assert sorted(len(v) for v in a.values()) == [2, 2, 3, 3]
    assert all(len(set(v.tolist())) == len(v) and v.max() < 64 for v in a.values())
    b = removed_inputs([0, 1, 2, 3], 64, 10, seed=7)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert removed_inputs([0, 1], 64, 0, seed=7) == {}
    with pytest.raises(ValueError, match="cannot remove 129 input weights"):
        removed_inputs([0, 1], 64, 129, seed=7)


def test_a_net_loses_exactly_its_removed_input_weights():
    g = nx.gnm_random_graph(12, 30, seed=1)
    full = spec_from_dag(build_layered_dag(g, MappingOptions(seed=3)), (8,), 3)
    held = spec_from_dag(
        build_layered_dag(g, MappingOptions(seed=3, input_weights_removed=17, input_seed=5)),
        (8,),
        3,
    )
    assert spec_param_count(full) - spec_param_count(held) == 17
    # only input columns lose weights; the DAG's edges and the readout stay
    for a, b in zip(full.hidden, held.hidden, strict=True):
        w = 8 if a.inputs[:1] == [0] else 0
        assert np.array_equal(a.mask[:, w:], b.mask[:, w:])
        assert (b.mask[:, :w] <= a.mask[:, :w]).all()
    assert np.array_equal(full.output.mask, held.output.mask)
