"""Adapter for rule compute_graph_properties: the logic is graphprior.stages.compute_graph_properties.run."""

import sys
from pathlib import Path

# With --sdm conda the package is not installed: import it from the checkout.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821

from graphprior.stages import compute_graph_properties

if __name__ == "__main__":
    compute_graph_properties.run(snakemake)  # noqa: F821
