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
    recorded_failures,
    retry_command,
    retry_token,
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


def test_end_of_run_names_each_failure_and_changes_nothing_on_disk(tmp_path):
    """The console summary has rule, group, a one-line reason and the log; the records
    stay as they are (the retry goes through the jobs' params, see below)."""
    failed = _record(
        tmp_path, "attack", "g1", "corrupt or truncated checkpoint m.safetensors\n  at x"
    )
    ok = _record(tmp_path, "attack", "g2", None)
    absent = tmp_path / "results" / "failures" / "attack" / "g3.json"  # a job not run yet
    before = {p: p.stat().st_mtime_ns for p in (failed, ok)}
    lines = []
    found = end_of_run([failed, ok, absent], echo=lines.append)
    assert list(found) == [str(failed)]
    text = "\n".join(lines)
    assert "attack g1: ValueError: corrupt or truncated checkpoint m.safetensors" in text
    assert "  at x" not in text  # one line per reason
    assert "log: results/logs/attack/g1.log" in text
    assert "g2" not in text and "g3" not in text
    assert {p: p.stat().st_mtime_ns for p in (failed, ok)} == before
    assert json.loads(failed.read_text())["failures"][0]["group"] == "g1"  # the record itself stays


def test_an_unreadable_record_is_a_failure_of_its_job(tmp_path):
    bad = tmp_path / "failures" / "train_sparse_nets" / "c3.json"
    bad.parent.mkdir(parents=True)
    bad.write_text("[{not json")
    found = recorded_failures([bad])
    assert found[str(bad)][0]["group"] == "c3" and found[str(bad)][0]["error"] == "unreadable"
    assert retry_token(bad.read_text()) is not None  # and its job is retried


def test_records_are_read_through_the_reader_given():
    """A run whose files are in a storage provider passes a reader that fetches them."""
    stored = {"store/failures/attack/c0.json": json.dumps({"failures": [{"group": "g"}]})}
    found = recorded_failures(["store/failures/attack/c0.json", "store/x.json"], stored.get)
    assert list(found) == ["store/failures/attack/c0.json"]


def test_end_of_run_without_failures_says_so(tmp_path):
    record = _record(tmp_path, "train_sparse_nets", "g", None)
    root = tmp_path / "results"
    lines = []
    assert end_of_run([record], echo=lines.append, root=root) == {}
    assert lines == [failure_summary({}, root=root)]
    # a run that stopped with an error does not claim that nothing failed
    stopped: list[str] = []
    end_of_run([record], echo=stopped.append, stopped=True, root=root)
    assert "stopped before it finished" in stopped[0] and "no failed jobs" not in stopped[0]
    assert "no failed jobs recorded" in lines[0]


def test_a_finished_run_with_recorded_failures_fails_and_names_the_retry(tmp_path):
    """finish_run (Snakemake's onsuccess) raises after the summary, so the run exits
    non-zero; the summary ends with the command that retries the failed jobs."""
    record = _record(tmp_path, "attack", "g1", "boom")
    lines: list[str] = []
    with pytest.raises(RecordedFailures, match="1 job\\(s\\) failed"):
        finish_run([record], echo=lines.append)
    assert lines[0].splitlines()[-1] == f"  {retry_command()}"
    _record(tmp_path, "attack", "g1", None)
    finish_run([record], echo=lines.append)  # nothing recorded: no error
    assert retry_command(["/x/.venv/bin/snakemake", "-n", "--config", "a=b c"]) == (
        "snakemake -n --config 'a=b c'"
    )


def _ran(token, records):
    """The record a guarded job writes when it ran with params.retry ``token``."""
    return json.dumps({"failures": records, "retry": token})


def test_the_retry_token_reruns_a_failed_job_until_it_succeeds_and_then_never():
    """Snakemake reruns a job whose params differ from those it ran with: the token
    follows a job through fail, retry, fail again, succeed, and stays put after."""
    failure = [{"rule": "attack", "group": "g", "error": "ValueError"}]
    first = retry_token(None)  # not run yet: the params the first run stores
    assert first is None
    after_failure = retry_token(_ran(first, failure))
    assert after_failure is not None and after_failure != first  # retried
    again = retry_token(_ran(after_failure, failure))
    assert again not in (after_failure, first)  # failed once more: retried once more
    assert retry_token(_ran(again, [])) == again  # succeeded: the params it ran with
    assert retry_token(_ran(None, [])) is None  # never failed: never retried
    # a record written before the token (a plain list) still reads
    assert retry_token(json.dumps(failure)) is not None and retry_token("[]") is None


def test_records_keep_their_token_and_read_back_as_a_table(tmp_path):
    path = tmp_path / "failures" / "attack" / "c0.json"
    write_failures(path, [{"rule": "attack", "group": "g", "error": "E", "message": "m",
                           "log": "l"}], retry="ab12")  # fmt: skip
    assert json.loads(path.read_text())["retry"] == "ab12"
    assert list(read_failures([path])["group"]) == ["g"]
