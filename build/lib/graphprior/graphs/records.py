"""The ``graph_properties`` table row of one graph: undirected and ``dag_*`` properties.

Joins :func:`graphprior.graphs.properties.graph_properties` and
:func:`graphprior.graphs.dag_properties.dag_properties` for the layered DAG the
network of the graph is built on, with the mapping options of the study.
Needs no PyTorch.
"""

from __future__ import annotations

import networkx as nx

from graphprior.config import dataset_shape
from graphprior.graphs.dag import build_layered_dag
from graphprior.graphs.dag_properties import dag_properties
from graphprior.graphs.netspec import spec_from_dag, spec_param_count
from graphprior.graphs.properties import graph_properties
from graphprior.graphs.selection import mapping_options

__all__ = ["properties_record"]


def properties_record(graph: nx.Graph, graph_id: str, config: dict) -> dict[str, float | int]:
    """One `graph_properties` row: undirected properties plus the ``dag_`` ones.

    The DAG is built with the same mapping options (and orientation seed) the
    network builder uses, so ``dag_*`` describe the network that is trained.
    """
    input_shape, n_classes = dataset_shape(config["dataset"])
    layered = build_layered_dag(graph, mapping_options(config, graph_id))
    n_params = spec_param_count(spec_from_dag(layered, input_shape, n_classes))
    row: dict[str, float | int] = {"graph_id": graph_id}  # type: ignore[dict-item]
    row.update(graph_properties(graph))
    row.update(dag_properties(layered, n_params))
    return row
