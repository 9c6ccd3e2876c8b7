"""Failed jobs: recorded with a reason under on_error: record, raised under on_error: raise."""

import json

import pandas as pd
import pytest

from graphprior.io.failures import (
    FAILURE_COLUMNS,
    RecordedFailures,
    end_of_run,
    failure_summary,
    finish_run,
    read_failures,
    retry_command,
    run_guarded,
    write_failures,
)


def boom():
    raise ValueError("corrupt graph file results/graphs/g.graphml: truncated")


def test_success_adds_no_record():
    records: list[dict] = []
    assert run_guarded("attack", "g", "record", "log", lambda: 3, lambda: 0, records) == 3
    assert records == []


def test_failure_is_recorded_with_its_reason(tmp_path):
    records: list[dict] = []
    out = run_guarded("attack", "g", "record", "x.log", boom, lambda: "empty", records)
    assert out == "empty"
    write_failures(tmp_path / "f.json", records)
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


def test_raise_mode_propagates_and_records_nothing():
    records: list[dict] = []
    with pytest.raises(ValueError, match="corrupt graph file"):
        run_guarded("attack", "g", "raise", "l", boom, lambda: 0, records)
    assert records == []


def test_no_records_give_an_empty_table():
    assert read_failures([]).equals(pd.DataFrame(columns=FAILURE_COLUMNS))


def _record(tmp_path, rule, group, message):
    path = tmp_path / "results" / "failures" / rule / f"{group}.json"
    write_failures(
        path,
        []
        if message is None
        else [
            {
                "rule": rule,
                "group": group,
                "error": "ValueError",
                "message": message,
                "log": f"results/logs/{rule}/{group}.log",
            }
        ],
    )
    return path


def test_end_of_run_names_each_failure_and_marks_it_for_a_rerun(tmp_path):
    """The console summary has rule, group, a one-line reason and the log; the failed
    job's record becomes older than any input (Snakemake's mtime trigger reruns it),
    a succeeded job's record is left alone."""
    failed = _record(
        tmp_path, "attack", "g1", "corrupt or truncated checkpoint m.safetensors\n  at x"
    )
    ok = _record(tmp_path, "attack", "g2", None)
    ok_mtime = ok.stat().st_mtime_ns
    lines = []
    found = end_of_run(tmp_path / "results", echo=lines.append)
    assert list(found) == [failed]
    text = "\n".join(lines)
    assert "attack g1: ValueError: corrupt or truncated checkpoint m.safetensors" in text
    assert "  at x" not in text  # one line per reason
    assert "log: results/logs/attack/g1.log" in text
    assert "g2" not in text
    assert failed.stat().st_mtime == 0
    assert ok.stat().st_mtime_ns == ok_mtime
    assert json.loads(failed.read_text())[0]["group"] == "g1"  # the record itself stays


def test_end_of_run_without_failures_says_so(tmp_path):
    _record(tmp_path, "train_sparse_nets", "g", None)
    lines = []
    assert end_of_run(tmp_path / "results", echo=lines.append) == {}
    assert lines == [failure_summary({}, root=tmp_path / "results")]
    # a run that stopped with an error does not claim that nothing failed
    stopped: list[str] = []
    end_of_run(tmp_path / "results", echo=stopped.append, stopped=True)
    assert "stopped before it finished" in stopped[0] and "no failed jobs" not in stopped[0]
    assert "no failed jobs recorded" in lines[0]


def test_a_finished_run_with_recorded_failures_fails_and_names_the_retry(tmp_path):
    """finish_run (Snakemake's onsuccess) raises after the summary, so the run exits
    non-zero; the summary ends with the command that retries the failed jobs."""
    _record(tmp_path, "attack", "g1", "boom")
    lines: list[str] = []
    with pytest.raises(RecordedFailures, match="1 job\\(s\\) failed"):
        finish_run(tmp_path / "results", echo=lines.append)
    assert lines[0].splitlines()[-1] == f"  {retry_command()}"
    _record(tmp_path, "attack", "g1", None)
    finish_run(tmp_path / "results", echo=lines.append)  # nothing recorded: no error
    assert retry_command(["/x/.venv/bin/snakemake", "-n", "--config", "a=b c"]) == (
        "snakemake -n --config 'a=b c'"
    )


def test_a_run_through_a_storage_provider_says_where_its_failure_records_are():
    from types import SimpleNamespace

    from graphprior.io.failures import in_storage_note

    storage = SimpleNamespace(default_storage_provider="fs", default_storage_prefix="/mnt/store")
    text = in_storage_note("results/smoke", storage)
    assert "/mnt/store/results/smoke/tables/failures.parquet" in text
    assert "--forcerun results/smoke/robustness/c0" in text
    printed: list[str] = []
    assert end_of_run("results/smoke", printed.append, storage=storage) == {}
    assert printed == [text]  # the note only: there are no local records to list or mark
    s3 = SimpleNamespace(default_storage_provider="s3", default_storage_prefix="s3://bucket/")
    assert "s3://bucket/results/smoke/tables/failures.parquet" in in_storage_note(
        "results/smoke", s3
    )
