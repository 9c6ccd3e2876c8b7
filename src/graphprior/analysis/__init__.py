"""Numbers only: the statistics, the study table and the claims of the report (no torch).

Subpackages and modules, bottom to top:

* :mod:`~graphprior.analysis.primitives` — column checks, the status filter, generators;
* :mod:`~graphprior.analysis.stats` — statistics that know nothing about this
  study: correlation, inference, bootstrap, permutation, regression, multiple
  testing, nested variance components, split-half reliability, the maxT
  adjustment, fixed effects by alignment;
* :mod:`~graphprior.analysis.study` — the wide ``study`` table, the measures
  and properties analysed, aggregation, arms, validity (gates);
* :mod:`~graphprior.analysis.correlation_table` — the ``correlations`` table;
* :mod:`~graphprior.analysis.groups` — initialisations, baselines at matched density;
* :mod:`~graphprior.analysis.measurement` — the ``variance`` and
  ``reliability`` tables: how much of each measure the graph carries, and how
  reliably a graph's value is measured;
* :mod:`~graphprior.analysis.study_context` — the study context shared by the report's sections;
* :mod:`~graphprior.analysis.curves`, :mod:`~graphprior.analysis.related_studies`,
  :mod:`~graphprior.analysis.summaries`, :mod:`~graphprior.analysis.twins`,
  :mod:`~graphprior.analysis.audit` — the numbers of single sections;
* :mod:`~graphprior.analysis.claims` — the claims: rows, verdicts, the table.

The package imports nothing of its modules; each subpackage imports its own
modules and re-exports their public names.
"""

from graphprior.analysis.stats.variance_components import (
    VarianceDecomposition,
    variance_components,
)

__all__ = [
    "variance_components",
    "VarianceDecomposition",
]
