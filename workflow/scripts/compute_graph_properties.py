"""Adapter for rule compute_graph_properties: the logic is graphprior.stages.compute_graph_properties.run."""

from graphprior.stages import compute_graph_properties

if __name__ == "__main__":
    compute_graph_properties.run(snakemake)  # noqa: F821
