"""Reference points: dense fully connected nets pruned to the graph nets' density (DESIGN §6).

Three families, each a column value of ``family`` in the `models` table:

- ``fc_random_oneshot``: a random mask drawn at initialisation, then trained.
  Every layer keeps exactly ``round(d · n_l)`` of its ``n_l`` weights.
- ``fc_random_iterative``: the paper's procedure. Train dense, then repeatedly
  remove ``prune_fraction`` (20 %) of each layer's remaining weights at random
  and retrain for ``retrain_epochs`` (2); every step is a model row with its
  ``prune_step``, until the density falls below the smallest target.
- ``fc_magnitude``: train dense, prune globally by weight magnitude to the target
  density (:func:`graphprior.robustness.measures.magnitude_prune_masks`, tested against
  ``torch.nn.utils.prune.global_unstructured``), fine-tune.

Shapes: the paper's two (hidden widths 100-50-20 and 50-100-100-50) and
``matched``: the graph nets' median neuron count spread evenly over their
median depth. Densities (``auto``) match weight counts: a graph net with W
weights corresponds to density W / D in a shape with D dense weights; the
targets are ``n_densities`` evenly spaced quantiles of those values.
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
from graphprior.data import dataset_shape
from graphprior.nets.pruning import magnitude_prune_masks, random_layer_masks
from graphprior.nets.stacked import StackedNet, dense_spec, initialise, save_model, stack_nets
from graphprior.nets.train import TrainConfig, resolve_device, train_stack

__all__ = [
    "FAMILIES",
    "baseline_groups",
    "parse_group",
    "matched_shape",
    "target_densities",
    "random_layer_masks",
    "train_baseline_group",
]

log = logging.getLogger(__name__)

FAMILIES = ("fc_random_oneshot", "fc_random_iterative", "fc_magnitude")
PREFIX = "baseline"


def baseline_groups(config: dict) -> list[str]:
    """Group ids ``baseline-{family}-{shape}`` of the config (empty when deactivated)."""
    b = config.get("baseline", {})
    if not b.get("activate", False):
        return []
    shapes = b.get("shapes") or {}
    groups = [f"{PREFIX}-{fam}-{shape}" for fam in b.get("families", []) for shape in shapes]
    return [cfgmod.check_id(g, "baseline group") for g in groups]


def parse_group(group: str) -> tuple[str, str]:
    """``baseline-fc_magnitude-matched`` → ``("fc_magnitude", "matched")``."""
    prefix, family, shape = group.split("-", 2)
    if prefix != PREFIX or family not in FAMILIES:
        raise ValueError(f"not a baseline group id: {group!r}")
    return family, shape


def matched_shape(graph_models: pd.DataFrame) -> list[int]:
    """Hidden widths with the graph nets' median neuron count over their median depth."""
    n = int(round(graph_models["n_neurons"].median()))
    depth = max(1, int(round(graph_models["depth"].median())))
    base, extra = divmod(n, depth)
    return [base + (1 if i < extra else 0) for i in range(depth)]


def dense_weight_count(input_dim: int, widths: list[int], n_classes: int) -> int:
    dims = [input_dim, *widths, n_classes]
    return int(sum(a * b for a, b in zip(dims[:-1], dims[1:], strict=True)))


def target_densities(graph_weights: np.ndarray, dense_weights: int, n_levels: int) -> list[float]:
    """Evenly spaced quantiles of the graph nets' weight counts over a shape's dense count."""
    d = np.clip(np.asarray(graph_weights, dtype=float) / dense_weights, 1e-4, 1.0)
    qs = np.linspace(0.0, 1.0, n_levels) if n_levels > 1 else np.array([0.5])
    levels = sorted({float(f"{v:.4g}") for v in np.quantile(d, qs)})
    return levels


def _set_masks(net: StackedNet, masks: list[torch.Tensor]) -> None:
    with torch.no_grad():
        for i, m in enumerate(masks):
            net.mask(i).copy_(m)
    net.apply_masks()


def _records(net, results, ids, inits, seeds, common, checkpoints, seconds, extra):
    from graphprior.stages.common import model_records

    rows = model_records(net, results, ids, inits, seeds, common, checkpoints, seconds)
    for row, e in zip(rows, extra, strict=True):
        row.update(e)
    return rows


def _density_records(net, results, triples, group, common, out_dir, t0) -> list[dict]:
    """Save a stack pruned to target densities; its `models` rows (one per (init, seed, density))."""
    ids = [cfgmod.model_id(group, i, s, f"--d{d:g}") for i, s, d in triples]
    paths = _save(net, ids, out_dir, group)
    extra = [{"target_density": d, "prune_step": None} for _, _, d in triples]
    secs = (time.perf_counter() - t0) / len(ids)
    inits = [t[0] for t in triples]
    seeds = [t[1] for t in triples]
    return _records(net, results, ids, inits, seeds, common, paths, secs, extra)


def _save(net: StackedNet, ids: list[str], out_dir: Path, group: str) -> list[str]:
    paths = []
    for k, mid in enumerate(ids):
        path = out_dir / f"{mid}.safetensors"
        save_model(net.select(k), path, {"model_id": mid, "group": group})
        paths.append(str(path))
    return paths


def train_baseline_group(
    group: str,
    config: dict,
    graph_models: list[pd.DataFrame],
    properties: list[pd.DataFrame],
    out_dir: str | Path,
) -> pd.DataFrame:
    """Train one baseline family × shape; save checkpoints; return its `models` rows."""
    from graphprior.stages.common import load_splits, set_normalisation, training_fields

    t0 = time.perf_counter()
    family, shape_name = parse_group(group)
    b = config["baseline"]
    tcfg = config["training"]
    gm = pd.concat(graph_models, ignore_index=True)
    gm = gm[gm["status"] == "ok"] if (gm["status"] == "ok").any() else gm
    dataset = config["dataset"]
    input_shape, n_classes = dataset_shape(dataset)
    input_dim = int(np.prod(input_shape))
    shape = b["shapes"][shape_name]
    widths = matched_shape(gm) if shape == "auto" else [int(w) for w in shape]
    spec = dense_spec(input_shape, widths, n_classes)
    dense_w = dense_weight_count(input_dim, widths, n_classes)
    if b.get("densities", "auto") == "auto":
        densities = target_densities(
            gm["n_weights"].to_numpy(), dense_w, int(b.get("n_densities", 3))
        )
    else:
        densities = sorted(float(d) for d in b["densities"])
    inits = list(b.get("inits") or tcfg["inits"])
    seeds = [int(s) for s in (b.get("seeds") or tcfg["seeds"])]
    device = resolve_device(config.get("device", "auto"))
    data = load_splits(dataset, device)
    shape_label = "-".join(str(w) for w in widths)
    log.info("%s: widths %s, densities %s, inits %s", group, widths, densities, inits)
    out_dir = Path(out_dir)
    common = {
        "family": family,
        "group": group,
        "graph_id": None,
        **training_fields(config, device),
        "orientation": None,
        "sinks_to_last_layer": None,
        "input_wiring": None,
        "readout": None,
        "shape": shape_label,
    }
    gen = torch.Generator(device="cpu").manual_seed(cfgmod.derive_seed(group, "masks"))
    base_cfg = TrainConfig.from_dict(tcfg, str(device))

    def fresh(pairs, densities=None):
        net = StackedNet(spec, k=len(pairs))
        set_normalisation(net, data["train"][0].cpu())
        if densities is not None:
            # prune first, so fan-in-corrected inits see the real fan-in of the mask
            _set_masks(net, random_layer_masks(net, densities, gen))
        initialise(
            net,
            [p[0] for p in pairs],
            [cfgmod.derive_seed(group, p[0], p[1], p[2], "init") for p in pairs],
        )
        return net

    def data_seeds(pairs, tag):
        return [cfgmod.derive_seed(group, p[0], p[1], p[2], tag) for p in pairs]

    rows: list[dict] = []
    if family == "fc_random_oneshot":
        pairs = [(i, s, d) for d in densities for i in inits for s in seeds]
        net = fresh(pairs, densities=[p[2] for p in pairs])
        net.to(device)
        results = train_stack(net, data, data_seeds(pairs, "data"), base_cfg)
        net.cpu()
        rows = _density_records(net, results, pairs, group, common, out_dir, t0)
    else:
        pairs = [(i, s, 1.0) for i in inits for s in seeds]
        net = fresh(pairs).to(device)
        dense_results = train_stack(net, data, data_seeds(pairs, "data"), base_cfg)
        net.cpu()
        if family == "fc_random_iterative":
            rows = _iterative(
                net,
                dense_results,
                pairs,
                densities,
                b,
                base_cfg,
                data,
                gen,
                group,
                common,
                out_dir,
                device,
                t0,
            )
        else:
            rows = _magnitude(
                net, pairs, densities, b, base_cfg, data, group, common, out_dir, device, t0
            )
    return pd.DataFrame(rows)


def _iterative(
    net, dense_results, pairs, densities, b, base_cfg, data, gen, group, common, out_dir, device, t0
):
    it = b.get("iterative", {})
    frac = float(it.get("prune_fraction", 0.2))
    retrain = int(it.get("retrain_epochs", 2))
    max_steps = int(it.get("max_steps", 30))
    floor = min(densities)
    steps = min(max_steps, max(1, math.ceil(math.log(floor) / math.log(1.0 - frac))))
    inits = [p[0] for p in pairs]
    seeds = [p[1] for p in pairs]
    rows = []
    results = dense_results
    for step in range(steps + 1):
        if step > 0:
            _set_masks(net, random_layer_masks(net, [1.0 - frac] * net.k, gen))
            cfg = TrainConfig(**{**base_cfg.__dict__, "epochs": retrain})
            net.to(device)
            seeds_step = [cfgmod.derive_seed(group, i, s, step) for i, s, _ in pairs]
            results = train_stack(net, data, seeds_step, cfg, progress=False)
            net.cpu()
        ids = [cfgmod.model_id(group, i, s, f"--step{step}") for i, s, _ in pairs]
        paths = _save(net, ids, out_dir, group)
        dens = net.density().tolist()
        extra = [{"target_density": dens[k], "prune_step": step} for k in range(net.k)]
        secs = math.nan  # set below, once the job's wall time is known
        rows += _records(net, results, ids, inits, seeds, common, paths, secs, extra)
        log.info("iterative step %d: density %.4f", step, dens[0])
    secs = (time.perf_counter() - t0) / len(rows)  # the job's wall time per model
    for row in rows:
        row["train_seconds"] = secs
    return rows


def _magnitude(net, pairs, densities, b, base_cfg, data, group, common, out_dir, device, t0):
    copies = []
    for d in densities:
        c = net.select(list(range(net.k)))
        _set_masks(c, magnitude_prune_masks(c, d))
        copies.append(c)
    pruned = stack_nets(copies).to(device)
    all_pairs = [(i, s, d) for d in densities for i, s, _ in pairs]
    cfg = TrainConfig(**{**base_cfg.__dict__, "epochs": int(b.get("finetune_epochs", 5))})
    results = train_stack(
        pruned, data, [cfgmod.derive_seed(group, i, s, d, "ft") for i, s, d in all_pairs], cfg
    )
    pruned.cpu()
    return _density_records(pruned, results, all_pairs, group, common, out_dir, t0)
