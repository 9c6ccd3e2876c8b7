"""Training K stacked models of one architecture together.

All models of one graph (its inits × seeds) share masks, so they train as one
stack of weight tensors (DESIGN §4): one batched matmul per layer, one
optimiser over the stack. The loss is the sum of the K per-model mean losses,
so each model's gradient is exactly its own; Adam and SGD act element-wise, so
the stack trains exactly as K separate runs would. Each model draws its own
mini-batch order from its own seed.

A model whose loss becomes NaN or infinite is frozen and marked ``diverged``;
the others go on. The checkpoint of each model is the epoch with the best
validation accuracy (``select: val``) or, as in the paper's code, the best test
accuracy (``select: test``, a known source of optimistic bias).
"""

from __future__ import annotations

import enum
import logging
import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from graphprior.nets.stacked import StackedNet

__all__ = [
    "Status",
    "TrainConfig",
    "ModelResult",
    "train_stack",
    "evaluate",
    "resolve_device",
]

log = logging.getLogger(__name__)


class Status(enum.StrEnum):
    OK = "ok"
    UNTRAINABLE = "untrainable"  # test accuracy within 5 points of chance
    DIVERGED = "diverged"  # NaN or infinite loss during training


@dataclass(frozen=True)
class TrainConfig:
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 64
    epochs: int = 20
    select: str = "val"
    device: str = "cpu"
    untrainable_margin: float = 0.05

    @classmethod
    def from_dict(cls, d: dict, device: str = "cpu") -> TrainConfig:
        keys = {f for f in cls.__dataclass_fields__ if f != "device"}
        return cls(**{k: v for k, v in d.items() if k in keys}, device=device)


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
    net: StackedNet, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1024
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
        loss += (
            F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), yb.repeat(net.k), reduction="none"
            )
            .view(net.k, -1)
            .sum(1)
        )
    net.train(was_training)
    return correct / len(x), loss / len(x)


def _optimizer(net: StackedNet, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "adam":
        return torch.optim.Adam(
            net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=True
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
    net: StackedNet,
    data: dict[str, tuple[torch.Tensor, torch.Tensor]],
    seeds: list[int],
    cfg: TrainConfig,
    progress: bool = True,
) -> list[ModelResult]:
    """Train the K models of ``net`` in place; restore each model's selected checkpoint.

    Parameters
    ----------
    net : the stack, already initialised.
    data : ``{"train": (X, y), "val": (X, y), "test": (X, y)}`` on the net's device.
    seeds : one seed per model; it fixes that model's mini-batch order.
    cfg : optimiser, epochs, batch size and checkpoint selection.
    """
    k = net.k
    x_tr, y_tr = data["train"]
    n = len(x_tr)
    n_classes = net.spec.n_classes
    device = x_tr.device
    gens = [torch.Generator(device="cpu").manual_seed(int(s)) for s in seeds]
    opt = _optimizer(net, cfg)
    alive = torch.ones(k, dtype=torch.bool, device=device)
    select_split = "test" if cfg.select == "test" else "val"
    best_acc = torch.full((k,), -1.0, device=device)
    best_epoch = [0] * k
    best_state = {name: t.detach().clone() for name, t in net.state_dict().items()}
    history: list[list[float]] = [[] for _ in range(k)]
    steps_per_epoch = math.ceil(n / cfg.batch_size)
    epochs = range(1, cfg.epochs + 1)
    bar = tqdm(epochs, desc="train", unit="epoch", disable=not progress, mininterval=1.0)
    for epoch in bar:
        net.train()
        perms = torch.stack([torch.randperm(n, generator=g) for g in gens]).to(device)
        for step in range(steps_per_epoch):
            idx = perms[:, step * cfg.batch_size : (step + 1) * cfg.batch_size]
            xb, yb = x_tr[idx], y_tr[idx]  # (K, B, ...), (K, B)
            logits = net(xb)
            per_model = (
                F.cross_entropy(logits.reshape(-1, n_classes), yb.reshape(-1), reduction="none")
                .view(k, -1)
                .mean(1)
            )
            finite = torch.isfinite(per_model)
            newly_dead = alive & ~finite
            if newly_dead.any():
                for i in torch.nonzero(newly_dead).flatten().tolist():
                    log.warning("model %d diverged (non-finite loss) in epoch %d", i, epoch)
                alive &= finite
            if not alive.any():
                break
            loss = torch.where(alive, per_model, torch.zeros_like(per_model)).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if not bool(alive.all()):
                # frozen models: no update, and no NaN leaking into the optimiser state
                with torch.no_grad():
                    for p in net.parameters():
                        if p.grad is not None:
                            p.grad[~alive] = 0.0
                            p.grad.nan_to_num_(0.0, 0.0, 0.0)
            opt.step()
        # The gradient of a masked weight is exactly zero, so Adam and SGD leave it
        # at zero; re-applying the masks once an epoch guards against drift.
        net.apply_masks()
        acc, _ = evaluate(net, *data[select_split])
        acc = torch.where(alive, acc, torch.full_like(acc, -1.0))
        improved = acc > best_acc
        if improved.any():
            state = net.state_dict()
            for name, t in state.items():
                if name.startswith("input_"):
                    continue
                best_state[name][improved] = t[improved].detach().clone()
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
    metrics = {split: evaluate(net, *data[split]) for split in ("train", "val", "test")}
    chance = 1.0 / n_classes
    results = []
    for i in range(k):
        test_acc = float(metrics["test"][0][i])
        if not bool(alive[i]):
            status = Status.DIVERGED
        elif test_acc < chance + cfg.untrainable_margin or best_epoch[i] == 0:
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
