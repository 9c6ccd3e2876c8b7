"""Adapter for rule train_sparse_nets: the logic is graphprior.stages.train_sparse_nets.run."""

import sys
from pathlib import Path

# With --sdm conda the package is not installed: import it from the checkout.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821

from graphprior.stages import train_sparse_nets

if __name__ == "__main__":
    train_sparse_nets.run(snakemake)  # noqa: F821
