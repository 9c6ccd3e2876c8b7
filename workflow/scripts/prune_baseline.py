"""Adapter for rule prune_baseline: the logic is graphprior.stages.prune_baseline.run."""

import sys
from pathlib import Path

# With --sdm conda the package is not installed: import it from the checkout.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821

from graphprior.stages import prune_baseline

if __name__ == "__main__":
    prune_baseline.run(snakemake)  # noqa: F821
