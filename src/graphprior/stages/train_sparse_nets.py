"""Rule train_sparse_nets: train every network of one graph, each architecture as one stack.

A graph becomes one network per arm and orientation seed
(:func:`graphprior.graphs.selection.graph_mappings`); each of them is trained
for every init × seed. The job first lists the specs with the metadata of
their models (:func:`graph_stacks`), then trains all of them together as one
padded stack (:func:`graphprior.nets.union.train_many`, :func:`train_stacks`).
A job trains the graphs of its chunk (config ``graphs_per_job``) one after the other.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from graphprior.config import GRAPH_FAMILY, StudyConfig, dataset_shape, derive_seed, model_id
from graphprior.graphs.dag import build_layered_dag
from graphprior.graphs.graphml import read_graph
from graphprior.graphs.netspec import NetSpec, spec_from_dag
from graphprior.graphs.relational import config_relational_net, relational_section
from graphprior.graphs.selection import arm_inits, graph_mappings, graph_variant
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
)
from graphprior.nets.union import train_many
from graphprior.stages.job import (
    checkpoints_relative,
    graph_jobs,
    guarded,
    model_folder,
    run_chunk,
    start_job,
)

__all__ = ["run", "run_graph", "StackJob", "graph_stacks", "train_stacks", "train_graph_models"]


def run(smk: Any) -> None:
    """Each graph of the job's chunk in turn: train, save, write its `models` rows."""
    torch.set_num_threads(smk.threads)
    jobs = graph_jobs(smk, "train_sparse_nets", "graph_id", ("graph",), ("training", "models"))
    run_chunk(smk, jobs, run_graph)


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
    rows = checkpoints_relative(
        rows, smk.output.models, model_folder(graph_id, smk.wildcards.chunk)
    )
    write_table(rows, smk.output.training, MODELS_SCHEMA, "models")


@dataclass
class StackJob:
    """One architecture of a graph and the models trained on it (one per init × seed).

    ``common`` holds the `models` columns its models share (arm, mapping);
    ``metadata`` goes into every checkpoint.
    """

    spec: NetSpec
    ids: list[str]
    inits: list[str]
    seeds: list[int]
    init_seeds: list[int]
    data_seeds: list[int]
    common: dict
    metadata: dict


def graph_stacks(graph, graph_id: str, config: StudyConfig) -> list[StackJob]:
    """The networks of one graph: every arm × orientation seed, each with its inits × every seed.

    Model ids are ``{graph_id}--{init}--s{seed}--{arm}--o{orientation_seed}``.
    The init and data-order seeds depend on the graph, init and seed only, so
    every arm and orientation of a graph sees the same draws (a paired design).
    """
    input_shape, n_classes = dataset_shape(config.dataset)
    jobs = []
    for arm, o, opts in graph_mappings(config, graph_id):
        spec = spec_from_dag(build_layered_dag(graph, opts), input_shape, n_classes)
        common = {
            "arm": arm,
            "orientation_seed": o,
            "orientation": opts.orientation.value,
            "sinks_to_last_layer": opts.sinks_to_last_layer,
            "input_wiring": opts.input_wiring.value,
            "readout": opts.readout.value,
            "mapping": "dag",
        }
        jobs.append(_stack_job(graph_id, config, spec, common))
    rel = relational_section(config, graph_variant(graph_id))
    if rel is not None:  # one net: the relational arm has no orientation
        net = config_relational_net(graph, rel, input_shape, n_classes)
        common = {
            "arm": rel.name,
            "orientation_seed": 0,
            "orientation": "none",
            "sinks_to_last_layer": None,
            "input_wiring": "first_layer",
            "readout": "last_layer",
            "mapping": "relational",
            "rounds": net.rounds,
            "width": net.width,
            "node_widths": ",".join(map(str, net.node_widths)),
        }
        jobs.append(_stack_job(graph_id, config, net.spec, common))
    return jobs


def _stack_job(graph_id: str, config: StudyConfig, spec: NetSpec, common: dict) -> StackJob:
    """One architecture's models: the arm's inits × every training seed."""
    arm, o = common["arm"], common["orientation_seed"]
    pairs = [(i, int(s)) for i in arm_inits(config, arm) for s in config.training.seeds]
    return StackJob(
        spec=spec,
        ids=[model_id(graph_id, i, s, f"--{arm}--o{o}") for i, s in pairs],
        inits=[i for i, _ in pairs],
        seeds=[s for _, s in pairs],
        init_seeds=[derive_seed(graph_id, i, s, "init") for i, s in pairs],
        data_seeds=[derive_seed(graph_id, i, s, "data") for i, s in pairs],
        common=common,
        metadata={"graph_id": graph_id, "arm": arm, "orientation_seed": o},
    )


def train_stacks(
    jobs: list[StackJob], config: StudyConfig, model_dir: str | Path, shared: dict
) -> list[dict]:
    """Train every job's models as one padded stack; save the checkpoints; return the `models` rows.

    ``shared`` holds the columns every row of the call has (family, group,
    graph id, ...). ``train_seconds`` is the call's wall time per model.
    """
    t0 = time.perf_counter()
    device = resolve_device(config.device)
    data = load_splits(config.dataset, device)
    train_cfg = TrainConfig.from_training(config.training, str(device))
    fields = training_fields(config, device)
    nets = []
    for job in jobs:
        net = StackedNet(job.spec, k=len(job.ids))
        set_normalisation(net, data["train"][0].cpu())
        initialise(net, job.inits, job.init_seeds)
        nets.append(net.to(device))
    # every architecture of the graph in one padded stack: one optimiser step for all
    results, _ = train_many(nets, data, [job.data_seeds for job in jobs], train_cfg)
    rows: list[dict] = []
    for job, net, res in zip(jobs, nets, results, strict=True):
        net.cpu()
        checkpoints = save_stack(net, job.ids, model_dir, job.metadata)
        common = {**shared, **fields, **job.common}
        rows += model_records(
            net, res, job.ids, job.inits, job.seeds, common, checkpoints, math.nan
        )
    seconds = (time.perf_counter() - t0) / max(1, len(rows))
    for row in rows:
        row["train_seconds"] = seconds
    return rows


def train_graph_models(
    graph, graph_id: str, config: StudyConfig, model_dir: str | Path
) -> pd.DataFrame:
    """Train every network of one graph (arms × orientations × inits × seeds); its `models` rows."""
    shared = {
        "model_family": GRAPH_FAMILY,
        "group": graph_id,
        "graph_id": graph_id,
        "shape": None,
        "target_density": math.nan,
        "prune_step": None,
    }
    rows = train_stacks(graph_stacks(graph, graph_id, config), config, model_dir, shared)
    return pd.DataFrame(rows)
