"""Random graphs and the layered DAGs networks are built from (no PyTorch, even indirectly).

Modules: :mod:`~graphprior.graphs.generators` (the generator registry, parameter
checks, the paper's igraph-style Watts–Strogatz), :mod:`~graphprior.graphs.grid`
(graph specs, ids, the study's grid), :mod:`~graphprior.graphs.twins`
(degree-preserving twins), :mod:`~graphprior.graphs.graphml` (files and
``graphs`` rows), :mod:`~graphprior.graphs.dag` (graph → layered DAG),
:mod:`~graphprior.graphs.netspec` (architectures as plain data),
:mod:`~graphprior.graphs.paths` (the Brandes pass),
:mod:`~graphprior.graphs.properties` and :mod:`~graphprior.graphs.dag_properties`
(the property columns), :mod:`~graphprior.graphs.records` (a ``graph_properties``
row) and :mod:`~graphprior.graphs.selection` (which graphs a config studies).
"""

from graphprior.graphs.dag import MappingOptions, build_layered_dag
from graphprior.graphs.dag_properties import dag_properties
from graphprior.graphs.grid import GraphSpec, make_graph
from graphprior.graphs.netspec import NetSpec, spec_from_dag
from graphprior.graphs.properties import graph_properties

__all__ = [
    "GraphSpec",
    "make_graph",
    "graph_properties",
    "MappingOptions",
    "build_layered_dag",
    "dag_properties",
    "NetSpec",
    "spec_from_dag",
]
