"""The paper preset: graph selection as the published code did it, a full plan
without the data, and the scaled-down preset end to end (docs/reproduction.md)."""

import copy
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from graphprior.graphs import selection as S

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PAPER = ROOT / "config" / "paper.yaml"
MINI = ROOT / "config" / "paper-mini.yaml"


def offline_env(resources: Path) -> dict:
    """An environment with an empty data folder and every proxy pointing nowhere,
    so any download attempt fails at once instead of fetching."""
    env = dict(os.environ)
    env["GRAPHPRIOR_RESOURCES"] = str(resources)
    dead = "http://127.0.0.1:9"
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[key] = dead
    env.pop("no_proxy", None)
    env.pop("NO_PROXY", None)
    return env


def job_counts(stdout: str) -> dict[str, int]:
    """Rule → job count from the 'Job stats' table of a Snakemake run."""
    # the first table only (a dry run may print the stats twice)
    table = stdout.split("Job stats:", 1)[1].split("total", 1)[0]
    counts: dict[str, int] = {}
    for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.M):
        counts[m[1]] = int(m[2])
    return counts


# ---------------------------------------------------------------------------
# graph selection (graphs.filter)


def small_config(**filt) -> dict:
    raw = {
        "dataset": "digits",
        "graphs": {
            "generators": [
                {
                    "generator": "paper_watts_strogatz",
                    "params": {"n": [40, 60], "k": [2, 4], "p": [0.5, 0.9]},
                    "seeds": [1, 2],
                }
            ],
            "twins": False,
            "filter": filt,
        },
        "mapping": {
            "orientation": "index_descending",
            "sinks_to_last_layer": True,
            "input_wiring": "sources",
            "readout": "last_layer",
        },
    }
    return S.validate_study(raw)


def test_paper_count_is_the_allocated_dense_blocks():
    """Widths w: 64·w0 + w0, then w_l·Σ_{j<l} w_j + w_l per layer, then 10·w_last + 10."""
    from graphprior.graphs.dag import build_layered_dag
    from graphprior.graphs.grid import make_graph

    cfg = small_config(param_count="paper")
    eff = small_config(param_count="effective")
    for spec in S.graph_specs(cfg):
        w = build_layered_dag(make_graph(spec), S.mapping_options(cfg, spec.graph_id)).widths
        expected = 64 * w[0] + w[0] + 10 * w[-1] + 10
        expected += sum(w[i] * sum(w[:i]) + w[i] for i in range(1, len(w)))
        assert S.param_count(cfg, spec) == expected
        assert S.param_count(eff, spec) <= expected


def test_passes_take_seed_by_seed_in_grid_order():
    """The paper's loop: every grid point of pass 1 before any of pass 2, stop at the cap."""
    cfg = small_config(max_graphs=10, selection="passes")  # 8 grid points per pass
    ids = [s.graph_id for s in S.graph_specs(cfg)]
    assert len(ids) == 10
    assert sum(i.endswith("-s1") for i in ids) == 8
    assert {i for i in ids if i.endswith("-s2")} == {"pws-n40-k2-p0.5-s2", "pws-n40-k2-p0.9-s2"}
    assert ids == [s.graph_id for s in S.graph_specs(small_config()) if s.graph_id in ids]
    report = S.filter_report(cfg)
    assert report["n_kept"] == 10 and report["n_not_evaluated"] == 16 - 10


def test_passes_skip_graphs_outside_the_range_and_report_them():
    cfg = small_config(min_params=2000, max_params=3000, param_count="paper", max_graphs=3,
                       selection="passes")  # fmt: skip
    kept = S.graph_specs(cfg)
    assert all(2000 <= S.param_count(cfg, s) <= 3000 for s in kept)
    rep = S.filter_report(cfg)
    assert rep["n_kept"] == len(kept) <= 3
    assert rep["n_below_min"] + rep["n_above_max"] == rep["n_dropped_params"]
    total = rep["n_kept"] + rep["n_dropped_params"] + rep["n_dropped_max_graphs"]
    assert total + rep["n_not_evaluated"] == rep["n_candidates"] == 16


def test_random_selection_is_seeded_sorted_and_within_the_range():
    cfg = small_config(min_params=1000, param_count="paper", max_graphs=4, selection="random")
    first = [s.graph_id for s in S.graph_specs(cfg)]
    S._param_count.cache_clear()
    assert [s.graph_id for s in S.graph_specs(copy.deepcopy(cfg))] == first
    order = [s.graph_id for s in S.graph_specs(small_config())]
    assert first == sorted(first, key=order.index) and len(first) == 4
    rep = S.filter_report(cfg)
    assert rep["n_dropped_max_graphs"] == rep["n_candidates"] - rep["n_dropped_params"] - 4


def test_without_a_cap_or_range_nothing_is_dropped():
    rep = S.filter_report(small_config())
    assert rep["n_kept"] == rep["n_candidates"] == 16
    assert rep["kept_params_min"] is None


def test_twins_follow_their_parent_under_a_cap():
    cfg = small_config(max_graphs=3, selection="passes")
    cfg = replace(cfg, graphs=replace(cfg.graphs, twins=True))
    kept = S.graph_specs(cfg)
    originals = [s for s in kept if s.variant == "original"]
    assert len(originals) == 3
    assert {s.parent_id for s in kept if s.variant == "twin"} == {s.graph_id for s in originals}


# ---------------------------------------------------------------------------
# config/paper.yaml


def test_paper_preset_selects_100_nets_as_published():
    cfg = S.load_study(PAPER)
    assert cfg.dataset == "mnist"
    rep = S.filter_report(cfg)
    assert rep["n_kept"] == 100
    assert 50_000 <= rep["kept_params_min"] <= rep["kept_params_max"] < 91_000
    assert rep["param_count"] == "paper" and rep["selection"] == "passes"
    m = cfg.mapping
    assert (m.orientation, m.sinks_to_last_layer, m.input_wiring, m.readout) == (
        "index_descending",
        True,
        "sources",
        "last_layer",
    )
    t = cfg.training
    assert (t.optimizer, t.lr, t.batch_size, t.epochs, t.select) == (
        "adam",
        0.001,
        128,
        30,
        "test",
    )
    assert len(t.inits) == 6 and "he_fanin_corrected" not in t.inits


@pytest.mark.slow
def test_paper_preset_plans_the_full_dag_without_data(tmp_path):
    """Planning needs no dataset: an empty data folder and no network suffice."""
    resources = tmp_path / "resources"
    resources.mkdir()
    workdir = tmp_path / "work"
    workdir.mkdir()
    res = subprocess.run(
        [
            str(BIN / "snakemake"),
            "-n",
            "--snakefile",
            str(ROOT / "workflow" / "Snakefile"),
            "--directory",
            str(workdir),
            "--configfile",
            str(PAPER),
            "--cores",
            "2",
            "--quiet",
            "rules",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=offline_env(resources),
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    counts = job_counts(res.stdout)
    assert counts["prune_baseline"] == 2  # the paper's two dense shapes, iterative pruning
    # graphs_per_job graphs per generation, property, training and attack job; every
    # pruning step of a baseline group an attack job of its own: 2 groups x (20 steps
    # and the dense net)
    size = S.load_study(PAPER).graphs_per_job
    graph_jobs = -(-100 // size)
    assert counts["generate_graphs"] == graph_jobs
    assert counts["compute_graph_properties"] == counts["train_sparse_nets"] == graph_jobs
    assert counts["attack"] == graph_jobs
    assert counts["attack_baseline"] == 2 * 21
    assert counts["aggregate_parquet"] == counts["correlation_report"] == 1
    assert list(resources.iterdir()) == [], "planning touched the data folder"


# ---------------------------------------------------------------------------
# config/paper-mini.yaml, end to end


@pytest.mark.slow
def test_paper_mini_runs_end_to_end(tmp_path):
    res = subprocess.run(
        [
            str(BIN / "snakemake"),
            "--snakefile",
            str(ROOT / "workflow" / "Snakefile"),
            "--directory",
            str(tmp_path),
            "--configfile",
            str(MINI),
            "--cores",
            "2",
            "--quiet",
            "rules",
        ],
        capture_output=True,
        text=True,
        timeout=1200,
        env=offline_env(tmp_path / "resources"),
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    tables = tmp_path / "results" / "paper-mini" / "tables"
    for name in ("graphs", "graph_properties", "models", "robustness", "study", "correlations"):
        assert (tables / f"{name}.parquet").is_file(), name

    cfg = S.load_study(MINI)
    kept = {s.graph_id for s in S.graph_specs(cfg)}
    models = pd.read_parquet(tables / "models.parquet")
    graph_nets = models[models["model_family"] == "graph_prior"]
    assert (
        set(graph_nets["graph_id"]) == kept and len(kept) == cfg.graphs.filter.max_graphs
    )
    assert len(graph_nets) == len(kept) * 6
    assert (graph_nets["orientation"] == "index_descending").all()
    assert (graph_nets["readout"] == "last_layer").all()
    assert graph_nets["sinks_to_last_layer"].astype(bool).all()
    assert (graph_nets["input_wiring"] == "sources").all()
    assert set(models["model_family"]) == {"graph_prior", "fc_random_iterative"}
    baseline = models[models["model_family"] == "fc_random_iterative"]
    assert set(baseline["prune_step"].dropna().astype(int)) == {0, 1, 2, 3}

    rob = pd.read_parquet(tables / "robustness.parquet")
    paper = rob[rob["measure"] == "paper_robustness"]
    assert set(paper["model_id"]) == set(models["model_id"])
    assert (paper["eps"] == 0.1).all()
    # a model at chance may classify no attacked input correctly: no value (n = 0)
    scored = paper["n"] > 0
    assert scored.mean() > 0.9 and paper.loc[scored, "value"].between(0, 1).all()
    assert paper.loc[~scored, "value"].isna().all()
    assert not rob[rob["attack"] == "fgsm_linesearch"].empty
    assert not rob[rob["measure"] == "onepixel_success_rate"].empty

    markdown = (tmp_path / "results" / "paper-mini" / "report" / "report.md").read_text()
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    first = next(h for h in headings if "contents" not in h.lower())
    assert "answer" in first.lower(), headings[:3]
    # the preset pre-registers the paper's measure: the first sentence names it
    assert (
        "**The answer.** Of the variance of the primary robustness measure "
        "`paper_robustness_fgsm_linf_0p1`" in markdown
    ), markdown[:2000]
