"""Adapter for rule generate_graphs: draw one graph and write it as GraphML."""

import sys
from pathlib import Path

# With --sdm conda the package is not installed: import it from the checkout.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821


import logging

from graphprior.graphs.graphml import write_graph
from graphprior.graphs.grid import make_graph
from graphprior.io.logs import setup_job_logging


def main(smk) -> None:
    setup_job_logging(smk.log[0])
    spec = smk.params.spec
    graph = make_graph(spec)
    logging.info(
        "%s: %d nodes, %d edges", spec.graph_id, graph.number_of_nodes(), graph.number_of_edges()
    )
    write_graph(graph, spec, smk.output.graph)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
