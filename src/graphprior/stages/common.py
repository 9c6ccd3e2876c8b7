"""One function per workflow rule: read inputs, compute, return records.

The Snakemake scripts in ``workflow/scripts`` are thin adapters: they set up
logging, call one function here and write its result. Everything here is
importable and testable without Snakemake.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from graphprior import config as cfgmod
from graphprior.data import dataset_shape, load_dataset
from graphprior.graphs import selection
from graphprior.graphs.dag import build_layered_dag
from graphprior.nets.stacked import (
    StackedNet,
    initialise,
    load_stacked,
    save_model,
    spec_from_dag,
    stack_nets,
)
from graphprior.nets.train import TrainConfig, resolve_device, train_stack

__all__ = [
    "graph_spec_by_id",
    "train_graph_models",
    "model_records",
    "load_group",
    "attack_group",
]

log = logging.getLogger(__name__)

GRAPH_FAMILY = "graph_prior"


def graph_spec_by_id(config: dict) -> dict:
    """Map graph id → spec for the config's graphs (after the parameter filter)."""
    return {s.graph_id: s for s in selection.graph_specs(config)}


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
    device = resolve_device(config.get("device", "auto"))
    tcfg = config["training"]
    dataset = config["dataset"]
    input_shape, n_classes = dataset_shape(dataset)
    opts = selection.mapping_options(config, graph_id)
    layered = build_layered_dag(graph, opts)
    spec = spec_from_dag(layered, input_shape, n_classes)
    pairs = [(init, seed) for init in tcfg["inits"] for seed in tcfg["seeds"]]
    inits = [p[0] for p in pairs]
    seeds = [int(p[1]) for p in pairs]
    init_seeds = [cfgmod.derive_seed(graph_id, init, s, "init") for init, s in pairs]
    data_seeds = [cfgmod.derive_seed(graph_id, init, s, "data") for init, s in pairs]
    data = load_splits(dataset, device)
    net = StackedNet(spec, k=len(pairs))
    set_normalisation(net, data["train"][0].cpu())
    initialise(net, inits, init_seeds)
    net.to(device)
    results = train_stack(net, data, data_seeds, TrainConfig.from_dict(tcfg, str(device)))
    net.cpu()
    ids = [cfgmod.model_id(graph_id, init, s) for init, s in pairs]
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


def load_group(models: pd.DataFrame) -> tuple[StackedNet, pd.DataFrame]:
    """Load the checkpoints of one group's models (one architecture) as one stack."""
    nets = [load_stacked(p)[0] for p in models["checkpoint"]]
    return stack_nets(nets), models.reset_index(drop=True)


def pgd_perturbation(acfg: dict, seed: int):
    """The perturbation behind the 'perturbed' neural-collapse measures.

    L∞ PGD at the paper's ε with the config's L∞ steps and relative step size.
    Returns ``(perturb(net, x, y) -> x_adv, info)``.
    """
    from graphprior.robustness import pgd

    linf = acfg.get("pgd", {}).get("linf", {})
    eps = float(acfg.get("paper_eps", 0.1))
    steps = int(linf.get("steps", 20))
    step_size = float(linf.get("rel_step", 0.25)) * eps

    def perturb(net, x, y):
        gen = torch.Generator(device="cpu").manual_seed(seed)
        return pgd(net, x, y, eps=eps, norm="linf", steps=steps, step_size=step_size, generator=gen)

    return perturb, {"attack": "pgd", "norm": "linf", "eps": eps}


def attack_group(models: pd.DataFrame, config: dict) -> pd.DataFrame:
    """All input-space and beyond-input measures of one group's models (long rows)."""
    from graphprior.robustness import run_beyond_input_measures, run_input_attacks

    columns = ["model_id", "measure", "attack", "norm", "eps", "layer", "value", "n"]
    if models.empty:  # the group's training failed and was recorded
        return pd.DataFrame(columns=columns)
    device = resolve_device(config.get("device", "auto"))
    dataset = config["dataset"]
    acfg = config.get("attack", {})
    mcfg = config.get("measures", {})
    x_te, y_te = (t.to(device) for t in load_dataset(dataset, "test"))
    x_tr, y_tr = (t.to(device) for t in load_dataset(dataset, "train"))
    n_att = int(acfg.get("n_samples", 300))
    n_m = int(mcfg.get("n_samples", 300))
    frames = []
    # Models of one architecture are attacked as one stack.
    for _, sub in models.groupby(_architecture_key(models), sort=False):
        net, sub = load_group(sub)
        net.to(device)
        seed = cfgmod.derive_seed("attack", *sub["model_id"])
        rows = run_input_attacks(net, x_te[:n_att], y_te[:n_att], acfg, seed)
        perturb, info = pgd_perturbation(acfg, seed)
        rows += run_beyond_input_measures(
            net, x_te[:n_m], y_te[:n_m], x_tr, y_tr, mcfg, seed, perturb=perturb, perturb_info=info
        )
        df = pd.DataFrame(rows)
        df["model_id"] = sub["model_id"].to_numpy()[df["model_index"].to_numpy()]
        frames.append(df.drop(columns=["model_index"]))
    out = pd.concat(frames, ignore_index=True)
    return out[columns]


def _architecture_key(models: pd.DataFrame) -> pd.Series:
    """Models trained in one stack share an architecture; baselines group by shape."""
    if "shape" in models and models["shape"].notna().any():
        return models["shape"].fillna("graph")
    return pd.Series(np.zeros(len(models), dtype=int), index=models.index)
