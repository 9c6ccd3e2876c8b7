"""Initialisation of the K models of a stack: the paper's six inits and a fan-in-corrected He.

Each model ``k`` of a :class:`~graphprior.nets.stacked.StackedNet` gets its own
init name and seed (:func:`initialise`). Where ``torch.nn.init`` computes the
same numbers it is used; the two uniform inits keep their own bound formula
because ``torch.nn.init`` rounds ``sqrt(3) · std`` differently in the last bit,
which would change every checkpoint.
"""

from __future__ import annotations

import math

import torch
from torch.nn import init as nn_init

from graphprior.config.choices import INITS
from graphprior.nets.stacked import StackedNet

__all__ = ["initialise"]

#: ``torch.nn.init.calculate_gain("relu")``: every hidden neuron is a ReLU.
_RELU_GAIN = math.sqrt(2.0)


def _init_slice(w: torch.Tensor, mask: torch.Tensor, init: str, gen: torch.Generator) -> None:
    out_dim, in_dim = w.shape
    if init == "xavier_normal":
        nn_init.xavier_normal_(w, gain=_RELU_GAIN, generator=gen)
    elif init == "xavier_uniform":
        a = _RELU_GAIN * math.sqrt(6.0 / (in_dim + out_dim))
        w.uniform_(-a, a, generator=gen)
    elif init == "he_normal":
        nn_init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu", generator=gen)
    elif init == "he_uniform":
        a = _RELU_GAIN * math.sqrt(3.0 / in_dim)
        w.uniform_(-a, a, generator=gen)
    elif init == "normal_0.1":
        nn_init.normal_(w, 0.0, 0.1, generator=gen)
    elif init == "uniform_0.1":
        nn_init.uniform_(w, -0.1, 0.1, generator=gen)
    elif init == "he_fanin_corrected":
        fan_in = mask.sum(dim=1, keepdim=True).clamp_min(1.0)
        w.normal_(0.0, 1.0, generator=gen)
        w.mul_(_RELU_GAIN / fan_in.sqrt())
    else:
        raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")


@torch.no_grad()
def initialise(net: StackedNet, inits: list[str], seeds: list[int]) -> None:
    """Initialise model ``k`` of the stack with ``inits[k]`` drawn from ``seeds[k]``.

    The initialisation applies to every weight that feeds a hidden neuron
    (input → first layer and all hidden → hidden weights), with fans taken
    from the dense shape of the weight tensor as ``torch.nn.init`` would;
    ``he_fanin_corrected`` instead uses each neuron's real fan-in from its
    mask. The classifier uses PyTorch's ``nn.Linear`` default on its real
    fan-in, U(−1/√fan_in, 1/√fan_in); all biases start at zero.
    """
    if len(inits) != net.k or len(seeds) != net.k:
        raise ValueError(f"need {net.k} inits and seeds, got {len(inits)} and {len(seeds)}")
    out_i = net.n_layers - 1
    for k, (init, seed) in enumerate(zip(inits, seeds, strict=True)):
        gen = torch.Generator(device="cpu").manual_seed(int(seed))
        for i in range(net.n_layers):
            w = torch.empty(net.weights[i].shape[1:])
            mask = net.mask(i)[k].cpu()
            if i == out_i:
                fan_in = max(int(mask.any(dim=0).sum()), 1)
                bound = 1.0 / math.sqrt(fan_in)
                w.uniform_(-bound, bound, generator=gen)
            else:
                _init_slice(w, mask, init, gen)
            net.weights[i][k].copy_(w)
            net.biases[i][k].zero_()
    net.apply_masks()
