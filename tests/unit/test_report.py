"""Tests for the correlation report (graphprior.report and the statistics it formats).

A synthetic study with planted relations stands in for a real run: 30 graphs of
three generators × 3 initialisations, where robustness falls with graph density
(claim C2), the generalisation gap grows with prunability (R1), attacks raise
NC1 more in later layers (R2) and weight perturbations hurt, worst case more
than random (R3). A tiny degenerate study checks that the report still builds.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from graphprior.analysis.groups import PAIR_COLUMNS
from graphprior.analysis.related_studies import weight_statistics
from graphprior.analysis.stats.bootstrap import paired_summary
from graphprior.analysis.study import build_study
from graphprior.analysis.study.columns import discover_measures, property_columns
from graphprior.analysis.study_context import build_context, section_rng
from graphprior.config import StudyConfig, validate_config
from graphprior.io import tables as T
from graphprior.report import (
    SECTIONS,
    TITLES,
    build_report,
    compose_report,
    fmt,
    to_html,
    to_markdown,
)

GENERATORS = (
    ("erdos_renyi_gnp", {"n": 20, "p": 0.2}),
    ("watts_strogatz", {"n": 20, "k": 4, "p": 0.3}),
    ("barabasi_albert", {"n": 20, "m": 2}),
)
INITS = ("xavier_normal", "he_normal", "uniform_0.1")
BASELINES = ("fc_random_oneshot", "fc_random_iterative", "fc_magnitude")
CLAIM_IDS = (
    "C1",
    "C2",
    "C3",
    "C4",
    "C3-DAG",
    "C4-DAG",
    "C5",
    "Y1",
    "R1",
    "R2b",
    "R2a",
    "R3a",
    "R3b",
)

CONFIG = {
    "study": "synthetic",
    "dataset": "digits",
    "graphs": {
        "generators": [
            {"generator": "erdos_renyi_gnp", "params": {"n": [20], "p": [0.2]}, "seeds": [0]}
        ],
        "twins": False,
        "twin_swaps_per_edge": 10,
    },
    "mapping": {
        "orientation": "random",
        "sinks_to_last_layer": False,
        "input_wiring": "sources",
        "readout": "sinks",
    },
    "training": {"inits": list(INITS), "seeds": [0], "epochs": 3},
    "attack": {"paper_eps": 0.1, "fgsm": {"eps": [0.0, 0.1, 0.2]}},
    "report": {
        "aggregate": ["mean", "median"],
        "outlier_rule": False,
        "bootstrap": 100,
        "seed": 0,
        # the synthetic study plants its effects in the paper's measure
        "primary_measure": {"measure": "paper_robustness", "attack": "fgsm", "norm": "linf"},
    },
}


def _config_dict(**report) -> dict:
    """The test study's config with `report` options, validated (every default filled in)."""
    cfg = json.loads(json.dumps(CONFIG))
    cfg["report"].update(report)
    return validate_config(cfg)


def _config(**report) -> StudyConfig:
    """:func:`_config_dict` as the typed study the report reads."""
    return StudyConfig.from_dict(_config_dict(**report))


def synthetic_tables(
    n_graphs: int = 30,
    inits: tuple[str, ...] = INITS,
    *,
    seed: int = 0,
    n_extra_properties: int = 2,
    baselines: bool = True,
    untrainable_share: float = 0.05,
) -> dict[str, pd.DataFrame]:
    """A study with planted relations, as the workflow's tables."""
    rng = np.random.default_rng(seed)
    graphs, props = [], []
    for i in range(n_graphs):
        generator, params = GENERATORS[i % len(GENERATORS)]
        gid = f"{generator[:2]}-g{i}"
        graphs.append(
            {
                "graph_id": gid,
                "generator": generator,
                "params_json": json.dumps(params),
                "n_nodes_requested": 20,
                "seed": i + 1,
                "variant": "original",
                "parent_id": None,
            }
        )
        density = rng.uniform(0.1, 0.4)
        row = {
            "graph_id": gid,
            "n_nodes": 20.0,  # constant: left out
            "n_edges": density * 190,  # linear copy of density: left out
            "density": density,
            "avg_path_length": rng.uniform(1.8, 3.0),
            "avg_eccentricity": rng.uniform(3.0, 5.0),
            "degree_std": rng.uniform(0.5, 3.0),
            "avg_clustering": rng.uniform(0.0, 0.4),
            "dag_depth": float(rng.integers(4, 10)),
            "dag_skip_edges": float(rng.integers(5, 40)),
        }
        for k in range(n_extra_properties):
            row[f"dag_extra_{k}"] = rng.normal()
        props.append(row)
    graphs_df = pd.DataFrame(graphs)
    props_df = pd.DataFrame(props)
    dens = props_df.set_index("graph_id")["density"]
    z_density = (dens - dens.mean()) / dens.std()
    prunability = pd.Series(rng.uniform(0.1, 0.6, n_graphs), index=dens.index)

    models, rob = [], []

    def add(model_id: str, measure: str, attack: str, norm: str, eps, value, layer=None):
        rob.append(
            {
                "model_id": model_id,
                "measure": measure,
                "attack": attack,
                "norm": norm,
                "eps": eps,
                "layer": layer,
                "value": float(value),
                "n": 100,
            }
        )

    def add_measures(mid: str, acc: float, z: float, prun: float) -> None:
        add(mid, "clean_accuracy", "none", "none", np.nan, acc)
        add(mid, "paper_robustness", "fgsm", "linf", 0.1, 60 - 15 * z + rng.normal(0, 3))
        for eps in (0.0, 0.1, 0.2):
            add(mid, "robust_accuracy", "fgsm", "linf", eps, acc * (1 - eps * (3 + z)))
            add(mid, "robust_accuracy", "pgd", "linf", eps, acc * (1 - eps * (4 + z)))
        add(
            mid, "min_perturbation_mean", "pgd_bisection", "linf", np.nan, 0.1 + rng.normal(0, 0.01)
        )
        add(mid, "margin_mean", "none", "none", np.nan, rng.normal(2, 0.3))
        add(mid, "prunability", "magnitude", "none", np.nan, prun + rng.normal(0, 0.02))
        for delta in (0.05, 0.1, 0.2):
            add(
                mid,
                "weight_random_accuracy",
                "random",
                "linf",
                delta,
                acc - delta + rng.normal(0, 0.005),
            )
            add(
                mid,
                "weight_worst_accuracy",
                "pgd",
                "linf",
                delta,
                acc - 3 * delta + rng.normal(0, 0.005),
            )
        nc1 = rng.uniform(0.02, 0.08)  # collapsed on clean data: R2b's premise holds
        add(mid, "nc1", "none", "none", np.nan, nc1)
        add(mid, "nc1", "pgd", "linf", 0.1, nc1 * rng.uniform(3, 5))
        add(mid, "nc4", "none", "none", np.nan, rng.uniform(0, 0.05))
        add(mid, "nc4", "pgd", "linf", 0.1, rng.uniform(0.2, 0.5))
        for layer in range(4):
            clean = 1.0 / (layer + 1)
            add(mid, "nc1", "none", "none", np.nan, clean, layer)
            pert = clean * 10 ** (0.3 * layer + rng.normal(0, 0.05))
            add(mid, "nc1", "pgd", "linf", 0.1, pert, layer)

    for gid in dens.index:
        for init in inits:
            mid = f"{gid}--{init}--s0"
            acc = float(np.clip(0.9 + rng.normal(0, 0.02), 0, 1))
            gap = 0.1 * prunability[gid] + rng.normal(0, 0.005)
            status = "untrainable" if rng.uniform() < untrainable_share else "ok"
            models.append(
                {
                    "model_id": mid,
                    "model_family": "graph_prior",
                    "group": gid,
                    "graph_id": gid,
                    "dataset": "digits",
                    "init": init,
                    "seed": 0,
                    "n_params": int(1000 + 2000 * dens[gid] + rng.integers(0, 100)),
                    "density": float(rng.uniform(0.2, 0.6)),
                    "matched_density": float(0.3 + 0.4 * dens[gid]),
                    "test_accuracy": acc if status == "ok" else 0.11,
                    "train_accuracy": acc + gap,
                    "gen_gap_accuracy": gap,
                    "gen_gap_loss": 2 * gap + rng.normal(0, 0.01),
                    "status": status,
                    "checkpoint": f"models/{mid}",
                }
            )
            add_measures(mid, acc, float(z_density[gid]), float(prunability[gid]))
    if baselines:
        for family in BASELINES:
            for density in (0.2, 0.4, 0.6):
                mid = f"baseline-{family}--he_normal--s0--d{density}"
                acc = 0.9
                models.append(
                    {
                        "model_id": mid,
                        "model_family": family,
                        "group": f"baseline-{family}",
                        "graph_id": None,
                        "dataset": "digits",
                        "init": "he_normal",
                        "seed": 0,
                        "n_params": 3000,
                        "density": density,
                        "matched_density": density,
                        "test_accuracy": acc,
                        "train_accuracy": acc + 0.02,
                        "gen_gap_accuracy": 0.02,
                        "gen_gap_loss": 0.05,
                        "status": "ok",
                        "checkpoint": f"models/{mid}",
                    }
                )
                add_measures(mid, acc, 0.0, 0.3)
    models_df = pd.DataFrame(models)
    for col in T.MODELS_SCHEMA.names:
        if col not in models_df:
            models_df[col] = None
    robustness = pd.DataFrame(rob, columns=T.ROBUSTNESS_SCHEMA.names)
    robustness["layer"] = robustness["layer"].astype(float)
    study = build_study(models_df, graphs_df, props_df, robustness)
    return {
        "graphs": graphs_df,
        "graph_properties": props_df,
        "models": models_df,
        "robustness": robustness,
        "study": study,
    }


def degenerate_tables() -> dict[str, pd.DataFrame]:
    """Two graphs, most models untrainable, no trainable baseline."""
    tables = synthetic_tables(2, ("he_normal", "he_fanin_corrected"), seed=3, baselines=False)
    study = tables["study"]
    study.loc[study.index[1:], "status"] = "untrainable"
    tables["models"]["status"] = study["status"].to_numpy()
    return tables


@pytest.fixture(scope="module")
def planted():
    tables = synthetic_tables()
    report, corr = compose_report(tables, _config())
    return tables, report, corr


def _claims(report) -> pd.DataFrame:
    """The report's claims tables: one row per claim, raw beside controlled; then the checks."""
    tables = report.section(TITLES["claims"]).tables
    checks = [t.frame for t in tables if t.caption.startswith("Checks")]
    return pd.concat([tables[0].frame, *checks], ignore_index=True)


def _claim_rows(report, analysis: str = "raw") -> pd.DataFrame:
    """The pooled rows of the machine-readable claims table for one analysis, by claim."""
    claims = report.data["claims"]
    rows = claims.loc[(claims["stratum"] == "pooled") & (claims["analysis"] == analysis)]
    return rows.set_index("claim")


# ----------------------------------------------------------------------------
# structure and claims
# ----------------------------------------------------------------------------


def test_report_has_every_section(planted):
    _, report, _ = planted
    titles = [s.title for s in report.sections]
    for title in TITLES.values():
        assert title in titles
    assert titles[:2] == [TITLES["answer"], TITLES["claims"]]
    md = to_markdown(report)
    html = to_html(report)
    for title in TITLES.values():
        assert f"# {title}" in md
        assert title.replace("&", "&amp;") in html


def test_baselines_section_shows_the_achieved_densities_of_both_sides(planted):
    tables, report, _ = planted
    sec = report.section(TITLES["baselines"])
    pairs = sec.tables[0].frame
    assert list(pairs.columns) == list(PAIR_COLUMNS)
    # levels 0.2, 0.4, 0.6 per family; every trainable graph net is paired exactly once
    study = tables["study"]
    graphs = study.loc[(study["model_family"] == "graph_prior") & (study["status"] == "ok")]
    per_graph = graphs.groupby("graph_id")["matched_density"].mean()
    for _, rows in pairs.groupby("family"):
        assert list(rows["level"]) == [0.2, 0.4, 0.6]
        assert rows["n_graphs"].sum() == len(per_graph)
        lo, hi = rows["graph_min"].min(), rows["graph_max"].max()
        assert (lo, hi) == pytest.approx((per_graph.min(), per_graph.max()))
    assert "matched_density" in " ".join(sec.paragraphs)


def test_claims_table_has_every_claim_with_a_verdict(planted):
    _, report, _ = planted
    claims = _claims(report).set_index("claim")
    assert tuple(claims.index) == CLAIM_IDS
    verdicts = {"supported", "contradicted", "inconclusive", "insufficient"}
    assert set(claims["raw"]) <= verdicts
    # the planted relations
    for cid in ("C2", "R1", "R2a", "R2b", "R3a", "R3b"):
        assert claims.loc[cid, "raw"] == "supported", (cid, claims.loc[cid].to_dict())
    # the rules are written in the report
    text = " ".join(report.section(TITLES["claims"]).paragraphs)
    assert "supported" in text and "contradicted" in text and "inconclusive" in text


def test_planted_c2_statistic_comes_from_the_correlations_table(planted):
    tables, report, corr = planted
    claims = _claim_rows(report)
    row = corr.loc[
        (corr["stratum"] == "pooled")
        & (corr["aggregate"] == "mean")
        & (corr["method"] == "spearman")
        & (corr["x"] == "graph_density")
        & (corr["y"] == "paper_robustness_fgsm_linf_0p1")
    ].iloc[0]
    assert claims.loc["C2", "r"] == pytest.approx(row["r"], abs=1e-12)
    assert claims.loc["C2", "ci_high"] < 0 and row["ci_high"] < 0
    assert row["r"] < -0.5


def test_markdown_numbers_equal_the_correlations_table(planted):
    _, report, corr = planted
    md = to_markdown(report)
    line = next(ln for ln in md.splitlines() if ln.startswith("| C2 |"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    header = next(ln for ln in md.splitlines() if ln.startswith("| claim | statement |")).strip("|")
    cols = [c.strip() for c in header.split("|")]
    got = dict(zip(cols, cells, strict=True))
    for analysis in ("raw", "controlled"):
        row = _claim_rows(report, analysis).loc["C2"]
        assert got[f"{analysis} effect [95 % CI]"] == (
            f"{fmt(row['r'])} [{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]"
        )
        assert got[f"{analysis} q"] == fmt(row["q"])
        assert got[analysis] == row["verdict"]
    assert got["n"] == fmt(int(row["n"]))
    assert got["statistic"] == "Spearman ρ"  # what the effect columns hold for C2
    # the strongest-correlations table: every row matches the table
    top = report.section(TITLES["correlations"]).tables
    strongest = next(t for t in top if t.caption.startswith("The 20 strongest")).frame
    for r in strongest.itertuples(index=False):
        hit = corr.loc[
            (corr["stratum"] == "pooled")
            & (corr["aggregate"] == "mean")
            & (corr["method"] == "spearman")
            & (corr["x"] == r.x)
            & (corr["y"] == r.y)
        ].iloc[0]
        assert f"| {r.x} | {r.y} | {fmt(hit['r'])} | {fmt(hit['ci_low'])} |" in md


def test_html_is_self_contained(planted):
    _, report, _ = planted
    html = to_html(report)
    refs = re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]*)['"]""", html)
    assert refs, "expected figures and table-of-contents links"
    for ref in refs:
        assert ref.startswith("data:image/png;base64,") or ref.startswith("#"), ref[:60]
    assert "http://" not in html and "https://" not in html
    assert html.count("<img") == len(report.figures) >= 8
    assert "<nav>" in html


def test_correlations_table_matches_the_schema(planted, tmp_path):
    _, _, corr = planted
    assert list(corr.columns) == T.CORRELATIONS_SCHEMA.names
    path = tmp_path / "correlations.parquet"
    T.write_table(corr, path, T.CORRELATIONS_SCHEMA, "correlations")
    back = T.read_table(path)
    assert len(back) == len(corr)
    assert set(back["stratum"]) >= {"pooled", "erdos_renyi_gnp"}
    assert set(back["aggregate"]) == {"mean", "median"}
    assert set(back["method"]) == {"spearman", "kendall", "pearson", "partial_spearman"}
    partial = back.loc[back["method"] == "partial_spearman", "controls"]
    assert (partial == "test_accuracy+n_params").all()
    # bootstrap budget: pooled Spearman rows carry intervals, strata do not
    pooled_sp = back.loc[(back["stratum"] == "pooled") & (back["method"] == "spearman")]
    assert pooled_sp["ci_low"].notna().all()
    assert back.loc[back["stratum"] != "pooled", "ci_low"].isna().all()
    # q-values: BH within stratum x aggregate x method
    assert ((back["q"] >= back["p"] - 1e-12) | back["p"].isna()).all()


def test_properties_exclude_constant_and_linear_copies(planted):
    tables, _, _ = planted
    kept, dropped = property_columns(tables["study"], tables["graph_properties"])
    assert kept[:3] == ["graph_density", "avg_path_length", "avg_eccentricity"]
    assert "n_nodes" in dropped and "constant" in dropped["n_nodes"]
    assert dropped["n_edges"] == "linear copy of graph_density"


def test_measures_are_discovered_from_the_long_table(planted):
    tables, _, _ = planted
    measures = discover_measures(tables["robustness"], tables["study"], _config().attack.paper_eps)
    cols = [m.column for m in measures]
    assert cols[0] == "paper_robustness_fgsm_linf_0p1"
    assert "robust_accuracy_fgsm_linf_0p1" in cols  # the paper's eps, not 0 or 0.2
    assert "weight_worst_accuracy_pgd_linf_0p05" in cols
    assert "prunability_magnitude" in cols
    assert not any(c.endswith("_0") for c in cols)
    direction = {m.column: m.direction for m in measures}
    assert direction["prunability_magnitude"] == -1


def test_paired_summary_known_answer():
    rng = np.random.default_rng(0)
    out = paired_summary([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], n_boot=200, rng=rng)
    assert out.median == 3.5 and out.n == 6
    assert out.p == pytest.approx(0.03125)  # exact two-sided Wilcoxon, all positive
    assert 1.0 <= out.ci_low <= 3.5 <= out.ci_high <= 6.0
    assert paired_summary([0.0, 0.0], n_boot=0, rng=rng).p == 1.0


# ----------------------------------------------------------------------------
# options and edge cases
# ----------------------------------------------------------------------------


def test_degenerate_study_still_builds(tmp_path):
    tables = degenerate_tables()
    report, corr = compose_report(tables, _config(bootstrap=20))
    assert list(corr.columns) == T.CORRELATIONS_SCHEMA.names
    assert corr.empty
    titles = [s.title for s in report.sections]
    for title in TITLES.values():
        assert title in titles
    text = to_markdown(report)
    assert "No correlation could be computed" in text
    assert "no trainable" in text.lower() or "not trainable" in text.lower()
    claims = _claims(report)
    assert tuple(claims["claim"]) == CLAIM_IDS
    assert (report.data["claims"]["verdict"] == "insufficient").all()
    T.write_table(corr, tmp_path / "c.parquet", T.CORRELATIONS_SCHEMA, "correlations")


def test_build_report_writes_every_output_with_options(tmp_path):
    """The rule's entry point, with the paper's outlier rule on; the claims come first."""
    tables = synthetic_tables(12, seed=7, n_extra_properties=0)
    study = tables["study"]
    outlier = study["graph_id"] == study["graph_id"].iloc[0]
    study.loc[outlier, "paper_robustness_fgsm_linf_0p1"] = 1e4
    inputs = {}
    for name, df in tables.items():
        path = tmp_path / "tables" / f"{name}.parquet"
        path.parent.mkdir(exist_ok=True)
        df.to_parquet(path)
        inputs[name] = str(path)
    out = tmp_path / "report"
    outputs = {
        "html": str(out / "report.html"),
        "markdown": str(out / "report.md"),
        "correlations": str(out / "correlations.parquet"),
        "table": str(tmp_path / "tables" / "correlations.parquet"),
        "claims": str(tmp_path / "tables" / "claims.parquet"),
        "variance": str(tmp_path / "tables" / "variance.parquet"),
        "reliability": str(tmp_path / "tables" / "reliability.parquet"),
        "figures": str(out / "figures"),
    }
    out.mkdir()
    build_report(inputs, outputs, _config(bootstrap=20, outlier_rule=True))
    md = (out / "report.md").read_text()
    linked = re.findall(r"\]\((figures/[^)]+\.png)\)", md)
    assert linked and all((out / link).is_file() for link in linked)
    corr = T.read_table(outputs["correlations"])
    assert list(corr.columns) == T.CORRELATIONS_SCHEMA.names
    assert T.read_table(outputs["table"]).equals(corr)
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    # the answer first, then the claims
    headings = re.findall(r"^## (.+)$", md, flags=re.MULTILINE)
    assert headings[:3] == [TITLES["answer"], "Contents", TITLES["claims"]]
    claims = T.read_table(outputs["claims"])
    assert list(claims.columns) == T.CLAIMS_SCHEMA.names
    assert set(claims.loc[claims["claim"] == "C2", "analysis"]) == {
        "raw",
        "controlled",
        "sensitivity",
    }
    for name, schema in (("variance", T.VARIANCE_SCHEMA), ("reliability", T.RELIABILITY_SCHEMA)):
        assert list(T.read_table(outputs[name]).columns) == schema.names
    # the outlier rule: stated, counted, and applied to the correlations
    assert "was applied" in md
    pooled = corr.loc[
        (corr["y"] == "paper_robustness_fgsm_linf_0p1") & (corr["stratum"] == "pooled"), "n"
    ]
    assert 0 < pooled.max() <= 11


# ----------------------------------------------------------------------------
# randomness per section
# ----------------------------------------------------------------------------


def _assert_same_section(a, b) -> None:
    """Same paragraphs, tables (NaN equal to NaN) and figure names, in the same order."""
    assert len(a.blocks) == len(b.blocks), a.title
    for x, y in zip(a.blocks, b.blocks, strict=True):
        assert type(x) is type(y), a.title
        if isinstance(x, str):
            assert x == y, a.title
        elif hasattr(x, "frame"):
            assert (x.caption, x.note) == (y.caption, y.note), a.title
            pd.testing.assert_frame_equal(x.frame, y.frame, obj=f"{a.title}: {x.caption}")
        else:
            assert x.name == y.name, a.title


@pytest.mark.slow
@pytest.mark.parametrize("dropped", ["trainability", "init"])
def test_dropping_a_section_leaves_every_other_number_unchanged(dropped):
    """Each section draws from its own generator (report.seed and its name), so the
    correlations table, the claims and every other section stay identical."""
    tables = synthetic_tables(12, seed=5, n_extra_properties=0)
    config = _config(bootstrap=30)
    full, corr_full = compose_report(tables, config)
    part, corr_part = compose_report(tables, config, sections=[s for s in SECTIONS if s != dropped])
    pd.testing.assert_frame_equal(corr_full, corr_part)
    assert corr_full["ci_low"].notna().any()
    assert TITLES[dropped] not in [s.title for s in part.sections]
    assert len(part.sections) == len(full.sections) - 1
    for section in part.sections:
        _assert_same_section(section, full.section(section.title))
    pd.testing.assert_frame_equal(_claims(full), _claims(part))
    assert part.intro == full.intro


def test_a_section_statistic_depends_only_on_the_seed_and_its_name():
    tables = synthetic_tables(12, seed=5, n_extra_properties=0)
    config = _config(bootstrap=30)
    report, _ = compose_report(tables, config, sections=["claims"])
    ctx = build_context(tables, config)
    alone = weight_statistics(ctx, section_rng(config.report.seed, "weight")).r3b["mean"]
    r3b = _claim_rows(report).loc["R3b"]
    assert (r3b["ci_low"], r3b["ci_high"]) == (alone.ci_low, alone.ci_high)
    other = weight_statistics(ctx, section_rng(1, "weight"))
    assert other.r3b["mean"].ci_low != alone.ci_low


def test_the_answer_comes_first_with_its_sentence_and_figures():
    tables = synthetic_tables(30)
    report, _ = compose_report(tables, _config(bootstrap=50))
    first = report.sections[0]
    assert first.title == TITLES["answer"]
    sentence = first.paragraphs[0]
    assert sentence.startswith("**The answer.**")
    assert "paper_robustness_fgsm_linf_0p1" in sentence and "%" in sentence
    names = [f.name for f in first.figures]
    assert names == ["answer_variance_share", "answer_claims_forest"]
    variance = report.data["variance"]
    graph = variance.loc[(variance["component"] == "graph") & variance["primary"]]
    assert len(graph) >= 1
    share = graph.iloc[0]["share"]
    assert f"{100 * share:.1f} %" in sentence
    assert list(variance.columns) == T.VARIANCE_SCHEMA.names
    assert list(report.data["reliability"].columns) == T.RELIABILITY_SCHEMA.names


@pytest.mark.slow
def test_a_study_without_its_primary_measure_says_so_first():
    config = _config_dict(bootstrap=20)
    config["report"]["primary_measure"] = {"measure": "absent", "attack": "none", "norm": "none"}
    report, _ = compose_report(synthetic_tables(20), StudyConfig.from_dict(config))
    assert report.sections[0].paragraphs[0].startswith("**No answer:**")
    claims = report.data["claims"]
    c2 = claims.loc[claims["claim"] == "C2"]
    assert (c2["verdict"].isin(["not testable", "insufficient"])).all(), c2


def test_the_answer_groups_the_strata_and_names_the_density_design_apart():
    from graphprior.report.sections.answer import answer_sentence

    rows = [("n50-m100", 0.0, 0.0, 0.007, "negligible"), ("n50-m200", 0.0, 0.0, 0.002, "negligible"),
            ("n50-m100+n50-m200", 0.2, 0.13, 0.23, "matters")]  # fmt: skip
    variance = pd.DataFrame(
        [{"stratum": s, "arm": "a", "measure": "m", "primary": True, "component": "graph",
          "share": v, "ci_low": lo, "ci_high": hi, "decision": d} for s, v, lo, hi, d in rows]
    )  # fmt: skip
    reliability = pd.DataFrame(
        [{"stratum": s, "arm": "a", "measure": "m", "split": "components", "reliability": r,
          "ci_low": r - 0.1, "ci_high": r + 0.1} for s, r in (("n50-m100", 0.2),
                                                              ("n50-m200", 0.1),
                                                              ("n50-m100+n50-m200", 0.75))]
    )  # fmt: skip
    text = answer_sentence(variance, reliability, "m", "a")
    within, _, across = text.partition(" Across the strata of one size")
    assert "0.0 % in stratum `n50-m100` (95 % CI 0.0 % to 0.7 %)" in within
    assert "negligible in each" in within and "0.2 [0.1, 0.3], 0.1 [0, 0.2]" in within
    assert "20.0 % in `n50-m100+n50-m200` (95 % CI 13.0 % to 23.0 %): the graph matters" in across
    mixed = variance.assign(decision=["negligible", "undecided", "matters"])
    assert "in each" not in answer_sentence(mixed, reliability, "m", "a")


def test_a_figure_counts_lines_through_a_single_point():
    from graphprior.report.figures import BOX_GID, plot_curve, plt, single_point_lines

    fig, ax = plt.subplots()
    ax.plot([0.1], [0.5], marker="o")  # a line style on one point: counted
    ax.plot([0.1, 0.1], [0.5, 0.5])  # two copies of one point: counted
    ax.plot([0.1], [0.4], marker="o", ls="none")  # a point: not a line
    ax.plot([0.1, 0.2], [0.5, 0.6])  # a line
    ax.axhline(0)  # a reference line across the axes
    plot_curve(ax, [0.3], [0.2], color="k")  # drawn as a point
    assert single_point_lines(fig) == 2
    plt.close(fig)
    fig, ax = plt.subplots()
    boxes = ax.boxplot([[0.0, 0.0, 0.0, 0.5, 1.0]])  # its lower whisker is zero long
    assert single_point_lines(fig) >= 1
    for artist in (a for artists in boxes.values() for a in artists):
        artist.set_gid(BOX_GID)
    assert single_point_lines(fig) == 0  # a box plot's parts are not data lines
    plt.close(fig)


def test_no_report_figure_draws_a_single_point_as_a_line(planted):
    _, report, _ = planted
    figures = [b for s in report.sections for b in s.blocks if hasattr(b, "png")]
    assert len(figures) >= 5
    drawn = {f.name: f.single_point_lines for f in figures}
    assert all(n == 0 for n in drawn.values()), drawn
    assert "data-single-point-lines='0'" in to_html(report)
