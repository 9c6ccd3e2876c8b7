"""Tests for the claims: small-sample inference, the Holm family, controlled verdicts, twins.

The synthetic studies come from :mod:`tests.unit.test_report`; one variant
plants a density–robustness association that runs only through the input
width (``dag_sources`` with ``input_wiring: sources``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from statsmodels.stats.multitest import multipletests

from graphprior.analysis.stats.correlation import partial_spearman
from graphprior.analysis.stats.inference import cluster_ids, correlation_test
from graphprior.analysis.stats.multiple_testing import holm_qvalues
from graphprior.analysis.study import build_study
from graphprior.analysis.twins import twin_contrasts
from graphprior.config.choices import Verdict
from graphprior.io import tables as T
from graphprior.report import TITLES, compose_report, to_html

from .test_report import _config, synthetic_tables


def test_permutation_p_at_n6_rho1_is_the_exact_value():
    x = np.arange(6.0)
    t = correlation_test(x, x, n_perm=9999, n_boot=0, rng=np.random.default_rng(0))
    assert t.r == 1.0 and t.p_method == "exact"
    assert abs(t.p - 2 / 720) < 0.002 and t.p == pytest.approx(2 / 720)


def test_exact_permutation_p_equals_scipy():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=7), rng.normal(size=7)
    t = correlation_test(x, y, n_perm=5040, n_boot=0, rng=rng)

    ref = scipy.stats.permutation_test(
        (x,), lambda a: scipy.stats.spearmanr(a, y).statistic, permutation_type="pairings"
    )
    assert t.p_method == "exact" and t.p == pytest.approx(ref.pvalue)
    assert t.r == pytest.approx(scipy.stats.spearmanr(x, y).statistic)


def test_controlled_statistic_is_the_partial_spearman_and_asymptotic_from_30():
    rng = np.random.default_rng(2)
    n = 40
    z = rng.normal(size=(n, 2))
    x = z[:, 0] + rng.normal(size=n)
    y = x + z[:, 1] + rng.normal(size=n)
    t = correlation_test(x, y, z, n_perm=2000, n_boot=200, rng=rng)
    df = pd.DataFrame({"x": x, "y": y, "a": z[:, 0], "b": z[:, 1]})
    r, p = partial_spearman(df, "x", "y", ["a", "b"])
    assert t.r == pytest.approx(r) and t.p == pytest.approx(p)
    assert t.p_method == "asymptotic" and t.ci_low < t.r < t.ci_high
    small = correlation_test(x[:20], y[:20], z[:20], n_perm=2000, n_boot=200, rng=rng)
    assert small.p_method == "permutation" and small.ci_method in ("BCa", "fisher-z")


def test_twins_are_one_unit():
    graphs = pd.DataFrame(
        {
            "graph_id": ["a", "a-twin", "b", "c", "c-twin"],
            "variant": ["original", "twin", "original", "original", "twin"],
            "parent_id": [None, "a", None, None, "c"],
        }
    )
    assert cluster_ids(graphs).tolist() == ["a", "a", "b", "c", "c"]
    rng = np.random.default_rng(0)
    x = np.arange(10.0)
    units = np.repeat(np.arange(5), 2)
    t = correlation_test(x, x, None, units, n_perm=20000, n_boot=100, rng=rng)
    # five exchangeable pairs: 5! pair orders × 2⁵ orders within the pairs, of which one
    # reaches r = 1 and one r = -1: p = 2 / 3840 (Monte Carlo, so within its own spread)
    assert t.n == 10 and t.n_units == 5 and t.p_method == "permutation"
    assert abs(t.p - 2 / 3840) < 0.0008


def test_holm_is_statsmodels():
    p = [0.01, np.nan, 0.04, 0.03]
    q = holm_qvalues(p)
    assert np.isnan(q[1])
    assert q[[0, 2, 3]].tolist() == pytest.approx(
        multipletests([0.01, 0.04, 0.03], method="holm")[1].tolist()
    )


@pytest.fixture(scope="module")
def planted_claims():
    tables = synthetic_tables()
    report, _ = compose_report(tables, _config(bootstrap=100))
    return report


def test_claims_table_rows_family_and_verdicts(planted_claims, tmp_path):
    claims = planted_claims.data["claims"]
    assert list(claims.columns) == T.CLAIMS_SCHEMA.names
    for cid in ("C2", "C3", "C4"):
        sub = claims.loc[(claims["claim"] == cid) & (claims["stratum"] == "pooled")]
        assert set(sub["analysis"]) == {"raw", "controlled", "sensitivity"}
    controlled = claims.loc[(claims["claim"] == "C2") & (claims["analysis"] == "controlled")]
    # clean accuracy is downstream of structure: the sensitivity analysis adds it, the main one not
    assert controlled["controls"].iloc[0].split(",")[0] == "n_params"
    assert "test_accuracy" not in controlled["controls"].iloc[0].split(",")
    sensitivity = claims.loc[(claims["claim"] == "C2") & (claims["analysis"] == "sensitivity")]
    assert sensitivity["controls"].iloc[0].split(",")[-1] == "test_accuracy"
    pooled = claims.loc[claims["stratum"] == "pooled"]
    has_p = pooled["p"].notna()
    expected = multipletests(pooled.loc[has_p, "p"], method="holm")[1]
    assert pooled.loc[has_p, "q"].to_numpy() == pytest.approx(expected)
    assert claims.loc[claims["stratum"] != "pooled", "q"].isna().all()
    assert (claims.loc[claims["n"] < 15, "verdict"] == "insufficient").all()
    assert set(claims["p_method"]) <= {
        "asymptotic", "exact", "permutation", "maxT exact", "maxT permutation"
    }  # fmt: skip
    assert set(claims["verdict"]) <= {v.value for v in Verdict}
    T.write_table(claims, tmp_path / "claims.parquet", T.CLAIMS_SCHEMA, "claims")  # accepted


def test_c5_counts_structural_properties_only(planted_claims):
    claims = planted_claims.data["claims"]
    c5 = claims.loc[claims["claim"] == "C5"]
    assert len(c5) == 2
    assert not c5["x"].isin(["n_params", "dag_sources", "dag_sinks", "dag_n_params"]).any()


def test_the_answer_then_the_claims_come_first_in_the_html(planted_claims):
    html = to_html(planted_claims)
    claims_heading = html.index(f">{TITLES['claims']}<")  # its entry in the contents
    assert html.index(TITLES["answer"]) < html.index("Contents") < claims_heading
    assert html.index("The answer.") < html.index("Contents")
    assert html.index("raw effect [95 % CI]") < html.index(f">{TITLES['run']}</h2>")
    titles = [s.title for s in planted_claims.sections]
    assert titles[:2] == [TITLES["answer"], TITLES["claims"]]


def _input_width_study(seed: int = 0) -> dict[str, pd.DataFrame]:
    """Density predicts robustness only through the input width (the number of DAG sources)."""
    tables = synthetic_tables(30, seed=seed, baselines=False, untrainable_share=0.0)
    rng = np.random.default_rng(seed + 10)
    props = tables["graph_properties"]
    props["dag_sources"] = np.round(10 + 100 * props["density"] + rng.normal(0, 3, len(props)))
    sources = props.set_index("graph_id")["dag_sources"]
    # without the models' interface columns the input width is read from dag_sources
    models = tables["models"].drop(columns=["input_width", "readout_width"])
    tables["models"] = models
    models["n_params"] = rng.integers(900, 1100, len(models))  # unrelated to density
    rob = tables["robustness"]
    graph_of = models.set_index("model_id")["graph_id"]
    paper = rob["measure"] == "paper_robustness"
    width = rob.loc[paper, "model_id"].map(graph_of).map(sources).to_numpy(dtype=float)
    rob.loc[paper, "value"] = 90 - width + rng.normal(0, 0.5, paper.sum())
    tables["study"] = build_study(models, tables["graphs"], props, rob)
    return tables


def test_input_width_confound_supported_raw_not_controlled():
    report, _ = compose_report(_input_width_study(), _config(bootstrap=200), sections=("claims",))
    claims = report.data["claims"].set_index(["claim", "analysis", "stratum"])
    raw = claims.loc[("C2", "raw", "pooled")]
    controlled = claims.loc[("C2", "controlled", "pooled")]
    assert raw["verdict"] == "supported", raw.to_dict()
    assert "dag_sources" in controlled["controls"].split(",")
    assert controlled["verdict"] != "supported", controlled.to_dict()
    assert abs(controlled["r"]) < abs(raw["r"])
    text = " ".join(report.sections[0].paragraphs)
    assert "raw and controlled verdicts differ" in text


def test_fewer_than_15_graphs_is_insufficient():
    tables = synthetic_tables(12, baselines=False, untrainable_share=0.0)
    report, _ = compose_report(tables, _config(bootstrap=50), sections=("claims",))
    claims = report.data["claims"]
    assert (claims["verdict"] == "insufficient").all()
    c2 = claims.loc[(claims["claim"] == "C2") & claims["r"].notna()]
    assert len(c2) and c2["p_method"].isin(["permutation", "exact"]).all()
    assert math.isfinite(c2["p"].iloc[0])


def test_twin_contrasts_known_answer():
    originals = [f"g{i}" for i in range(8)]
    frame = pd.DataFrame(
        {
            "graph_id": originals + [f"{g}-twin" for g in originals],
            "variant": ["original"] * 8 + ["twin"] * 8,
            "parent_id": [None] * 8 + originals,
            "degree_std": np.tile(np.linspace(1, 2, 8), 2),  # same degrees: contrast 0
            "rob": np.r_[np.arange(1.0, 9.0) + 10, np.full(8, 10.0)],  # original − twin = 1..8
        }
    )
    table = twin_contrasts(
        frame, ["degree_std"], ["rob"], n_boot=200, rng=np.random.default_rng(0)
    ).set_index("column")
    assert table.loc["rob", "n_pairs"] == 8
    assert table.loc["rob", "median_difference"] == 4.5
    assert table.loc["rob", "p"] == pytest.approx(2 / 256)  # exact: all 8 signs positive
    assert table.loc["rob", "p_method"] == "exact"
    assert 1 <= table.loc["rob", "ci_low"] <= 4.5 <= table.loc["rob", "ci_high"] <= 8
    assert table.loc["degree_std", "median_difference"] == 0
    assert table.loc["degree_std", "p"] == 1.0


def test_audit_shows_the_input_width_coupling_and_its_absence_at_fixed_width():
    tables = _input_width_study()
    report, _ = compose_report(tables, _config(bootstrap=50), sections=("claims", "audit"))
    audit = report.section(TITLES["audit"])
    couples = audit.tables[0].frame
    hit = couples.loc[
        (couples["stratum"] == "pooled")
        & (couples["property"] == "graph_density")
        & (couples["variable"] == "dag_sources")
    ]
    assert hit["r"].iloc[0] > 0.9
    fits = audit.tables[1].frame.set_index(["stratum", "measure"])
    fit = fits.loc[("pooled", "paper_robustness_fgsm_linf_0p1")]
    assert fit["r2_size"] > 0.9 and fit["delta_r2"] < 0.05
    assert "input width = `dag_sources`" in audit.paragraphs[0]
    # a fixed-interface arm: the same graphs with one input width, so no coupling is left
    fixed = _input_width_study()
    fixed["graph_properties"]["dag_sources"] = 20.0
    fixed["study"] = build_study(
        fixed["models"], fixed["graphs"], fixed["graph_properties"], fixed["robustness"]
    )
    report, _ = compose_report(fixed, _config(bootstrap=50), sections=("claims", "audit"))
    section = report.section(TITLES["audit"])
    couples = section.tables[0].frame
    fixed_rows = couples.loc[couples["variable"] == "dag_sources"]
    assert len(fixed_rows) and fixed_rows["r"].isna().all()  # shown as fixed, not left out
    assert fixed_rows["note"].str.startswith("dag_sources constant").all()
    assert "`dag_sources` constant" in " ".join(section.paragraphs)


@pytest.mark.slow
def test_c1_and_r1_use_permutation_p_values_below_30_graphs():
    tables = synthetic_tables(20, baselines=False, untrainable_share=0.0)
    report, _ = compose_report(tables, _config(bootstrap=50), sections=("claims",))
    claims = report.data["claims"].set_index("claim")
    for cid in ("C1", "R1"):
        assert math.isfinite(claims.loc[cid, "p"]), claims.loc[cid].to_dict()
        assert claims.loc[cid, "p_method"] in ("permutation", "exact")
    large = compose_report(synthetic_tables(30), _config(bootstrap=50), sections=("claims",))[0]
    big = large.data["claims"].set_index("claim")
    assert big.loc["C1", "p_method"] == "asymptotic" and big.loc["R1", "p_method"] == "asymptotic"


@pytest.mark.slow
def test_outlier_rule_removes_the_planted_outlier_from_the_claims_and_says_so():
    tables = synthetic_tables(20, baselines=False, untrainable_share=0.0)
    rob, models = tables["robustness"], tables["models"]
    outlier = models.loc[models["graph_id"] == models["graph_id"].iloc[0], "model_id"]
    rob.loc[(rob["measure"] == "paper_robustness") & rob["model_id"].isin(outlier), "value"] = 1e4
    tables["study"] = build_study(models, tables["graphs"], tables["graph_properties"], rob)
    by_rule = {}
    for on in (False, True):
        cfg = _config(bootstrap=50, outlier_rule=on)
        report, _ = compose_report(tables, cfg, sections=("claims",))
        by_rule[on] = (report.data["claims"].set_index(["claim", "analysis", "stratum"]), report)
    off, on = by_rule[False][0], by_rule[True][0]
    assert (off["n_removed"] == 0).all()
    c2_off, c2_on = off.loc[("C2", "raw", "pooled")], on.loc[("C2", "raw", "pooled")]
    assert c2_on["n_removed"] >= 1 and c2_on["n"] == c2_off["n"] - c2_on["n_removed"]
    assert on.loc[("C1", "raw", "pooled"), "n_removed"] >= 1
    text_on = " ".join(by_rule[True][1].sections[0].paragraphs)
    text_off = " ".join(by_rule[False][1].sections[0].paragraphs)
    assert "outlier rule **was applied**" in text_on and "C2 " in text_on
    assert "outlier rule was **not applied**" in text_off


def test_density_is_read_across_strata_of_one_size_and_not_within_one():
    """The density design: three strata of one parameter count, each at one density. C2 pools
    them with size fixed effects (an estimate and an interval); within a stratum the design
    fixes density, so those rows are `not testable`; C3 keeps stratum fixed effects."""
    tables = synthetic_tables(60, baselines=False, untrainable_share=0.0)
    props, graphs, models = tables["graph_properties"], tables["graphs"], tables["models"]
    level = pd.qcut(props["density"], 3, labels=False)  # robustness was planted on density
    props["density"] = np.asarray([0.08, 0.16, 0.24])[level]
    stratum = pd.Series(np.asarray(["n50-m100", "n50-m200", "n50-m300"])[level],
                        index=props["graph_id"])  # fmt: skip
    graphs["stratum"] = graphs["graph_id"].map(stratum)
    models["n_params"] = 3860
    tables["study"] = build_study(models, graphs, props, tables["robustness"])
    report, _ = compose_report(tables, _config(bootstrap=100), sections=("claims",))
    claims = report.data["claims"].set_index(["claim", "analysis", "stratum"]).sort_index()
    for analysis in ("raw", "controlled"):
        pooled = claims.loc[("C2", analysis, "pooled")]
        assert pooled["fixed_effects"] == "size"
        assert pooled["r"] < 0 and pooled["ci_low"] < pooled["r"] < pooled["ci_high"] < 0
        assert pooled["verdict"] in {"supported", "unreliable"}, pooled.to_dict()
    within = claims.loc[("C2", "raw")].drop(index="pooled")
    assert len(within) == 3 and (within["verdict"] == "not testable").all()
    assert within["r"].isna().all() and (within["n"] > 0).all()
    assert claims.loc[("C3", "raw", "pooled"), "fixed_effects"] == "stratum"
