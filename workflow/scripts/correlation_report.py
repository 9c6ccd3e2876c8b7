"""Adapter for rule correlation_report: statistics, figures, HTML and Markdown."""

import sys
from pathlib import Path

# With --sdm conda the package is not installed: import it from the checkout.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821


from graphprior.io.logs import setup_job_logging
from graphprior.report import build_report


def main(smk) -> None:
    setup_job_logging(smk.log[0])
    build_report(dict(smk.input.items()), dict(smk.output.items()), smk.params.config)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
