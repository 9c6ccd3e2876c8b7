"""Ids and seeds: readable, file-safe ids and seeds derived from config values and ids.

Seeds derive from config values and ids (:func:`derive_seed`), so any single
job reruns to identical numbers; ids are checked before they become paths.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
from typing import Any

from graphprior.config.choices import BASELINE_FAMILIES
from graphprior.config.errors import ConfigError
from graphprior.config.study import StudyConfig, plain

__all__ = [
    "ID_PATTERN",
    "ID_REGEX",
    "derive_seed",
    "config_hash",
    "check_id",
    "model_id",
    "alternation",
    "BASELINE_PREFIX",
    "baseline_groups",
    "parse_baseline_group",
    "iterative_steps",
    "baseline_parts",
    "parse_baseline_part",
    "config_slice",
    "job_chunks",
    "uses_gpu",
    "results_dir",
]

#: Letters, digits, ``.``, ``_`` and ``-``: every graph, group and model id matches it.
ID_REGEX = r"^[A-Za-z0-9._-]+$"
ID_PATTERN = re.compile(ID_REGEX)


def derive_seed(*parts: object) -> int:
    """A 31-bit seed from any values (config values, ids), stable across runs and machines.

    Python's ``hash`` is salted per process, so it is never used for seeds.

    Examples
    --------
    >>> derive_seed("ws-n100-k6-p0.3-s1", "he_normal", 0) == derive_seed("ws-n100-k6-p0.3-s1", "he_normal", 0)
    True
    """
    text = json.dumps([str(p) for p in parts])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") & 0x7FFFFFFF


def config_hash(value: Any) -> str:
    """SHA-256 (first 16 hex digits) of the canonical JSON of a value (a study: its dict)."""
    text = json.dumps(plain(value), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_id(value: str, what: str = "id") -> str:
    """Refuse ids that are unsafe as file names before they become paths."""
    if not ID_PATTERN.match(value) or value in (".", ".."):
        raise ConfigError(f"{what} {value!r} is not a safe identifier (letters, digits, . _ -)")
    return value


def model_id(group: str, init: str, seed: int, suffix: str = "") -> str:
    """Readable model id: ``{group}--{init}--s{seed}{suffix}``."""
    return check_id(f"{group}--{init}--s{seed}{suffix}", "model id")


def alternation(ids: list[str]) -> str:
    """A regex matching exactly these ids (for Snakemake wildcard constraints)."""
    if not ids:
        return "(?!x)x"  # matches nothing
    return "|".join(re.escape(i) for i in ids)


#: Group ids of the pruned dense baselines start with this prefix.
BASELINE_PREFIX = "baseline"


def baseline_groups(study: StudyConfig) -> list[str]:
    """Group ids ``baseline-{family}-{shape}`` of a study (empty when deactivated)."""
    b = study.baseline
    if not b.activate:
        return []
    groups = [f"{BASELINE_PREFIX}-{fam}-{shape}" for fam in b.families for shape in b.shapes]
    return [check_id(g, "baseline group") for g in groups]


def parse_baseline_group(group: str) -> tuple[str, str]:
    """``baseline-fc_magnitude-matched`` → ``("fc_magnitude", "matched")``."""
    prefix, family, shape = group.split("-", 2)
    if prefix != BASELINE_PREFIX or family not in BASELINE_FAMILIES:
        raise ValueError(f"not a baseline group id: {group!r}")
    return family, shape


def iterative_steps(min_density: float, prune_fraction: float, max_steps: int) -> int:
    """Pruning steps of the iterative family: the fewest that reach ``min_density``, capped.

    Each step keeps ``1 − prune_fraction`` of the weights left, so ``s`` steps
    keep ``(1 − prune_fraction)^s``; at least one step, at most ``max_steps``.

    >>> iterative_steps(0.0115, 0.2, 20), iterative_steps(1.0, 0.2, 30), iterative_steps(0.01, 0.5, 2)
    (20, 1, 2)
    """
    needed = math.ceil(math.log(min_density) / math.log(1.0 - prune_fraction))
    return min(int(max_steps), max(1, needed))


#: Separates a baseline group from its part in an attack unit's id.
PART_SEPARATOR = "--"


def baseline_parts(study: StudyConfig, group: str) -> list[str]:
    """The attack units of one baseline group, known before any job runs: one per pruning step.

    ``fc_random_iterative`` gives ``{group}--step0`` … ``--stepS`` (step 0 is
    the dense net; S from :func:`iterative_steps`, with ``densities: auto``
    the most steps, ``max_steps``, since the graph nets' densities are not known
    yet); the one-shot families give ``{group}--level0`` … one per target
    density (``n_densities`` with ``auto``), in ascending density. A part
    whose models do not exist (fewer steps or merged levels than planned) is
    attacked as an empty group.

    >>> study = StudyConfig.from_dict({"baseline": {"densities": [0.5], "n_densities": 3,
    ...        "iterative": {"prune_fraction": 0.5, "max_steps": 30}}})
    >>> baseline_parts(study, "baseline-fc_random_iterative-s")
    ['baseline-fc_random_iterative-s--step0', 'baseline-fc_random_iterative-s--step1']
    >>> baseline_parts(study, "baseline-fc_magnitude-s")
    ['baseline-fc_magnitude-s--level0']
    """
    family, _ = parse_baseline_group(group)
    b = study.baseline
    if family == "fc_random_iterative":
        it = b.iterative
        if b.auto_densities:
            steps = it.max_steps
        else:
            floor = min(float(d) for d in b.densities)
            steps = iterative_steps(floor, it.prune_fraction, it.max_steps)
        labels = [f"step{s}" for s in range(steps + 1)]
    else:
        n = b.n_densities if b.auto_densities else len({float(d) for d in b.densities})
        labels = [f"level{i}" for i in range(n)]
    return [check_id(f"{group}{PART_SEPARATOR}{label}", "attack unit") for label in labels]


def parse_baseline_part(unit: str) -> tuple[str, str, int]:
    """``baseline-fc_magnitude-s--level2`` → ``("baseline-fc_magnitude-s", "level", 2)``."""
    group, sep, label = unit.rpartition(PART_SEPARATOR)
    match = re.fullmatch(r"(step|level)(\d+)", label)
    if not sep or match is None:
        raise ValueError(f"not a baseline attack unit: {unit!r}")
    parse_baseline_group(group)
    return group, match.group(1), int(match.group(2))


def config_slice(study: StudyConfig, keys: tuple[str, ...] | list[str]) -> dict:
    """The part of a study's dict under ``keys`` (top-level or dotted), keys sorted at every level.

    The workflow passes a rule's slice as its ``params``; Snakemake compares params
    by their ``repr``, so sorting makes the slice independent of the order in which
    keys were written in the config file (or filled in from the schema).

    Examples
    --------
    >>> study = StudyConfig.from_dict({"training": {"seeds": [1, 0], "epochs": 3}})
    >>> config_slice(study, ["dataset", "training.epochs"])
    {'dataset': 'digits', 'training': {'epochs': 3}}
    """
    config = study.to_dict()
    out: dict = {}
    for key in keys:
        *parents, leaf = key.split(".")
        src, dst = config, out
        for part in parents:
            src = src[part]
            dst = dst.setdefault(part, {})
        dst[leaf] = src[leaf]
    return _sorted(out)


def _sorted(value):
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def results_dir(study: str, root: str = "results") -> str:
    """Where the outputs of the study named ``study`` go: ``results/{study}``, so that studies
    never overwrite each other.

    >>> results_dir("smoke")
    'results/smoke'
    """
    return f"{root}/{study}"


def uses_gpu(device: str) -> bool:
    """Whether jobs of a study with config ``device`` run on a GPU, decided without torch.

    ``cuda`` and ``cuda:N`` do; ``cpu`` does not; ``auto`` does when an NVIDIA
    GPU is visible (``nvidia-smi`` on the PATH and ``CUDA_VISIBLE_DEVICES``
    not set to none), which is what ``torch.cuda.is_available()`` will find
    in the job on the same machine. The workflow reads it when it plans the
    jobs, to give the GPU jobs their ``gpu`` resource.

    >>> uses_gpu("cpu"), uses_gpu("cuda:1")
    (False, True)
    """
    if device == "cpu":
        return False
    if device.startswith("cuda"):
        return True
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1")
    return shutil.which("nvidia-smi") is not None and not hidden


def job_chunks(ids: list[str], size: int) -> list[list[str]]:
    """Split ``ids`` into the fewest chunks of at most ``size``, in order, sizes within one.

    The workflow runs one job per chunk (config ``graphs_per_job``). The split
    depends only on the ids' order and ``size``: ``ceil(n / size)`` chunks whose
    sizes differ by at most one (26 ids, size 8: 7, 7, 6, 6), so parallel jobs
    are about equally long.

    Examples
    --------
    >>> job_chunks(["a", "b", "c", "d", "e"], 2)
    [['a', 'b'], ['c', 'd'], ['e']]
    >>> job_chunks(["a", "b", "c", "d", "e"], 4)
    [['a', 'b', 'c'], ['d', 'e']]
    """
    if int(size) < 1:
        raise ConfigError(f"graphs_per_job must be at least 1, got {size}")
    if len(set(ids)) != len(ids):
        raise ConfigError("job_chunks: duplicate ids")
    n_chunks = -(-len(ids) // int(size))
    if n_chunks == 0:
        return []
    base, extra = divmod(len(ids), n_chunks)
    chunks, start = [], 0
    for i in range(n_chunks):
        stop = start + base + (i < extra)
        chunks.append(list(ids[start:stop]))
        start = stop
    return chunks
