"""Training K stacked models of one architecture together.

All models of one graph (its inits × seeds) share masks, so they train as one
stack of weight tensors (:mod:`graphprior.nets.stacked`): one batched matmul per layer, one
optimiser over the stack. The loss is the sum of the K per-model mean losses,
so each model's gradient is exactly its own; Adam and SGD act element-wise, so
the stack trains exactly as K separate runs would. Each model draws its own
mini-batch order from its own seed.

A model whose loss becomes NaN or infinite is frozen and marked ``diverged``;
the others go on. The checkpoint of each model is the epoch with the best
validation accuracy (``select: val``) or, as in the paper's code, the best test
accuracy (``select: test``, a known source of optimistic bias).

:func:`load_splits` puts a dataset's splits on the device and
:func:`set_normalisation` fits a net's input standardisation to the training
split; both are shared by graph nets and baselines.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, fields

import numpy as np
import torch
from tqdm import tqdm

from graphprior.config import TrainingConfig
from graphprior.config.choices import Status
from graphprior.data import load_dataset
from graphprior.nets.packed import PackedStack, PackedSteps
from graphprior.nets.stacked import StackedNet, cross_entropy_per_sample

__all__ = [
    "TrainConfig",
    "ModelResult",
    "train_stack",
    "evaluate",
    "resolve_device",
    "load_splits",
    "set_normalisation",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Optimiser, schedule and checkpoint selection of one training run.

    The fields are the ``training`` keys of the config, with the schema's
    defaults (:class:`graphprior.config.TrainingConfig`); :meth:`from_training`
    builds it from a study's section.
    """

    optimizer: str = TrainingConfig.optimizer
    lr: float = TrainingConfig.lr
    momentum: float = TrainingConfig.momentum
    weight_decay: float = TrainingConfig.weight_decay
    batch_size: int = TrainingConfig.batch_size
    epochs: int = TrainingConfig.epochs
    select: str = TrainingConfig.select
    device: str = "cpu"
    #: Test accuracy within this margin of chance marks a model ``untrainable`` (not a config key).
    untrainable_margin: float = 0.05

    @classmethod
    def from_training(cls, training: TrainingConfig, device: str) -> TrainConfig:
        """From a study's ``training`` section (``inits`` and ``seeds`` are not its business)."""
        keys = [f.name for f in fields(cls) if f.name not in ("device", "untrainable_margin")]
        return cls(**{k: getattr(training, k) for k in keys}, device=device)


@dataclass
class ModelResult:
    """What training one model produced (the numeric part of a `models` row)."""

    best_epoch: int
    train_accuracy: float
    val_accuracy: float
    test_accuracy: float
    train_loss: float
    val_loss: float
    test_loss: float
    status: Status
    history: list[float] = field(default_factory=list)  # validation accuracy per epoch


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


@torch.no_grad()
def evaluate(
    net: StackedNet | PackedStack, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1024
) -> tuple[torch.Tensor, torch.Tensor]:
    """Accuracy and mean cross-entropy per model, shape (K,) each."""
    was_training = net.training
    net.eval()
    correct = torch.zeros(net.k, device=x.device)
    loss = torch.zeros(net.k, device=x.device)
    for i in range(0, len(x), batch_size):
        xb, yb = x[i : i + batch_size], y[i : i + batch_size]
        logits = net(xb)
        correct += (logits.argmax(-1) == yb).float().sum(1)
        loss += cross_entropy_per_sample(logits, yb.expand(net.k, -1)).sum(1)
    net.train(was_training)
    return correct / len(x), loss / len(x)


def _optimizer(net: StackedNet | PackedStack, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "adam":
        # one fused kernel per parameter, on CPU and CUDA (chosen over foreach:
        # docs/benchmarks.md, "Settled experiments")
        return torch.optim.Adam(
            net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True
        )
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            net.parameters(),
            lr=cfg.lr,
            momentum=cfg.momentum,
            weight_decay=cfg.weight_decay,
            foreach=True,
        )
    raise ValueError(f"training.optimizer: unknown optimizer {cfg.optimizer!r} (adam, sgd)")


def train_stack(
    net: StackedNet | PackedStack,
    data: dict[str, tuple[torch.Tensor, torch.Tensor]],
    seeds: list[int],
    cfg: TrainConfig,
    progress: bool = True,
) -> list[ModelResult]:
    """Train the K models of ``net`` in place; restore each model's selected checkpoint.

    Parameters
    ----------
    net : the stack, already initialised (a union trains as its
        :class:`~graphprior.nets.packed.PackedStack`).
    data : ``{"train": (X, y), "val": (X, y), "test": (X, y)}`` on the net's device.
    seeds : one seed per model; it fixes that model's mini-batch order.
    cfg : optimiser, epochs, batch size and checkpoint selection.
    progress : show a progress bar.
    """
    k = net.k
    device = data["train"][0].device
    gens = [torch.Generator(device="cpu").manual_seed(int(s)) for s in seeds]
    opt = _optimizer(net, cfg)
    alive = torch.ones(k, dtype=torch.bool, device=device)
    select_split = "test" if cfg.select == "test" else "val"
    best_acc = torch.full((k,), -1.0, device=device)
    best_epoch = [0] * k
    best_state = {name: t.detach().clone() for name, t in net.state_dict().items()}
    history: list[list[float]] = [[] for _ in range(k)]
    epochs = range(1, cfg.epochs + 1)
    bar = tqdm(epochs, desc="train", unit="epoch", disable=not progress, mininterval=1.0)
    x_tr, y_tr = data["train"]
    # a packed stack's steps skip autograd (the same loss and gradients, written out)
    steps = (PackedSteps if isinstance(net, PackedStack) else _AutogradSteps)(net, x_tr, y_tr)
    for epoch in bar:
        _train_epoch(net, opt, steps, len(x_tr), gens, alive, cfg.batch_size, epoch)
        # The gradient of a masked weight is exactly zero, so Adam and SGD leave it
        # at zero; re-applying the masks once an epoch guards against drift.
        net.apply_masks()
        acc, _ = evaluate(net, *data[select_split])
        acc = torch.where(alive, acc, torch.full_like(acc, -1.0))
        improved = acc > best_acc
        if improved.any():
            _keep_improved(net, improved, best_state)
            for i in torch.nonzero(improved).flatten().tolist():
                best_epoch[i] = epoch
            best_acc = torch.where(improved, acc, best_acc)
        for i in range(k):
            history[i].append(float(acc[i]))
        bar.set_postfix(best=f"{best_acc.max().item():.3f}", alive=int(alive.sum()))
        if not alive.any():
            break
    net.load_state_dict(best_state)
    net.eval()
    return _results(net, data, alive, best_epoch, history, cfg.untrainable_margin)


class _AutogradSteps:
    """Cross-entropy training steps through autograd (the interface of ``PackedSteps``)."""

    def __init__(self, net: StackedNet, x: torch.Tensor, y: torch.Tensor):
        self.net, self.x, self.y = net, x, y
        self._per_model: torch.Tensor | None = None

    def loss(self, idx: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy ``(K,)`` of model ``k`` on the training samples ``idx[k]``."""
        logits = self.net(self.x[idx])  # (K, B, C)
        self._per_model = cross_entropy_per_sample(logits, self.y[idx]).mean(1)
        return self._per_model.detach()

    def backward(self, alive: torch.Tensor) -> None:
        """The gradient of the ``alive`` models' summed losses of the last ``loss`` call."""
        per_model, self._per_model = self._per_model, None
        for p in self.net.parameters():
            p.grad = None
        torch.where(alive, per_model, torch.zeros_like(per_model)).sum().backward()


def _train_epoch(
    net: StackedNet | PackedStack,
    opt: torch.optim.Optimizer,
    steps: _AutogradSteps | PackedSteps,
    n: int,
    gens: list[torch.Generator],
    alive: torch.Tensor,
    batch_size: int,
    epoch: int,
) -> None:
    """One epoch over the ``n`` training samples, each model in its own batch order.

    ``alive`` is updated in place: a model whose loss turns non-finite is
    frozen for the rest of the run. Nothing in the step loop waits for the
    device: the dead are masked out (never compacted, never tested on the
    host), and the divergences are logged once at the end of the epoch.
    """
    net.train()
    perms = torch.stack([torch.randperm(n, generator=g) for g in gens]).to(steps.y.device)
    alive_before = alive.clone()
    for step in range(math.ceil(n / batch_size)):
        idx = perms[:, step * batch_size : (step + 1) * batch_size]
        alive &= torch.isfinite(steps.loss(idx))
        steps.backward(alive)
        _freeze_dead(net, alive)
        opt.step()
    for i in torch.nonzero(alive_before & ~alive).flatten().tolist():
        log.warning("model %d diverged (non-finite loss) in epoch %d", i, epoch)


def _freeze_dead(net: StackedNet | PackedStack, alive: torch.Tensor) -> None:
    """Zero the gradients of the models not ``alive``, NaN a dead model left included.

    A frozen model gets no update and leaks no NaN into the optimiser state.
    One select per parameter, in place; the identity when every model is alive.
    """
    with torch.no_grad():
        for p in net.parameters():
            if p.grad is not None:
                keep = alive.view(-1, *([1] * (p.grad.dim() - 1)))
                p.grad.masked_fill_(~keep, 0.0)


def _keep_improved(net: StackedNet | PackedStack, improved: torch.Tensor, best_state: dict) -> None:
    """Copy the current weights of the improved models into ``best_state``."""
    for name, t in net.state_dict().items():
        if name.startswith("input_"):
            continue
        best_state[name][improved] = t[improved].detach().clone()


def _results(
    net: StackedNet | PackedStack,
    data: dict[str, tuple[torch.Tensor, torch.Tensor]],
    alive: torch.Tensor,
    best_epoch: list[int],
    history: list[list[float]],
    untrainable_margin: float,
) -> list[ModelResult]:
    """Metrics and status of every model at its selected checkpoint."""
    metrics = {split: evaluate(net, *data[split]) for split in ("train", "val", "test")}
    chance = 1.0 / net.spec.n_classes
    results = []
    for i in range(net.k):
        test_acc = float(metrics["test"][0][i])
        if not bool(alive[i]):
            status = Status.DIVERGED
        elif test_acc < chance + untrainable_margin or best_epoch[i] == 0:
            status = Status.UNTRAINABLE
        else:
            status = Status.OK
        results.append(
            ModelResult(
                best_epoch=best_epoch[i],
                train_accuracy=float(metrics["train"][0][i]),
                val_accuracy=float(metrics["val"][0][i]),
                test_accuracy=test_acc,
                train_loss=_finite(metrics["train"][1][i]),
                val_loss=_finite(metrics["val"][1][i]),
                test_loss=_finite(metrics["test"][1][i]),
                status=status,
                history=history[i],
            )
        )
    return results


def _finite(v: torch.Tensor) -> float:
    f = float(v)
    return f if np.isfinite(f) else float("nan")


def load_splits(dataset: str, device: torch.device) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """The train, val and test splits of a dataset, on ``device``."""
    return {
        s: tuple(t.to(device) for t in load_dataset(dataset, s)) for s in ("train", "val", "test")
    }


def set_normalisation(net: StackedNet, x_train: torch.Tensor) -> None:
    """Standardise inputs inside the model with one mean and one std over all training pixels.

    A scalar, not a per-pixel, standardisation: border pixels of digits are
    almost constant, and dividing by their tiny std would amplify any
    perturbation there a thousandfold, so every robustness measure would be
    about dead pixels.
    """
    flat = x_train.reshape(-1).float()
    net.set_normalisation(
        flat.mean().expand(net.spec.input_dim), flat.std().expand(net.spec.input_dim)
    )
