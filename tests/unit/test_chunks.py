"""Several graphs per job (config ``graphs_per_job``): the chunks, and per-graph outputs.

A chunk job runs its graphs one after the other in one process; every graph
keeps its own files in the chunk's folders and its own lines in the chunk's log,
and one failing graph costs only its own results (its record in the chunk's).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from graphprior.config import ConfigError, StudyConfig, config_slice, job_chunks
from graphprior.graphs.graphml import write_graph
from graphprior.graphs.grid import make_graph
from graphprior.graphs.selection import graph_specs, validate_study
from graphprior.io.tables import read_table
from graphprior.stages import (
    CONFIG_KEYS,
    STUDY_KEYS,
    compute_graph_properties,
    train_sparse_nets,
)
from graphprior.stages.job import chunk_files, graph_jobs

IDS = [f"g{i:02d}" for i in range(26)]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 25, 26, 100])
def test_every_id_is_in_exactly_one_chunk_of_at_most_size(size):
    chunks = job_chunks(IDS, size)
    assert [i for chunk in chunks for i in chunk] == IDS  # each once, order kept
    assert all(1 <= len(chunk) <= size for chunk in chunks)
    assert len(chunks) == -(-len(IDS) // size)  # as few jobs as the size allows
    lengths = [len(chunk) for chunk in chunks]
    assert max(lengths) - min(lengths) <= 1  # balanced: no short last job
    assert job_chunks(list(IDS), size) == chunks  # deterministic


def test_chunks_of_the_default_size_and_edge_cases():
    assert [len(c) for c in job_chunks(IDS, 8)] == [7, 7, 6, 6]
    assert job_chunks([], 8) == []
    assert job_chunks(["a"], 8) == [["a"]]
    with pytest.raises(ConfigError, match="graphs_per_job"):
        job_chunks(IDS, 0)
    with pytest.raises(ConfigError, match="duplicate"):
        job_chunks(["a", "a"], 2)


def test_chunk_files_name_each_graphs_file_in_its_chunks_folder():
    chunks = [["a", "b"], ["c"]]
    assert chunk_files(["t/c0", "t/c1"], chunks, "training") == [
        "t/c0/a.parquet",
        "t/c0/b.parquet",
        "t/c1/c.parquet",
    ]
    assert chunk_files(["m/c0", "m/c1"], chunks, "models") == ["m/c0/a", "m/c0/b", "m/c1/c"]
    with pytest.raises(ValueError, match="1 chunk folders for 2 chunks"):
        chunk_files(["t/c0"], chunks, "training")


def test_graphs_per_job_is_no_part_of_the_study():
    """Editing it changes no rule's params and no table's study hash."""
    assert "graphs_per_job" not in STUDY_KEYS
    assert all("graphs_per_job" not in keys for keys in CONFIG_KEYS.values())


# ---------------------------------------------------------------------------
# a chunked job, run the way the workflow runs it, with one graph broken

STUDY = {
    "dataset": "digits",
    "device": "cpu",
    "graphs": {
        "generators": [
            {"generator": "erdos_renyi_gnp", "params": {"n": [12], "p": [0.3]}, "seeds": [1, 2, 3]}
        ],
        "twins": False,
    },
    "training": {"inits": ["he_normal"], "seeds": [0], "epochs": 1, "batch_size": 256},
}


def _chunk(tmp_path: Path, rule: str, outputs: tuple[str, ...], broken: int):
    """A fake ``snakemake`` object of chunk 0 (three graphs, graph ``broken`` damaged)."""
    config = validate_study(STUDY)
    specs = graph_specs(config)
    ids = [s.graph_id for s in specs]
    results = tmp_path / "results"
    for i, spec in enumerate(specs):
        path = results / "graphs" / "c0" / f"{spec.graph_id}.graphml"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_graph(make_graph(spec), spec, path)
        if i == broken:
            path.write_text("<graphml><not closed")
    folders = {name: str(results / name / "c0") for name in outputs}
    smk = SimpleNamespace(
        rule=rule,
        wildcards=SimpleNamespace(chunk="0"),
        input=SimpleNamespace(graph=str(results / "graphs" / "c0"), data=[]),
        output=SimpleNamespace(**folders, failures=str(results / "failures" / rule / "c0.json")),
        log=[str(results / "logs" / rule / "c0.log")],
        params=SimpleNamespace(ids=ids, config=config_slice(config, CONFIG_KEYS[rule])),
        config={**config.to_dict(), "on_error": "record"},
        threads=1,
    )
    return smk, ids


def _records(smk) -> list[dict]:
    return json.loads(Path(smk.output.failures).read_text())["failures"]


def test_one_failing_graph_of_a_chunk_is_recorded_alone(tmp_path):
    smk, ids = _chunk(tmp_path, "compute_graph_properties", ("properties",), broken=1)
    compute_graph_properties.run(smk)
    records = _records(smk)
    assert len(records) == 1
    assert records[0]["rule"] == "compute_graph_properties"
    assert records[0]["group"] == ids[1]
    assert records[0]["log"] == smk.log[0]
    paths = chunk_files([smk.output.properties], [ids], "properties")
    for i, path in enumerate(paths):
        row = read_table(path)
        assert set(row["graph_id"]) == {ids[i]}  # one row per orientation seed
    assert read_table(paths[0]).shape[1] > 2  # the good ones are complete
    # a failed graph keeps only its keys
    assert list(read_table(paths[1]).columns) == ["graph_id", "orientation_seed"]
    log = Path(smk.log[0]).read_text()
    sections = log.split("compute_graph_properties chunk=0 graph_id=")[1:]
    assert [s.split()[0] for s in sections] == ids  # each graph's lines follow its own line
    assert "failed" in sections[1] and "failed" not in sections[0] + sections[2]


def test_a_training_chunk_writes_every_graph_and_records_the_broken_one(tmp_path):
    smk, ids = _chunk(tmp_path, "train_sparse_nets", ("training", "models"), broken=0)
    train_sparse_nets.run(smk)
    records = _records(smk)
    assert [r["group"] for r in records] == [ids[0]]
    assert records[0]["rule"] == "train_sparse_nets"
    training = chunk_files([smk.output.training], [ids], "training")
    models = chunk_files([smk.output.models], [ids], "models")
    assert read_table(training[0]).empty
    assert Path(models[0]).is_dir()  # the output exists, empty
    results = tmp_path / "results"
    for i in (1, 2):
        rows = read_table(training[i])
        assert set(rows["graph_id"]) == {ids[i]} and len(rows) >= 1
        for checkpoint in rows["checkpoint"]:
            # relative to the study's folder, inside the chunk's models folder
            assert checkpoint.startswith(f"models/c0/{ids[i]}/")
            assert (results / checkpoint).is_file()
    assert "epoch" in Path(smk.log[0]).read_text()  # the progress bars


def test_graph_jobs_refuses_a_list_where_a_chunk_folder_belongs():
    smk = SimpleNamespace(
        rule="attack",
        wildcards=SimpleNamespace(chunk="0"),
        input=SimpleNamespace(training="t/c0", models="m/c0"),
        output=SimpleNamespace(robustness=["a.parquet", "b.parquet"]),
        log=["a.log"],
        params=SimpleNamespace(ids=["a"], config={}),
        config={},
        threads=1,
    )
    with pytest.raises(ValueError, match="output.robustness is not one chunk folder"):
        graph_jobs(smk, "attack", "group", ("training", "models"), ("robustness",))


# ---------------------------------------------------------------------------
# imports: a job loads only what it uses

HEAVY = ("art", "matplotlib", "statsmodels")


@pytest.mark.parametrize(
    "module",
    [
        "graphprior.stages.compute_graph_properties",
        "graphprior.stages.train_sparse_nets",
        "graphprior.stages.attack",
    ],
)
def test_per_graph_stages_do_not_import_art_matplotlib_or_statsmodels(module):
    """ART (2.5 s), matplotlib and statsmodels cost start-up time these jobs do not need;
    the attack stage imports ART only inside the ART-backed measures."""
    code = f"import sys, {module}; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "[]", res.stdout


# ---------------------------------------------------------------------------
# a baseline group's attack: one job per pruning step or density level


def _baseline_config(densities, family_steps=30, n_densities=3):
    return StudyConfig.from_dict(
        {
            "baseline": {
                "densities": densities,
                "n_densities": n_densities,
                "iterative": {"prune_fraction": 0.2, "max_steps": family_steps},
            }
        }
    )


def test_baseline_parts_are_the_pruning_steps_planned_from_the_config():
    from graphprior.config import baseline_parts, parse_baseline_part

    it, mag = "baseline-fc_random_iterative-s", "baseline-fc_magnitude-s"
    # 0.8^20 = 0.0115: the dense net and 20 steps, as the paper preset prunes
    assert len(baseline_parts(_baseline_config([0.0115], family_steps=20), it)) == 21
    assert len(baseline_parts(_baseline_config([0.31, 1.0]), it)) == 7  # 0.8^6 = 0.26
    # auto densities are known only after the graph nets trained: every step allowed
    assert len(baseline_parts(_baseline_config("auto", family_steps=4), it)) == 5
    assert baseline_parts(_baseline_config([0.5, 0.2, 0.5]), mag) == [
        f"{mag}--level0",
        f"{mag}--level1",
    ]
    assert len(baseline_parts(_baseline_config("auto", n_densities=4), mag)) == 4
    assert parse_baseline_part(f"{it}--step12") == (it, "step", 12)
    for bad in (f"{it}--stepx", "g01--step1", it):
        with pytest.raises(ValueError):
            parse_baseline_part(bad)


def test_a_baseline_part_gets_the_full_suite_only_where_a_graph_net_is_paired():
    import pandas as pd

    from graphprior.stages.attack_baseline import part_models, part_suite

    steps = pd.DataFrame(
        {
            "model_id": [f"m{s}-{i}" for s in range(4) for i in range(2)],
            "prune_step": [s for s in range(4) for _ in range(2)],
            "matched_density": [0.8**s for s in range(4) for _ in range(2)],
        }
    )
    assert part_models(steps, "step", 2)["model_id"].tolist() == ["m2-0", "m2-1"]
    assert part_models(steps, "step", 7).empty  # planned, never reached
    # one graph net at 0.66 (nearest step 2, 0.64) and one graph whose models average 0.9
    graphs = [
        pd.DataFrame({"group": ["a"], "matched_density": [0.66]}),
        pd.DataFrame({"group": ["b", "b"], "matched_density": [0.85, 0.95]}),
    ]
    suites = [part_suite(steps, "step", s, graphs) for s in range(4)]
    # 0.95 pairs with the dense net, 0.85 and b's mean 0.9 with step 1 (0.8)
    assert suites == ["full", "full", "full", "paper"]
    assert part_suite(steps, "step", 3, []) == "full"  # nothing to pair with
    nan = [pd.DataFrame({"group": ["a"], "matched_density": [float("nan")]})]
    assert part_suite(steps, "step", 3, nan) == "full"
