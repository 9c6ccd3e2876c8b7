"""Rows of the `models` table for a trained stack (docs/data-dictionary.md).

:func:`training_fields` gives the columns every model of a run shares (dataset
and training settings); :func:`model_records` adds each model's size, metrics,
status and checkpoint. Graph nets and baselines both build their rows here.
"""

from __future__ import annotations

import torch

from graphprior.nets.stacked import StackedNet
from graphprior.nets.train import ModelResult

__all__ = ["model_records", "training_fields"]


def model_records(
    net: StackedNet,
    results: list[ModelResult],
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
    matched = net.matched_density().tolist()
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
                "matched_density": float(matched[k]),
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
