"""Size-matched strata (graphs.strata): every family at the stratum's n and m."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.stats import nchypergeom_fisher

from graphprior.config import ConfigError, GraphsConfig, StudyConfig, validate_config
from graphprior.config.study import StrataConfig
from graphprior.graphs.graphml import graph_record
from graphprior.graphs.grid import GraphSpec, expand_grid, make_graph, strata_specs
from graphprior.graphs.selection import graph_specs, select_graphs, validate_study
from graphprior.graphs.sized import (
    FAMILIES,
    attachment,
    block_sizes,
    sized_geometric_graph,
    sized_sbm_graph,
)
from graphprior.io import tables as T
from graphprior.io.graph_params import graphs_table_schema, with_params

EXACT = ("gnm", "random_regular", "watts_strogatz", "sbm", "random_geometric")
SIZES = [{"n": 50, "m": 100}, {"n": 50, "m": 200}]
SEEDS = [1, 2, 3, 4, 5]


def study(strata: dict | None, generators: list | None = None, **graphs) -> StudyConfig:
    """A validated study with these strata (defaults filled in by the schema)."""
    section = {"strata": strata, "twins": True, **graphs}
    if generators is not None:
        section["generators"] = generators
    return validate_study({"dataset": "digits", "graphs": section})


def specs_of(strata: dict, twins: bool = True) -> list[GraphSpec]:
    return expand_grid(study(strata, twins=twins).graphs)


@pytest.fixture(scope="module")
def drawn() -> dict[str, tuple[GraphSpec, nx.Graph]]:
    specs = specs_of({"sizes": SIZES, "seeds": SEEDS})
    return {s.graph_id: (s, make_graph(s)) for s in specs}


def test_the_schema_fills_every_family_and_knob():
    strata = study({"sizes": SIZES}).graphs.strata
    assert strata.families == tuple(FAMILIES)
    assert strata.params == {
        "watts_strogatz": {"p": 0.2},
        "holme_kim": {"p": 0.5},
        "sbm": {"blocks": 2, "ratio": 10},
    }
    assert (
        study(
            None, [{"generator": "erdos_renyi_gnp", "params": {"n": [9], "p": [0.5]}, "seeds": [1]}]
        ).graphs.strata
        is None
    )


def test_specs_cover_sizes_families_seeds_then_twins():
    specs = specs_of({"sizes": SIZES, "seeds": SEEDS})
    n = len(SIZES) * len(FAMILIES) * len(SEEDS)
    assert len(specs) == 2 * n
    assert [s.variant for s in specs] == ["original"] * n + ["twin"] * n
    assert [s.stratum for s in specs[:n]] == ["n50-m100"] * (n // 2) + ["n50-m200"] * (n // 2)
    assert specs[0].graph_id == "smgnm-n50-m100-s1"
    assert specs[len(SEEDS)].graph_id == "smrr-n50-m100-s1"
    assert specs[n - 1].graph_id == "smrg-n50-m200-s5"
    ids = [s.graph_id for s in specs]
    assert len(set(ids)) == len(ids)
    assert all(s.stratum in s.graph_id for s in specs)
    assert {s.target_edges for s in specs} == {100, 200}


@pytest.mark.parametrize("family", EXACT)
def test_exact_families_hit_m(drawn, family):
    for spec, graph in drawn.values():
        if spec.generator == f"sized_{family}":
            n, m = spec.params_dict["n"], spec.params_dict["m"]
            assert graph.number_of_nodes() == n
            assert graph.number_of_edges() == m == spec.target_edges, spec.graph_id


def test_barabasi_albert_takes_the_closest_achievable_count(drawn):
    for spec, graph in drawn.values():
        if spec.generator == "sized_barabasi_albert":
            n, m = spec.params_dict["n"], spec.params_dict["m"]
            achieved = graph.number_of_edges()
            assert achieved == attachment(n, m) * (n - attachment(n, m))
            assert all(abs(achieved - m) <= abs(a * (n - a) - m) for a in range(1, n))
            assert abs(achieved - m) <= n / 2  # the stated tolerance for n - 1 <= m <= n²/4


def test_holme_kim_loses_at_most_a_tenth_of_its_edges(drawn):
    for spec, graph in drawn.values():
        if spec.generator == "sized_holme_kim":
            n, m = spec.params_dict["n"], spec.params_dict["m"]
            a = attachment(n, m)
            assert 0.9 * a * (n - a) <= graph.number_of_edges() <= a * (n - a)


def test_attachment_examples():
    assert attachment(50, 100) == 2  # 96 edges; a = 3 would give 141
    assert attachment(50, 200) == 4  # 184; a = 5 would give 225
    assert attachment(10, 1) == 1


def test_one_stratum_one_size_and_the_families_differ(drawn):
    by_stratum: dict[str, set[tuple[int, int]]] = {}
    for spec, graph in drawn.values():
        if spec.generator.endswith(("barabasi_albert", "holme_kim")):
            continue
        by_stratum.setdefault(spec.stratum, set()).add(
            (graph.number_of_nodes(), graph.number_of_edges())
        )
    assert by_stratum == {"n50-m100": {(50, 100)}, "n50-m200": {(50, 200)}}
    degrees = {
        spec.generator: sorted(d for _, d in graph.degree())
        for spec, graph in drawn.values()
        if spec.stratum == "n50-m100" and spec.seed == 1 and spec.variant == "original"
    }
    assert degrees["sized_random_regular"] == [4] * 50
    assert degrees["sized_gnm"] != degrees["sized_random_regular"]


def test_twins_keep_stratum_parent_and_degrees(drawn):
    for spec, graph in drawn.values():
        if spec.variant != "twin":
            continue
        original_spec, original = drawn[spec.parent_id]
        assert spec.parent_id == original_spec.graph_id == spec.graph_id.removesuffix("-twin")
        assert (spec.stratum, spec.target_edges) == (
            original_spec.stratum,
            original_spec.target_edges,
        )
        assert dict(graph.degree()) == dict(original.degree())


def test_classic_graphs_have_no_stratum():
    spec = GraphSpec.create("erdos_renyi_gnm", {"n": 50, "m": 100}, seed=1)
    assert spec.stratum is None and spec.target_edges is None
    assert spec.twin().stratum is None


def test_strata_and_the_classic_grid_together():
    entry = {"generator": "erdos_renyi_gnm", "params": {"n": [50], "m": [100]}, "seeds": [1]}
    cfg = study({"sizes": [SIZES[0]], "families": ["gnm"], "seeds": [1]}, [entry])
    ids = [s.graph_id for s in graph_specs(cfg)]
    assert ids == [
        "gnm-n50-m100-s1",
        "smgnm-n50-m100-s1",
        "gnm-n50-m100-s1-twin",
        "smgnm-n50-m100-s1-twin",
    ]
    # the same draw, under another id: only the wiring's family decides the graph
    specs = graph_specs(cfg)
    assert list(make_graph(specs[0]).edges()) == list(make_graph(specs[1]).edges())


def test_graph_records_fill_the_graphs_table(tmp_path):
    entry = {"generator": "barabasi_albert", "params": {"n": [30], "m": [2]}, "seeds": [1]}
    cfg = study({"sizes": [{"n": 30, "m": 60}], "families": ["sbm"], "seeds": [1]}, [entry])
    rows = [graph_record(s) for s in graph_specs(cfg)]
    assert [(r["stratum"], r["target_edges"]) for r in rows] == [(None, None), ("n30-m60", 60)] * 2
    assert rows[3]["parent_id"] == "smsbm-n30-m60-blocks2-ratio10.0-s1"
    frame = with_params(pd.DataFrame(rows, columns=T.GRAPHS_SCHEMA.names))
    T.write_table(frame, tmp_path / "graphs.parquet", graphs_table_schema(frame), "graphs")
    back = T.read_table(tmp_path / "graphs.parquet")
    # the parameters of both generators in one struct, a field null where a graph has none
    assert back["params"].tolist()[0] == {"n": 30, "m": 2, "blocks": None, "ratio": None}
    assert back["stratum"].tolist()[1] == "n30-m60" and back["target_edges"].tolist()[1] == 60
    assert back["stratum"].isna().tolist() == [True, False, True, False]


def test_selection_passes_take_each_seed_of_every_stratum_first():
    cfg = study(
        {"sizes": SIZES, "families": ["gnm", "watts_strogatz"], "seeds": [7, 3]},
        twins=False,
        filter={"max_graphs": 4, "selection": "passes"},
    )
    kept = select_graphs(cfg)["kept"]
    assert [s.seed for s in kept] == [7, 7, 7, 7]
    assert {s.stratum for s in kept} == {"n50-m100", "n50-m200"}
    random = study({"sizes": SIZES, "seeds": SEEDS}, twins=False, filter={"max_graphs": 10})
    assert len(graph_specs(random)) == 10


@pytest.mark.parametrize(
    ("size", "family", "message"),
    [
        (
            {"n": 50, "m": 125},
            "watts_strogatz",
            r"graphs.strata.sizes\[1\] \(n=50, m=125\): watts_strogatz needs 2m/n to be an even "
            r"integer, got 2\*125/50 = 5",
        ),
        (
            {"n": 50, "m": 75},  # k = 3: an integer, but odd
            "watts_strogatz",
            r"watts_strogatz needs 2m/n to be an even integer, got 2\*75/50 = 3",
        ),
        (
            {"n": 50, "m": 101},
            "random_regular",
            r"random_regular needs 2m/n to be an integer, got 2\*101/50 = 4.04",
        ),
        ({"n": 10, "m": 46}, "gnm", r"gnm needs 1 <= m <= n\(n-1\)/2 = 45, got m = 46"),
        ({"n": 20, "m": 101}, "barabasi_albert", r"at most a\(n-a\) <= n\^2/4 = 100 edges"),
        ({"n": 3, "m": 2}, "sbm", r"sbm needs 1 <= blocks <= n, got blocks = 4"),
    ],
)
def test_a_bad_stratum_names_the_stratum_and_the_family(size, family, message):
    strata = {"sizes": [SIZES[0], size], "families": [family], "params": {"sbm": {"blocks": 4}}}
    if family == "sbm":
        strata["sizes"] = [size]
        message = r"graphs.strata.sizes\[0\] \(n=3, m=2\): " + message
    with pytest.raises(ConfigError, match=r"config key .*" + message):
        study(strata)
    with pytest.raises(ValueError, match=message):
        strata_specs(
            StrataConfig.from_dict(
                validate_config({"dataset": "digits", "graphs": {"strata": strata}})["graphs"][
                    "strata"
                ]
            ),
            10,
        )


@pytest.mark.parametrize(
    ("strata", "key"),
    [
        ({"families": ["small_world"]}, "graphs.strata.families.0"),
        ({"params": {"watts_strogatz": {"p": 1.5}}}, "graphs.strata.params.watts_strogatz.p"),
        ({"sizes": [{"n": 50}]}, "graphs.strata.sizes.0"),
        ({"seed": [1]}, "graphs.strata"),
    ],
)
def test_the_schema_names_a_bad_strata_key(strata, key):
    with pytest.raises(ConfigError, match=f"config key {key}"):
        study(strata)


def test_no_graphs_at_all_is_an_error():
    with pytest.raises(ConfigError, match="no graphs; give graphs.generators, graphs.strata"):
        validate_config({"dataset": "digits", "graphs": {}})
    with pytest.raises(ValueError, match="no graphs"):
        expand_grid(
            GraphsConfig.from_dict({"generators": [], "twins": False, "twin_swaps_per_edge": 10})
        )


def test_sbm_within_block_edges_follow_the_conditional_block_model():
    n, m, blocks, ratio = 30, 60, 3, 4.0
    label = np.repeat(np.arange(blocks), block_sizes(n, blocks))
    assert block_sizes(n, blocks) == [10, 10, 10] and block_sizes(7, 3) == [3, 2, 2]
    within = []
    for seed in range(300):
        graph = sized_sbm_graph(n, m, blocks, ratio, seed)
        assert graph.number_of_edges() == m
        within.append(sum(label[u] == label[v] for u, v in graph.edges()))
    n_in = blocks * 10 * 9 // 2
    law = nchypergeom_fisher(n * (n - 1) // 2, n_in, m, ratio)
    assert abs(np.mean(within) - law.mean()) < 4 * law.std() / np.sqrt(len(within))
    # odds ratio 1: the uniform G(n, m) law, whose within count is hypergeometric
    uniform = [
        sum(label[u] == label[v] for u, v in sized_sbm_graph(n, m, 3, 1.0, s).edges())
        for s in range(300)
    ]
    expected = m * n_in / (n * (n - 1) / 2)
    assert abs(np.mean(uniform) - expected) < 4 * np.std(uniform) / np.sqrt(300)
    assert np.mean(within) > np.mean(uniform) + 5


def test_geometric_radius_joins_exactly_the_m_closest_pairs():
    n, m = 40, 90
    graph = sized_geometric_graph(n, m, seed=11)
    points = np.random.default_rng(11).random((n, 2))
    pairs = sorted(
        (float(np.linalg.norm(points[u] - points[v])), u, v)
        for u in range(n)
        for v in range(u + 1, n)
    )
    assert {(u, v) for _, u, v in pairs[:m]} == {(min(e), max(e)) for e in graph.edges()}
    assert sized_geometric_graph(n, n * (n - 1) // 2, seed=1).number_of_edges() == n * (n - 1) // 2
