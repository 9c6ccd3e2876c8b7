"""Adapter for rule aggregate_parquet: the logic is graphprior.stages.aggregate_parquet.run."""

from graphprior.stages import aggregate_parquet

if __name__ == "__main__":
    aggregate_parquet.run(snakemake)  # noqa: F821
