"""Adapter for rule attack_baseline: the logic is graphprior.stages.attack_baseline.run."""

from graphprior.stages import attack_baseline

if __name__ == "__main__":
    attack_baseline.run(snakemake)  # noqa: F821
