"""Adapter for rule prune_baseline: the logic is graphprior.stages.prune_baseline.run."""

from graphprior.stages import prune_baseline

if __name__ == "__main__":
    prune_baseline.run(snakemake)  # noqa: F821
