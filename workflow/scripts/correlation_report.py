"""Adapter for rule correlation_report: the logic is graphprior.stages.correlation_report.run."""

import sys
from pathlib import Path

# With --sdm conda the package is not installed: import it from the checkout.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821

from graphprior.stages import correlation_report

if __name__ == "__main__":
    correlation_report.run(snakemake)  # noqa: F821
