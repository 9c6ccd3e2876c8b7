"""Rule generate_graphs: draw one graph from its spec and write it as GraphML."""

from __future__ import annotations

import logging
from typing import Any

from graphprior.graphs.graphml import write_graph
from graphprior.graphs.grid import make_graph
from graphprior.stages.job import start_job

__all__ = ["run"]

log = logging.getLogger(__name__)


def run(smk: Any) -> None:
    """Draw ``params.spec`` (a :class:`~graphprior.graphs.grid.GraphSpec`); write it."""
    start_job(smk)
    spec = smk.params.spec
    graph = make_graph(spec)
    log.info(
        "%s: %d nodes, %d edges", spec.graph_id, graph.number_of_nodes(), graph.number_of_edges()
    )
    write_graph(graph, spec, smk.output.graph)
