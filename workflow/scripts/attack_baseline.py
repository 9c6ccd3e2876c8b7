"""Adapter for rule attack_baseline: the logic is graphprior.stages.attack_baseline.run."""

import sys
from pathlib import Path

# With --sdm conda the package is not installed: import it from the checkout.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821

from graphprior.stages import attack_baseline

if __name__ == "__main__":
    attack_baseline.run(snakemake)  # noqa: F821
