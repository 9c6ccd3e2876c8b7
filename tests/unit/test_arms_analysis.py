"""Mapping arms and orientation seeds: properties per orientation, the study join, per-(graph,
arm) aggregation, and claims that read the main arm only."""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from graphprior.analysis.study import build_study, study_schema
from graphprior.analysis.study.aggregate import aggregate_per_graph
from graphprior.config import StudyConfig
from graphprior.graphs.dag import build_layered_dag
from graphprior.graphs.dag_properties import DAG_PROPERTY_COLUMNS
from graphprior.graphs.properties import GRAPH_PROPERTY_COLUMNS
from graphprior.graphs.records import properties_records
from graphprior.graphs.selection import mapping_options
from graphprior.io import tables as T
from graphprior.report import TITLES, compose_report

from .test_report import _config, synthetic_tables

MAPPING = {
    "orientation": "random",
    "sinks_to_last_layer": False,
    "input_wiring": "sources",
    "readout": "sinks",
    "orientation_seeds": [0, 1],
    "arm": "fixed_interface",
}


def test_properties_per_orientation_seed_two_rows_same_graph_properties(tmp_path):
    graph = nx.gnp_random_graph(30, 0.2, seed=3)
    config = StudyConfig.from_dict({"dataset": "digits", "mapping": dict(MAPPING)})
    rows = properties_records(graph, "er-g", config)
    assert [r["orientation_seed"] for r in rows] == [0, 1]
    for col in GRAPH_PROPERTY_COLUMNS:
        assert rows[0][col] == pytest.approx(rows[1][col], nan_ok=True), col
    differ = [
        c for c in DAG_PROPERTY_COLUMNS if rows[0][c] != pytest.approx(rows[1][c], nan_ok=True)
    ]
    assert differ, "two random orientations gave the same DAG properties"
    for row in rows:  # each row describes the DAG of its own orientation
        layered = build_layered_dag(graph, mapping_options(config, "er-g", row["orientation_seed"]))
        assert row["dag_depth"] == layered.depth
        assert row["dag_sources"] == sum(1 for v in layered.dag if layered.dag.in_degree(v) == 0)
    df = pd.DataFrame(rows)
    T.write_table(df, tmp_path / "p.parquet", T.properties_schema(df.columns), "graph_properties")
    back = T.read_table(tmp_path / "p.parquet")
    assert back["orientation_seed"].tolist() == [0, 1]
    # a seed-independent orientation gives one row: its DAG does not depend on the seed
    fixed = StudyConfig.from_dict(
        {"dataset": "digits", "mapping": {**MAPPING, "orientation": "index_descending"}}
    )
    assert [r["orientation_seed"] for r in properties_records(graph, "er-g", fixed)] == [0]


def _arm_models(graphs: list[str], arms: list[str], seeds=(0, 1), inits=("a", "b")) -> pd.DataFrame:
    rows = []
    for g in graphs:
        for arm in arms:
            for s in seeds:
                for init in inits:
                    rows.append(
                        {
                            "model_id": f"{g}--{init}--s0--o{s}--{arm}",
                            "model_family": "graph_prior",
                            "graph_id": g,
                            "init": init,
                            "arm": arm,
                            "orientation_seed": s,
                            "status": "ok",
                            "n_params": 100,
                            "density": 0.5,  # the network's: the graph's becomes graph_density
                        }
                    )
    rows.append(
        {"model_id": "baseline", "model_family": "fc_magnitude", "graph_id": None, "init": "a"}
        | {"arm": None, "orientation_seed": None, "status": "ok", "n_params": 300}
    )
    return pd.DataFrame(rows)


def _empty_robustness() -> pd.DataFrame:
    return pd.DataFrame(columns=T.ROBUSTNESS_SCHEMA.names)


def test_build_study_joins_properties_on_graph_and_orientation_seed(tmp_path):
    models = _arm_models(["g1", "g2", "g3"], ["fixed_interface", "paper_style"])
    graphs = pd.DataFrame(
        {
            "graph_id": ["g1", "g2", "g3"],
            "generator": "gnm",
            "variant": "original",
            "parent_id": None,
            "stratum": ["n20-m40", "n20-m40", None],
        }
    )
    props = pd.DataFrame(
        {
            "graph_id": ["g1", "g1", "g2", "g2", "g3", "g3"],
            "orientation_seed": [0, 1, 0, 1, 0, 1],
            "density": [0.2, 0.2, 0.3, 0.3, 0.4, 0.4],
            "dag_depth": [4, 7, 5, 9, 6, 8],
        }
    )
    T.check_relations({"graphs": graphs, "graph_properties": props, "models": models,
                       "robustness": _empty_robustness()})  # fmt: skip
    study = build_study(models, graphs, props, _empty_robustness())
    assert len(study) == len(models)
    nets = study.loc[study["model_family"] == "graph_prior"]
    expected = {("g1", 0): 4, ("g1", 1): 7, ("g2", 0): 5, ("g2", 1): 9, ("g3", 0): 6, ("g3", 1): 8}
    got = {(g, int(s)): d for g, s, d in zip(nets["graph_id"], nets["orientation_seed"],
                                             nets["dag_depth"], strict=True)}  # fmt: skip
    assert got == expected
    assert (nets["graph_density"] == nets["graph_id"].map({"g1": 0.2, "g2": 0.3, "g3": 0.4})).all()
    base = study.loc[study["model_family"] != "graph_prior"].iloc[0]
    assert np.isnan(base["dag_depth"]) and pd.isna(base["stratum"]) and pd.isna(base["arm"])
    strata = set(zip(nets["graph_id"], nets["arm"], nets["stratum"], strict=True))
    assert ("g1", "paper_style", "n20-m40/paper_style") in strata
    assert ("g2", "fixed_interface", "n20-m40/fixed_interface") in strata
    assert nets.loc[nets["graph_id"] == "g3", "stratum"].isna().all()
    T.write_table(study, tmp_path / "study.parquet", study_schema(study), "study")  # accepted
    # one row per graph (an orientation that ignores the seed) serves every orientation seed
    single = props.loc[props["orientation_seed"] == 0]
    one = build_study(models, graphs, single, _empty_robustness())
    one = one.loc[one["model_family"] == "graph_prior"]
    assert (one["dag_depth"] == one["graph_id"].map({"g1": 4, "g2": 5, "g3": 6})).all()
    # a model under an orientation the properties table lacks is refused
    bad = props.loc[~((props["graph_id"] == "g2") & (props["orientation_seed"] == 1))]
    with pytest.raises(T.TableError, match="orientations without a graph_properties row"):
        T.check_relations({"graphs": graphs, "graph_properties": bad, "models": models,
                           "robustness": _empty_robustness()})  # fmt: skip


def test_aggregate_per_graph_and_arm_averages_orientations_and_inits_never_arms():
    study = _arm_models(["g1", "g2"], ["fixed_interface", "paper_style"])
    study = study.loc[study["model_family"] == "graph_prior"].copy()
    arm_shift = study["arm"].map({"fixed_interface": 0.0, "paper_style": 100.0})
    study["rob"] = arm_shift + 10 * study["orientation_seed"] + study["init"].map({"a": 1, "b": 3})
    study["dag_depth"] = 4.0 + 2 * study["orientation_seed"]
    out = aggregate_per_graph(study, ["dag_depth"], ["rob"], controls=())
    assert list(out.columns[:2]) == ["graph_id", "arm"]
    assert len(out) == 4 and (out["n_models"] == 4).all()
    by_arm = out.set_index(["graph_id", "arm"])
    # mean over orientations (0, 10) and inits (1, 3): 7; the arms stay apart
    assert by_arm.loc[("g1", "fixed_interface"), "rob"] == pytest.approx(7.0)
    assert by_arm.loc[("g1", "paper_style"), "rob"] == pytest.approx(107.0)
    assert by_arm["dag_depth"].tolist() == [5.0] * 4
    median = aggregate_per_graph(study, [], ["rob"], "median", controls=())
    assert median.set_index(["graph_id", "arm"]).loc[("g2", "paper_style"), "rob"] == 107.0
    old = aggregate_per_graph(study.drop(columns="arm"), [], ["rob"], controls=())
    assert len(old) == 2 and (old["n_models"] == 8).all()  # a study without arms: per graph


def _two_arm_study(seed: int = 0) -> dict[str, pd.DataFrame]:
    """The main arm has no density–robustness relation; the extra arm a strong one.

    Two strata (n, m); in the main arm the input width is fixed within each stratum,
    in the paper-style arm it grows with density.
    """
    tables = synthetic_tables(30, seed=seed, baselines=False, untrainable_share=0.0)
    rng = np.random.default_rng(seed + 5)
    graphs, props = tables["graphs"], tables["graph_properties"]
    graphs["stratum"] = ["n20-m40" if i % 2 else "n20-m60" for i in range(len(graphs))]
    density = props.set_index("graph_id")["density"]
    main = tables["models"].copy()
    main["arm"], main["orientation_seed"] = "fixed_interface", 0
    # one size (within 0.5 %): density is read across the two strata (size fixed effects)
    main["n_params"] = 1000 + rng.integers(0, 3, len(main))
    main["input_width"] = (
        main["graph_id"]
        .map(graphs.set_index("graph_id")["stratum"])
        .map({"n20-m40": 10, "n20-m60": 12})
    )
    extra = main.copy()
    extra["model_id"] = extra["model_id"] + "--paper"
    extra["arm"] = "paper_style"
    extra["input_width"] = np.round(5 + 60 * extra["graph_id"].map(density)).astype(int)
    rob = tables["robustness"]
    paper = rob["measure"] == "paper_robustness"
    main_rob = rob.copy()
    main_rob.loc[paper, "value"] = 60 + rng.normal(0, 5, paper.sum())  # no relation
    extra_rob = rob.copy()
    extra_rob["model_id"] = extra_rob["model_id"] + "--paper"
    graph_of = main.set_index("model_id")["graph_id"]
    dens = rob.loc[paper, "model_id"].map(graph_of).map(density).to_numpy(dtype=float)
    extra_rob.loc[paper, "value"] = 90 - 100 * dens + rng.normal(0, 0.5, paper.sum())
    models = pd.concat([main, extra], ignore_index=True)
    robustness = pd.concat([main_rob, extra_rob], ignore_index=True)
    tables.update(models=models, robustness=robustness)
    tables["study"] = build_study(models, graphs, props, robustness)
    return tables


@pytest.fixture(scope="module")
def two_arms():
    tables = _two_arm_study()
    out = {}
    for arm in ("fixed_interface", "paper_style"):
        cfg = _config(bootstrap=50)
        cfg = dataclasses.replace(cfg, mapping=dataclasses.replace(cfg.mapping, arm=arm))
        out[arm] = compose_report(tables, cfg, sections=("answer", "claims", "arms", "audit"))[0]
    return out


def test_claims_use_the_main_arm_only(two_arms):
    table = two_arms["fixed_interface"].data["claims"]
    claims = table.loc[table["arm"] == "fixed_interface"].set_index(
        ["claim", "analysis", "stratum"]
    )
    c2 = claims.loc[("C2", "raw", "pooled")]
    assert abs(c2["r"]) < 0.4 and c2["verdict"] != "supported", c2.to_dict()
    assert c2["n"] == 30  # one row per graph: the other arm's models are not in it
    assert ("C2", "raw", "n20-m40/fixed_interface") in claims.index
    assert not any("paper_style" in s for s in claims.index.get_level_values("stratum"))
    # the same tables with the other arm as the main one: the planted relation is found
    other = two_arms["paper_style"].data["claims"]
    other = other.loc[other["arm"] == "paper_style"].set_index(["claim", "analysis", "stratum"])
    assert other.loc[("C2", "raw", "pooled"), "r"] < -0.9
    assert other.loc[("C2", "raw", "pooled"), "verdict"] == "supported"
    # the other arm's claims on graph properties sit in the same table, their own Holm family
    side = table.loc[table["arm"] == "paper_style"].set_index(["claim", "analysis", "stratum"])
    assert side.loc[("C2", "raw", "pooled"), "r"] == other.loc[("C2", "raw", "pooled"), "r"]
    assert side.loc[("C2", "raw", "pooled"), "verdict"] == "supported"
    assert {"C2", "C5", "Y1"} <= set(side.index.get_level_values("claim"))
    assert not {"C1", "R1"} & set(side.index.get_level_values("claim"))


def test_the_arms_stand_side_by_side_on_the_first_screen_and_in_their_section(two_arms):
    report = two_arms["fixed_interface"]
    answer = " ".join(report.section(TITLES["answer"]).paragraphs)
    assert "Under the other mappings" in answer and "under `paper_style`" in answer
    section = report.section(TITLES["arms"])
    shares, verdicts = (t.frame for t in section.tables[:2])
    assert set(shares["arm"]) == {"fixed_interface", "paper_style"}
    verdicts = verdicts.set_index("arm")
    assert verdicts.loc["paper_style", "C2 (controlled)"].endswith("supported")
    assert not verdicts.loc["fixed_interface", "C2 (controlled)"].endswith(": supported")
    assert "Y1 (raw)" in verdicts.columns


def test_audit_shows_each_arm_and_the_fixed_input_width(two_arms):
    audit = two_arms["fixed_interface"].section(TITLES["audit"])
    couples = audit.tables[0].frame
    width = couples.loc[(couples["variable"] == "input_width") & (couples["stratum"] != "pooled")]
    fixed = width.loc[width["arm"] == "arm=fixed_interface"]
    assert len(fixed) and fixed["r"].isna().all()
    assert (fixed["note"] == "input_width constant within stratum").all()
    paper = couples.loc[(couples["arm"] == "arm=paper_style") & (couples["stratum"] == "pooled")
                        & (couples["variable"] == "input_width")
                        & (couples["property"] == "graph_density")]  # fmt: skip
    assert paper["r"].iloc[0] > 0.9
    text = " ".join(audit.paragraphs)
    assert "`input_width` constant within every stratum" in text
    side = audit.tables[-1].frame.set_index(["stratum", "x"])
    assert {"ρ arm=fixed_interface", "ρ arm=paper_style"} <= set(side.columns)
    assert side.loc[("pooled", "graph_density"), "ρ arm=paper_style"] < -0.9
    assert abs(side.loc[("pooled", "graph_density"), "ρ arm=fixed_interface"]) < 0.4
    assert ("n20-m40", "graph_density") in side.index  # strata line up across arms
    assert side.loc[("n20-m40", "graph_density"), "n arm=paper_style"] == 15


def test_an_arm_with_one_model_per_graph_is_named_not_identifiable():
    from graphprior.report.sections.answer import other_arms_sentence

    nan = float("nan")
    variance = pd.DataFrame({
        "stratum": ["s", "s"], "arm": ["main", "one_model"], "measure": ["y", "y"],
        "primary": [True, True], "component": ["graph", "graph"], "variance": [1.0, nan],
        "share": [0.2, nan], "ci_low": [0.1, nan], "ci_high": [0.3, nan],
        "decision": ["matters", "not identifiable"], "n_graphs": [10, 10], "n_models": [40, 10],
    })  # fmt: skip
    reliability = pd.DataFrame(columns=["stratum", "arm", "measure", "split", "reliability"])
    text = other_arms_sentence(variance, reliability, "y", "main")
    assert "under `one_model` the graph's share is not identifiable in any stratum" in text
    assert "–" not in text and "main" not in text.split("under", 1)[1]
