"""Reference points: dense fully connected nets pruned to the graph nets' density.

Three families (:data:`graphprior.config.BASELINE_FAMILIES`), each a column
value of ``family`` in the `models` table:

- ``fc_random_oneshot``: a random mask drawn at initialisation, then trained.
  Every layer keeps exactly ``round(d · n_l)`` of its ``n_l`` weights.
- ``fc_random_iterative``: the paper's procedure. Train dense, then repeatedly
  remove ``prune_fraction`` (20 %) of each layer's remaining weights at random
  and retrain for ``retrain_epochs`` (2); every step is a model row with its
  ``prune_step``, until the density falls below the smallest target.
- ``fc_magnitude``: train dense, prune globally by weight magnitude to the target
  density (:func:`graphprior.nets.pruning.magnitude_prune_masks`, tested against
  ``torch.nn.utils.prune.global_unstructured``), fine-tune.

Shapes: the paper's two (hidden widths 100-50-20 and 50-100-100-50) and
``matched``: the graph nets' median neuron count spread evenly over their
median depth. Densities are ``matched_density`` (docs/measures.md): present
weights over the weights of the dense net of the same shape (consecutive
layers only), the one definition graph nets and baselines share. With
``auto`` the targets are ``n_densities`` evenly spaced quantiles (minimum to
maximum) of the graph nets' ``matched_density``, capped at 1 (a pruned dense
net cannot exceed its dense net), so the levels span the graph nets' range;
the report pairs each graph net with the nearest level. The iterative family
reaches the densities its ``prune_fraction`` steps give, down to the smallest
target.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from graphprior.config import (
    BaselineConfig,
    StudyConfig,
    dataset_shape,
    derive_seed,
    iterative_steps,
    model_id,
    parse_baseline_group,
)
from graphprior.config.choices import Status
from graphprior.graphs.netspec import NetSpec, dense_spec
from graphprior.nets.checkpoints import save_stack, stack_nets
from graphprior.nets.inits import initialise
from graphprior.nets.pruning import magnitude_prune_masks, random_layer_masks
from graphprior.nets.records import model_records, training_fields
from graphprior.nets.stacked import StackedNet
from graphprior.nets.train import (
    ModelResult,
    TrainConfig,
    load_splits,
    resolve_device,
    set_normalisation,
    train_stack,
)

__all__ = [
    "matched_shape",
    "target_densities",
    "random_layer_masks",
    "train_baseline_group",
]

log = logging.getLogger(__name__)


#: First part of every baseline group id: ``baseline-{family}-{shape}``.
def matched_shape(graph_models: pd.DataFrame) -> list[int]:
    """Hidden widths with the graph nets' median neuron count over their median depth."""
    n = int(round(graph_models["n_neurons"].median()))
    depth = max(1, int(round(graph_models["depth"].median())))
    base, extra = divmod(n, depth)
    return [base + (1 if i < extra else 0) for i in range(depth)]


def target_densities(graph_densities: np.ndarray, n_levels: int) -> list[float]:
    """``n_levels`` evenly spaced quantiles of the graph nets' ``matched_density``.

    Quantiles 0, 1/(n−1), …, 1 (the median for one level), so the levels run
    from the sparsest graph net to the densest; values are capped to
    [1e-4, 1], rounded to 4 significant digits, and duplicates merged.

    >>> target_densities(np.array([0.2, 0.3, 0.4, 1.2]), 3)
    [0.2, 0.35, 1.0]
    """
    d = np.asarray(graph_densities, dtype=float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        raise ValueError(
            "no graph net with a finite matched_density: cannot choose baseline densities"
        )
    d = np.clip(d, 1e-4, 1.0)
    qs = np.linspace(0.0, 1.0, n_levels) if n_levels > 1 else np.array([0.5])
    return sorted({float(f"{v:.4g}") for v in np.quantile(d, qs)})


def _set_masks(net: StackedNet, masks: list[torch.Tensor]) -> None:
    with torch.no_grad():
        for i, m in enumerate(masks):
            net.mask(i).copy_(m)
    net.apply_masks()


@dataclass
class _Run:
    """What every step of one baseline group's training shares."""

    group: str
    spec: NetSpec
    baseline: BaselineConfig
    cfg: TrainConfig
    device: torch.device
    data: dict[str, tuple[torch.Tensor, torch.Tensor]]
    gen: torch.Generator  # draws every random mask of the group, in order
    common: dict  # the `models` columns all rows share
    out_dir: Path
    t0: float  # start of the job, for train_seconds

    def seeds(self, triples: list[tuple], *tag: object) -> list[int]:
        """One derived seed per (init, seed, density) triple and tag."""
        return [derive_seed(self.group, *t, *tag) for t in triples]


def train_baseline_group(
    group: str,
    study: StudyConfig,
    graph_models: list[pd.DataFrame],
    properties: list[pd.DataFrame],
    out_dir: str | Path,
) -> pd.DataFrame:
    """Train one baseline family × shape; save checkpoints; return its `models` rows.

    ``graph_models`` are the graph
    nets' `models` tables, which fix the matched shape and the densities.
    """
    t0 = time.perf_counter()
    family, shape_name = parse_baseline_group(group)
    b = study.baseline
    tcfg = study.training
    gm = pd.concat(graph_models, ignore_index=True)
    gm = gm[gm["status"] == Status.OK] if (gm["status"] == Status.OK).any() else gm
    input_shape, n_classes = dataset_shape(study.dataset)
    shape = b.shapes[shape_name]
    widths = matched_shape(gm) if shape == "auto" else [int(w) for w in shape]
    densities = _densities(b, gm)
    inits = list(b.inits or tcfg.inits)
    seeds = [int(s) for s in (b.seeds or tcfg.seeds)]
    device = resolve_device(study.device)
    data = load_splits(study.dataset, device)
    log.info("%s: widths %s, densities %s, inits %s", group, widths, densities, inits)
    common = {
        "model_family": family,
        "group": group,
        "graph_id": None,
        **training_fields(study, device),
        "arm": None,
        "orientation_seed": None,
        "orientation": None,
        "sinks_to_last_layer": None,
        "input_wiring": None,
        "readout": None,
        "shape": "-".join(str(w) for w in widths),
    }
    gen = torch.Generator(device="cpu").manual_seed(derive_seed(group, "masks"))
    cfg = TrainConfig.from_training(tcfg, str(device))
    spec = dense_spec(input_shape, widths, n_classes)
    run = _Run(group, spec, b, cfg, device, data, gen, common, Path(out_dir), t0)
    if family == "fc_random_oneshot":
        return pd.DataFrame(_oneshot(run, inits, seeds, densities))
    pairs = [(i, s, 1.0) for i in inits for s in seeds]
    net = _fresh(run, pairs).to(device)
    dense_results = train_stack(net, data, run.seeds(pairs, "data"), cfg)
    net.cpu()
    if family == "fc_random_iterative":
        return pd.DataFrame(_iterative(run, net, dense_results, pairs, densities))
    return pd.DataFrame(_magnitude(run, net, pairs, densities))


def _densities(b: BaselineConfig, gm: pd.DataFrame) -> list[float]:
    """Target densities: ``auto`` spans the graph nets' ``matched_density``, else the listed ones."""
    if b.auto_densities:
        if "matched_density" not in gm.columns:
            raise ValueError(
                "baseline.densities is auto but the graph nets' models tables have no "
                "matched_density column (written by an older version): retrain the graph nets"
            )
        return target_densities(gm["matched_density"].to_numpy(), b.n_densities)
    return sorted(float(d) for d in b.densities)


def _fresh(run: _Run, triples: list[tuple], densities: list[float] | None = None) -> StackedNet:
    """A new stack, one model per (init, seed, density), normalised and initialised.

    With ``densities`` every model is pruned at random first, so fan-in-corrected
    inits see the real fan-in of the mask.
    """
    net = StackedNet(run.spec, k=len(triples))
    set_normalisation(net, run.data["train"][0].cpu())
    if densities is not None:
        _set_masks(net, random_layer_masks(net, densities, run.gen))
    initialise(net, [t[0] for t in triples], run.seeds(triples, "init"))
    return net


def _oneshot(run: _Run, inits: list[str], seeds: list[int], densities: list[float]) -> list[dict]:
    triples = [(i, s, d) for d in densities for i in inits for s in seeds]
    net = _fresh(run, triples, densities=[t[2] for t in triples])
    net.to(run.device)
    results = train_stack(net, run.data, run.seeds(triples, "data"), run.cfg)
    net.cpu()
    return _density_records(run, net, results, triples)


def _iterative(
    run: _Run,
    net: StackedNet,
    dense_results: list[ModelResult],
    pairs: list[tuple],
    densities: list[float],
) -> list[dict]:
    """Prune ``prune_fraction`` at random and retrain, step by step; a row per model and step."""
    it = run.baseline.iterative
    frac = it.prune_fraction
    steps = iterative_steps(min(densities), frac, it.max_steps)
    cfg = dataclasses.replace(run.cfg, epochs=it.retrain_epochs)
    rows = []
    results = dense_results
    for step in range(steps + 1):
        if step > 0:
            _set_masks(net, random_layer_masks(net, [1.0 - frac] * net.k, run.gen))
            net.to(run.device)
            seeds_step = [derive_seed(run.group, i, s, step) for i, s, _ in pairs]
            results = train_stack(net, run.data, seeds_step, cfg, progress=False)
            net.cpu()
        ids = [model_id(run.group, i, s, f"--step{step}") for i, s, _ in pairs]
        dens = net.density().tolist()
        extra = [{"target_density": dens[k], "prune_step": step} for k in range(net.k)]
        secs = math.nan  # set below, once the job's wall time is known
        rows += _records(run, net, results, ids, pairs, secs, extra)
        log.info("iterative step %d: density %.4f", step, dens[0])
    secs = (time.perf_counter() - run.t0) / len(rows)  # the job's wall time per model
    for row in rows:
        row["train_seconds"] = secs
    return rows


def _magnitude(
    run: _Run, net: StackedNet, pairs: list[tuple], densities: list[float]
) -> list[dict]:
    """Prune copies of the dense stack by global magnitude to each density, fine-tune together."""
    copies = []
    for d in densities:
        c = net.select(list(range(net.k)))
        _set_masks(c, magnitude_prune_masks(c, d))
        copies.append(c)
    pruned = stack_nets(copies).to(run.device)
    triples = [(i, s, d) for d in densities for i, s, _ in pairs]
    cfg = dataclasses.replace(run.cfg, epochs=run.baseline.finetune_epochs)
    results = train_stack(pruned, run.data, run.seeds(triples, "ft"), cfg)
    pruned.cpu()
    return _density_records(run, pruned, results, triples)


def _density_records(
    run: _Run, net: StackedNet, results: list[ModelResult], triples: list[tuple]
) -> list[dict]:
    """Save a stack pruned to target densities; its `models` rows (one per (init, seed, density))."""
    ids = [model_id(run.group, i, s, f"--d{d:g}") for i, s, d in triples]
    extra = [{"target_density": d, "prune_step": None} for _, _, d in triples]
    secs = (time.perf_counter() - run.t0) / len(ids)
    return _records(run, net, results, ids, triples, secs, extra)


def _records(
    run: _Run,
    net: StackedNet,
    results: list[ModelResult],
    ids: list[str],
    triples: list[tuple],
    seconds: float,
    extra: list[dict],
) -> list[dict]:
    """Save the stack's checkpoints and return its `models` rows, each updated with ``extra``."""
    paths = save_stack(net, ids, run.out_dir, {"group": run.group})
    inits = [t[0] for t in triples]
    seeds = [t[1] for t in triples]
    rows = model_records(net, results, ids, inits, seeds, run.common, paths, seconds)
    for row, e in zip(rows, extra, strict=True):
        row.update(e)
    return rows
