"""Stacked masked networks: building, initialising, training, saving, pruned baselines.

Modules: :mod:`~graphprior.nets.stacked` (K models of one architecture as one
module), :mod:`~graphprior.nets.union` (stacks of different architectures as one
padded stack), :mod:`~graphprior.nets.packed` (a union's training form: one
weight matrix, the backward pass written out), :mod:`~graphprior.nets.inits`
(initialisation),
:mod:`~graphprior.nets.train` (stacked training, data on the device, input
normalisation), :mod:`~graphprior.nets.checkpoints` (safetensors files),
:mod:`~graphprior.nets.records` (`models` rows) and
:mod:`~graphprior.nets.baselines` (pruned dense reference nets).
"""

from graphprior.nets.checkpoints import load_model, load_model_row
from graphprior.nets.stacked import SingleNet, StackedNet
from graphprior.nets.train import TrainConfig, train_stack

__all__ = [
    "StackedNet",
    "SingleNet",
    "TrainConfig",
    "train_stack",
    "load_model",
    "load_model_row",
]
