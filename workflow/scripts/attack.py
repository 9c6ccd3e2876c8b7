"""Adapter for rule attack: the logic is graphprior.stages.attack.run."""

from graphprior.stages import attack

if __name__ == "__main__":
    attack.run(snakemake)  # noqa: F821
