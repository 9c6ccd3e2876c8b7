"""Adapter for rule generate_graphs: the logic is graphprior.stages.generate_graphs.run."""

import sys
from pathlib import Path

# With --sdm conda the package is not installed: import it from the checkout.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821

from graphprior.stages import generate_graphs

if __name__ == "__main__":
    generate_graphs.run(snakemake)  # noqa: F821
