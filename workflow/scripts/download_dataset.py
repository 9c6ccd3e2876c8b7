"""Adapter for rule download_dataset: the logic is graphprior.stages.download_dataset.run."""

from graphprior.stages import download_dataset

if __name__ == "__main__":
    download_dataset.run(snakemake)  # noqa: F821
