"""Numbers only: the statistics, the study table and the claims of the report (no torch).

Modules, bottom to top:

* :mod:`~graphprior.analysis.stats` — statistics that know nothing about this
  study: nested variance components, split-half reliability, the maxT
  adjustment, stratum fixed effects by alignment;
* :mod:`~graphprior.analysis.common` — column checks, the status filter, generators;
* :mod:`~graphprior.analysis.study` — the wide ``study`` table;
* :mod:`~graphprior.analysis.aggregate` — per-graph aggregation, the 1.5×IQR rule;
* :mod:`~graphprior.analysis.correlation` — coefficients, p-values, BH q-values;
* :mod:`~graphprior.analysis.bootstrap` — cluster bootstrap intervals;
* :mod:`~graphprior.analysis.columns` — the properties and measures analysed;
* :mod:`~graphprior.analysis.correlation_table` — the ``correlations`` table;
* :mod:`~graphprior.analysis.permutation` — small-sample p-values of Friedman, Kruskal–Wallis, Kendall τ;
* :mod:`~graphprior.analysis.groups` — initialisations, baselines at matched density;
* :mod:`~graphprior.analysis.regression` — OLS with HC3 errors and VIFs;
* :mod:`~graphprior.analysis.verdicts` — verdict rules;
* :mod:`~graphprior.analysis.measurement` — the ``variance`` and
  ``reliability`` tables: how much of each measure the graph carries, and how
  reliably a graph's value is measured;
* :mod:`~graphprior.analysis.context` — the study context shared by the report's sections;
* :mod:`~graphprior.analysis.curves`, :mod:`~graphprior.analysis.related`,
  :mod:`~graphprior.analysis.summaries` — the numbers of single sections;
* :mod:`~graphprior.analysis.claims` — the claims table.

The package imports nothing of its modules, so ``graphprior.analysis.study``
stays cheap to import.
"""

__all__: list[str] = []
