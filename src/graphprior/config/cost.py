"""What a job costs, planned before it runs: the ``runtime`` and ``mem_mb`` every heavy rule declares.

A job's time is its work in *passes* (one forward and backward pass of one
model over one input) times what a pass of its net costs; its memory is the
autograd record of its largest single batch. Both are estimates for one CPU
thread, declared with a safety factor, so a job on a cluster is not killed
for running as long as it should (docs/cluster.md, "Job sizes", defines each
term; docs/benchmarks.md, "Cost model", has the fit and the check that no
job of the paper preset exceeds what it declares).

* **A pass** of one model over one input costs ``per_layer × layers +
  per_weight × weights`` seconds: deep narrow graph nets pay per layer (one
  kernel each), wide dense nets per weight. Training (batches of
  ``batch_size``) and attacks (large batches that shrink as inputs are
  fooled, so later steps run few inputs through every layer) have their own
  pair (:data:`PASS_COST`).
* **Training**: ``epochs × training inputs`` passes per model, plus an
  evaluation of the test split per epoch (a forward pass, a third of a pass).
* **Attacks**: every measure's inputs × iterations (:func:`attack_passes`);
  a member of a chained AutoAttack is counted on every input, so the estimate
  is an upper bound.
* **Memory**: 4 bytes × models × inputs of the largest batch × (3 × input
  size + 40 × layers), plus :data:`BASE_MB` for the interpreter, torch and
  the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from graphprior.config.datasets import SPLIT_SIZES, dataset_shape
from graphprior.config.ids import baseline_parts, parse_baseline_group
from graphprior.config.sections import AttackConfig, AutoAttackConfig, ChecksConfig, MeasuresConfig
from graphprior.config.study import StudyConfig, TrainingConfig

__all__ = [
    "NetSize",
    "pass_seconds",
    "train_passes",
    "attack_passes",
    "paper_suite_passes",
    "runtime_minutes",
    "memory_mb",
    "Resources",
    "train_job",
    "attack_job",
    "baseline_size",
    "prune_job",
    "baseline_part_job",
]

#: Seconds of one pass per layer and per weight, one CPU thread, in training and in attacks
#: (fitted on the paper preset's graph net and dense baselines: docs/benchmarks.md, "Cost model").
PASS_COST: dict[str, tuple[float, float]] = {"train": (7e-8, 3e-10), "attack": (3.6e-7, 1.5e-10)}
#: Declared time and memory are this many times the estimate.
SAFETY = 3.0
#: Start-up of a job (imports, data, checkpoints), seconds; and the fewest minutes declared.
FIXED_SECONDS = 60.0
MIN_MINUTES = 5
#: The interpreter, torch and a dataset in memory, MB.
BASE_MB = 1500


@dataclass(frozen=True)
class NetSize:
    """What the cost of a stack depends on: its models and one model's shape."""

    models: int
    layers: int
    weights: int
    neurons: int
    input_dim: int


def pass_seconds(size: NetSize, kind: str = "train") -> float:
    """Seconds of one pass of every model of the stack over one input (``kind``: train, attack)."""
    per_layer, per_weight = PASS_COST[kind]
    return size.models * (per_layer * size.layers + per_weight * size.weights)


def train_passes(training: TrainingConfig, dataset: str, extra_epochs: int = 0) -> float:
    """Passes per model of a training job: the epochs, and a test evaluation after each."""
    n_train, _, n_test = SPLIT_SIZES[dataset]
    epochs = training.epochs + int(extra_epochs)
    return epochs * (n_train + n_test / 3)


def _autoattack_passes(aa: AutoAttackConfig, checks: ChecksConfig, n: int) -> float:
    ce, t, sq = aa.apgd_ce, aa.apgd_t, aa.square
    per_eps = (
        2 * ce.steps * ce.restarts  # APGD-CE and apgd_smooth
        + t.steps * t.restarts * t.n_targets
        + sq.queries / 3  # forward passes only
    )
    gate_n = min(n, checks.effort_samples or n)
    rounds = sum(checks.effort_factor ** (e + 1) for e in range(checks.max_escalations + 1))
    gate = gate_n * rounds * (per_eps - sq.queries / 3)
    n_eps = len(aa.linf.eps) + len(aa.l2.eps)
    return n_eps * (n * per_eps + gate + 2 * n * ce.steps)  # + the largest-eps gate


def paper_suite_passes(attack: AttackConfig, n_all: int) -> float:
    """Passes per model of the paper's measures: clean, the FGSM grid and at paper_eps, the line search."""
    return n_all * (len(attack.fgsm.eps) + 3 + (27 if attack.min_perturbation.linesearch else 0))


def attack_passes(attack: AttackConfig, measures: MeasuresConfig, n_test: int) -> float:
    """Passes per model of a full-suite attack job."""
    n_all = min(n_test, attack.n_samples)
    n = min(n_all, attack.subset_samples or n_all)
    total = paper_suite_passes(attack, n_all) + n_all  # + the loss sensitivity
    for pgd in (attack.pgd.linf, attack.pgd.l2):
        total += n * len(pgd.eps) * pgd.steps * (2 if pgd.clean_start else 1)
    total += _autoattack_passes(attack.autoattack, attack.checks, n)
    mp, pr, aa = attack.min_perturbation, attack.primary, attack.autoattack
    total += 2 * n * (mp.bisection_steps + 1) * mp.pgd_steps
    n_primary = min(n if attack.subset_samples else n_test, pr.n_samples or n_test)
    chain = aa.apgd_ce.steps * pr.restarts + aa.apgd_t.steps * aa.apgd_t.n_targets
    total += n_primary * (pr.bisection_steps + 1) * chain
    op, cl = attack.onepixel, attack.clever
    total += op.n_samples * op.maxiter * op.popsize / 3  # forward
    total += cl.n_samples * cl.nb_batches * cl.batch_size * 10
    wp = measures.weight_perturbation
    beyond = (
        measures.n_samples * len(wp.deltas) * len(wp.norms) * (wp.n_draws + wp.worst_case_steps)
    )
    beyond += measures.pruning.train_samples * (len(measures.pruning.kept_fractions) + 8) * 2
    return total + beyond


def runtime_minutes(seconds: float) -> int:
    """The minutes a job declares for an estimate of ``seconds`` of work."""
    return max(MIN_MINUTES, math.ceil(SAFETY * (FIXED_SECONDS + seconds) / 60.0))


def memory_mb(size: NetSize, batch: int) -> int:
    """The MB a job declares when its largest batch holds ``batch`` inputs for every model."""
    per_input = 4 * (3 * size.input_dim + 40 * size.layers)
    return int(BASE_MB + SAFETY * size.models * batch * per_input / 1e6)


@dataclass(frozen=True)
class Resources:
    """What a job declares: ``runtime`` in minutes and ``mem_mb``, and the estimate behind it."""

    runtime: int
    mem_mb: int
    seconds: float


def _declare(seconds: float, mem: int) -> Resources:
    return Resources(runtime_minutes(seconds), int(mem), float(seconds))


def train_job(study: StudyConfig, sizes: list[NetSize]) -> Resources:
    """A ``train_sparse_nets`` job training the stacks ``sizes`` one after the other."""
    passes = train_passes(study.training, study.dataset)
    mem = max((memory_mb(s, study.training.batch_size) for s in sizes), default=BASE_MB)
    return _declare(sum(pass_seconds(s) for s in sizes) * passes, mem)


def attack_job(study: StudyConfig, sizes: list[NetSize], suite: str = "full") -> Resources:
    """An attack job attacking the stacks ``sizes`` one after the other (``suite``: full or paper)."""
    attack, n_test = study.attack, SPLIT_SIZES[study.dataset][2]
    n_all = min(n_test, attack.n_samples)
    if suite == "full":
        passes = attack_passes(attack, study.measures, n_test)
    else:
        passes = paper_suite_passes(attack, n_all)
    mem = max((memory_mb(s, n_all) for s in sizes), default=BASE_MB)
    return _declare(sum(pass_seconds(s, "attack") for s in sizes) * passes, mem)


def baseline_size(study: StudyConfig, group: str, graphs: list[NetSize], per_part: bool) -> NetSize:
    """A baseline group's stack: a dense net of its shape's widths (``auto``: the largest graph
    net's neurons over its layers), every init and seed, and every density level in one stack
    for a one-shot family's training (``per_part``: the models of one step or level)."""
    family, shape = parse_baseline_group(group)
    input_shape, n_classes = dataset_shape(study.dataset)
    input_dim = math.prod(input_shape)
    b = study.baseline
    widths = b.shapes[shape]
    if widths == "auto":
        big = max(graphs, key=lambda s: s.neurons, default=NetSize(1, 2, 0, 10 + 32, input_dim))
        depth = max(1, big.layers - 1)
        widths = [max(1, (big.neurons - n_classes) // depth)] * depth
    dims = [input_dim, *(int(w) for w in widths), n_classes]
    weights = sum(a * c for a, c in zip(dims[:-1], dims[1:], strict=True))
    inits = b.inits or study.training.inits
    models = len(inits) * len(b.seeds or study.training.seeds)
    if family != "fc_random_iterative" and not per_part:
        models *= b.n_densities if b.auto_densities else len(b.densities)
    return NetSize(models, len(dims) - 1, weights, sum(dims[1:]), input_dim)


def prune_job(study: StudyConfig, group: str, graphs: list[NetSize]) -> Resources:
    """A ``prune_baseline`` job: dense training, then every pruning step or a fine-tune."""
    b, t = study.baseline, study.training
    if parse_baseline_group(group)[0] == "fc_random_iterative":
        steps = len(baseline_parts(study, group)) - 1
        extra = steps * b.iterative.retrain_epochs
    else:
        extra = b.finetune_epochs
    size = baseline_size(study, group, graphs, per_part=False)
    passes = train_passes(t, study.dataset, extra_epochs=extra)
    return _declare(pass_seconds(size) * passes, memory_mb(size, t.batch_size))


def baseline_part_job(study: StudyConfig, group: str, graphs: list[NetSize]) -> Resources:
    """An ``attack_baseline`` job: one step's models, declared for the full suite."""
    return attack_job(study, [baseline_size(study, group, graphs, per_part=True)])
