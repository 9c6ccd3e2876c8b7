"""Adapter for rule generate_graphs: the logic is graphprior.stages.generate_graphs.run."""

from graphprior.stages import generate_graphs

if __name__ == "__main__":
    generate_graphs.run(snakemake)  # noqa: F821
