"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from graphprior.data import load_dataset
from graphprior.graphs.netspec import dense_spec
from graphprior.nets.inits import initialise
from graphprior.nets.stacked import StackedNet

#: Test inputs of the trained stack (:func:`stack`).
N_STACK_INPUTS = 80


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread for a module: attack results and timings that do not depend on the cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def stack():
    """Two small dense nets (64-32-10) trained 10 epochs on digits, and 80 test inputs."""
    x, y = load_dataset("digits", "train")
    k = 2
    net = StackedNet(dense_spec((1, 8, 8), [32], 10), k)
    initialise(net, ["he_normal"] * k, [0, 1])
    flat = x.reshape(len(x), -1)
    net.set_normalisation(
        torch.full((64,), float(flat.mean())), torch.full((64,), float(flat.std()))
    )
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(10):
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), 64):
            idx = perm[i : i + 64]
            loss = F.cross_entropy(net(x[idx]).reshape(-1, 10), y[idx].repeat(k))
            opt.zero_grad()
            loss.backward()
            opt.step()
    xt, yt = load_dataset("digits", "test")
    return net.eval(), xt[:N_STACK_INPUTS], yt[:N_STACK_INPUTS]
