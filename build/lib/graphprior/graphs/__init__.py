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

__all__: list[str] = []
