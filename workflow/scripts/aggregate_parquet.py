"""Adapter for rule aggregate_parquet: join all parts into the documented tables."""

import sys
from pathlib import Path

# With --sdm conda the package is not installed: import it from the checkout.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821


from graphprior.io.logs import setup_job_logging
from graphprior.stages.aggregate_parquet import aggregate_tables, write_tables


def main(smk) -> None:
    setup_job_logging(smk.log[0])
    tables = aggregate_tables(
        specs=list(smk.params.specs.values()),
        property_parts=list(smk.input.properties),
        training_parts=list(smk.input.training),
        robustness_parts=list(smk.input.robustness),
        failure_records=list(smk.input.failures),
    )
    write_tables(tables, dict(smk.output.items()), smk.params.config)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
