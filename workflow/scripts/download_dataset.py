"""Adapter for rule download_dataset: the logic is graphprior.stages.download_dataset.run."""

import sys
from pathlib import Path

# With --sdm conda the package is not installed: import it from the checkout.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821

from graphprior.stages import download_dataset

if __name__ == "__main__":
    download_dataset.run(snakemake)  # noqa: F821
