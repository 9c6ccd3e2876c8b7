"""Rows of the `models` table for a trained stack (docs/data-dictionary.md).

:func:`training_fields` gives the columns every model of a run shares (dataset
and training settings); :func:`model_records` adds each model's size, metrics,
status and checkpoint. Graph nets and baselines both build their rows here.
"""

from __future__ import annotations

import torch

from graphprior.config import StudyConfig
from graphprior.nets.stacked import StackedNet
from graphprior.nets.train import ModelResult

__all__ = ["model_records", "training_fields", "interface_widths"]


def interface_widths(net: StackedNet) -> tuple[list[int], list[int]]:
    """Per model: hidden neurons that receive the input, and hidden neurons the classifier reads.

    Read from the masks, so they hold for every mapping and for pruned
    baselines alike: ``input_width`` counts the hidden neurons with at least
    one present weight from the input block (for a dense or pruned net: the
    first layer's neurons that kept an input weight), ``readout_width`` the
    hidden neurons with at least one present weight into the output layer.
    """
    input_dim = net.spec.input_dim
    widths = net.spec.block_widths()
    n_in = torch.zeros(net.k, dtype=torch.long)
    for i in range(len(net.spec.hidden)):
        ins = net.layer_inputs(i)
        if 0 in ins:
            start = sum(widths[b] for b in ins[: ins.index(0)])
            block = net.mask(i)[:, :, start : start + input_dim].cpu()
            n_in += block.any(dim=2).sum(dim=1)
    out = net.n_layers - 1
    ins = net.layer_inputs(out)
    cols = torch.cat(
        [torch.full((widths[b],), b != 0, dtype=torch.bool) for b in ins]
    )  # hidden columns only
    read = net.mask(out).cpu().any(dim=1) & cols
    return n_in.tolist(), read.sum(dim=1).tolist()


#: Columns only some models have (graph nets, the relational arm): null unless given.
_MAPPING_ONLY = dict.fromkeys(("mapping", "rounds", "width", "node_widths"))


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
    """The `models` rows of a trained stack.

    ``common`` holds the columns the stack's models share (training
    settings, family, group, and for graph nets the arm and the mapping).
    """
    n_params = net.n_params().tolist()
    density = net.density().tolist()
    matched = net.matched_density().tolist()
    n_weights = [int(sum(net.mask(i)[k].sum() for i in range(net.n_layers))) for k in range(net.k)]
    input_width, readout_width = interface_widths(net)
    rows = []
    for k, res in enumerate(results):
        rows.append(
            {
                **_MAPPING_ONLY,
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
                "input_width": int(input_width[k]),
                "readout_width": int(readout_width[k]),
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


def training_fields(study: StudyConfig, device: torch.device) -> dict:
    """The `models` columns every model of a run shares: dataset and training settings."""
    t = study.training
    return {
        "dataset": study.dataset,
        "epochs": t.epochs,
        "batch_size": t.batch_size,
        "optimizer": t.optimizer,
        "lr": t.lr,
        "select": t.select,
        "device": str(device),
    }
