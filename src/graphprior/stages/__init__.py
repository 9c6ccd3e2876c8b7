"""One module per Snakemake rule, named like the rule; each has ``run(snakemake)``.

This is the only layer that reads and writes workflow files. Every stage
declares the config keys it reads in :data:`CONFIG_KEYS`; the workflow passes
each rule exactly that slice of the config as ``params.config``
(:func:`graphprior.config.config_slice`), so editing a key reruns only the
jobs that read it. ``on_error`` is the one key read from the whole config
(``snakemake.config``): a failure policy, it never reruns a finished job. This module imports nothing heavy: the workflow reads the
table while it builds the DAG.

``compute_graph_properties``, ``train_sparse_nets`` and ``attack`` run several
graphs (or model groups) per job, ``graphs_per_job`` of them (a workflow setting,
not part of the study): Snakemake has one rule per chunk, named by
:func:`chunk_rule` (``train_sparse_nets_c0``, ``train_sparse_nets_c1``, ...), each
with explicit per-graph inputs, outputs and logs; :func:`base_rule` maps a chunk
rule's name back to the rule it is a chunk of.
"""

import re

#: Every top-level key of a study's config except the report's settings.
STUDY_KEYS = (
    "study",
    "dataset",
    "device",
    "on_error",
    "graphs",
    "mapping",
    "training",
    "attack",
    "measures",
    "baseline",
)

#: The config keys each rule reads (top-level or dotted keys).
CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "download_dataset": ("dataset",),
    "generate_graphs": ("graphs.twin_swaps_per_edge",),
    "compute_graph_properties": ("dataset", "mapping"),
    "train_sparse_nets": ("dataset", "device", "mapping", "training"),
    "prune_baseline": ("dataset", "device", "training", "baseline"),
    "attack": ("dataset", "device", "attack", "measures"),
    "attack_baseline": ("dataset", "device", "attack", "measures"),
    # the tables' metadata carries the hash of the study config (every key but report)
    "aggregate_parquet": STUDY_KEYS,
    # the report describes the whole run
    "correlation_report": (*STUDY_KEYS, "report"),
}

#: The rules whose jobs each handle a chunk of graphs or groups (config ``graphs_per_job``).
CHUNKED_RULES = ("generate_graphs", "compute_graph_properties", "train_sparse_nets", "attack")

_CHUNK_SUFFIX = re.compile(r"_c[0-9]+$")


def chunk_rule(rule: str, index: int) -> str:
    """The name of the Snakemake rule that runs chunk ``index`` of ``rule``."""
    return f"{rule}_c{int(index)}"


def chunk_message(rule: str, index: int, ids: list[str]) -> str:
    """The one console line of a chunk job: its rule, chunk and graphs (Snakemake's ``message``)."""
    span = ids[0] if len(ids) == 1 else f"{ids[0]} … {ids[-1]}"
    return f"{rule} c{int(index)}: {len(ids)} graph(s), {span}"


def base_rule(name: str) -> str:
    """The rule a chunk rule belongs to (``attack_c3`` -> ``attack``); other names unchanged."""
    base = _CHUNK_SUFFIX.sub("", name)
    return base if base in CHUNKED_RULES else name


__all__ = [
    "CONFIG_KEYS",
    "STUDY_KEYS",
    "CHUNKED_RULES",
    "chunk_rule",
    "chunk_message",
    "base_rule",
]
