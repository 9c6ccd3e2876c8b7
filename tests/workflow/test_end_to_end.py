"""The smoke study end to end: every table, the report, loadable models, three readers."""

import re

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from statsmodels.stats.multitest import multipletests

from graphprior.config import config_hash, config_slice
from graphprior.data import load_dataset
from graphprior.graphs.selection import load_study
from graphprior.io.columns import UNDOCUMENTED
from graphprior.nets.checkpoints import load_model
from graphprior.report import TITLES
from graphprior.stages import CONFIG_KEYS
from graphprior.stages.attack import FAMILIES

from .conftest import SMOKE_CONFIG, SMOKE_RESULTS

TABLES = (
    "graphs",
    "graph_properties",
    "models",
    "robustness",
    "study",
    "correlations",
    "variance",
    "reliability",
    "graphs_summary",
)

pytestmark = pytest.mark.slow


def test_every_table_exists_and_reads_in_pandas_polars_duckdb(smoke_run):
    # the tables carry the hash of the config their rule received (the report's adds its keys)
    study = load_study(SMOKE_CONFIG)
    rule = {"correlations": "correlation_report", "claims": "correlation_report",
            "variance": "correlation_report", "reliability": "correlation_report"}  # fmt: skip
    for name in TABLES:
        path = smoke_run / SMOKE_RESULTS / "tables" / f"{name}.parquet"
        assert path.is_file(), f"missing {path}"
        n = len(pd.read_parquet(path))
        assert pl.read_parquet(path).height == n
        assert duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall()[0][0] == n
        meta = pq.read_schema(path).metadata
        assert meta[b"graphprior.study"] == b"smoke"
        expected = config_hash(
            config_slice(study, CONFIG_KEYS[rule.get(name, "aggregate_parquet")])
        )
        assert meta[b"graphprior.config_hash"] == expected.encode(), name


def test_every_column_says_what_it_means_and_counts_are_integers(smoke_run):
    """Field metadata: a description and a unit from the data dictionary on every
    column of every table; graph counts are int64, not doubles."""
    for name in (*TABLES, "failures", "claims", "attack_checks"):
        schema = pq.read_schema(smoke_run / SMOKE_RESULTS / "tables" / f"{name}.parquet")
        for field in schema:
            meta = field.metadata or {}
            assert meta.get(b"description") and meta.get(b"unit"), (name, field.name)
            assert meta[b"description"].decode() != UNDOCUMENTED, (name, field.name)
    props = pq.read_schema(smoke_run / SMOKE_RESULTS / "tables" / "graph_properties.parquet")
    study = pq.read_schema(smoke_run / SMOKE_RESULTS / "tables" / "study.parquet")
    for column in ("n_nodes", "n_edges", "n_components", "dag_depth", "dag_n_params"):
        assert props.field(column).type == pa.int64(), column
        assert study.field(column).type == pa.int64(), column
    assert study.field("test_accuracy").metadata[b"unit"] == b"fraction"


def test_tables_are_consistent(smoke_run):
    t = {n: pd.read_parquet(smoke_run / SMOKE_RESULTS / "tables" / f"{n}.parquet") for n in TABLES}
    graphs = t["graphs"]
    assert len(graphs) == 6 and set(graphs["variant"]) == {"original", "twin"}
    assert set(t["graph_properties"]["graph_id"]) == set(graphs["graph_id"])
    models = t["models"]
    graph_nets = models[models["model_family"] == "graph_prior"]
    dag = graph_nets[graph_nets["mapping"] == "dag"]
    assert len(dag) == 6 * 2  # graphs x inits x seeds
    # the relational arm: the originals, one init, every net at the dense reference's size
    rel = graph_nets[graph_nets["mapping"] == "relational"]
    assert len(rel) == 3 and set(rel["arm"]) == {"relational"} and set(rel["init"]) == {"he_normal"}
    reference = (64 + 10 + 1 + 1) * 64 + 64 * 64 + 10  # the dense MLP of two 64-wide layers
    assert ((rel["n_params"] - reference).abs() / reference <= 0.01).all()
    assert (rel["width"] > 64).all() and (rel["rounds"] == 1).all() and (rel["depth"] == 2).all()
    widths = rel["node_widths"].str.split(",").map(lambda w: sum(map(int, w)))
    assert (widths == rel["width"]).all() and set(rel["orientation"]) == {"none"}
    claims = pd.read_parquet(smoke_run / SMOKE_RESULTS / "tables" / "claims.parquet")
    assert set(claims["arm"]) == {"sources_sinks", "relational"}
    assert "relational" in set(t["variance"]["arm"]) and "relational" in set(t["study"]["arm"])
    assert set(models["model_family"]) == {
        "graph_prior",
        "fc_random_oneshot",
        "fc_random_iterative",
        "fc_magnitude",
    }
    assert set(models["status"]) <= {"ok", "untrainable", "diverged"}
    assert len(t["study"]) == len(models)
    assert set(t["robustness"]["model_id"]) == set(models["model_id"])
    # train_seconds is the job's wall time shared by its models
    assert (models["train_seconds"] > 0).all()


def test_robustness_holds_every_measure_and_the_invariants(smoke_run):
    rob = pd.read_parquet(smoke_run / SMOKE_RESULTS / "tables" / "robustness.parquet")
    measures = set(rob["measure"])
    for m in (
        "clean_accuracy",
        "robust_accuracy",
        "success_rate",
        "paper_robustness",
        "robust_auc",
        "min_perturbation_mean",
        "onepixel_success_rate",
        "adv_confidence_mean",
        "clever_score",
        "loss_sensitivity",
        "weight_random_accuracy",
        "weight_worst_accuracy",
        "margin_mean",
        "pruned_accuracy",
        "prunability",
        "nc1",
        "nc4",
        "ncc_accuracy",
    ):
        assert m in measures, f"{m} missing from the robustness table"
    ra = rob[rob["measure"] == "robust_accuracy"]
    clean = rob[rob["measure"] == "clean_accuracy"].set_index("model_id")["value"]
    at_zero = ra[ra["eps"] == 0.0]
    for _, row in at_zero.iterrows():
        assert row["value"] == pytest.approx(clean[row["model_id"]])
    pgd = ra[(ra["attack"] == "pgd")].sort_values("eps")
    for _, grp in pgd.groupby(["model_id", "norm"]):
        assert grp["value"].is_monotonic_decreasing
    assert rob["layer"].notna().any()  # layer-wise neural collapse
    assert (rob.loc[ra.index, "n"] == 40).all()


def test_checkpoints_load_and_reproduce_the_recorded_accuracy(smoke_run):
    models = pd.read_parquet(smoke_run / SMOKE_RESULTS / "tables" / "models.parquet")
    x, y = load_dataset("digits", "test")
    for _, row in models.head(4).iterrows():
        assert not row["checkpoint"].startswith(f"{SMOKE_RESULTS}/")  # relative to results/
        model = load_model(smoke_run / SMOKE_RESULTS / row["checkpoint"])
        with torch.no_grad():
            acc = float((model(x).argmax(1) == y).float().mean())
        assert acc == pytest.approx(row["test_accuracy"], abs=1e-6)


def test_report_is_self_contained_with_its_sections(smoke_run):
    report = smoke_run / SMOKE_RESULTS / "report"
    html = (report / "report.html").read_text()
    assert "data:image/png;base64," in html
    assert not re.search(r"""(src|href)=["']https?://""", html), "the report must open offline"
    md = (report / "report.md").read_text()
    for title in ("The run", "Trainability", "Claims", TITLES["answer"]):
        assert f"## {title}" in md
    assert any((report / "figures").glob("*.png"))
    assert md.index(f"## {TITLES['answer']}") < md.index("## Contents") < md.index("## Claims")
    assert md.index("## Claims") < md.index("## The run")
    check_claims(pd.read_parquet(smoke_run / SMOKE_RESULTS / "tables" / "claims.parquet"))
    corr = pd.read_parquet(report / "correlations.parquet")
    assert list(corr.columns) == [
        "stratum",
        "aggregate",
        "x",
        "y",
        "method",
        "r",
        "p",
        "q",
        "ci_low",
        "ci_high",
        "n",
        "controls",
        "fixed_effects",
    ]


def test_every_rule_left_a_log_and_a_benchmark(smoke_run):
    for rule in (
        "generate_graphs",
        "compute_graph_properties",
        "train_sparse_nets",
        "prune_baseline",
        "attack",
    ):
        assert any((smoke_run / SMOKE_RESULTS / "logs" / rule).iterdir())
        assert any((smoke_run / SMOKE_RESULTS / "benchmarks" / rule).iterdir())
    # a baseline's pruning steps: a log each, beside the graphs' (rule attack_baseline)
    parts = list((smoke_run / SMOKE_RESULTS / "logs" / "attack").glob("baseline-*--*.log"))
    assert parts and all("attack_baseline baseline=" in p.read_text() for p in parts)
    train_log = next(
        (smoke_run / SMOKE_RESULTS / "logs" / "train_sparse_nets").iterdir()
    ).read_text()
    assert "train" in train_log and "epoch" in train_log  # tqdm progress in the rule's log
    attack_log = next(
        p
        for p in (smoke_run / SMOKE_RESULTS / "logs" / "attack").iterdir()
        if not p.stem.startswith("baseline-")
    ).read_text()
    for family in FAMILIES:
        assert f"{family}: 100%" in attack_log  # a tqdm bar per measure family
    logs = "".join(p.read_text() for p in (smoke_run / SMOKE_RESULTS / "logs").rglob("*.log"))
    assert "Inferred" not in logs  # ART's INFO lines stay out of the logs


def check_claims(claims: pd.DataFrame) -> None:
    """claims.parquet: raw, controlled and sensitivity C2–C4, q = Holm over the pooled p, no
    verdict below 15."""
    for cid in ("C2", "C3", "C4"):
        rows = claims.loc[(claims["claim"] == cid) & (claims["stratum"] == "pooled")]
        assert set(rows["analysis"]) == {"raw", "controlled", "sensitivity"}, cid
    pooled = claims.loc[(claims["stratum"] == "pooled") & claims["p"].notna()]
    assert pooled["q"].to_numpy() == pytest.approx(multipletests(pooled["p"], method="holm")[1])
    assert (claims.loc[claims["n"] < 15, "verdict"] == "insufficient").all()
    assert (
        claims["p_method"]
        .isin(["asymptotic", "exact", "permutation", "maxT exact", "maxT permutation"])
        .all()
    )


def test_every_study_column_carries_its_own_unit(smoke_run):
    """No column of the smoke study falls back to 'see the measure': each measure has its unit."""
    schema = pq.read_schema(smoke_run / SMOKE_RESULTS / "tables" / "study.parquet")
    fallback = [f.name for f in schema if f.metadata[b"unit"].startswith(b"see the measure")]
    assert not fallback, fallback
    units = {f.name: f.metadata[b"unit"].decode() for f in schema}
    assert units["robust_accuracy_pgd_linf_0p1"] == "fraction"


def test_the_autoattack_budget_is_recorded_per_model(smoke_run):
    """The smoke study's AutoAttack budget is below the standard one: its models say `reduced`."""
    tables = smoke_run / SMOKE_RESULTS / "tables"
    models = pd.read_parquet(tables / "models.parquet")
    rob = pd.read_parquet(tables / "robustness.parquet")
    attacked = set(rob.loc[rob["attack"] == "autoattack", "model_id"])
    assert attacked and set(models.loc[models["model_id"].isin(attacked), "autoattack_budget"]) == {
        "reduced"
    }
    assert models.loc[~models["model_id"].isin(attacked), "autoattack_budget"].isna().all()
    study = pd.read_parquet(tables / "study.parquet")
    assert "autoattack_budget" in study.columns
    # and the report's settings name it
    report = (smoke_run / SMOKE_RESULTS / "report" / "report.md").read_text()
    assert "AutoAttack budget" in report and "reduced (APGD-CE" in report


def test_graph_parameters_are_a_struct_and_eps_says_what_it_holds(smoke_run):
    """``graphs.params`` is a typed struct DuckDB reads by field; ``robustness.parameter``
    keeps ε, δ and the kept fraction apart."""
    tables = smoke_run / SMOKE_RESULTS / "tables"
    params = pq.read_schema(tables / "graphs.parquet").field("params").type
    assert pa.types.is_struct(params)
    assert params.field("n").type == pa.int64() and params.field("p").type == pa.float64()
    rows = duckdb.sql(
        f"SELECT graph_id, params.p AS p FROM '{tables / 'graphs.parquet'}' "
        "WHERE generator = 'erdos_renyi_gnp' AND variant = 'original'"
    ).fetchall()
    assert rows == [("er-n30-p0.15-s1", 0.15)]
    rob = pd.read_parquet(tables / "robustness.parquet")
    kind = rob.groupby("measure")["parameter"].agg(lambda s: set(s.dropna()))
    assert kind["robust_accuracy"] == {"eps"}
    assert kind["weight_worst_accuracy"] == {"delta"}
    assert kind["pruned_accuracy"] == {"kept_fraction"}
    assert rob.loc[rob["eps"].isna(), "parameter"].isna().all()
