"""Rule compute_graph_properties: every property of a graph, and of its DAG per orientation.

A job handles the graphs of its chunk (config ``graphs_per_job``) one after the other.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from graphprior.graphs.graphml import read_graph
from graphprior.graphs.records import properties_records
from graphprior.graphs.selection import orientation_seeds
from graphprior.io.tables import properties_schema, write_table
from graphprior.stages.job import graph_jobs, guarded, run_chunk, start_job

__all__ = ["run", "run_graph"]


def run(smk: Any) -> None:
    """Each graph of the job's chunk in turn: its row of `graph_properties`."""
    jobs = graph_jobs(smk, "compute_graph_properties", "graph_id", ("graph",), ("properties",))
    run_chunk(smk, jobs, run_graph)


def run_graph(smk: Any) -> None:
    """Write the `graph_properties` rows of one graph, one per orientation seed.

    A failed graph writes only the keys (``graph_id``, ``orientation_seed``) of its rows.
    """
    config = start_job(smk)
    graph_id = smk.wildcards.graph_id
    rows = guarded(
        smk,
        graph_id,
        lambda: properties_records(read_graph(smk.input.graph), graph_id, config),
        lambda: [{"graph_id": graph_id, "orientation_seed": s} for s in orientation_seeds(config)],
    )
    df = pd.DataFrame(rows)
    write_table(df, smk.output.properties, properties_schema(df.columns), "graph_properties")
