"""Failed jobs: recorded with a reason under on_error: record, raised under on_error: raise."""

import json

import pandas as pd
import pytest

from graphprior.io.failures import FAILURE_COLUMNS, read_failures, run_guarded


def boom():
    raise ValueError("corrupt graph file results/graphs/g.graphml: truncated")


def test_success_writes_an_empty_record(tmp_path):
    out = run_guarded("attack", "g", "record", tmp_path / "f.json", "log", lambda: 3, lambda: 0)
    assert out == 3
    assert json.loads((tmp_path / "f.json").read_text()) == []


def test_failure_is_recorded_with_its_reason(tmp_path):
    out = run_guarded("attack", "g", "record", tmp_path / "f.json", "x.log", boom, lambda: "empty")
    assert out == "empty"
    table = read_failures([tmp_path / "f.json"])
    assert list(table.columns) == FAILURE_COLUMNS
    row = table.iloc[0]
    assert (row["rule"], row["group"], row["error"], row["log"]) == (
        "attack",
        "g",
        "ValueError",
        "x.log",
    )
    assert "results/graphs/g.graphml" in row["message"]


def test_raise_mode_propagates_and_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="corrupt graph file"):
        run_guarded("attack", "g", "raise", tmp_path / "f.json", "l", boom, lambda: 0)
    assert not (tmp_path / "f.json").exists()


def test_no_records_give_an_empty_table():
    assert read_failures([]).equals(pd.DataFrame(columns=FAILURE_COLUMNS))
