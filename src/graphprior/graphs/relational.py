"""The relational-graph mapping (You, Leskovec, He and Xie, 2020): the graph sets every hidden weight.

A graph of ``n`` nodes becomes an MLP whose hidden layers have a total width
``w``, node ``i`` holding ``w_i`` of the neurons (:func:`node_widths`: ``w``
split as evenly as possible). The first hidden layer reads the input densely
(it places the input on the nodes); each of the ``rounds`` hidden layers
after it is one round of message exchange: its weight block ``(i, j)``
(rows of node ``i``, columns of node ``j`` in the layer before) is present
exactly when ``i = j`` or ``{i, j}`` is an edge, the block pattern of
``A + I``. The classifier reads the last hidden layer densely. Edges carry
messages both ways, so the mapping needs no orientation.

Parameter matching (:func:`match_node_widths`): every graph's widths are
those whose parameter count (weights plus one bias per neuron,
:func:`relational_param_count`) is closest to a reference, by default the
complete graph's net at ``mapping.relational.width``, which is the dense MLP
of that width: the total width nearest the reference, with the neurons that
do not split evenly placed on the nodes (by degree) that bring the count
closest. A sparser graph gets a wider net, so every graph of a study has the
same parameter count up to a few weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from graphprior.config.study import RelationalConfig, StudyConfig
from graphprior.graphs.netspec import LayerSpec, NetSpec, spec_param_count

__all__ = [
    "RelationalNet",
    "node_widths",
    "block_mask",
    "relational_spec",
    "relational_param_count",
    "dense_param_count",
    "match_width",
    "match_node_widths",
    "relational_net",
    "relational_section",
    "config_relational_net",
]


@dataclass(frozen=True)
class RelationalNet:
    """One graph's relational network: its total width, the nodes' shares and its parameters."""

    width: int
    node_widths: tuple[int, ...]
    rounds: int
    n_params: int
    spec: NetSpec


def node_widths(width: int, n: int) -> np.ndarray:
    """``width`` neurons over ``n`` nodes: ``width // n`` each, one more for the first ``width % n``."""
    if n < 1 or width < n:
        raise ValueError(f"a total width of {width} cannot give each of {n} nodes a neuron")
    out = np.full(n, width // n, dtype=np.int64)
    out[: width % n] += 1
    return out


def _adjacency(graph: nx.Graph) -> np.ndarray:
    n = graph.number_of_nodes()
    if sorted(graph.nodes()) != list(range(n)):
        raise ValueError("the relational mapping needs nodes 0..n-1")
    a = nx.to_numpy_array(graph, nodelist=range(n), dtype=bool)
    return a | np.eye(n, dtype=bool)


def block_mask(graph: nx.Graph, widths: np.ndarray) -> np.ndarray:
    """The mask of one message-exchange layer: block ``(i, j)`` is ones iff ``i = j`` or an edge."""
    owner = np.repeat(np.arange(len(widths)), widths)
    return _adjacency(graph)[np.ix_(owner, owner)]


def relational_spec(
    graph: nx.Graph,
    widths: int | np.ndarray,
    rounds: int,
    input_shape: tuple[int, ...],
    n_classes: int,
) -> NetSpec:
    """The relational network of `graph`: `widths` per node (or a total, split evenly), `rounds` exchanges."""
    if rounds < 1:
        raise ValueError(f"the relational mapping needs at least one round, got {rounds}")
    widths = _per_node(widths, graph.number_of_nodes())
    width = int(widths.sum())
    input_dim = int(np.prod(input_shape))
    hidden = [LayerSpec(width, [0], np.ones((width, input_dim), dtype=bool))]
    mask = block_mask(graph, widths)
    hidden += [LayerSpec(width, [layer], mask.copy()) for layer in range(1, rounds + 1)]
    output = LayerSpec(n_classes, [rounds + 1], np.ones((n_classes, width), dtype=bool))
    return NetSpec(tuple(input_shape), n_classes, hidden, output)


def relational_param_count(
    adjacency: np.ndarray, widths: int | np.ndarray, rounds: int, input_dim: int, n_classes: int
) -> int:
    """Parameters of the relational net (``adjacency`` holds ``A + I``), as :func:`spec_param_count`.

    Input weights ``input_dim·w``, ``rounds`` exchange layers of
    ``Σ_ij (A+I)_ij w_i w_j`` weights, ``n_classes·w`` output weights, and a
    bias for each of the ``(rounds + 1)·w + n_classes`` neurons; `widths` per
    node, or a total split by :func:`node_widths`.
    """
    w = _per_node(widths, len(adjacency))
    return int(_counts(adjacency, w[None, :], rounds, input_dim, n_classes)[0])


def _per_node(widths: int | np.ndarray, n: int) -> np.ndarray:
    """Per-node widths: a total split by :func:`node_widths`, or the array checked."""
    out = node_widths(widths, n) if np.isscalar(widths) else np.asarray(widths, dtype=np.int64)
    if out.shape != (n,) or (out < 1).any():
        raise ValueError(f"need one positive width per node ({n}), got {out.tolist()}")
    return out


def _counts(
    adjacency: np.ndarray, widths: np.ndarray, rounds: int, input_dim: int, n_classes: int
) -> np.ndarray:
    """Parameter counts of every row of `widths` (candidates × nodes)."""
    w = widths.astype(np.int64)
    exchange = np.einsum("ki,ij,kj->k", w, adjacency.astype(np.int64), w)
    total = w.sum(axis=1)
    return (input_dim + n_classes + rounds + 1) * total + rounds * exchange + n_classes


def dense_param_count(width: int, rounds: int, input_dim: int, n_classes: int) -> int:
    """Parameters of the complete graph's net at `width`: the dense MLP of ``rounds + 1`` layers."""
    return (input_dim + n_classes + rounds + 1) * width + rounds * width * width + n_classes


def match_width(graph: nx.Graph, target: int, rounds: int, input_dim: int, n_classes: int) -> int:
    """The total width whose even split's parameter count is closest to `target` (ties: narrower).

    The count grows with the width (:func:`node_widths` hands out neurons in
    node order), so a bisection finds the first width at or above the target;
    it or the width before it is the closest.
    """
    adjacency = _adjacency(graph)
    n = len(adjacency)

    def count(width: int) -> int:
        return relational_param_count(adjacency, width, rounds, input_dim, n_classes)

    if count(n) >= target:
        return n
    low, high = n, 2 * n
    while count(high) < target:
        low, high = high, 2 * high
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if count(mid) < target else (low, mid)
    return low if target - count(low) <= count(high) - target else high


def match_node_widths(
    graph: nx.Graph, target: int, rounds: int, input_dim: int, n_classes: int
) -> np.ndarray:
    """Per-node widths whose parameter count is closest to `target`: the width rule.

    Around the closest total width ``w`` (:func:`match_width`, ``w ± 2``),
    every node gets ``w // n`` neurons and ``w mod n`` of them one more; the
    nodes that get one more are a run of consecutive nodes in the order of
    their degree (ties by index). A neuron on a node of higher degree brings
    more exchange weights, so sliding the run tunes the count in steps much
    finer than a whole width step. The candidate closest to `target` wins
    (ties: the narrower total, then the run of lower degrees).
    """
    adjacency = _adjacency(graph)
    n = len(adjacency)
    centre = match_width(graph, target, rounds, input_dim, n_classes)
    order = np.lexsort((np.arange(n), adjacency.sum(axis=1)))
    candidates = []
    for width in range(max(n, centre - 2), centre + 3):
        base, extra = divmod(width, n)
        for start in range(n - extra + 1 if extra else 1):
            w = np.full(n, base, dtype=np.int64)
            w[order[start : start + extra]] += 1
            candidates.append(w)
    widths = np.stack(candidates)
    error = np.abs(_counts(adjacency, widths, rounds, input_dim, n_classes) - target)
    return widths[int(np.argmin(error))]


def relational_net(
    graph: nx.Graph,
    rounds: int,
    input_shape: tuple[int, ...],
    n_classes: int,
    *,
    width: int | None = None,
    params: int | None = None,
) -> RelationalNet:
    """A graph's relational net, matched to ``params`` or else to the dense MLP at ``width``."""
    input_dim = int(np.prod(input_shape))
    if params is None:
        if width is None:
            raise ValueError("the relational mapping needs a reference width or a parameter budget")
        params = dense_param_count(width, rounds, input_dim, n_classes)
    widths = match_node_widths(graph, int(params), rounds, input_dim, n_classes)
    spec = relational_spec(graph, widths, rounds, input_shape, n_classes)
    return RelationalNet(
        int(widths.sum()), tuple(int(w) for w in widths), rounds, spec_param_count(spec), spec
    )


def relational_section(study: StudyConfig, variant: str) -> RelationalConfig | None:
    """``mapping.relational`` when it applies to a graph of this ``variant``, else None."""
    rel = study.mapping.relational
    return rel if rel is not None and variant in rel.variants else None


def config_relational_net(
    graph: nx.Graph, rel: RelationalConfig, input_shape: tuple[int, ...], n_classes: int
) -> RelationalNet:
    """The relational net of `graph` under the ``mapping.relational`` section `rel`."""
    return relational_net(
        graph, rel.rounds, input_shape, n_classes, width=rel.width, params=rel.params
    )
