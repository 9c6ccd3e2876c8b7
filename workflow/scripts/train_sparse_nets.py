"""Adapter for rule train_sparse_nets: the logic is graphprior.stages.train_sparse_nets.run."""

from graphprior.stages import train_sparse_nets

if __name__ == "__main__":
    train_sparse_nets.run(snakemake)  # noqa: F821
