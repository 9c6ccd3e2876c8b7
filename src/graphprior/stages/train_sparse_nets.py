"""Rule train_sparse_nets: train every init x seed of a graph together, as one stack.

A job trains the graphs of its chunk (config ``graphs_per_job``) one after the other.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from graphprior.config import GRAPH_FAMILY, dataset_shape, derive_seed, model_id
from graphprior.graphs.dag import build_layered_dag
from graphprior.graphs.graphml import read_graph
from graphprior.graphs.netspec import spec_from_dag
from graphprior.graphs.selection import mapping_options
from graphprior.io.tables import MODELS_SCHEMA, write_table
from graphprior.nets.checkpoints import save_stack
from graphprior.nets.inits import initialise
from graphprior.nets.records import model_records, training_fields
from graphprior.nets.stacked import StackedNet
from graphprior.nets.train import (
    TrainConfig,
    load_splits,
    resolve_device,
    set_normalisation,
    train_stack,
)
from graphprior.stages.job import checkpoints_relative, graph_jobs, guarded, start_job

__all__ = ["run", "run_graph", "train_graph_models"]


def run(smk: Any) -> None:
    """Each graph of the job's chunk in turn: train, save, write its `models` rows."""
    torch.set_num_threads(smk.threads)
    outputs = ("training", "models", "failures")
    for job in graph_jobs(smk, "train_sparse_nets", "graph_id", ("graph",), outputs):
        run_graph(job)


def run_graph(smk: Any) -> None:
    """One graph: train, save the checkpoints under ``output.models``, write the `models` rows."""
    config = start_job(smk)
    graph_id = smk.wildcards.graph_id
    rows = guarded(
        smk,
        graph_id,
        lambda: train_graph_models(
            read_graph(smk.input.graph), graph_id, config, smk.output.models
        ),
        lambda: pd.DataFrame(columns=MODELS_SCHEMA.names),
    )
    Path(smk.output.models).mkdir(parents=True, exist_ok=True)
    rows = checkpoints_relative(rows, smk.output.models)
    write_table(rows, smk.output.training, MODELS_SCHEMA, "models")


def train_graph_models(graph, graph_id: str, config: dict, model_dir: str | Path) -> pd.DataFrame:
    """Train every init × seed of one graph as one stack; save checkpoints; return `models` rows."""
    t0 = time.perf_counter()
    device = resolve_device(config["device"])
    tcfg = config["training"]
    dataset = config["dataset"]
    input_shape, n_classes = dataset_shape(dataset)
    opts = mapping_options(config, graph_id)
    layered = build_layered_dag(graph, opts)
    spec = spec_from_dag(layered, input_shape, n_classes)
    pairs = [(init, seed) for init in tcfg["inits"] for seed in tcfg["seeds"]]
    inits = [p[0] for p in pairs]
    seeds = [int(p[1]) for p in pairs]
    init_seeds = [derive_seed(graph_id, init, s, "init") for init, s in pairs]
    data_seeds = [derive_seed(graph_id, init, s, "data") for init, s in pairs]
    data = load_splits(dataset, device)
    net = StackedNet(spec, k=len(pairs))
    set_normalisation(net, data["train"][0].cpu())
    initialise(net, inits, init_seeds)
    net.to(device)
    results = train_stack(net, data, data_seeds, TrainConfig.from_dict(tcfg, str(device)))
    net.cpu()
    ids = [model_id(graph_id, init, s) for init, s in pairs]
    checkpoints = save_stack(net, ids, model_dir, {"graph_id": graph_id})
    common = {
        "family": GRAPH_FAMILY,
        "group": graph_id,
        "graph_id": graph_id,
        **training_fields(config, device),
        "orientation": opts.orientation.value,
        "sinks_to_last_layer": opts.sinks_to_last_layer,
        "input_wiring": opts.input_wiring.value,
        "readout": opts.readout.value,
        "shape": None,
        "target_density": math.nan,
        "prune_step": None,
    }
    elapsed = time.perf_counter() - t0
    rows = model_records(net, results, ids, inits, seeds, common, checkpoints, elapsed / len(ids))
    return pd.DataFrame(rows)
