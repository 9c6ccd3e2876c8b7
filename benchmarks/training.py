"""Training cost per model: small stacks per spec, one union of many specs, a plain reference.

Graphs G(n=50, m=100) (networkx ``gnm_random_graph``), random orientation,
input wiring ``all``, readout ``sinks``; one spec per graph. On digits, 40
epochs, batch 64, Adam, one thread, it times per model:

(a) one StackedNet of K=3 inits per spec (``train_stack``), as the stage does today;
(b) one union of S specs x 3 inits (:func:`graphprior.nets.union.train_many`, which
    trains the union's packed form); (b0) for some S the same union trained as a
    ``StackedNet`` through autograd, as ``train_many`` did before the packed form;
(c) a per-model masked reference written here: one ``nn.Module`` per model, one
    masked ``nn.Linear`` per layer, a standard PyTorch loop with per-epoch
    validation;
(c2) deepstruct's ``MaskedDeepDAN`` on the same oriented DAGs, in the same loop as (c),
    when ``make deepstruct`` has installed it in build/deepstruct.
    It has deepstruct's own layering and interface (the input reaches the first
    layer only, the output reads the last layer only), so it has fewer real
    parameters than (c); its "x bound" column uses its own;
(d) the FLOP bound 6 x real parameters x training samples x epochs at
    50 GFLOP/s, and at this machine's single-thread matmul GFLOP/s (measured).

Writes benchmarks/results/training.md.

Usage: make benchmarks BENCH=training [BENCH_ARGS="--epochs 40 --sizes 2 4 8 16 32 --autograd-sizes 4 16"]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import networkx as nx
import torch
import torch.nn.functional as F
from suite import record
from torch import nn

from graphprior.graphs.dag import MappingOptions, build_layered_dag
from graphprior.graphs.netspec import spec_from_dag, spec_param_count
from graphprior.graphs.selection import validate_study
from graphprior.nets.inits import initialise
from graphprior.nets.stacked import StackedNet
from graphprior.nets.train import TrainConfig, load_splits, set_normalisation, train_stack
from graphprior.nets.union import train_many, union_of

_STUDY = {
    "dataset": "digits",
    "graphs": {
        "generators": [
            {"generator": "erdos_renyi_gnp", "params": {"n": [10], "p": [0.3]}, "seeds": [1]}
        ]
    },
}
INITS = ["he_normal", "xavier_uniform", "he_fanin_corrected"]
K = len(INITS)


def train_config(epochs: int) -> TrainConfig:
    training = validate_study(
        {
            **_STUDY,
            "training": {"epochs": epochs, "lr": 0.003, "batch_size": 64, "optimizer": "adam"},
        }
    ).training
    return TrainConfig.from_training(training, "cpu")


DEEPSTRUCT = Path("build/deepstruct")


def make_dags(n_specs: int):
    out = []
    for j in range(n_specs):
        g = nx.gnm_random_graph(50, 100, seed=j)
        opts = MappingOptions(orientation="random", input_wiring="all", readout="sinks", seed=j)
        out.append(build_layered_dag(g, opts))
    return out


def make_specs(n_specs: int):
    return [spec_from_dag(dag, (1, 8, 8), 10) for dag in make_dags(n_specs)]


def make_net(spec, j: int, x_train) -> StackedNet:
    net = StackedNet(spec, k=K)
    set_normalisation(net, x_train)
    initialise(net, INITS, [100 * j + i for i in range(K)])
    return net


def seeds_of(j: int) -> list[int]:
    return [1000 * j + i for i in range(K)]


def separate(specs, data, cfg) -> float:
    """(a) seconds per model, one train_stack per spec."""
    nets = [make_net(s, j, data["train"][0]) for j, s in enumerate(specs)]
    t0 = time.perf_counter()
    for j, net in enumerate(nets):
        train_stack(net, data, seeds_of(j), cfg, progress=False)
    return (time.perf_counter() - t0) / (K * len(specs))


def united(specs, data, cfg) -> tuple[float, float]:
    """(b) seconds per model of train_many, and the union's padded weights per model."""
    nets = [make_net(s, j, data["train"][0]) for j, s in enumerate(specs)]
    union, _ = union_of(nets)
    padded = sum(m[0].numel() + m.shape[1] for m in union.masks())
    _, seconds = train_many(nets, data, [seeds_of(j) for j in range(len(specs))], cfg, False)
    return seconds, padded


def united_autograd(specs, data, cfg) -> float:
    """(b0) seconds per model of the same union trained as a StackedNet through autograd.

    This is how ``train_many`` trained before the packed form
    (:class:`graphprior.nets.packed.PackedStack`); timed in the same run as (b).
    """
    nets = [make_net(s, j, data["train"][0]) for j, s in enumerate(specs)]
    union, _ = union_of(nets)
    seeds = [s for j in range(len(specs)) for s in seeds_of(j)]
    t0 = time.perf_counter()
    train_stack(union, data, seeds, cfg, progress=False)
    return (time.perf_counter() - t0) / union.k


class MaskedMLP(nn.Module):
    """One model: a masked ``nn.Linear`` per layer, each reading its blocks concatenated."""

    def __init__(self, spec):
        super().__init__()
        widths = spec.block_widths()
        self.inputs = [layer.inputs for layer in [*spec.hidden, spec.output]]
        self.linears = nn.ModuleList()
        for i, layer in enumerate([*spec.hidden, spec.output]):
            lin = nn.Linear(sum(widths[b] for b in layer.inputs), layer.width)
            self.register_buffer(f"m{i}", torch.as_tensor(layer.mask, dtype=torch.float32))
            with torch.no_grad():
                lin.weight.mul_(getattr(self, f"m{i}"))
            self.linears.append(lin)

    def forward(self, x):
        blocks = [x.flatten(1)]
        for i, lin in enumerate(self.linears):
            h = torch.cat([blocks[b] for b in self.inputs[i]], dim=1)
            out = F.linear(h, lin.weight * getattr(self, f"m{i}"), lin.bias)
            blocks.append(torch.relu(out))
        return out


def deepstruct_dan(dag) -> tuple[nn.Module, int]:
    """(c2) deepstruct's MaskedDeepDAN on ``dag``'s oriented graph, and its real parameters."""
    from deepstruct.graph import LayeredGraph
    from deepstruct.sparse import MaskedDeepDAN, MaskedLinearLayer

    model = MaskedDeepDAN((1, 8, 8), 10, LayeredGraph.load_from(dag.dag))
    real = sum(
        int(m.mask.sum()) + m.bias.numel()
        for m in model.modules()
        if isinstance(m, MaskedLinearLayer)
    )
    return model, real


def reference(models, data, epochs: int) -> float:
    """(c), (c2) seconds per model of the plain per-model masked loop.

    ``models``: one callable per model, building it (called after seeding).
    """
    x_tr, y_tr = data["train"]
    mean, std = x_tr.mean(), x_tr.std()
    x_tr = (x_tr - mean) / std
    x_val, y_val = (data["val"][0] - mean) / std, data["val"][1]
    t0 = time.perf_counter()
    for j, build in enumerate(models):
        torch.manual_seed(j)
        model = build()
        opt = torch.optim.Adam(model.parameters(), lr=0.003)
        best, best_state = -1.0, None
        for _ in range(epochs):
            model.train()
            perm = torch.randperm(len(x_tr))
            for i in range(0, len(x_tr), 64):
                idx = perm[i : i + 64]
                loss = F.cross_entropy(model(x_tr[idx]), y_tr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            model.eval()
            with torch.no_grad():
                acc = (model(x_val).argmax(1) == y_val).float().mean().item()
            if acc > best:
                best, best_state = acc, {k: v.clone() for k, v in model.state_dict().items()}
        model.load_state_dict(best_state)
    return (time.perf_counter() - t0) / len(models)


def matmul_gflops(n: int = 512, reps: int = 20) -> float:
    """Single-thread float32 matmul rate (n x n x n), best of ``reps``."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2, 4, 8, 16, 32])
    ap.add_argument("--autograd-sizes", type=int, nargs="*", default=[4, 16])
    ap.add_argument("--separate-specs", type=int, default=4)
    ap.add_argument("--reference-specs", type=int, default=2)
    ap.add_argument("--out", default="benchmarks/results/training.md")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    data = load_splits("digits", torch.device("cpu"))
    cfg = train_config(args.epochs)
    specs = make_specs(max(args.sizes + [args.separate_specs, args.reference_specs]))
    n_train = len(data["train"][0])
    gflops = matmul_gflops()
    train_stack(make_net(specs[0], 0, data["train"][0]), data, seeds_of(0), train_config(1), False)

    def params(sub):
        return sum(spec_param_count(s) for s in sub) / len(sub)

    def bound(p, rate):
        return 6 * p * n_train * args.epochs / (rate * 1e9)

    sub = specs[: args.reference_specs]
    refs = {
        "(c) per-model masked reference": (params(sub), [lambda s=s: MaskedMLP(s) for s in sub])
    }
    if DEEPSTRUCT.is_dir():
        sys.path.insert(0, str(DEEPSTRUCT))
        dags = make_dags(args.reference_specs)
        real = sum(deepstruct_dan(d)[1] for d in dags) / len(dags)
        refs["(c2) deepstruct MaskedDeepDAN"] = (
            real,
            [lambda d=d: deepstruct_dan(d)[0] for d in dags],
        )
    else:
        print(f"no {DEEPSTRUCT}: row (c2) left out (make deepstruct adds it)")
    # the per-model references run first and again last; their rows give the mean, so a
    # machine that drifts during the run moves both sides of the ratios alike
    ref_secs = {
        label: [reference(models, data, args.epochs)] for label, (_, models) in refs.items()
    }
    rows = []
    sub = specs[: args.separate_specs]
    rows.append(
        ("(a) one StackedNet per spec", len(sub), K, params(sub), None, separate(sub, data, cfg))
    )
    for s in args.sizes:
        sub = specs[:s]
        secs, padded = united(sub, data, cfg)
        if s in args.autograd_sizes:
            before = united_autograd(sub, data, cfg)
            label = f"(b0) union of {s} specs, autograd (before)"
            rows.append((label, s, s * K, params(sub), padded, before))
        rows.append((f"(b) union of {s} specs", s, s * K, params(sub), padded, secs))
    for label, (_, models) in refs.items():
        ref_secs[label].append(reference(models, data, args.epochs))
    ref_rows = [
        (label, args.reference_specs, 1, real, None, sum(ref_secs[label]) / 2)
        for label, (real, _) in refs.items()
    ]
    rows = ref_rows + rows
    ref = ref_rows[0][-1]
    lines = [
        f"Digits ({n_train} training samples), {args.epochs} epochs, batch 64, Adam, 1 thread; "
        f"G(50, 100) graphs, random orientation, input_wiring all, readout sinks; "
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"load average {os.getloadavg()[0]:.1f} at the end. Single-thread matmul "
        f"(512^3, float32): {gflops:.0f} GFLOP/s.",
        "",
        "| training | specs | models per stack | real params/model | padded params/model "
        "| s/model | vs reference | vs deepstruct | x bound @50 GFLOP/s | x bound @measured |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    dan = next((r[-1] for r in rows if r[0].startswith("(c2)")), None)
    for label, s, k, p, padded, secs in rows:
        pad = "" if padded is None else f"{padded:,.0f}"
        vs_dan = "" if dan is None else f"{dan / secs:.1f}x"
        lines.append(
            f"| {label} | {s} | {k} | {p:,.0f} | {pad} | {secs:.3f} | {ref / secs:.1f}x "
            f"| {vs_dan} | {secs / bound(p, 50):.0f}x | {secs / bound(p, gflops):.0f}x |"
        )
    p = params(specs[: max(args.sizes)])
    lines += [
        "",
        "References (c), (c2): the mean of a run before the other rows and one after them ("
        + "; ".join(
            f"{lab.split()[0]} {a:.3f} s then {b:.3f} s" for lab, (a, b) in ref_secs.items()
        )
        + ").",
        f"(d) FLOP bound per model (6 x {p:,.0f} params x {n_train} x {args.epochs}): "
        f"{bound(p, 50):.4f} s at 50 GFLOP/s, {bound(p, gflops):.4f} s at {gflops:.0f} GFLOP/s.",
    ]
    text = "\n".join(lines)
    record(text, args.out)
