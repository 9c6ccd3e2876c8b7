"""Pruning masks for stacked masked nets: global magnitude, global random, per-layer random.

Every function returns new masks, one ``(K, out, in)`` tensor per layer, that
are subsets of the net's current masks (absent weights are never kept); none
of them changes the net. Biases are never pruned.

- :func:`magnitude_prune_masks` and :func:`random_prune_masks` rank the present
  weights of all layers of one model together (global one-shot pruning, as
  ``torch.nn.utils.prune.global_unstructured``; Kuhn et al. 2021) and keep the
  top ``round(kept · n_present)``. They serve the pruning measures
  (:mod:`graphprior.robustness.prunability`) and the ``fc_magnitude`` baseline.
- :func:`random_layer_masks` keeps ``round(d · n_l)`` weights of *each* layer
  at random: the random baselines' one-shot and iterative pruning.
"""

from __future__ import annotations

import enum

import torch

from graphprior.nets.stacked import StackedNet

__all__ = [
    "PruneMethod",
    "Ranking",
    "present_weights",
    "ranking",
    "magnitude_prune_masks",
    "random_prune_masks",
    "random_layer_masks",
]


class PruneMethod(enum.StrEnum):
    """How weights are ranked for global one-shot pruning."""

    MAGNITUDE = "magnitude"  # keep the largest |w| (Kuhn et al. 2021)
    RANDOM = "random"  # keep a uniformly random subset (control)


def present_weights(net: StackedNet) -> list[torch.Tensor]:
    """Detached weights with absent entries zeroed, one (K, out, in) tensor per layer."""
    return [(net.weights[i] * net.mask(i)).detach() for i in range(net.n_layers)]


class Ranking:
    """Global per-model ranking of the present weights of all layers.

    ``rank[k, p]`` is the position of flat weight ``p`` (layers concatenated
    in order, each row-major) in model ``k``'s order of importance, 0 = most
    important; absent weights rank after every present one. Ties keep the
    lower flat index first (stable sort), so the ranking is deterministic.
    """

    def __init__(self, net: StackedNet, scores: torch.Tensor):
        masks = [net.mask(i) for i in range(net.n_layers)]
        self.shapes = [m.shape[1:] for m in masks]
        self.sizes = [m[0].numel() for m in masks]
        present = torch.cat([m.flatten(1) for m in masks], dim=1) > 0
        self.n_present = present.sum(1)
        scores = torch.where(present, scores, torch.full_like(scores, float("-inf")))
        order = torch.sort(scores, dim=1, descending=True, stable=True).indices
        rank = torch.empty_like(order)
        ar = torch.arange(order.shape[1], device=order.device).expand_as(order)
        rank.scatter_(1, order, ar)
        self.rank = rank

    def n_keep(self, kept: torch.Tensor) -> torch.Tensor:
        # round half to even, like Python's round()
        return torch.round(kept.double() * self.n_present.double()).long()

    def masks(self, kept: float | torch.Tensor) -> list[torch.Tensor]:
        """Masks keeping the ``round(kept · n_present)`` top-ranked weights per model.

        ``kept`` is a scalar or a (K,) tensor (one fraction per model).
        """
        k = self.rank.shape[0]
        kept_t = torch.as_tensor(kept, dtype=torch.float64, device=self.rank.device).expand(k)
        keep = (self.rank < self.n_keep(kept_t).unsqueeze(1)).float()
        return [
            part.reshape(k, *shape)
            for part, shape in zip(keep.split(self.sizes, dim=1), self.shapes, strict=True)
        ]


def ranking(
    net: StackedNet, method: PruneMethod | str, generator: torch.Generator | None
) -> Ranking:
    """The global ranking of ``method``; ``generator`` draws the random scores.

    The magnitude ranking draws nothing (``generator`` may be None); the random
    one draws one uniform score per weight slot of every model, on the
    generator's device.
    """
    method = PruneMethod(method)
    if method is PruneMethod.MAGNITUDE:
        scores = torch.cat([w.abs().flatten(1) for w in present_weights(net)], dim=1)
    else:
        if generator is None:
            raise ValueError("random pruning needs a torch.Generator")
        total = sum(net.mask(i)[0].numel() for i in range(net.n_layers))
        scores = torch.rand((net.k, total), generator=generator, device=generator.device)
        scores = scores.to(net.input_mean.device)
    return Ranking(net, scores)


def magnitude_prune_masks(net: StackedNet, kept_fraction: float) -> list[torch.Tensor]:
    """Global magnitude pruning masks, one (K, out, in) tensor per layer.

    Per model, all present weights of all layers — hidden layers *and* the
    classifier, as in Kuhn et al. (2021) and ``torch.nn.utils.prune.
    global_unstructured`` — are ranked by ``|w|`` and exactly
    ``round(kept_fraction · n_present)`` of the largest are kept (ties: the
    weight with the lower (layer, row, column) index wins). Absent weights are
    never kept. Biases are not pruned.
    """
    return ranking(net, PruneMethod.MAGNITUDE, None).masks(kept_fraction)


def random_prune_masks(
    net: StackedNet, kept_fraction: float, generator: torch.Generator
) -> list[torch.Tensor]:
    """Random-pruning control: keep ``round(kept_fraction · n_present)`` present weights
    per model, chosen uniformly at random over all layers (same shapes as
    :func:`magnitude_prune_masks`)."""
    return ranking(net, PruneMethod.RANDOM, generator).masks(kept_fraction)


def random_layer_masks(
    net: StackedNet, densities: list[float], generator: torch.Generator
) -> list[torch.Tensor]:
    """Per-model random masks keeping exactly ``round(d · n_l)`` present weights of each layer.

    ``densities[k]`` is model k's kept fraction of the weights it has now; the
    new masks are subsets of the current ones (so repeated calls prune
    iteratively).
    """
    masks = []
    for i in range(net.n_layers):
        current = net.mask(i)
        new = torch.zeros_like(current)
        for k in range(net.k):
            present = torch.nonzero(current[k].flatten()).flatten()
            keep = max(1, int(round(densities[k] * len(present))))
            order = torch.randperm(len(present), generator=generator)[:keep]
            new[k].view(-1)[present[order]] = 1.0
        masks.append(new)
    return masks
