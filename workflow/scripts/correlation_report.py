"""Adapter for rule correlation_report: the logic is graphprior.stages.correlation_report.run."""

from graphprior.stages import correlation_report

if __name__ == "__main__":
    correlation_report.run(snakemake)  # noqa: F821
