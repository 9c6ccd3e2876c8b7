"""The column dictionary: columns.yaml (in the Parquet field metadata) and the docs agree."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from graphprior.graphs.dag_properties import DAG_PROPERTY_COLUMNS
from graphprior.graphs.properties import GRAPH_PROPERTY_COLUMNS
from graphprior.io import tables as T
from graphprior.io.columns import UNDOCUMENTED, column_info, columns, describe, measure_of

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCHEMAS = {
    "graphs": T.GRAPHS_SCHEMA,
    "models": T.MODELS_TABLE_SCHEMA,
    "robustness": T.ROBUSTNESS_TABLE_SCHEMA,
    "failures": T.FAILURES_SCHEMA,
    "correlations": T.CORRELATIONS_SCHEMA,
    "claims": T.CLAIMS_SCHEMA,
    "attack_checks": T.ATTACK_CHECKS_SCHEMA,
    "variance": T.VARIANCE_SCHEMA,
    "reliability": T.RELIABILITY_SCHEMA,
    "graphs_summary": T.GRAPHS_SUMMARY_SCHEMA,
}


def doc_rows(path: Path, heading: str) -> dict[str, list[str]]:
    """Column -> the cells of its row, for the tables under headings matching ``heading``.

    A row naming several columns (`a`, `b`) gives each of them the same cells.
    """
    rows, inside = {}, False
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            inside = re.search(heading, line) is not None
        elif inside and line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            for name in re.findall(r"`([^`]+)`", cells[0]):
                rows[name] = cells
    return rows


@pytest.mark.parametrize("table", list(SCHEMAS))
def test_data_dictionary_matches_the_columns_file(table):
    documented = doc_rows(DOCS / "data-dictionary.md", rf"^## `{table}`")
    assert list(documented) == list(columns()[table]) == SCHEMAS[table].names
    for name, cells in documented.items():
        column, typ, unit, meaning = cells
        info = columns()[table][name]
        assert (unit, meaning) == (info["unit"], info["description"]), (table, name)
        arrow = str(SCHEMAS[table].field(name).type).split("<")[0]  # struct<...>: struct
        assert {"double": "float64"}.get(arrow, arrow) in typ.split("/"), (table, name, typ)


def test_graph_properties_doc_matches_the_columns_file():
    documented = doc_rows(DOCS / "graph-properties.md", r"\(`(graph|dag)_properties`\)")
    props = dict(columns()["graph_properties"])
    props.pop("graph_id")
    props.pop("orientation_seed")  # a key, documented in docs/data-dictionary.md
    assert set(documented) == set(props) == set(GRAPH_PROPERTY_COLUMNS) | set(DAG_PROPERTY_COLUMNS)
    for name, cells in documented.items():
        assert (cells[1], cells[2]) == (props[name]["type"], props[name]["description"]), name


def test_counts_are_int64_and_every_field_carries_its_description(tmp_path):
    schema = T.properties_schema(["graph_id", "n_nodes", "density", "dag_depth"])
    assert [str(f.type) for f in schema] == ["string", "int64", "double", "int64"]
    df = pd.DataFrame({"graph_id": ["g"], "n_nodes": [30.0], "density": [0.1], "dag_depth": [4]})
    T.write_table(df, tmp_path / "p.parquet", schema, "graph_properties")
    written = pq.read_schema(tmp_path / "p.parquet")
    assert written.field("n_nodes").metadata[b"unit"] == b"nodes"
    assert written.field("n_nodes").type == schema.field("n_nodes").type
    assert b"2m / (n(n" in written.field("density").metadata[b"description"]


def test_study_columns_borrow_their_source_descriptions():
    assert column_info("study", "test_accuracy") == column_info("models", "test_accuracy")
    assert column_info("study", "n_edges") == column_info("graph_properties", "n_edges")
    unit, description = column_info("study", "graph_density")
    assert unit == "fraction" and "density" in description
    # a measure column: its measure's own unit, its parts named
    unit, description = column_info("study", "robust_accuracy_pgd_linf_0p1")
    assert (
        unit == "fraction" and "`robust_accuracy`" in description and "pgd_linf_0p1" in description
    )
    assert column_info("study", "paper_robustness_fgsm_linf_0p1")[0] == "fraction"
    assert column_info("study", "min_perturbation_rmean_apgd_bisection_linf")[0].startswith("input")
    assert measure_of("nc2_equinorm_pgd_linf_0p1") == "nc2_equinorm"  # the longest name that fits
    assert "measures.md" in column_info("study", "unknown_measure_x")[0]
    assert column_info("models", "no_such_column")[1] == UNDOCUMENTED
    described = describe(T.ROBUSTNESS_SCHEMA, "robustness")
    assert all(f.metadata[b"description"] for f in described)


def test_study_own_columns_match_the_data_dictionary():
    documented = doc_rows(DOCS / "data-dictionary.md", r"^## `study`")
    assert list(documented) == list(columns()["study"])
    for name, cells in documented.items():
        assert (cells[2], cells[3]) == (columns()["study"][name]["unit"],
                                        columns()["study"][name]["description"])  # fmt: skip
    assert column_info("study", "stratum")[1].startswith("`{stratum}/{arm}`")


def test_every_measure_of_the_measures_page_has_a_unit():
    """Each measure docs/measures.md defines has its unit and meaning in columns.yaml."""
    names = set()
    for line in (DOCS / "measures.md").read_text().splitlines():
        if line.startswith("| `"):
            cell = line.strip("|").split(" | ")[0]
            names |= {n for n in re.findall(r"`([a-z0-9_]+)`", cell) if not n.startswith("_")}
    assert names and names <= set(columns()["measures"]), names - set(columns()["measures"])
