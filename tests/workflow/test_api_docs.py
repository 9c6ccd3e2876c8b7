"""docs/api.md runs as written: its Python blocks, in order, from a finished smoke run's folder."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _blocks() -> list[str]:
    text = (ROOT / "docs" / "api.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    # the page reads the default study's folder; the test has the smoke study's
    return [b.replace('results = "results/default"', 'results = "results/smoke"') for b in blocks]


@pytest.mark.slow
def test_every_example_of_the_api_page_runs(smoke_run):
    blocks = _blocks()
    assert len(blocks) >= 4
    namespace: dict = {}
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(smoke_run)
    try:
        with contextlib.redirect_stdout(out):
            for i, code in enumerate(blocks):
                exec(compile(code, f"docs/api.md block {i + 1}", "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(cwd)
    printed = out.getvalue()
    assert "clean accuracy" in printed and "AutoAttack robust accuracy" in printed
    assert namespace["spec"].graph_id in printed and "layers" in printed
    # the loaded model is the one the table describes: its accuracy as recorded
    row, model = namespace["row"], namespace["model"]
    assert abs(namespace["accuracy"] - row["test_accuracy"]) < 1e-6
    assert not model.training
