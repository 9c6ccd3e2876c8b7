"""Statistics that know nothing about this study: variance components, reliability, maxT, alignment.

* :mod:`~graphprior.analysis.stats.variance_components` — nested variance
  components with cluster-bootstrap intervals and the share decision;
* :mod:`~graphprior.analysis.stats.reliability` — split-half reliability and
  the Spearman–Brown step-up;
* :mod:`~graphprior.analysis.stats.maxt` — the Westfall–Young maxT adjustment
  of a correlation grid;
* :mod:`~graphprior.analysis.stats.fixed_effects` — stratum (or size-class)
  fixed effects by aligning values within strata.
"""

from graphprior.analysis.stats.fixed_effects import (
    SAME_SIZE,
    align_within_strata,
    pooled_frame,
    size_classes,
)
from graphprior.analysis.stats.maxt import MaxT, maxt_correlations
from graphprior.analysis.stats.reliability import SplitHalf, spearman_brown, split_half_reliability
from graphprior.analysis.stats.variance_components import (
    COMPONENTS,
    ShareDecision,
    VarianceComponent,
    VarianceDecomposition,
    share_decision,
    variance_components,
)

__all__ = [
    "COMPONENTS",
    "SAME_SIZE",
    "align_within_strata",
    "pooled_frame",
    "size_classes",
    "MaxT",
    "ShareDecision",
    "SplitHalf",
    "VarianceComponent",
    "VarianceDecomposition",
    "maxt_correlations",
    "share_decision",
    "spearman_brown",
    "split_half_reliability",
    "variance_components",
]
