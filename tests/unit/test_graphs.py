"""Tests for the graph layer: generators, grid and ids, twins, GraphML (graphprior.graphs.*)."""

from __future__ import annotations

import json
import logging
import re

import networkx as nx
import pytest

from graphprior.config import ID_REGEX, ConfigError, GraphsConfig
from graphprior.graphs.generators import (
    GENERATORS,
    paper_watts_strogatz_graph,
    validate_generator_params,
)
from graphprior.graphs.graphml import graph_record, read_graph, write_graph
from graphprior.graphs.grid import GraphSpec, expand_grid, filter_by_params, make_graph, paper_grid
from graphprior.graphs.twins import rewired_twin, twin_seed

# One small valid parameter set per generator, the id it must get, and its edge
# count where the generator fixes it (None otherwise).
CASES = {
    "erdos_renyi_gnp": ({"n": 40, "p": 0.1}, "er-n40-p0.1-s3", None),
    "erdos_renyi_gnm": ({"n": 40, "m": 90}, "gnm-n40-m90-s3", 90),
    "watts_strogatz": ({"n": 40, "k": 6, "p": 0.3}, "ws-n40-k6-p0.3-s3", 120),
    "newman_watts_strogatz": ({"n": 40, "k": 4, "p": 0.2}, "nws-n40-k4-p0.2-s3", None),
    "barabasi_albert": ({"n": 40, "m": 3}, "ba-n40-m3-s3", (40 - 3) * 3),
    "powerlaw_cluster": ({"n": 40, "m": 3, "p": 0.5}, "hk-n40-m3-p0.5-s3", None),
    "random_regular": ({"d": 4, "n": 40}, "rr-d4-n40-s3", 80),
    "stochastic_block": (
        {"sizes": [15, 15, 10], "p_in": 0.4, "p_out": 0.05},
        "sbm-b15x2_10-pin0.4-pout0.05-s3",
        None,
    ),
    "random_geometric": ({"n": 40, "radius": 0.3}, "rg-n40-r0.3-s3", None),
    "paper_watts_strogatz": ({"n": 40, "k": 3, "p": 0.7}, "pws-n40-k3-p0.7-s3", 120),
    "ws_flex": ({"n": 40, "k": 4.5, "p": 0.3}, "wsf-n40-k4.5-p0.3-s3", 90),
    # size-matched families (graphs.strata), stratum n40-m80
    "sized_gnm": ({"n": 40, "m": 80}, "smgnm-n40-m80-s3", 80),
    "sized_random_regular": ({"n": 40, "m": 80}, "smrr-n40-m80-s3", 80),
    "sized_watts_strogatz": ({"n": 40, "m": 80, "p": 0.2}, "smws-n40-m80-p0.2-s3", 80),
    "sized_barabasi_albert": ({"n": 40, "m": 80}, "smba-n40-m80-s3", 2 * (40 - 2)),
    "sized_holme_kim": ({"n": 40, "m": 80, "p": 0.5}, "smhk-n40-m80-p0.5-s3", None),
    "sized_sbm": (
        {"n": 40, "m": 80, "blocks": 2, "ratio": 10},
        "smsbm-n40-m80-blocks2-ratio10.0-s3",
        80,
    ),
    "sized_random_geometric": ({"n": 40, "m": 80}, "smrg-n40-m80-s3", 80),
}


def spec_for(generator: str, seed: int = 3) -> GraphSpec:
    return GraphSpec.create(generator, CASES[generator][0], seed=seed)


def edge_set(graph: nx.Graph) -> set[tuple[int, int]]:
    return {(min(u, v), max(u, v)) for u, v in graph.edges()}


def test_cases_cover_every_generator():
    assert set(CASES) == set(GENERATORS)


# --- ids -------------------------------------------------------------------


@pytest.mark.parametrize("generator", sorted(CASES))
def test_graph_id_known_answer(generator):
    spec = spec_for(generator)
    assert spec.graph_id == CASES[generator][1]
    assert re.match(ID_REGEX, spec.graph_id)
    assert spec.parent_id is None
    twin = spec.twin()
    assert twin.graph_id == CASES[generator][1] + "-twin"
    assert twin.parent_id == spec.graph_id
    assert re.match(ID_REGEX, twin.graph_id)


def test_id_ignores_param_order_and_int_float_spelling():
    a = GraphSpec.create("watts_strogatz", {"n": 100, "k": 6, "p": 0.3}, seed=1)
    b = GraphSpec.create("watts_strogatz", {"p": 0.3, "k": 6.0, "n": 100}, seed=1)
    assert a == b
    assert a.graph_id == "ws-n100-k6-p0.3-s1"
    assert (
        GraphSpec.create("erdos_renyi_gnp", {"n": 10, "p": 1}, seed=0).graph_id == "er-n10-p1.0-s0"
    )


def test_block_sizes_run_length_encoded():
    def gid(sizes):
        return GraphSpec.create(
            "stochastic_block", {"sizes": sizes, "p_in": 0.3, "p_out": 0.02}, seed=1
        ).graph_id

    assert gid([20, 20, 20]) == "sbm-b20x3-pin0.3-pout0.02-s1"
    assert gid([20, 20, 24]) == "sbm-b20x2_24-pin0.3-pout0.02-s1"
    assert gid([64]) == "sbm-b64-pin0.3-pout0.02-s1"


def test_specs_are_hashable_and_frozen():
    spec = spec_for("stochastic_block")
    assert {spec: 1}[spec_for("stochastic_block")] == 1
    with pytest.raises(AttributeError):
        spec.seed = 4  # type: ignore[misc]


def test_twin_seed_is_stable_across_processes():
    # A fixed number: the seed must not depend on Python's salted hash().
    assert twin_seed("ws-n100-k6-p0.3-s1") == 846238361
    assert twin_seed("ws-n100-k6-p0.3-s1") != twin_seed("ws-n100-k6-p0.3-s2")


# --- validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("generator", "params", "param"),
    [
        ("erdos_renyi_gnp", {"n": 0, "p": 0.1}, "n"),
        ("erdos_renyi_gnp", {"n": 10, "p": 1.5}, "p"),
        ("erdos_renyi_gnp", {"n": 10}, "p"),
        ("erdos_renyi_gnp", {"n": 10, "p": 0.1, "q": 1}, "q"),
        ("erdos_renyi_gnp", {"n": 10.5, "p": 0.1}, "n"),
        ("erdos_renyi_gnp", {"n": True, "p": 0.1}, "n"),
        ("erdos_renyi_gnm", {"n": 10, "m": 46}, "m"),
        ("watts_strogatz", {"n": 10, "k": 10, "p": 0.1}, "k"),
        ("watts_strogatz", {"n": 10, "k": 5, "p": 0.1}, "k"),
        ("watts_strogatz", {"n": 10, "k": 4, "p": -0.1}, "p"),
        ("newman_watts_strogatz", {"n": 10, "k": 3, "p": 0.1}, "k"),
        ("barabasi_albert", {"n": 10, "m": 10}, "m"),
        ("barabasi_albert", {"n": 10, "m": 0}, "m"),
        ("powerlaw_cluster", {"n": 10, "m": 12, "p": 0.1}, "m"),
        ("powerlaw_cluster", {"n": 10, "m": 2, "p": 2.0}, "p"),
        ("random_regular", {"d": 10, "n": 10}, "d"),
        ("random_regular", {"d": 3, "n": 9}, "d"),
        ("stochastic_block", {"sizes": [10, 0], "p_in": 0.1, "p_out": 0.1}, "sizes"),
        ("stochastic_block", {"sizes": [], "p_in": 0.1, "p_out": 0.1}, "sizes"),
        ("stochastic_block", {"sizes": [10], "p_in": 1.1, "p_out": 0.1}, "p_in"),
        ("stochastic_block", {"sizes": [10], "p_in": 0.1, "p_out": -1}, "p_out"),
        ("random_geometric", {"n": 10, "radius": -0.1}, "radius"),
        ("paper_watts_strogatz", {"n": 10, "k": 5, "p": 0.5}, "k"),
        ("paper_watts_strogatz", {"n": 10, "k": 2, "p": float("nan")}, "p"),
    ],
)
def test_validation_names_generator_and_parameter(generator, params, param):
    with pytest.raises(ValueError) as err:
        validate_generator_params(generator, params)
    assert generator in str(err.value)
    assert repr(param) in str(err.value)


def test_validation_unknown_generator():
    with pytest.raises(ValueError, match="unknown generator 'smallworld'"):
        validate_generator_params("smallworld", {"n": 10})


@pytest.mark.parametrize("generator", sorted(CASES))
def test_validation_accepts_cases(generator):
    validate_generator_params(generator, CASES[generator][0])


# --- grids -----------------------------------------------------------------

GRID = {
    "generators": [
        {
            "generator": "watts_strogatz",
            "params": {"n": [64], "k": [4, 8], "p": [0.1, 0.5]},
            "seeds": [1, 2],
        },
        {
            "generator": "stochastic_block",
            "params": {"sizes": [[20, 20, 24]], "p_in": [0.3], "p_out": [0.02]},
            "seeds": [1],
        },
    ],
    "twins": True,
    "twin_swaps_per_edge": 5,
}


def expand(graphs: dict) -> list[GraphSpec]:
    """The specs of a ``graphs`` section given as the YAML's dict."""
    return expand_grid(GraphsConfig.from_dict(graphs))


def test_expand_grid_order_and_twins():
    specs = expand(GRID)
    ids = [s.graph_id for s in specs]
    assert len(specs) == 2 * (8 + 1)
    assert ids[:4] == [
        "ws-n64-k4-p0.1-s1",
        "ws-n64-k4-p0.1-s2",
        "ws-n64-k4-p0.5-s1",
        "ws-n64-k4-p0.5-s2",
    ]
    assert ids[8] == "sbm-b20x2_24-pin0.3-pout0.02-s1"
    assert [s.variant for s in specs] == ["original"] * 9 + ["twin"] * 9
    assert [s.parent_id for s in specs[9:]] == ids[:9]
    assert all(s.twin_swaps_per_edge == 5 for s in specs)
    assert expand(GRID) == specs  # deterministic


def test_expand_grid_twin_swaps_per_edge():
    assert expand({**GRID, "twin_swaps_per_edge": 3.0})[-1].twin_swaps_per_edge == 3
    with pytest.raises(ValueError, match="twin_swaps_per_edge"):
        expand({**GRID, "twin_swaps_per_edge": 2.5})


def test_expand_grid_without_twins():
    specs = expand({**GRID, "twins": False})
    assert len(specs) == 9 and all(s.variant == "original" for s in specs)


def test_expand_grid_duplicate_id():
    entry = {"generator": "erdos_renyi_gnp", "params": {"n": [10], "p": [0.1]}, "seeds": [1]}
    with pytest.raises(ValueError, match="duplicate graph id 'er-n10-p0.1-s1'"):
        expand({"generators": [entry, entry], "twins": False, "twin_swaps_per_edge": 10})


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        (
            {
                "generator": "watts_strogatz",
                "params": {"n": [10], "k": [5], "p": [0.1]},
                "seeds": [1],
            },
            "'k'",
        ),
        (
            {
                "generator": "watts_strogatz",
                "params": {"n": 10, "k": [4], "p": [0.1]},
                "seeds": [1],
            },
            "'n'",
        ),
        ({"generator": "nope", "params": {}, "seeds": [1]}, "unknown generator"),
        ({"generator": "erdos_renyi_gnp", "params": {"n": [10], "p": [0.1]}, "seeds": []}, "seeds"),
    ],
)
def test_expand_grid_rejects_bad_entries(entry, match):
    with pytest.raises(ValueError, match=match):
        expand({"generators": [entry], "twins": False, "twin_swaps_per_edge": 10})


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        (
            {"generator": "erdos_renyi_gnp", "params": {"n": [10], "p": [0.1]}, "seed": [1]},
            "GraphsConfig.generators: unknown key.s. seed$",
        ),
        (
            {"generator": "erdos_renyi_gnp", "params": {"n": [10], "p": [0.1]}},
            "GraphsConfig.generators: missing key.s. seeds$",
        ),
    ],
)
def test_a_malformed_entry_fails_in_the_section(entry, match):
    with pytest.raises(ConfigError, match=match):
        GraphsConfig.from_dict({"generators": [entry], "twins": False})


def test_paper_grid_and_filter():
    specs = paper_grid()
    assert len(specs) == 7 * 6 * 5
    assert specs[0].graph_id == "pws-n150-k2-p0.5-s1"
    kept, dropped = filter_by_params(specs, lambda s: s.params_dict["n"] * 100, 20_000, 30_000)
    assert {s.params_dict["n"] for s in kept} == {200, 250, 300}
    assert len(kept) + len(dropped) == len(specs)


def test_graph_record():
    spec = GraphSpec.create(
        "stochastic_block", {"sizes": [20, 20, 24], "p_in": 0.3, "p_out": 0.02}, 1
    )
    record = graph_record(spec.twin())
    assert record == {
        "graph_id": "sbm-b20x2_24-pin0.3-pout0.02-s1-twin",
        "generator": "stochastic_block",
        "params_json": record["params_json"],
        "n_nodes_requested": 64,
        "seed": 1,
        "variant": "twin",
        "parent_id": "sbm-b20x2_24-pin0.3-pout0.02-s1",
        "pair_id": "sbm-b20x2_24-pin0.3-pout0.02-s1",
        "stratum": None,
        "target_edges": None,
    }
    assert graph_record(spec)["pair_id"] == spec.graph_id  # an original pairs with itself
    assert json.loads(record["params_json"]) == {"sizes": [20, 20, 24], "p_in": 0.3, "p_out": 0.02}


# --- drawing ---------------------------------------------------------------


@pytest.mark.parametrize("generator", sorted(CASES))
def test_generator_invariants(generator):
    spec = spec_for(generator)
    graph = make_graph(spec)
    n = spec.n_nodes
    assert list(graph.nodes()) == list(range(n))
    assert all(type(v) is int for v in graph.nodes())
    assert nx.number_of_selfloops(graph) == 0
    expected_edges = CASES[generator][2]
    if expected_edges is not None:
        assert graph.number_of_edges() == expected_edges
    assert not graph.nodes[0] and all(not d for _, _, d in graph.edges(data=True))
    # the same spec gives the identical graph; another seed a different one
    again = make_graph(spec_for(generator))
    assert list(again.edges()) == list(graph.edges())
    assert edge_set(make_graph(spec_for(generator, seed=4))) != edge_set(graph)


@pytest.mark.parametrize("generator", sorted(CASES))
def test_twin_preserves_degree_sequence(generator):
    spec = spec_for(generator).twin()
    original = make_graph(spec.original())
    twin = make_graph(spec)
    assert spec.parent_id == spec.original().graph_id
    assert list(twin.nodes()) == list(original.nodes())
    assert dict(twin.degree()) == dict(original.degree())
    assert nx.number_of_selfloops(twin) == 0
    assert edge_set(twin) != edge_set(original)
    assert list(make_graph(spec).edges()) == list(twin.edges())


def test_paper_watts_strogatz_lattice_and_rewiring():
    lattice = paper_watts_strogatz_graph(20, 3, 0.0, seed=0)
    assert all(d == 6 for _, d in lattice.degree())
    assert lattice.has_edge(0, 3) and lattice.has_edge(0, 17) and not lattice.has_edge(0, 4)
    rewired = paper_watts_strogatz_graph(60, 4, 1.0, seed=0)
    assert rewired.number_of_edges() == 240
    assert nx.number_of_selfloops(rewired) == 0
    assert sum(d for _, d in rewired.degree()) / 60 == 8
    lattice_60 = paper_watts_strogatz_graph(60, 4, 0.0, seed=0)
    assert len(edge_set(rewired) & edge_set(lattice_60)) < 60


def test_rewired_twin_impossible_cases_warn(caplog):
    complete = nx.complete_graph(6)
    with caplog.at_level(logging.WARNING, logger="graphprior.graphs.twins"):
        twin = rewired_twin(complete, seed=1, swaps_per_edge=10)
    assert edge_set(twin) == edge_set(complete)
    assert "no double-edge swap possible" in caplog.text
    caplog.clear()
    single = nx.empty_graph(5)
    single.add_edge(0, 1)
    assert edge_set(rewired_twin(single, seed=1, swaps_per_edge=10)) == {(0, 1)}
    star = nx.star_graph(5)  # no swap keeps a star simple
    with caplog.at_level(logging.WARNING, logger="graphprior.graphs.twins"):
        twin = rewired_twin(star, seed=1, swaps_per_edge=1)
    assert dict(twin.degree()) == dict(star.degree())
    assert "double-edge swaps possible" in caplog.text


def test_rewired_twin_does_not_modify_input():
    graph = nx.cycle_graph(12)
    before = list(graph.edges())
    rewired_twin(graph, seed=2, swaps_per_edge=10)
    assert list(graph.edges()) == before


# --- GraphML ---------------------------------------------------------------


def test_graphml_round_trip(tmp_path):
    spec = spec_for("stochastic_block").twin()
    graph = make_graph(spec)
    path = tmp_path / "sub" / f"{spec.graph_id}.graphml"
    write_graph(graph, spec, path)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left
    back = read_graph(path)
    assert list(back.nodes()) == list(graph.nodes())
    assert list(back.edges()) == list(graph.edges())
    assert all(type(v) is int for v in back.nodes())
    assert back.graph["graph_id"] == spec.graph_id
    assert back.graph["generator"] == "stochastic_block"
    assert json.loads(back.graph["params"])["sizes"] == [15, 15, 10]
    assert back.graph["seed"] == 3
    assert back.graph["variant"] == "twin"
    assert back.graph["parent_id"] == spec.parent_id
    original = spec.original()
    write_graph(make_graph(original), original, tmp_path / "o.graphml")
    assert read_graph(tmp_path / "o.graphml").graph["parent_id"] is None


@pytest.mark.parametrize(
    "content",
    [
        "",
        "<graphml><graph",
        "not xml at all",
        '<?xml version="1.0"?><graphml><graph><node id="a"/></graph></graphml>',
    ],
)
def test_read_graph_corrupt_file(tmp_path, content):
    path = tmp_path / "bad.graphml"
    path.write_text(content)
    with pytest.raises(ValueError, match=f"corrupt graph file {re.escape(str(path))}"):
        read_graph(path)


def test_read_graph_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_graph(tmp_path / "missing.graphml")
