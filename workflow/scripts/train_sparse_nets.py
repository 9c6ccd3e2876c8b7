"""Adapter for rule train_sparse_nets: train all inits x seeds of one graph together."""

import sys
from pathlib import Path

# With --sdm conda the package is not installed: import it from the checkout.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821


import pandas as pd
import torch

from graphprior.graphs.graphml import read_graph
from graphprior.io.failures import run_guarded
from graphprior.io.logs import setup_job_logging
from graphprior.io.tables import MODELS_SCHEMA, write_table
from graphprior.stages.common import train_graph_models


def main(smk) -> None:
    setup_job_logging(smk.log[0])
    torch.set_num_threads(smk.threads)
    graph_id = smk.wildcards.graph_id
    rows = run_guarded(
        "train_sparse_nets",
        graph_id,
        smk.params.config,
        smk.output.failures,
        smk.log[0],
        lambda: train_graph_models(
            read_graph(smk.input.graph), graph_id, smk.params.config, smk.output.models
        ),
        lambda: pd.DataFrame(columns=MODELS_SCHEMA.names),
    )
    Path(smk.output.models).mkdir(parents=True, exist_ok=True)
    write_table(rows, smk.output.training, MODELS_SCHEMA, "models")


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
