"""Graph and DAG properties: known answers, agreement with networkx, edge cases."""

from __future__ import annotations

import math
import warnings

import networkx as nx
import numpy as np
import pytest

from graphprior.graphs.dag import MappingOptions, build_layered_dag
from graphprior.graphs.dag_properties import DAG_PROPERTY_COLUMNS, dag_properties
from graphprior.graphs.paths import path_statistics
from graphprior.graphs.properties import GRAPH_PROPERTY_COLUMNS, graph_properties

approx = pytest.approx


def props(graph: nx.Graph) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy/networkx warnings on any input
        result = graph_properties(graph)
    assert tuple(result) == GRAPH_PROPERTY_COLUMNS
    return result


# --- known answers on hand-countable graphs --------------------------------


def test_path_p5():
    p = props(nx.path_graph(5))
    assert (p["n_nodes"], p["n_edges"], p["n_components"]) == (5, 4, 1)
    assert p["density"] == approx(0.4)
    assert p["degree_mean"] == approx(1.6)
    assert p["degree_max"] == 2
    # distances 1×4, 2×3, 3×2, 4×1 over 10 pairs
    assert p["avg_path_length"] == approx(2.0)
    assert (p["diameter"], p["radius"]) == (4, 2)
    assert p["avg_eccentricity"] == approx((4 + 3 + 2 + 3 + 4) / 5)
    assert p["global_efficiency"] == approx((4 + 3 / 2 + 2 / 3 + 1 / 4) / 10)
    assert p["avg_clustering"] == 0 and p["transitivity"] == 0
    # betweenness: 0, 3, 4, 3, 0 pairs, normalised by (n-1)(n-2)/2 = 6
    assert p["betweenness_max"] == approx(4 / 6)
    assert p["betweenness_mean"] == approx(10 / 6 / 5)
    assert p["algebraic_connectivity"] == approx(2 * (1 - math.cos(math.pi / 5)))
    assert p["spectral_radius"] == approx(2 * math.cos(math.pi / 6))
    assert p["largest_component_fraction"] == 1.0


def test_star():
    p = props(nx.star_graph(5))  # centre 0 and five leaves
    assert p["degree_max"] == 5
    assert p["degree_mean"] == approx(10 / 6)
    assert p["degree_gini"] == approx(1 / 3)
    assert p["assortativity"] == approx(-1.0)
    assert p["avg_path_length"] == approx((5 * 1 + 10 * 2) / 15)
    assert (p["diameter"], p["radius"]) == (2, 1)
    assert p["betweenness_max"] == approx(1.0)
    assert p["closeness_max"] == approx(1.0)
    assert p["spectral_radius"] == approx(math.sqrt(5))
    assert p["algebraic_connectivity"] == approx(1.0)


def test_cycle_c6():
    p = props(nx.cycle_graph(6))
    assert p["avg_path_length"] == approx(9 / 5)
    assert (p["diameter"], p["radius"]) == (3, 3)
    assert p["avg_eccentricity"] == approx(3.0)
    assert p["algebraic_connectivity"] == approx(2 * (1 - math.cos(2 * math.pi / 6)))
    assert p["spectral_radius"] == approx(2.0)
    assert math.isnan(p["assortativity"])  # regular graph: undefined, no warning
    assert p["degree_std"] == 0 and p["degree_gini"] == 0
    assert p["avg_clustering"] == 0
    assert p["closeness_mean"] == approx(5 / 9)


def test_complete_k5():
    p = props(nx.complete_graph(5))
    assert p["density"] == 1.0
    assert p["avg_clustering"] == approx(1.0) and p["transitivity"] == approx(1.0)
    assert p["avg_path_length"] == 1.0 and p["diameter"] == 1 and p["radius"] == 1
    assert p["global_efficiency"] == approx(1.0)
    assert p["algebraic_connectivity"] == approx(5.0)
    assert p["spectral_radius"] == approx(4.0)
    assert p["betweenness_max"] == 0.0 and p["closeness_mean"] == approx(1.0)
    assert p["edge_betweenness_mean"] == approx(2 / 20)
    # S = (C / (k/n)) / (L / (ln n / ln k)) with C = L = 1, k = 4, n = 5
    assert p["small_world_index"] == approx((5 / 4) * math.log(5) / math.log(4))


def test_two_disjoint_triangles():
    graph = nx.disjoint_union(nx.complete_graph(3), nx.complete_graph(3))
    p = props(graph)
    assert p["n_components"] == 2
    assert p["largest_component_fraction"] == 0.5
    assert p["avg_path_length"] == 1.0 and p["diameter"] == 1 and p["radius"] == 1
    assert p["global_efficiency"] == approx(12 / 30)
    assert p["algebraic_connectivity"] == 0.0
    assert p["closeness_mean"] == approx((2 / 2) * (2 / 5))
    assert p["avg_clustering"] == approx(1.0)


def test_edgeless_and_empty_graphs_do_not_raise():
    p = props(nx.empty_graph(5))
    assert (p["n_edges"], p["n_components"], p["density"]) == (0, 5, 0.0)
    assert math.isnan(p["avg_path_length"]) and math.isnan(p["assortativity"])
    assert math.isnan(p["edge_betweenness_mean"]) and math.isnan(p["small_world_index"])
    assert p["global_efficiency"] == 0.0 and p["algebraic_connectivity"] == 0.0
    assert p["spectral_radius"] == 0.0
    p0 = props(nx.empty_graph(0))
    assert p0["n_nodes"] == 0 and math.isnan(p0["density"])
    p1 = props(nx.empty_graph(1))
    assert p1["n_nodes"] == 1 and math.isnan(p1["algebraic_connectivity"])


def test_labels_and_self_loops_are_ignored():
    graph = nx.relabel_nodes(nx.path_graph(5), {i: f"v{i}" for i in range(5)})
    graph.add_edge("v0", "v0")
    p = props(graph)
    assert p["n_edges"] == 4 and p["avg_path_length"] == approx(2.0)


def test_directed_input_is_refused():
    with pytest.raises(ValueError, match="undirected"):
        graph_properties(nx.DiGraph([(0, 1)]))


# --- agreement with networkx -----------------------------------------------


@pytest.mark.parametrize(
    "graph",
    [
        nx.gnp_random_graph(60, 0.05, seed=3),  # disconnected
        nx.barabasi_albert_graph(50, 2, seed=1),
        nx.watts_strogatz_graph(50, 4, 0.2, seed=2),
        nx.powerlaw_cluster_graph(40, 3, 0.5, seed=4),
    ],
    ids=["er-disconnected", "ba", "ws", "hk"],
)
def test_agrees_with_networkx(graph):
    p = props(graph)
    betweenness = np.array(list(nx.betweenness_centrality(graph).values()))
    closeness = np.array(list(nx.closeness_centrality(graph).values()))
    edge_betweenness = np.array(list(nx.edge_betweenness_centrality(graph).values()))
    assert p["betweenness_mean"] == approx(betweenness.mean())
    assert p["betweenness_max"] == approx(betweenness.max())
    assert p["closeness_mean"] == approx(closeness.mean())
    assert p["closeness_max"] == approx(closeness.max())
    assert p["edge_betweenness_mean"] == approx(edge_betweenness.mean())
    assert p["global_efficiency"] == approx(nx.global_efficiency(graph))
    assert p["avg_clustering"] == approx(nx.average_clustering(graph))
    assert p["transitivity"] == approx(nx.transitivity(graph))
    assert p["assortativity"] == approx(nx.degree_assortativity_coefficient(graph))
    lcc = graph.subgraph(max(nx.connected_components(graph), key=len))
    assert p["avg_path_length"] == approx(nx.average_shortest_path_length(lcc))
    assert p["diameter"] == nx.diameter(lcc)
    assert p["radius"] == nx.radius(lcc)
    assert p["avg_eccentricity"] == approx(np.mean(list(nx.eccentricity(lcc).values())))
    assert p["spectral_radius"] == approx(max(nx.adjacency_spectrum(graph).real))
    if nx.is_connected(graph):
        expected = nx.algebraic_connectivity(graph, method="tracemin_lu", seed=0)
        assert p["algebraic_connectivity"] == approx(expected, rel=1e-6)


# --- DAG properties --------------------------------------------------------


def layered(graph: nx.Graph, **options):
    return build_layered_dag(graph, MappingOptions.from_dict(options))


def dag_props(layered_dag, n_params: int = 0) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = dag_properties(layered_dag, n_params)
    assert tuple(result) == DAG_PROPERTY_COLUMNS
    return result


def test_dag_of_path_p5():
    lay = layered(
        nx.path_graph(5), orientation="index_ascending", input_wiring="sources", readout="sinks"
    )
    p = dag_props(lay, n_params=1234)
    assert p["dag_depth"] == 5
    assert (p["dag_width_mean"], p["dag_width_max"], p["dag_width_std"]) == (1.0, 1, 0.0)
    assert p["dag_skip_edges"] == 0 and math.isnan(p["dag_skip_span_mean"])
    assert (p["dag_sources"], p["dag_sinks"]) == (1, 1)
    assert (p["dag_n_nodes"], p["dag_n_edges"]) == (5, 4)
    assert p["dag_density"] == approx(4 / 20)
    assert p["dag_degree_mean"] == approx(1.6) and p["dag_degree_max"] == 2
    # 10 reachable ordered pairs, distances summing to 20
    assert p["dag_avg_path_length"] == approx(2.0)
    assert p["dag_diameter"] == 4
    # out-eccentricities of the non-sinks 0..3: 4, 3, 2, 1
    assert p["dag_radius"] == 1 and p["dag_avg_eccentricity"] == approx(2.5)
    # through-pairs 0, 3, 4, 3, 0 normalised by (n-1)(n-2) = 12
    assert p["dag_betweenness_mean"] == approx(10 / 12 / 5)
    # input 0 reaches readout 4 in 4 hidden edges: 4 + 2 weight layers
    assert p["dag_io_path_mean"] == 6.0 and p["dag_io_path_longest"] == 6.0
    assert p["dag_n_params"] == 1234


def test_dag_skip_edges_and_io_paths():
    # triangle 0-1-2 plus the tail 2-3: arcs 0→1, 0→2, 1→2, 2→3; layers 0, 1, 2, 3
    graph = nx.Graph([(0, 1), (0, 2), (1, 2), (2, 3)])
    p = dag_props(
        layered(graph, orientation="index_ascending", input_wiring="all", readout="last_layer")
    )
    assert p["dag_depth"] == 4
    assert p["dag_skip_edges"] == 1 and p["dag_skip_span_mean"] == 2.0
    # every node is an input; shortest hidden paths to node 3: 2, 2, 1, 0
    assert p["dag_io_path_mean"] == approx((2 + 2 + 1 + 0) / 4 + 2)
    assert p["dag_io_path_longest"] == 3 + 2  # 0→1→2→3


def test_dag_sinks_to_last_layer_with_isolated_node():
    graph = nx.path_graph(4)
    graph.add_node(4)
    lay = layered(
        graph,
        orientation="index_ascending",
        sinks_to_last_layer=True,
        input_wiring="sources",
        readout="last_layer",
    )
    p = dag_props(lay)
    assert p["dag_sources"] == 2 and p["dag_sinks"] == 2
    assert p["dag_depth"] == 4
    # the isolated node sits in the last layer, unreachable from the input layer
    assert p["dag_io_path_mean"] == 5.0 and p["dag_io_path_longest"] == 5.0


def test_dag_without_edges():
    p = dag_props(layered(nx.empty_graph(3)))
    assert p["dag_depth"] == 1 and p["dag_n_edges"] == 0
    for key in ("dag_avg_path_length", "dag_diameter", "dag_radius", "dag_edge_betweenness_mean"):
        assert math.isnan(p[key])
    assert p["dag_io_path_mean"] == 2.0  # each input neuron is its own readout


@pytest.mark.parametrize("seed", [0, 1])
def test_dag_agrees_with_networkx(seed):
    lay = layered(nx.gnp_random_graph(40, 0.1, seed=seed), orientation="random", seed=seed)
    p = dag_props(lay)
    dag = lay.dag
    assert p["dag_betweenness_mean"] == approx(
        np.mean(list(nx.betweenness_centrality(dag).values()))
    )
    assert p["dag_closeness_mean"] == approx(np.mean(list(nx.closeness_centrality(dag).values())))
    assert p["dag_edge_betweenness_mean"] == approx(
        np.mean(list(nx.edge_betweenness_centrality(dag).values()))
    )
    lengths = [
        d for _, row in nx.all_pairs_shortest_path_length(dag) for d in row.values() if d > 0
    ]
    assert p["dag_avg_path_length"] == approx(np.mean(lengths))
    assert p["dag_diameter"] == max(lengths)
    assert p["dag_width_max"] == max(lay.widths)


def test_source_blocks_give_the_same_statistics():
    graph = nx.gnp_random_graph(30, 0.1, seed=5, directed=True)
    adj = nx.to_scipy_sparse_array(graph, nodelist=range(30), weight=None, format="csr")
    whole = path_statistics(adj)
    blocked = path_statistics(adj, block_entries=30 * 7)  # blocks of 7 sources
    for name in ("betweenness", "eccentricity", "reach_out", "dist_out", "reach_in", "dist_in"):
        np.testing.assert_allclose(getattr(blocked, name), getattr(whole, name))
    assert blocked.arc_betweenness_sum == approx(whole.arc_betweenness_sum)
    assert blocked.inverse_distance_sum == approx(whole.inverse_distance_sum)
