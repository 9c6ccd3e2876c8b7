"""Rule compute_graph_properties: every property of one graph and of the DAG built from it."""

from __future__ import annotations

from typing import Any

import pandas as pd

from graphprior.graphs.graphml import read_graph
from graphprior.graphs.records import properties_record
from graphprior.io.tables import properties_schema, write_table
from graphprior.stages.job import guarded, start_job

__all__ = ["run"]


def run(smk: Any) -> None:
    """Write one row of `graph_properties` (only ``graph_id`` when the job failed)."""
    config = start_job(smk)
    graph_id = smk.wildcards.graph_id
    row = guarded(
        smk,
        graph_id,
        lambda: properties_record(read_graph(smk.input.graph), graph_id, config),
        lambda: {"graph_id": graph_id},
    )
    df = pd.DataFrame([row])
    write_table(df, smk.output.properties, properties_schema(df.columns), "graph_properties")
