"""Adapter for rule attack: every robustness measure of one group's models."""

import sys
from pathlib import Path

# With --sdm conda the package is not installed: import it from the checkout.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821


import pandas as pd
import torch

from graphprior.io.failures import run_guarded
from graphprior.io.logs import setup_job_logging
from graphprior.io.tables import ROBUSTNESS_SCHEMA, read_table, write_table
from graphprior.stages.common import attack_group


def main(smk) -> None:
    setup_job_logging(smk.log[0])
    torch.set_num_threads(smk.threads)
    rows = run_guarded(
        "attack",
        smk.wildcards.group,
        smk.params.config,
        smk.output.failures,
        smk.log[0],
        lambda: attack_group(read_table(smk.input.training), smk.params.config),
        lambda: pd.DataFrame(columns=ROBUSTNESS_SCHEMA.names),
    )
    write_table(rows, smk.output.robustness, ROBUSTNESS_SCHEMA, "robustness")


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
