"""Rule compute_graph_properties: every property of a graph and of the DAG built from it.

A job handles the graphs of its chunk (config ``graphs_per_job``) one after the other.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from graphprior.graphs.graphml import read_graph
from graphprior.graphs.records import properties_record
from graphprior.io.tables import properties_schema, write_table
from graphprior.stages.job import graph_jobs, guarded, start_job

__all__ = ["run", "run_graph"]

OUTPUTS = ("properties", "failures")


def run(smk: Any) -> None:
    """Each graph of the job's chunk in turn: its row of `graph_properties`."""
    for job in graph_jobs(smk, "compute_graph_properties", "graph_id", ("graph",), OUTPUTS):
        run_graph(job)


def run_graph(smk: Any) -> None:
    """Write one row of `graph_properties` (only ``graph_id`` when the graph failed)."""
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
