"""Weight perturbation, margins, pruning and neural collapse: known answers first, then invariants."""

from __future__ import annotations

import math

import networkx as nx
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import prune

from graphprior.config import validate_config
from graphprior.config.sections import (
    MeasuresConfig,
    NeuralCollapseConfig,
    PruningConfig,
    WeightPerturbationConfig,
)
from graphprior.data import load_dataset
from graphprior.graphs.dag import MappingOptions, build_layered_dag
from graphprior.graphs.netspec import dense_spec, spec_from_dag
from graphprior.nets.inits import initialise
from graphprior.nets.pruning import magnitude_prune_masks, random_prune_masks
from graphprior.nets.stacked import StackedNet
from graphprior.robustness.beyond_input import run_beyond_input_measures
from graphprior.robustness.collapse import layerwise_nc, nc_metrics, neural_collapse_rows
from graphprior.robustness.prunability import prunability, pruned_accuracy_and_loss
from graphprior.robustness.weights import (
    classification_margins,
    margin_summary,
    margins_from_logits,
    random_weight_perturbation_accuracy,
    worst_case_weight_perturbation_accuracy,
)

N_CLASSES = 10


def _train(net: StackedNet, x: torch.Tensor, y: torch.Tensor, epochs: int, seed: int) -> None:
    flat = x.flatten(1)
    net.set_normalisation(flat.mean(0), flat.std(0))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(y), generator=gen)
        for i in range(0, len(y), 128):
            idx = perm[i : i + 128]
            logits = net(x[idx])
            loss = F.cross_entropy(logits.reshape(-1, N_CLASSES), y[idx].repeat(net.k))
            opt.zero_grad()
            loss.backward()
            opt.step()
            net.apply_masks()
    net.eval()


@pytest.fixture(scope="module")
def data():
    x_tr, y_tr = load_dataset("digits", "train")
    x_te, y_te = load_dataset("digits", "test")
    return x_tr, y_tr, x_te[:200], y_te[:200]


@pytest.fixture(scope="module")
def graph_net(data):
    """Three trained sparse graph nets (one architecture, three inits)."""
    x_tr, y_tr, _, _ = data
    graph = nx.watts_strogatz_graph(40, 4, 0.3, seed=1)
    layered = build_layered_dag(graph, MappingOptions(seed=1))
    net = StackedNet(spec_from_dag(layered, (1, 8, 8), N_CLASSES), k=3)
    initialise(net, ["he_normal", "xavier_uniform", "he_fanin_corrected"], [0, 1, 2])
    _train(net, x_tr, y_tr, epochs=15, seed=0)
    return net


@pytest.fixture(scope="module")
def dense_net(data):
    """Two trained dense nets 64-32-10."""
    x_tr, y_tr, _, _ = data
    net = StackedNet(dense_spec((1, 8, 8), [32], N_CLASSES), k=2)
    initialise(net, ["he_uniform", "xavier_normal"], [3, 4])
    _train(net, x_tr, y_tr, epochs=10, seed=1)
    return net


def _clean_accuracy(net, x, y):
    with torch.no_grad():
        return (net(x).argmax(-1) == y).float().mean(1)


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class _WeightSpy:
    """Records the weight lists passed to ``forward_blocks(x, weights=...)`` of any stack.

    Patched on the class: the worst case runs on copies of the net (one per δ).
    """

    def __init__(self, net: StackedNet, monkeypatch):
        self.calls: list[list[torch.Tensor]] = []
        original = StackedNet.forward_blocks

        def spy(module, x, weights=None):
            if weights is not None:
                self.calls.append([w.detach().clone() for w in weights])
            return original(module, x, weights=weights)

        monkeypatch.setattr(StackedNet, "forward_blocks", spy)


# --------------------------------------------------------------------------- neural collapse


def _simplex_etf(c: int, f: int, scale: float = 2.0) -> torch.Tensor:
    """C class means forming a simplex ETF in R^F (F ≥ C), centred at zero."""
    m = torch.eye(c, dtype=torch.float64) - 1.0 / c
    m = m * scale * math.sqrt(c / (c - 1))
    return torch.cat([m, torch.zeros(c, f - c, dtype=torch.float64)], dim=1)


def test_nc_metrics_simplex_etf_is_fully_collapsed():
    c, f, per_class = 5, 8, 4
    means = _simplex_etf(c, f)
    offset = torch.zeros(f, dtype=torch.float64)
    offset[-1] = 3.0  # a global mean outside the span of the centred means
    labels = torch.arange(c).repeat_interleave(per_class)
    features = means[labels] + offset
    w = 0.7 * means  # classifier aligned with the centred means
    logits = features @ w.T
    out = nc_metrics(features, labels, w, logits)
    assert out["nc1"].item() == pytest.approx(0.0, abs=1e-12)
    assert out["nc2_equinorm"].item() == pytest.approx(0.0, abs=1e-9)
    assert out["nc2_equiangular"].item() == pytest.approx(0.0, abs=1e-9)
    assert out["nc2_maxangle"].item() == pytest.approx(0.0, abs=1e-9)
    assert out["nc3"].item() == pytest.approx(0.0, abs=1e-9)
    assert out["nc4"].item() == 0.0
    assert out["ncc_accuracy"].item() == 1.0


def test_nc_metrics_absent_class_uses_present_classes_only():
    c, f = 5, 8
    means = _simplex_etf(c, f)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])  # class 4 absent
    features = means[labels]
    logits = features @ means.T
    out = nc_metrics(features, labels, means, logits)
    # four vertices of a regular 5-simplex, re-centred, form a regular 4-simplex
    assert out["nc1"].item() == pytest.approx(0.0, abs=1e-12)
    assert out["nc2_maxangle"].item() == pytest.approx(0.0, abs=1e-9)
    assert out["nc2_equinorm"].item() == pytest.approx(0.0, abs=1e-9)
    assert all(math.isfinite(v.item()) for v in out.values())


def test_nc_metrics_random_features_are_not_collapsed():
    gen = _gen(0)
    n, f, c = 400, 20, 5
    features = torch.randn(n, f, generator=gen)
    labels = torch.arange(n) % c
    w = torch.randn(c, f, generator=gen)
    out = nc_metrics(features, labels, w, features @ w.T)
    assert out["nc1"].item() > 10.0  # within-class spread dwarfs the class means
    assert out["nc2_maxangle"].item() > 0.05
    assert out["nc3"].item() > 0.5
    assert 0.0 <= out["nc4"].item() <= 1.0


def test_nc_metrics_batched_equals_single():
    gen = _gen(1)
    k, n, f, c = 3, 60, 7, 4
    features = torch.randn(k, n, f, generator=gen)
    labels = torch.arange(n) % c
    w = torch.randn(k, c, f, generator=gen)
    logits = features @ w.transpose(1, 2)
    batched = nc_metrics(features, labels, w, logits)
    for i in range(k):
        single = nc_metrics(features[i], labels, w[i], logits[i])
        for key, value in single.items():
            assert batched[key][i].item() == pytest.approx(value.item(), rel=1e-9, abs=1e-12)


def test_nc_metrics_single_class_gives_nan_not_error():
    features = torch.randn(6, 3, generator=_gen(2))
    labels = torch.zeros(6, dtype=torch.long)
    w = torch.randn(4, 3, generator=_gen(3))
    out = nc_metrics(features, labels, w, features @ w.T)
    assert math.isnan(out["nc1"].item()) and math.isnan(out["nc3"].item())
    assert out["ncc_accuracy"].item() == 1.0


def test_layerwise_nc_shapes_and_dead_layer(graph_net, data):
    _, _, x, y = data
    layers = layerwise_nc(graph_net, x, y)
    assert len(layers) == len(graph_net.spec.hidden)
    for entry in layers:
        assert entry["nc1"].shape == (graph_net.k,)
        assert ((entry["ncc_accuracy"] >= 0) & (entry["ncc_accuracy"] <= 1)).all()
    dead = graph_net.select([0])
    with torch.no_grad():
        dead.weights[0].zero_()
        dead.biases[0].fill_(-1.0)  # every neuron of hidden layer 0 outputs 0
    assert math.isnan(layerwise_nc(dead, x, y)[0]["nc1"].item())


def test_neural_collapse_rows_clean_and_fgsm(graph_net, data):
    x, y = data[0][:300], data[1][:300]

    def fgsm(net, x, y, eps=0.15):
        xk = x.unsqueeze(0).expand(net.k, *x.shape).clone().requires_grad_(True)
        loss = F.cross_entropy(net(xk).reshape(-1, N_CLASSES), y.repeat(net.k), reduction="sum")
        (grad,) = torch.autograd.grad(loss, xk)
        return (xk + eps * grad.sign()).clamp(0, 1).detach()

    rows = neural_collapse_rows(graph_net, x, y, fgsm, "fgsm", "linf", 0.15)
    attacks = {r["attack"] for r in rows}
    assert attacks == {"none", "fgsm"}
    n_hidden = len(graph_net.spec.hidden)
    per_attack = graph_net.k * (7 + 2 * n_hidden)
    assert len(rows) == 2 * per_attack
    assert all(r["n"] == 300 for r in rows)

    def value(measure, attack, k):
        (v,) = [
            r["value"]
            for r in rows
            if r["measure"] == measure
            and r["attack"] == attack
            and r["layer"] is None
            and r["model_index"] == k
        ]
        return v

    for k in range(graph_net.k):
        # the clean readout is far more collapsed, and NCC far more accurate, than under attack
        assert value("ncc_accuracy", "fgsm", k) < value("ncc_accuracy", "none", k)
        assert value("nc1", "fgsm", k) > value("nc1", "none", k)


# --------------------------------------------------------------------------- margins


def test_margins_sign_matches_correctness(graph_net, data):
    _, _, x, y = data
    margins = classification_margins(graph_net, x, y)
    assert margins.shape == (graph_net.k, len(y))
    with torch.no_grad():
        correct = graph_net(x).argmax(-1) == y
    assert torch.equal(margins > 0, correct)
    summary = margin_summary(margins)
    assert torch.allclose(summary["mean"], margins.mean(1))
    assert torch.allclose(summary["median"], margins.median(1).values, atol=1.0)


def test_margin_known_answer():
    logits = torch.tensor([[[2.0, 5.0, 1.0], [0.0, -1.0, 3.0]]])
    margins = margins_from_logits(logits, torch.tensor([1, 0]))
    assert margins.tolist() == [[3.0, -3.0]]


# --------------------------------------------------------------------------- weight perturbation


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_zero_delta_gives_clean_accuracy(graph_net, data, norm):
    _, _, x, y = data
    clean = _clean_accuracy(graph_net, x, y)
    rnd = random_weight_perturbation_accuracy(graph_net, x, y, [0.0], norm, 2, _gen())
    worst = worst_case_weight_perturbation_accuracy(
        graph_net, x, y, [0.0], norm, 3, _gen(), step_size=None
    )
    assert torch.allclose(rnd[:, 0], clean)
    assert torch.allclose(worst[:, 0], clean)


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_random_perturbation_radius_and_masks(graph_net, data, norm, monkeypatch):
    _, _, x, y = data
    before = [w.detach().clone() for w in graph_net.weights]
    spy = _WeightSpy(graph_net, monkeypatch)
    delta = 0.1
    random_weight_perturbation_accuracy(graph_net, x, y, [delta], norm, 2, _gen())
    assert len(spy.calls) == 2
    for weights in spy.calls:
        for i, w in enumerate(weights):
            mask = graph_net.mask(i)
            assert (w * (1 - mask)).abs().max().item() == 0.0  # absent weights stay zero
            original = before[i] * mask
            d = (w - original).flatten(1)
            o = original.flatten(1)
            if norm == "linf":
                got, want = d.abs().amax(1), o.abs().amax(1)
            else:
                got, want = d.norm(dim=1), o.norm(dim=1)
            assert torch.allclose(got, delta * want, rtol=1e-4)
    for w, b in zip(graph_net.weights, before, strict=True):
        assert torch.equal(w.detach(), b)  # the model itself is untouched


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_worst_case_stays_in_ball_and_on_mask(graph_net, data, norm, monkeypatch):
    _, _, x, y = data
    spy = _WeightSpy(graph_net, monkeypatch)
    delta = 0.05
    worst_case_weight_perturbation_accuracy(
        graph_net, x, y, [delta], norm, 4, _gen(), step_size=None
    )
    assert len(spy.calls) == 5
    for weights in spy.calls:
        for i, w in enumerate(weights):
            mask = graph_net.mask(i)
            assert (w * (1 - mask)).abs().max().item() == 0.0
            original = (graph_net.weights[i] * mask).detach()
            d = (w - original).flatten(1)
            o = original.flatten(1)
            if norm == "linf":
                assert (d.abs().amax(1) <= delta * o.abs().amax(1) * (1 + 1e-5)).all()
            else:
                assert (d.norm(dim=1) <= delta * o.norm(dim=1) * (1 + 1e-4)).all()


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_worst_case_not_above_random(graph_net, data, norm):
    _, _, x, y = data
    deltas = [0.02, 0.1]
    rnd = random_weight_perturbation_accuracy(graph_net, x, y, deltas, norm, 3, _gen(1))
    worst = worst_case_weight_perturbation_accuracy(
        graph_net, x, y, deltas, norm, 5, _gen(2), step_size=None
    )
    assert (worst <= rnd + 0.02).all()
    assert (worst[:, 1] <= worst[:, 0] + 0.02).all()  # a larger ball never helps the model
    clean = _clean_accuracy(graph_net, x, y)
    assert (worst[:, 1] < clean).all()


# --------------------------------------------------------------------------- pruning


@pytest.mark.parametrize("kept", [1.0, 0.73, 0.5, 0.2, 0.05, 0.0])
def test_prune_masks_have_exact_density(graph_net, kept):
    n_present = sum(graph_net.mask(i).flatten(1).sum(1) for i in range(graph_net.n_layers))
    for masks in (
        magnitude_prune_masks(graph_net, kept),
        random_prune_masks(graph_net, kept, _gen(5)),
    ):
        kept_count = sum(m.flatten(1).sum(1) for m in masks)
        want = torch.tensor([round(kept * float(n)) for n in n_present])
        assert torch.equal(kept_count.long(), want)
        for i, m in enumerate(masks):
            assert m.shape == graph_net.mask(i).shape
            assert (m <= graph_net.mask(i)).all()  # absent weights are never kept


def test_magnitude_masks_nested_and_keep_largest(graph_net):
    big = magnitude_prune_masks(graph_net, 0.6)
    small = magnitude_prune_masks(graph_net, 0.3)
    for b, s in zip(big, small, strict=True):
        assert (s <= b).all()
    for k in range(graph_net.k):
        w = [
            (graph_net.weights[i][k] * graph_net.mask(i)[k]).detach()
            for i in range(graph_net.n_layers)
        ]
        kept = torch.cat([wi.abs()[small[i][k] > 0] for i, wi in enumerate(w)])
        dropped = torch.cat(
            [wi.abs()[(small[i][k] == 0) & (graph_net.mask(i)[k] > 0)] for i, wi in enumerate(w)]
        )
        assert kept.min() >= dropped.max()


@pytest.mark.parametrize("kept", [0.9, 0.5, 0.25, 0.1])
def test_magnitude_masks_match_torch_global_unstructured(graph_net, kept):
    net = graph_net.select([1])
    modules = []
    for i in range(net.n_layers):
        out_dim, in_dim = net.weights[i].shape[1:]
        lin = nn.Linear(in_dim, out_dim, bias=False)
        with torch.no_grad():
            lin.weight.copy_(net.weights[i][0] * net.mask(i)[0])
        # the graph's missing edges are already pruned: torch then ranks only the rest
        prune.custom_from_mask(lin, "weight", net.mask(i)[0].bool())
        modules.append(lin)
    n_present = int(sum(net.mask(i).sum() for i in range(net.n_layers)))
    n_remove = n_present - round(kept * n_present)
    prune.global_unstructured(
        [(m, "weight") for m in modules], pruning_method=prune.L1Unstructured, amount=n_remove
    )
    ours = magnitude_prune_masks(net, kept)
    for m, mask in zip(modules, ours, strict=True):
        assert torch.equal(m.weight_mask.bool(), mask[0].bool())


def test_random_masks_reproducible_and_seed_dependent(graph_net):
    a = random_prune_masks(graph_net, 0.5, _gen(7))
    b = random_prune_masks(graph_net, 0.5, _gen(7))
    c = random_prune_masks(graph_net, 0.5, _gen(8))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(a, c, strict=True))


def test_pruned_curve_full_kept_is_clean(graph_net, data):
    _, _, x, y = data
    clean = _clean_accuracy(graph_net, x, y)
    for method in ("magnitude", "random"):
        curve = pruned_accuracy_and_loss(graph_net, x, y, [1.0, 0.5, 0.02], method, _gen())
        assert curve["accuracy"].shape == (graph_net.k, 3)
        assert torch.allclose(curve["accuracy"][:, 0], clean)
        assert (curve["accuracy"][:, 2] < curve["accuracy"][:, 0]).all()
        assert (curve["loss"][:, 2] > curve["loss"][:, 0]).all()


def test_prunability_bounds_and_criterion(graph_net, data):
    x, y = data[0][:400], data[1][:400]
    tol, n_bisect = 0.1, 8
    alphas = {}
    for method in ("magnitude", "random"):
        alpha = prunability(graph_net, x, y, tol, method, n_bisect, _gen(3))
        assert alpha.shape == (graph_net.k,)
        assert ((alpha > 0) & (alpha <= 1)).all()
        steps = alpha.double() * 2**n_bisect
        assert torch.allclose(steps, steps.round())  # on the bisection grid
        alphas[method] = alpha
        if method == "magnitude":  # the ranking is deterministic: the criterion holds at α
            for k in range(graph_net.k):
                curve = pruned_accuracy_and_loss(
                    graph_net.select([k]), x, y, [1.0, float(alpha[k])], method
                )
                assert curve["loss"][0, 1] <= (1 + tol) * curve["loss"][0, 0] + 1e-6
    # magnitude pruning keeps the loss longer than random pruning
    assert alphas["magnitude"].mean() < alphas["random"].mean()
    loose = prunability(graph_net, x, y, 10.0, "magnitude", n_bisect)
    assert loose.mean() <= alphas["magnitude"].mean()


# --------------------------------------------------------------------------- batching


def test_batched_equals_separate_models(dense_net, data):
    x_tr, y_tr, x, y = data
    x_tr, y_tr = x_tr[:300], y_tr[:300]
    margins = classification_margins(dense_net, x, y)
    worst = worst_case_weight_perturbation_accuracy(
        dense_net, x, y, [0.05], "l2", 3, step_size=None, random_start=False
    )
    curve = pruned_accuracy_and_loss(dense_net, x, y, [0.7, 0.3])
    alpha = prunability(dense_net, x_tr, y_tr, 0.1, "magnitude", 6)
    nc_rows = neural_collapse_rows(dense_net, x_tr, y_tr)
    for k in range(dense_net.k):
        single = dense_net.select([k])
        assert torch.allclose(classification_margins(single, x, y)[0], margins[k], atol=1e-5)
        w1 = worst_case_weight_perturbation_accuracy(
            single, x, y, [0.05], "l2", 3, step_size=None, random_start=False
        )
        assert torch.allclose(w1[0], worst[k], atol=1e-6)
        c1 = pruned_accuracy_and_loss(single, x, y, [0.7, 0.3])
        assert torch.allclose(c1["accuracy"][0], curve["accuracy"][k])
        assert torch.allclose(c1["loss"][0], curve["loss"][k], atol=1e-5)
        a1 = prunability(single, x_tr, y_tr, 0.1, "magnitude", 6)
        assert a1.item() == alpha[k].item()
        single_rows = neural_collapse_rows(single, x_tr, y_tr)
        mine = [r for r in nc_rows if r["model_index"] == k]
        assert len(mine) == len(single_rows)
        for a, b in zip(mine, single_rows, strict=True):
            assert (a["measure"], a["layer"]) == (b["measure"], b["layer"])
            assert a["value"] == pytest.approx(b["value"], rel=1e-4, abs=1e-6)


# --------------------------------------------------------------------------- orchestration

GRAPHS = {
    "generators": [
        {"generator": "erdos_renyi_gnp", "params": {"n": [10], "p": [0.3]}, "seeds": [1]}
    ]
}


def _measures_section(measures: dict) -> MeasuresConfig:
    """The ``measures`` section with the schema's defaults filled in, typed as the stage builds it."""
    validated = validate_config({"dataset": "digits", "graphs": GRAPHS, "measures": measures})
    return MeasuresConfig.from_dict(validated["measures"])


SMALL_CFG = _measures_section(
    {
        "n_samples": 120,
        "weight_perturbation": {"deltas": [0.0, 0.05], "n_draws": 2, "worst_case_steps": 2},
        "pruning": {"kept_fractions": [1.0, 0.5], "n_bisect": 4, "train_samples": 200},
        "neural_collapse": {"train_samples": 150},
    }
)


def test_run_beyond_input_measures_rows(dense_net, data):
    x_tr, y_tr, x_te, y_te = data
    rows = run_beyond_input_measures(dense_net, x_te, y_te, x_tr, y_tr, SMALL_CFG, 11)
    keys = {"model_index", "measure", "attack", "norm", "eps", "layer", "value", "n"}
    assert all(set(r) == keys for r in rows)
    measures = {r["measure"] for r in rows}
    assert measures == {
        "weight_random_accuracy",
        "weight_worst_accuracy",
        "margin_mean",
        "margin_median",
        "pruned_accuracy",
        "pruned_train_loss",
        "prunability",
        "nc1",
        "nc2_equinorm",
        "nc2_equiangular",
        "nc2_maxangle",
        "nc3",
        "nc4",
        "ncc_accuracy",
    }
    assert {r["model_index"] for r in rows} == {0, 1}
    assert {r["norm"] for r in rows} == {"linf", "l2", "none"}
    for r in rows:
        if r["measure"].startswith("weight_"):
            assert r["eps"] in (0.0, 0.05) and r["n"] == 120
        elif r["measure"] in ("pruned_accuracy", "pruned_train_loss"):
            assert r["attack"] in ("magnitude", "random") and r["eps"] in (1.0, 0.5)
        elif r["measure"] == "prunability":
            assert math.isnan(r["eps"]) and r["n"] == 200
        elif r["measure"].startswith(("nc", "ncc")):
            assert r["attack"] == "none" and r["n"] == 150  # no perturbation given
    layers = {r["layer"] for r in rows if r["measure"] == "nc1"}
    assert layers == {None, 0}
    again = run_beyond_input_measures(dense_net, x_te, y_te, x_tr, y_tr, SMALL_CFG, 11)
    assert [r["value"] for r in again] == pytest.approx([r["value"] for r in rows], nan_ok=True)


def test_measures_defaults_come_from_the_schema():
    cfg = _measures_section({"pruning": {"tol": 0.2}})
    assert cfg.pruning == PruningConfig(
        kept_fractions=(1.0, 0.8, 0.6, 0.4, 0.2, 0.1, 0.05),
        methods=("magnitude", "random"),
        tol=0.2,
        n_bisect=8,
        train_samples=1000,
    )
    assert cfg.weight_perturbation == WeightPerturbationConfig(
        deltas=(0.01, 0.02, 0.05, 0.1, 0.2),
        norms=("linf", "l2"),
        n_draws=3,
        worst_case_steps=40,
        worst_case_step_size=None,
    )
    assert cfg.neural_collapse == NeuralCollapseConfig(train_samples=500, perturbed=True)


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_worst_case_runs_every_delta_at_once_as_one_ascent_per_delta(graph_net, data, norm):
    """All δ in one stack of copies give what one ascent per δ (same random starts) gives."""
    from graphprior.robustness import weights as W

    _, _, x, y = data
    deltas = [0.02, 0.1, 0.3]
    together = worst_case_weight_perturbation_accuracy(
        graph_net, x, y, deltas, norm, 4, _gen(), step_size=None
    )
    gen = _gen()
    weights = W.present_weights(graph_net)
    masks = [graph_net.mask(i) for i in range(graph_net.n_layers)]
    base = [W._layer_norm(w, W.WeightNorm(norm)) for w in weights]
    for j, delta in enumerate(deltas):
        radii = [delta * b for b in base]
        start = W._start(masks, radii, W.WeightNorm(norm), gen, x.device)
        with W.frozen_eval(graph_net):
            alone = W._ascend(
                graph_net, x, y, weights, start, radii, W.WeightNorm(norm), 4, 2.5 / 4
            )
        assert torch.allclose(together[:, j], alone), (delta, together[:, j], alone)
