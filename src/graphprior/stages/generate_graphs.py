"""Rule generate_graphs: draw each graph of a chunk from its spec and write it as GraphML."""

from __future__ import annotations

import logging
from typing import Any

from graphprior.graphs.graphml import write_graph
from graphprior.graphs.grid import make_graph
from graphprior.stages.job import graph_jobs, start_job

__all__ = ["run", "run_graph"]

log = logging.getLogger(__name__)


def run(smk: Any) -> None:
    """Each graph of the job's chunk in turn (``params.specs``, aligned with ``params.ids``)."""
    jobs = graph_jobs(smk, "generate_graphs", "graph_id", (), ("graph",))
    for job, spec in zip(jobs, smk.params.specs, strict=True):
        run_graph(job, spec)


def run_graph(smk: Any, spec) -> None:
    """Draw ``spec`` (a :class:`~graphprior.graphs.grid.GraphSpec`); write it."""
    start_job(smk)
    graph = make_graph(spec)
    log.info(
        "%s: %d nodes, %d edges", spec.graph_id, graph.number_of_nodes(), graph.number_of_edges()
    )
    write_graph(graph, spec, smk.output.graph)
