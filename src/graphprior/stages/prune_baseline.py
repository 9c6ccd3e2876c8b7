"""Rule prune_baseline: dense nets of one family and shape, pruned to the graph nets' density."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import torch

from graphprior.io.tables import MODELS_SCHEMA, read_table, write_table
from graphprior.nets.baselines import train_baseline_group
from graphprior.stages.job import (
    checkpoints_relative,
    chunk_files,
    guarded,
    model_folder,
    start_job,
)

__all__ = ["run"]


def run(smk: Any) -> None:
    """Train and prune one baseline group; save its checkpoints; write its `models` rows."""
    config = start_job(smk)
    torch.set_num_threads(smk.threads)
    chunks = smk.params.chunks
    graph_models = [
        read_table(p) for p in chunk_files(smk.input.graph_training, chunks, "training")
    ]
    properties = [read_table(p) for p in chunk_files(smk.input.properties, chunks, "properties")]
    rows = guarded(
        smk,
        smk.wildcards.baseline,
        lambda: train_baseline_group(
            smk.wildcards.baseline, config, graph_models, properties, smk.output.models
        ),
        lambda: pd.DataFrame(columns=MODELS_SCHEMA.names),
    )
    Path(smk.output.models).mkdir(parents=True, exist_ok=True)
    rows = checkpoints_relative(rows, smk.output.models, model_folder(smk.wildcards.baseline))
    write_table(rows, smk.output.training, MODELS_SCHEMA, "models")
