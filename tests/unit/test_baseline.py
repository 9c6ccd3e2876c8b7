"""Pruned dense baselines: exact densities, masks that hold through retraining, three families."""

import numpy as np
import pandas as pd
import pytest
import torch

from graphprior import config as C
from graphprior.config import BASELINE_FAMILIES, BaselineConfig
from graphprior.graphs.netspec import dense_spec
from graphprior.graphs.selection import validate_study
from graphprior.nets import baselines as B
from graphprior.nets.checkpoints import load_model, load_stacked
from graphprior.nets.inits import initialise
from graphprior.nets.stacked import StackedNet
from graphprior.nets.train import TrainConfig, train_stack
from tests.unit.test_train import TINY, digits


def train_config(**training) -> TrainConfig:
    """A TrainConfig from a validated config: the schema's defaults, then ``training``."""
    return TrainConfig.from_training(validate_study({**TINY, "training": training}).training, "cpu")


def test_random_layer_masks_keep_exactly_the_requested_fraction_per_layer():
    net = StackedNet(dense_spec((1, 8, 8), [40, 20], 10), k=3)
    gen = torch.Generator().manual_seed(0)
    masks = B.random_layer_masks(net, [0.5, 0.25, 0.1], gen)
    for i, m in enumerate(masks):
        n = net.mask(i)[0].numel()
        for k, d in enumerate([0.5, 0.25, 0.1]):
            assert int(m[k].sum()) == max(1, round(d * n))
    # iterative: a second call keeps a subset of the first masks
    B._set_masks(net, masks)
    again = B.random_layer_masks(net, [0.8] * 3, gen)
    for m_old, m_new in zip(masks, again, strict=True):
        assert torch.all(m_new <= m_old)


def test_pruned_weights_stay_zero_through_retraining():
    data = digits()
    net = StackedNet(dense_spec((1, 8, 8), [32], 10), k=2)
    initialise(net, ["he_normal", "xavier_normal"], [1, 2])
    B._set_masks(net, B.random_layer_masks(net, [0.3, 0.3], torch.Generator().manual_seed(1)))
    train_stack(net, data, [1, 2], train_config(epochs=2, lr=0.01), progress=False)
    for i in range(net.n_layers):
        assert torch.all(net.weights[i][net.mask(i) == 0] == 0)
    assert np.allclose(net.density().numpy(), 0.3, atol=0.01)


def test_target_densities_span_the_graph_nets_matched_density():
    # quantiles 0, 1/2, 1 of the graph nets' matched densities: minimum, median, maximum
    assert B.target_densities(np.array([0.19, 0.25, 0.3, 0.38]), 3) == [0.19, 0.275, 0.38]
    assert B.target_densities(np.array([0.19, 0.25, 0.38]), 1) == [0.25]
    # a graph net above its dense net (skip connections) is matched by the dense net itself
    assert B.target_densities(np.array([0.5, 1.2, 1.4]), 2) == [0.5, 1.0]
    with pytest.raises(ValueError, match="matched_density"):
        B.target_densities(np.array([np.nan]), 2)


def test_auto_densities_read_the_graph_nets_matched_density():
    b = BaselineConfig.from_dict({"densities": "auto", "n_densities": 2})
    gm = pd.DataFrame({"matched_density": [0.2, 0.4, 0.3], "n_weights": [10, 5000, 7]})
    assert B._densities(b, gm) == [0.2, 0.4]
    with pytest.raises(ValueError, match="no matched_density column"):
        B._densities(b, gm.drop(columns="matched_density"))


def test_matched_shape_spreads_neurons_over_depth():
    gm = pd.DataFrame({"n_neurons": [100, 100, 102], "depth": [12, 13, 14]})
    widths = B.matched_shape(gm)
    assert len(widths) == 13 and sum(widths) == 100


def test_groups_follow_the_config():
    cfg = validate_study(
        {
            "dataset": "digits",
            "graphs": {
                "generators": [
                    {
                        "generator": "erdos_renyi_gnp",
                        "params": {"n": [10], "p": [0.3]},
                        "seeds": [1],
                    }
                ]
            },
            "baseline": {"activate": True, "shapes": {"small": [8]}, "families": ["fc_magnitude"]},
        }
    )
    assert C.baseline_groups(cfg) == ["baseline-fc_magnitude-small"]
    assert C.parse_baseline_group("baseline-fc_magnitude-small") == ("fc_magnitude", "small")
    with pytest.raises(ValueError):
        C.parse_baseline_group("ws-n10-k2-p0.1-s1")


#: The smallest valid study around a baseline (TINY): one tiny graph, CPU.
GRAPH_MODELS = pd.DataFrame(
    {
        "n_neurons": [24],
        "depth": [2],
        "n_weights": [500],
        "matched_density": [0.4],
        "status": ["ok"],
    }
)


@pytest.mark.parametrize("family", BASELINE_FAMILIES)
def test_each_family_trains_at_matched_density(family, tmp_path):
    cfg = validate_study(
        {
            **TINY,
            "training": {"inits": ["he_normal"], "epochs": 1},
            "baseline": {
                "activate": True,
                "shapes": {"small": [16, 8]},
                "families": [family],
                "densities": [0.5, 0.2],
                "iterative": {"prune_fraction": 0.5, "retrain_epochs": 1, "max_steps": 3},
                "finetune_epochs": 1,
            },
        }
    )
    rows = B.train_baseline_group(f"baseline-{family}-small", cfg, [GRAPH_MODELS], [], tmp_path)
    assert set(rows["model_family"]) == {family}
    assert rows["model_id"].is_unique
    if family == "fc_random_iterative":
        assert list(rows["prune_step"]) == [0, 1, 2, 3]
        assert rows["density"].is_monotonic_decreasing
    else:
        assert sorted(rows["target_density"]) == [0.2, 0.5]
        assert np.allclose(sorted(rows["density"]), [0.2, 0.5], atol=0.01)
    # one density definition: for a pruned dense net both columns are the kept fraction
    assert np.allclose(rows["matched_density"], rows["density"])
    # baselines have no arm; their interface widths come from the (pruned) masks
    assert rows["arm"].isna().all() and rows["orientation_seed"].isna().all()
    assert rows["input_width"].between(1, 16).all() and rows["readout_width"].between(1, 8).all()
    for path in rows["checkpoint"]:
        load_model(path)


def test_oneshot_masks_come_before_the_init_so_fan_in_is_real(tmp_path):
    cfg = validate_study(
        {
            **TINY,
            "training": {"inits": ["he_fanin_corrected"], "epochs": 1},
            "baseline": {
                "activate": True,
                "shapes": {"s": [200]},
                "families": ["fc_random_oneshot"],
                "densities": [0.1],
            },
        }
    )
    rows = B.train_baseline_group("baseline-fc_random_oneshot-s", cfg, [GRAPH_MODELS], [], tmp_path)
    net, _ = load_stacked(rows["checkpoint"][0])
    # before training the hidden weights had std sqrt(2 / 6.4); one epoch of Adam moves them little
    w = net.weights[0][0][net.mask(0)[0] == 1].detach()
    assert float(w.std()) > 0.35  # the dense fan-in (64) would give about 0.18
