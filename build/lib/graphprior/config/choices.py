"""Named choices the config refers to and several layers share."""

__all__ = ["PAPER_INITS", "INITS", "GRAPH_FAMILY", "BASELINE_FAMILIES"]

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

#: ``family`` of the models built from a graph.
GRAPH_FAMILY = "graph_prior"
#: ``family`` of the pruned dense baselines.
BASELINE_FAMILIES = ("fc_random_oneshot", "fc_random_iterative", "fc_magnitude")
