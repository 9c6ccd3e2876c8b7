"""Statistics that know nothing about this study; each module's public names re-exported.

* :mod:`~graphprior.analysis.stats.correlation` — coefficients (Spearman,
  Kendall τ-b, Pearson, partial Spearman) and their p-values;
* :mod:`~graphprior.analysis.stats.inference` — one correlation's test with
  clusters: asymptotic or permutation p, bootstrap interval;
* :mod:`~graphprior.analysis.stats.bootstrap` — cluster bootstrap intervals;
* :mod:`~graphprior.analysis.stats.permutation` — small-sample p-values of
  Friedman, Kruskal–Wallis and Kendall τ;
* :mod:`~graphprior.analysis.stats.regression` — OLS with HC3 errors and VIFs;
* :mod:`~graphprior.analysis.stats.multiple_testing` — Benjamini–Hochberg and Holm;
* :mod:`~graphprior.analysis.stats.variance_components` — nested variance
  components with cluster-bootstrap intervals and the share decision;
* :mod:`~graphprior.analysis.stats.reliability` — split-half reliability and
  the Spearman–Brown step-up;
* :mod:`~graphprior.analysis.stats.maxt` — the Westfall–Young maxT adjustment
  of a correlation grid;
* :mod:`~graphprior.analysis.stats.fixed_effects` — stratum (or size-class)
  fixed effects by aligning values within strata;
* :mod:`~graphprior.analysis.stats.proportions` — the Wilson interval of a share.

The layer contract (pyproject.toml) keeps this package from importing the
study, the claims or anything outside ``graphprior.analysis.primitives``.
"""

from graphprior.analysis.stats.bootstrap import (
    PairedSummary,
    bootstrap_ci_arrays,
    cluster_bootstrap_ci,
    paired_summary,
    resample_statistics,
)
from graphprior.analysis.stats.correlation import (
    DEGENERATE_RTOL,
    CorrelationMethod,
    correlate,
    partial_spearman,
    residualise,
)
from graphprior.analysis.stats.fixed_effects import (
    SAME_SIZE,
    align_within_strata,
    pooled_frame,
    size_classes,
)
from graphprior.analysis.stats.inference import (
    INSUFFICIENT_BELOW,
    PERMUTATION_BELOW,
    CorrelationTest,
    cluster_ids,
    correlation_test,
    partial_residuals,
)
from graphprior.analysis.stats.maxt import (
    MaxT,
    maxt_correlations,
)
from graphprior.analysis.stats.multiple_testing import (
    adjusted_pvalues,
    bh_qvalues,
    holm_qvalues,
)
from graphprior.analysis.stats.permutation import (
    cluster_permutations,
    friedman_permutation_p,
    kendall_permutation_p,
    kruskal_permutation_p,
    monte_carlo_p,
)
from graphprior.analysis.stats.proportions import wilson_interval
from graphprior.analysis.stats.regression import (
    ols_hc3,
)
from graphprior.analysis.stats.reliability import (
    SplitHalf,
    spearman_brown,
    split_half_reliability,
)
from graphprior.analysis.stats.variance_components import (
    COMPONENTS,
    ShareDecision,
    VarianceComponent,
    VarianceDecomposition,
    share_decision,
    variance_components,
)

__all__ = [
    "CorrelationMethod",
    "DEGENERATE_RTOL",
    "correlate",
    "partial_spearman",
    "residualise",
    "PERMUTATION_BELOW",
    "INSUFFICIENT_BELOW",
    "CorrelationTest",
    "cluster_ids",
    "correlation_test",
    "partial_residuals",
    "PairedSummary",
    "cluster_bootstrap_ci",
    "bootstrap_ci_arrays",
    "paired_summary",
    "resample_statistics",
    "friedman_permutation_p",
    "kruskal_permutation_p",
    "kendall_permutation_p",
    "cluster_permutations",
    "monte_carlo_p",
    "ols_hc3",
    "adjusted_pvalues",
    "bh_qvalues",
    "holm_qvalues",
    "COMPONENTS",
    "ShareDecision",
    "VarianceComponent",
    "VarianceDecomposition",
    "share_decision",
    "variance_components",
    "SplitHalf",
    "spearman_brown",
    "split_half_reliability",
    "MaxT",
    "maxt_correlations",
    "SAME_SIZE",
    "align_within_strata",
    "size_classes",
    "wilson_interval",
    "pooled_frame",
]
