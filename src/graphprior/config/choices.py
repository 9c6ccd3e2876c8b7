"""Named choices the config refers to and several layers share."""

import enum

__all__ = [
    "PAPER_INITS",
    "INITS",
    "STRATA_FAMILIES",
    "GRAPH_FAMILY",
    "BASELINE_FAMILIES",
    "POOLED",
    "Status",
    "Verdict",
]

#: The paper's six initialisations of the hidden weights (Ben Amor et al. 2021) ...
PAPER_INITS = (
    "xavier_normal",
    "xavier_uniform",
    "he_normal",
    "he_uniform",
    "normal_0.1",
    "uniform_0.1",
)
#: ... plus a fan-in-corrected He that uses each neuron's real fan-in.
INITS = (*PAPER_INITS, "he_fanin_corrected")

#: The size-matched families of ``graphs.strata.families``, in documentation order.
STRATA_FAMILIES = (
    "gnm",
    "random_regular",
    "watts_strogatz",
    "barabasi_albert",
    "holme_kim",
    "sbm",
    "random_geometric",
)

#: ``family`` of the models built from a graph.
GRAPH_FAMILY = "graph_prior"
#: ``family`` of the pruned dense baselines.
BASELINE_FAMILIES = ("fc_random_oneshot", "fc_random_iterative", "fc_magnitude")


#: The ``stratum`` of a row over every stratum (claims, correlations, audits).
POOLED = "pooled"


class Status(enum.StrEnum):
    """Outcome of training one model (the ``status`` column of the `models` table)."""

    OK = "ok"
    UNTRAINABLE = "untrainable"  # test accuracy within 5 points of chance
    DIVERGED = "diverged"  # NaN or infinite loss during training


class Verdict(enum.StrEnum):
    """The verdict of a claim row (docs/report.md, "Verdict rules")."""

    SUPPORTED = "supported"
    CONTRADICTED = "contradicted"
    #: the whole interval lies inside the pre-registered equivalence bounds
    NEGLIGIBLE = "negligible"
    INCONCLUSIVE = "inconclusive"
    #: the design fixes the variable (no estimate can exist), or a premise is not met
    NOT_TESTABLE = "not testable"
    #: the measure's per-graph reliability cannot reach ``report.min_reliability``
    UNRELIABLE = "unreliable"
    #: fewer independent graphs than a verdict needs
    INSUFFICIENT = "insufficient"
