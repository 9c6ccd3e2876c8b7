# Config validation, id lists and input functions: everything the rules share.
import copy
import os
import tempfile
from importlib.util import find_spec
from pathlib import Path

from snakemake.utils import validate

# graphprior is a package installed where Snakemake runs and where its jobs run (make run
# installs it into .venv; --sdm conda: workflow/envs/graphprior.post-deploy.sh; a container:
# the Dockerfile), never imported from a checkout's folder.
if find_spec("graphprior") is None:
    raise WorkflowError(
        "graphprior is not installed in the Python that runs Snakemake: run `make run` "
        "(it installs the package into .venv), or `pip install .` in a checkout of "
        "graphprior (docs/cluster.md, 'Software in the jobs')"
    )
# The checkout this workflow was read from, for the conda environment's post-deploy script
# (Snakemake runs a copy of it elsewhere); a remote module has none: GRAPHPRIOR_SOURCE.
CHECKOUT = Path(workflow.basedir).parent
if (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "src" / "graphprior").is_dir():
    os.environ.setdefault("GRAPHPRIOR_CHECKOUT", str(CHECKOUT))

from graphprior import config as gpconfig  # noqa: E402
from graphprior.config import cost as gpcost  # noqa: E402
from graphprior import data as gpdata  # noqa: E402
from graphprior.graphs import selection as gpselection  # noqa: E402
from graphprior.io import failures as gpfailures  # noqa: E402
from graphprior import stages as gpstages  # noqa: E402

# `--configfile` replaces the default study whole, at the repository root and deployed as
# a module alike: a deploying Snakefile's own `configfile:` (snakedeploy writes one) would
# otherwise be merged under it, every key the study leaves out inherited from the default.
if workflow.overwrite_configfiles:
    config.clear()
    config.update(copy.deepcopy(workflow.config_settings.overwrite_config))

# graphprior's own validation first: its messages name the key without a schema dump.
# STUDY: the typed study (graphprior.config.StudyConfig) every function below reads.
try:
    STUDY = gpselection.validate_study(config)
except gpconfig.ConfigError as exc:
    raise WorkflowError(str(exc)) from None
# Then the schema fills every default into Snakemake's config (the one source of defaults).
validate(config, schema="../schemas/config.schema.yaml", set_default=True)

# Every output of a study lies under results/{study}/, so that studies never overwrite
# each other's tables and reports.
RESULTS = gpconfig.results_dir(STUDY.study)
SPECS = {spec.graph_id: spec for spec in gpselection.graph_specs(STUDY)}
GRAPH_IDS = list(SPECS)
BASELINE_GROUPS = gpconfig.baseline_groups(STUDY)
# Files of a downloaded dataset (rule download_dataset); [] for bundled ones.
DATASET_FILES = [str(p) for p in gpdata.dataset_files(STUDY.dataset)]
# Several graphs per generation, property, training and attack job: the rule's wildcard
# `chunk` numbers them (c0, c1, ...), and each input and output of a chunk job is a
# folder with one file per graph (graphprior.stages.job.PER_GRAPH). graphs_per_job is
# read here only, at parse time: it is not part of the study (no rule's config).
GRAPH_CHUNKS = gpconfig.job_chunks(GRAPH_IDS, STUDY.graphs_per_job)
CHUNKS = [str(k) for k in range(len(GRAPH_CHUNKS))]
# A baseline group's attack runs one job per pruning step (or density level), planned
# from the config before any model exists (graphprior.config.baseline_parts).
BASELINE_PARTS = [
    part for group in BASELINE_GROUPS for part in gpconfig.baseline_parts(STUDY, group)
]
# Each heavy job declares the runtime and memory the cost model plans for its work
# (graphprior.config.cost; docs/cluster.md, "Job sizes").
SIZES = {graph_id: gpselection.net_size(STUDY, spec) for graph_id, spec in SPECS.items()}
TRAIN_COST = [gpcost.train_job(STUDY, [SIZES[i] for i in ids]) for ids in GRAPH_CHUNKS]
ATTACK_COST = [gpcost.attack_job(STUDY, [SIZES[i] for i in ids]) for ids in GRAPH_CHUNKS]
PRUNE_COST = {
    group: gpcost.prune_job(STUDY, group, list(SIZES.values())) for group in BASELINE_GROUPS
}
PART_COST = {
    group: gpcost.baseline_part_job(STUDY, group, list(SIZES.values())) for group in BASELINE_GROUPS
}


# Training, pruning and attack jobs hold one GPU each when the study runs on CUDA
# (docs/cluster.md, "GPUs"): `--resources gpu=N` caps how many share the GPUs.
GPU = 1 if gpconfig.uses_gpu(STUDY.device) else 0


wildcard_constraints:
    chunk=r"[0-9]+",
    baseline=gpconfig.alternation(BASELINE_GROUPS),
    part=r"(step|level)[0-9]+",


# Each job prints one line, its rule's message (rule, chunk, graphs); with `--verbose`
# Snakemake's full job information (inputs, outputs, resources) instead.
VERBOSE = bool(getattr(workflow.output_settings, "verbose", False))


def job_message(text):
    """A rule's console line, or None (Snakemake's full job information) under --verbose."""
    return None if VERBOSE else text


def config_for(rule_name):
    """The config slice one rule reads, as its params; other edits never rerun its jobs."""
    return gpconfig.config_slice(STUDY, gpstages.CONFIG_KEYS[rule_name])


def chunk_folders(kind):
    """Every chunk's folder of one kind (graphs, training, ...), in chunk order."""
    return expand(f"{RESULTS}/{kind}/c{{chunk}}", chunk=CHUNKS)


def chunk_ids(wildcards):
    """The graph ids of a chunk job."""
    return GRAPH_CHUNKS[int(wildcards.chunk)]


def chunk_span(wildcards):
    """How a chunk job's console line names its graphs."""
    return gpstages.chunk_span(chunk_ids(wildcards))


def failure_record(rule, job):
    """The failure record of one guarded job: ``job`` is ``c{chunk}``, a baseline group or
    part (wildcards in braces). It lists no failure when nothing failed."""
    return f"{RESULTS}/failures/{rule}/{job}.json"


def failure_records():
    """The failure record of every guarded job."""
    per_chunk = ["compute_graph_properties", "train_sparse_nets", "attack"]
    records = [failure_record(rule, f"c{k}") for rule in per_chunk for k in CHUNKS]
    records += [failure_record("prune_baseline", b) for b in BASELINE_GROUPS]
    records += [failure_record("attack", unit) for unit in BASELINE_PARTS]
    return records


def read_record(path):
    """A failure record's text, or None where its job has not run: a local file, or with
    a default storage provider the object in the storage (read into a temporary copy).
    """
    provider = workflow.storage_registry.default_storage_provider
    if provider is None:
        return gpfailures.read_local(path)
    prefix = workflow.storage_settings.default_storage_prefix.rstrip("/")
    stored = provider.object(f"{prefix}/{os.path.normpath(path)}")
    if not stored.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:  # Snakemake's own copies are left alone
        stored.set_local_path(Path(tmp) / "record.json")
        stored.retrieve_object()
        return (Path(tmp) / "record.json").read_text()


# Every guarded job's retry token, read once when the workflow is parsed: before any job
# runs, so a job that is about to run (its outputs removed) still gets the token it was
# planned with, and a cluster job that parses the workflow again reads the same records.
RETRY = {record: gpfailures.retry_token(read_record(record)) for record in failure_records()}


def retry(rule, job):
    """A guarded rule's ``retry`` param: its job's token in ``RETRY``. A record that lists
    failures changes it, so Snakemake's params trigger reruns the failed job and what
    depends on it (graphprior.io.failures.retry_token); nothing is touched on disk."""
    record = failure_record(rule, job)
    return lambda wildcards: RETRY.get(record.format(**wildcards))
