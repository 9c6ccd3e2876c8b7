"""Rule train_sparse_nets: train every init x seed of one graph together, as one stack."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from graphprior.config import GRAPH_FAMILY, dataset_shape, derive_seed, model_id
from graphprior.data import load_dataset
from graphprior.graphs.dag import build_layered_dag
from graphprior.graphs.generators import read_graph
from graphprior.graphs.netspec import spec_from_dag
from graphprior.graphs.selection import mapping_options
from graphprior.io.tables import MODELS_SCHEMA, write_table
from graphprior.nets.stacked import StackedNet, initialise, save_model
from graphprior.nets.train import TrainConfig, resolve_device, train_stack
from graphprior.stages.job import guarded, start_job

__all__ = ["run", "train_graph_models", "model_records", "training_fields"]


def run(smk: Any) -> None:
    """Train, save the checkpoints under ``output.models``, write the `models` rows."""
    config = start_job(smk)
    torch.set_num_threads(smk.threads)
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
    write_table(rows, smk.output.training, MODELS_SCHEMA, "models")


def load_splits(dataset: str, device: torch.device) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    return {
        s: tuple(t.to(device) for t in load_dataset(dataset, s)) for s in ("train", "val", "test")
    }


def set_normalisation(net: StackedNet, x_train: torch.Tensor) -> None:
    """Standardise inputs inside the model with one mean and one std over all training pixels.

    A scalar, not a per-pixel, standardisation: border pixels of digits are
    almost constant, and dividing by their tiny std would amplify any
    perturbation there a thousandfold, so every robustness measure would be
    about dead pixels.
    """
    flat = x_train.reshape(-1).float()
    net.set_normalisation(
        flat.mean().expand(net.spec.input_dim), flat.std().expand(net.spec.input_dim)
    )


def model_records(
    net: StackedNet,
    results: list,
    ids: list[str],
    inits: list[str],
    seeds: list[int],
    common: dict,
    checkpoints: list[str],
    seconds_per_model: float,
) -> list[dict]:
    """The `models` rows of a trained stack."""
    n_params = net.n_params().tolist()
    density = net.density().tolist()
    n_weights = [int(sum(net.mask(i)[k].sum() for i in range(net.n_layers))) for k in range(net.k)]
    rows = []
    for k, res in enumerate(results):
        rows.append(
            {
                **common,
                "model_id": ids[k],
                "init": inits[k],
                "seed": int(seeds[k]),
                "n_params": int(n_params[k]),
                "n_weights": n_weights[k],
                "density": float(density[k]),
                "depth": len(net.spec.hidden),
                "n_neurons": int(sum(h.width for h in net.spec.hidden)),
                "best_epoch": res.best_epoch,
                "train_accuracy": res.train_accuracy,
                "val_accuracy": res.val_accuracy,
                "test_accuracy": res.test_accuracy,
                "train_loss": res.train_loss,
                "val_loss": res.val_loss,
                "test_loss": res.test_loss,
                "gen_gap_accuracy": res.train_accuracy - res.test_accuracy,
                "gen_gap_loss": res.test_loss - res.train_loss,
                "status": res.status.value,
                "train_seconds": seconds_per_model,
                "checkpoint": checkpoints[k],
            }
        )
    return rows


def training_fields(config: dict, device: torch.device) -> dict:
    """The `models` columns every model of a run shares: dataset and training settings."""
    tcfg = config["training"]
    return {
        "dataset": config["dataset"],
        "epochs": int(tcfg["epochs"]),
        "batch_size": int(tcfg["batch_size"]),
        "optimizer": tcfg["optimizer"],
        "lr": float(tcfg["lr"]),
        "select": tcfg["select"],
        "device": str(device),
    }


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
    model_dir = Path(model_dir)
    checkpoints = []
    for k, mid in enumerate(ids):
        path = model_dir / f"{mid}.safetensors"
        save_model(net.select(k), path, {"model_id": mid, "graph_id": graph_id})
        checkpoints.append(str(path))
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
