"""A study's generator parameters as a typed struct (the `graphs` table's ``params``).

Every graph records its generator's parameters as JSON (``params_json``); the
table also holds them as a struct with one field per parameter any generator of
the study has, so that DuckDB and polars read ``params.p`` as a column.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pandas as pd
import pyarrow as pa

from graphprior.io.tables import graphs_schema

__all__ = ["params_type", "params_values", "with_params", "graphs_table_schema"]


def with_params(graphs: pd.DataFrame) -> pd.DataFrame:
    """The `graphs` rows with their ``params`` struct, parsed from ``params_json``."""
    params = [json.loads(text) for text in graphs["params_json"]]
    out = graphs.copy()
    out["params"] = params_values(params, params_type(params))
    return out


def graphs_table_schema(graphs: pd.DataFrame) -> pa.Schema:
    """The `graphs` table's schema for these rows: their ``params`` struct typed."""
    return graphs_schema(params_type(graphs["params"]))


def params_type(records: Iterable[dict]) -> pa.StructType:
    """The struct of a study's generator parameters: every key any graph has, typed.

    Integers (every value an int) are int64, other numbers float64, lists of numbers
    lists of those, anything else a JSON string; a graph without a key has it null.

    >>> params_type([{"n": 30, "p": 0.1}, {"n": 30, "k": 4, "p": 0.3}, {"sizes": [10, 20]}])
    StructType(struct<n: int64, p: double, k: int64, sizes: list<item: int64>>)
    """
    values: dict[str, list] = {}
    for record in records:
        for key, value in record.items():
            values.setdefault(key, []).append(value)
    return pa.struct([pa.field(k, _param_type(v)) for k, v in values.items()])


def _param_type(values: list) -> pa.DataType:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, list) for v in present):
        return pa.list_(_number_type([x for v in present for x in v]) or pa.string())
    return _number_type(present) or pa.string()


def _number_type(values: list) -> pa.DataType | None:
    if not values or any(isinstance(v, bool) or not isinstance(v, int | float) for v in values):
        return None
    return pa.int64() if all(isinstance(v, int) for v in values) else pa.float64()


def params_values(records: Iterable[dict], struct: pa.StructType) -> list[dict]:
    """``records`` as values of ``struct``: a parameter typed as text holds its JSON."""
    text = {f.name for f in struct if pa.types.is_string(f.type)}
    return [
        {k: (json.dumps(v) if k in text and v is not None else v) for k, v in r.items()}
        for r in records
    ]
