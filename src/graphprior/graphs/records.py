"""The ``graph_properties`` rows of one graph: undirected and ``dag_*`` properties.

Joins :func:`graphprior.graphs.properties.graph_properties` (computed once per
graph) and :func:`graphprior.graphs.dag_properties.dag_properties` for the
layered DAG of every orientation seed the study trains
(:func:`graphprior.graphs.selection.orientation_seeds`): one row per
(graph, orientation seed). The DAG is built with the main arm's mapping
options (the ``mapping`` section): ``dag_n_params``, ``dag_io_path_mean`` and
``dag_io_path_longest`` depend on its ``input_wiring`` / ``readout`` and so
describe the main arm's network; every other ``dag_*`` property depends only
on the orientation and ``sinks_to_last_layer`` (docs/graph-properties.md).
Needs no PyTorch.
"""

from __future__ import annotations

import networkx as nx

from graphprior.config import StudyConfig, dataset_shape
from graphprior.graphs.dag import build_layered_dag
from graphprior.graphs.dag_properties import dag_properties
from graphprior.graphs.netspec import spec_from_dag, spec_param_count
from graphprior.graphs.properties import graph_properties
from graphprior.graphs.selection import mapping_options, orientation_seeds

__all__ = ["INTERFACE_DAG_PROPERTIES", "properties_records"]

#: ``dag_*`` properties that depend on the interface (``input_wiring``, ``readout``):
#: computed for the main arm only.
INTERFACE_DAG_PROPERTIES = ("dag_n_params", "dag_io_path_mean", "dag_io_path_longest")


def properties_records(graph: nx.Graph, graph_id: str, study: StudyConfig) -> list[dict]:
    """The `graph_properties` rows of one graph, one per orientation seed.

    The undirected properties are computed once and repeated in every row;
    the ``dag_`` ones come from the DAG of each orientation seed, built with
    the same options the network builder uses
    (:func:`graphprior.graphs.selection.mapping_options`), so they
    describe the network that is trained under that orientation.
    """
    input_shape, n_classes = dataset_shape(study.dataset)
    undirected = graph_properties(graph)
    rows = []
    for seed in orientation_seeds(study):
        layered = build_layered_dag(graph, mapping_options(study, graph_id, seed))
        n_params = spec_param_count(spec_from_dag(layered, input_shape, n_classes))
        row: dict = {"graph_id": graph_id, "orientation_seed": seed}
        row.update(undirected)
        row.update(dag_properties(layered, n_params))
        rows.append(row)
    return rows
