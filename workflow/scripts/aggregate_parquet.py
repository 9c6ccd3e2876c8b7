"""Adapter for rule aggregate_parquet: the logic is graphprior.stages.aggregate_parquet.run."""

import sys
from pathlib import Path

# With --sdm conda the package is not installed: import it from the checkout.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821

from graphprior.stages import aggregate_parquet

if __name__ == "__main__":
    aggregate_parquet.run(snakemake)  # noqa: F821
