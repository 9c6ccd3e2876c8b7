"""One module per Snakemake rule, named like the rule; each has ``run(snakemake)``.

This is the only layer that reads and writes workflow files. Every stage
declares the config keys it reads in :data:`CONFIG_KEYS`; the workflow passes
each rule exactly that slice of the config as ``params.config``
(:func:`graphprior.config.config_slice`), so editing a key reruns only the
jobs that read it. ``on_error`` is the one key read from the whole config
(``snakemake.config``): a failure policy, it never reruns a finished job. This module imports nothing heavy: the workflow reads the
table while it builds the DAG.

``generate_graphs``, ``compute_graph_properties``, ``train_sparse_nets`` and
``attack`` run several graphs per job, ``graphs_per_job`` of them (a workflow
setting, not part of the study): each is one Snakemake rule whose wildcard
``chunk`` numbers the jobs (``c0``, ``c1``, ...), and each input and output of a
chunk is a folder holding one file (or folder) per graph
(:data:`graphprior.stages.job.PER_GRAPH`).
"""

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


def chunk_span(ids: list[str]) -> str:
    """How a chunk job's console line names its graphs.

    >>> chunk_span(["a", "b", "c"])
    '3 graph(s), a … c'
    """
    span = ids[0] if len(ids) == 1 else f"{ids[0]} … {ids[-1]}"
    return f"{len(ids)} graph(s), {span}"


__all__ = [
    "CONFIG_KEYS",
    "STUDY_KEYS",
    "CHUNKED_RULES",
    "chunk_span",
]
