"""What each column means: description and unit, from ``columns.yaml`` into Parquet field metadata.

``columns.yaml`` (next to this module, shipped with the package) is the one
source; ``docs/data-dictionary.md`` and ``docs/graph-properties.md`` show the same
text and a test compares them. :func:`describe` puts ``description`` and ``unit``
into every field's metadata, so a table explains itself to whoever opens it::

    pq.read_schema(path).field("test_accuracy").metadata[b"unit"]   # b"fraction"

The wide ``study`` table reuses the descriptions of the columns it copies
(models, graphs, graph properties) and describes each measure column by its
parts (``{measure}_{attack}_{norm}_{eps}``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import yaml

__all__ = [
    "COLUMNS_PATH",
    "columns",
    "column_info",
    "describe",
    "int_properties",
    "measure_of",
    "UNDOCUMENTED",
]

COLUMNS_PATH = Path(__file__).with_name("columns.yaml")

#: The description of a column that ``columns.yaml`` does not know (a test keeps it unused).
UNDOCUMENTED = "not in the data dictionary (docs/data-dictionary.md)"


@lru_cache(maxsize=1)
def columns() -> dict[str, dict[str, dict[str, str]]]:
    """Table -> column -> ``{"unit", "description"}`` (and ``"type"`` for properties)."""
    with open(COLUMNS_PATH) as f:
        return yaml.safe_load(f)


def int_properties() -> frozenset[str]:
    """Graph properties that are counts (type ``int``): stored as int64."""
    props = columns()["graph_properties"]
    return frozenset(name for name, info in props.items() if info.get("type") == "int")


def _study_info(column: str) -> tuple[str, str]:
    known = columns()
    for table in ("study", "models", "graphs", "graph_properties"):
        if column in known[table]:
            return known[table][column]["unit"], known[table][column]["description"]
    if column.startswith("graph_") and column[6:] in known["graph_properties"]:
        info = known["graph_properties"][column[6:]]
        return info["unit"], f"the graph's {column[6:]}: {info['description']}"
    measure = measure_of(column)
    if measure is not None:
        info = known["measures"][measure]
        rest = column[len(measure) + 1 :]
        return info["unit"], (
            f"{info['description']} (measure `{measure}`"
            f"{f', then attack, norm and ε `{rest}`' if rest else ''}; docs/measures.md)"
        )
    return (
        "see the measure (docs/measures.md)",
        f"scalar robustness measure `{column}`, named measure_attack_norm_eps "
        "(parts `none` and a null ε left out); one `robustness` row per model",
    )


def measure_of(column: str) -> str | None:
    """The robustness measure a `study` column is named after (the longest that fits), or None."""
    fits = [m for m in columns()["measures"] if column == m or column.startswith(f"{m}_")]
    return max(fits, key=len, default=None)


def column_info(table: str, column: str) -> tuple[str, str]:
    """``(unit, description)`` of one column of one table."""
    if table == "study":
        return _study_info(column)
    info = columns().get(table, {}).get(column)
    if info is None:
        return "—", UNDOCUMENTED
    return info["unit"], info["description"]


def describe(schema: pa.Schema, table: str) -> pa.Schema:
    """``schema`` with ``description`` and ``unit`` in every field's metadata."""
    fields = []
    for field in schema:
        unit, description = column_info(table, field.name)
        meta = {
            **(field.metadata or {}),
            b"description": description.encode(),
            b"unit": unit.encode(),
        }
        fields.append(field.with_metadata(meta))
    return pa.schema(fields, metadata=schema.metadata)
