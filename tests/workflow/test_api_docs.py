"""docs/api.md and docs/queries.md run as written: their Python blocks, in order, from a
finished smoke run's folder."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


#: What the pages say of the default study, and the smoke study's value.
SMOKE = {
    'results = "results/default"': 'results = "results/smoke"',
    'arm = "fixed_interface"': 'arm = "sources_sinks"',
}


def _blocks(page: str = "api.md") -> list[str]:
    text = (ROOT / "docs" / page).read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    # the pages read the default study's folder; the test has the smoke study's
    for default, smoke in SMOKE.items():
        blocks = [b.replace(default, smoke) for b in blocks]
    return blocks


def _run(blocks: list[str], folder: Path, page: str) -> tuple[dict, str]:
    namespace: dict = {}
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out):
            for i, code in enumerate(blocks):
                exec(compile(code, f"docs/{page} block {i + 1}", "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(cwd)
    return namespace, out.getvalue()


@pytest.mark.slow
def test_the_three_questions_are_one_query_each_in_pandas_and_duckdb(smoke_run):
    ns, _ = _run(_blocks("queries.md"), smoke_run, "queries.md")
    # pandas and DuckDB give the same answers
    per_generator = ns["per_generator"]
    assert set(per_generator.index) == {"erdos_renyi_gnp", "watts_strogatz", "barabasi_albert"}
    sql = ns["per_generator_sql"].set_index("generator")
    assert np.allclose(per_generator["mean"], sql.loc[per_generator.index, "mean"])
    assert (per_generator["count"] == sql.loc[per_generator.index, "models"]).all()
    top, top_sql = ns["top"], ns["top_sql"]
    assert len(top) == 5 and top["robustness"].is_monotonic_decreasing
    assert list(top["graph_id"]) == list(top_sql["graph_id"])
    assert np.allclose(top["robustness"], top_sql["robustness"])
    # the graphs_summary table gives the same five graphs and means in one filter and sort
    summary = ns["top_summary"]
    assert set(summary["graph_id"]) == set(top["graph_id"])
    assert np.allclose(sorted(summary["mean"]), sorted(top["robustness"]))
    pairs, pairs_sql = ns["pairs"], ns["pairs_sql"].set_index("pair_id")
    assert len(pairs) == 3 and set(pairs.index) == set(pairs_sql.index)
    assert np.allclose(pairs["difference"], pairs_sql.loc[pairs.index, "difference"])


@pytest.mark.slow
def test_every_example_of_the_api_page_runs(smoke_run):
    blocks = _blocks()
    assert len(blocks) >= 4
    namespace, printed = _run(blocks, smoke_run, "api.md")
    assert "clean accuracy" in printed and "AutoAttack robust accuracy" in printed
    assert namespace["spec"].graph_id in printed and "layers" in printed
    # the loaded model is the one the table describes: its accuracy as recorded
    row, model = namespace["row"], namespace["model"]
    assert abs(namespace["accuracy"] - row["test_accuracy"]) < 1e-6
    assert not model.training
