"""Adapter for rule prune_baseline: train one pruned dense family x shape at matched densities."""

import sys
from pathlib import Path

# With --sdm conda the package is not installed: import it from the checkout.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821


import pandas as pd
import torch

from graphprior.io.failures import run_guarded
from graphprior.io.logs import setup_job_logging
from graphprior.io.tables import MODELS_SCHEMA, read_table, write_table
from graphprior.nets.baselines import train_baseline_group


def main(smk) -> None:
    setup_job_logging(smk.log[0])
    torch.set_num_threads(smk.threads)
    graph_models = [read_table(p) for p in smk.input.graph_training]
    properties = [read_table(p) for p in smk.input.properties]
    rows = run_guarded(
        "prune_baseline",
        smk.wildcards.baseline,
        smk.params.config,
        smk.output.failures,
        smk.log[0],
        lambda: train_baseline_group(
            smk.wildcards.baseline, smk.params.config, graph_models, properties, smk.output.models
        ),
        lambda: pd.DataFrame(columns=MODELS_SCHEMA.names),
    )
    Path(smk.output.models).mkdir(parents=True, exist_ok=True)
    write_table(rows, smk.output.training, MODELS_SCHEMA, "models")


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
