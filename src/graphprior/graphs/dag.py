"""Graph → DAG → layers: the one conversion every other module uses.

A random undirected graph becomes the hidden structure of a network in three
steps (docs/reproduction.md compares them with the paper's): orient every edge to get a DAG, assign each node a layer by
the longest path from the sources, and optionally move every sink to the last
layer (the paper's choice, so that every node reaches the readout).

Both the network builder (:mod:`graphprior.nets.stacked`) and the DAG properties
(:mod:`graphprior.graphs.properties`) call :func:`build_layered_dag`, so the numbers in
the property tables describe exactly the network that was trained.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from graphprior.config import MappingConfig

__all__ = [
    "Orientation",
    "InputWiring",
    "Readout",
    "MappingOptions",
    "LayeredDAG",
    "orient",
    "assign_layers",
    "build_layered_dag",
]

# The defaults of MappingOptions are the ``mapping`` section's (MappingConfig: the schema's).
_MAPPING = MappingConfig()


class Orientation(enum.StrEnum):
    """How an undirected edge {u, v} becomes a directed one."""

    INDEX_ASCENDING = "index_ascending"  # u -> v when u < v (deepstruct, RandWire)
    INDEX_DESCENDING = "index_descending"  # u -> v when u > v (the paper's code)
    RANDOM = "random"  # by a seeded random permutation of the nodes


class InputWiring(enum.StrEnum):
    """Which hidden neurons receive the input vector (densely)."""

    SOURCES = "sources"  # the first layer only (the paper)
    ALL = "all"  # every hidden neuron


class Readout(enum.StrEnum):
    """Which hidden neurons feed the linear classifier."""

    LAST_LAYER = "last_layer"  # the paper
    SINKS = "sinks"  # every node without successors
    ALL = "all"  # every hidden neuron


@dataclass(frozen=True)
class MappingOptions:
    """Every choice in the graph → network mapping; defaults from the config schema."""

    orientation: Orientation = Orientation(_MAPPING.orientation)
    sinks_to_last_layer: bool = _MAPPING.sinks_to_last_layer
    input_wiring: InputWiring = InputWiring(_MAPPING.input_wiring)
    readout: Readout = Readout(_MAPPING.readout)
    seed: int = 0  # seeds the random orientation; derived from the graph id, not a config key
    # the density design (mapping.hold_params_at): input weights the net loses, and the seed of
    # which ones; derived from the graph's stratum and id, not config keys
    input_weights_removed: int = 0
    input_seed: int = 0

    def __post_init__(self) -> None:
        # Accept plain strings (from config files) and store the enums.
        object.__setattr__(self, "orientation", Orientation(self.orientation))
        object.__setattr__(self, "input_wiring", InputWiring(self.input_wiring))
        object.__setattr__(self, "readout", Readout(self.readout))
        if self.input_weights_removed < 0:
            raise ValueError(
                f"input_weights_removed must be >= 0, got {self.input_weights_removed}"
            )

    @classmethod
    def from_dict(cls, d: dict) -> MappingOptions:
        """Options from a ``mapping`` section plus ``seed``; missing keys take the defaults."""
        base = cls()
        return cls(
            orientation=Orientation(d.get("orientation", base.orientation)),
            sinks_to_last_layer=bool(d.get("sinks_to_last_layer", base.sinks_to_last_layer)),
            input_wiring=InputWiring(d.get("input_wiring", base.input_wiring)),
            readout=Readout(d.get("readout", base.readout)),
            seed=int(d.get("seed", base.seed)),
            input_weights_removed=int(d.get("input_weights_removed", 0)),
            input_seed=int(d.get("input_seed", 0)),
        )

    def to_dict(self) -> dict:
        """The options as plain config values (``seed`` included)."""
        return {
            "orientation": self.orientation.value,
            "sinks_to_last_layer": self.sinks_to_last_layer,
            "input_wiring": self.input_wiring.value,
            "readout": self.readout.value,
            "seed": self.seed,
            "input_weights_removed": self.input_weights_removed,
            "input_seed": self.input_seed,
        }


@dataclass
class LayeredDAG:
    """A DAG with nodes relabelled 0..n-1 and grouped into layers.

    Attributes
    ----------
    dag : the directed acyclic graph (nodes 0..n-1).
    layer_of : ``layer_of[v]`` is the layer index of node ``v``.
    layers : ``layers[l]`` lists the nodes of layer ``l`` in ascending order.
    position : ``position[v]`` is the index of ``v`` inside its layer.
    input_nodes : nodes that receive the network input (densely, less the removed weights).
    readout_nodes : nodes that feed the classifier.
    input_weights_removed : input weights the network loses (``mapping.hold_params_at``),
        spread over the input nodes by :func:`graphprior.graphs.netspec.removed_inputs`.
    input_seed : seed of which input weights those are.
    """

    dag: nx.DiGraph
    layer_of: dict[int, int]
    layers: list[list[int]]
    position: dict[int, int] = field(default_factory=dict)
    input_nodes: list[int] = field(default_factory=list)
    readout_nodes: list[int] = field(default_factory=list)
    input_weights_removed: int = 0
    input_seed: int = 0

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def widths(self) -> list[int]:
        return [len(layer) for layer in self.layers]


def orient(graph: nx.Graph, orientation: Orientation | str, seed: int = 0) -> nx.DiGraph:
    """Orient the edges of an undirected graph so that the result is acyclic.

    Nodes are first relabelled 0..n-1 in sorted order of the original labels
    (so ``index_*`` orientations follow generator order). Self-loops are
    dropped; a DAG cannot hold them.

    Examples
    --------
    >>> d = orient(nx.path_graph(3), "index_descending")
    >>> sorted(d.edges())
    [(1, 0), (2, 1)]
    """
    orientation = Orientation(orientation)
    nodes = sorted(graph.nodes())
    relabel = {v: i for i, v in enumerate(nodes)}
    n = len(nodes)
    if orientation is Orientation.RANDOM:
        rank = np.random.default_rng(seed).permutation(n)
    elif orientation is Orientation.INDEX_ASCENDING:
        rank = np.arange(n)
    else:
        rank = -np.arange(n)
    dag = nx.DiGraph()
    dag.add_nodes_from(range(n))
    for u, v in graph.edges():
        a, b = relabel[u], relabel[v]
        if a == b:
            continue
        dag.add_edge(a, b) if rank[a] < rank[b] else dag.add_edge(b, a)
    return dag


def assign_layers(dag: nx.DiGraph, sinks_to_last_layer: bool) -> dict[int, int]:
    """Layer of each node: 0 for sources, else 1 + the largest layer of its predecessors.

    With ``sinks_to_last_layer`` every node without successors moves to the
    last layer (the paper's code), so every neuron reaches the readout.
    Isolated nodes are both sources and sinks.

    Examples
    --------
    >>> d = nx.DiGraph([(0, 1), (1, 2), (0, 3)])
    >>> assign_layers(d, sinks_to_last_layer=False)
    {0: 0, 1: 1, 2: 2, 3: 1}
    >>> assign_layers(d, sinks_to_last_layer=True)[3]
    2
    """
    layer: dict[int, int] = {}
    for v in nx.topological_sort(dag):
        preds = list(dag.predecessors(v))
        layer[v] = 0 if not preds else 1 + max(layer[u] for u in preds)
    if sinks_to_last_layer and layer:
        last = max(layer.values())
        for v in dag.nodes():
            if dag.out_degree(v) == 0:
                layer[v] = last
    return {v: layer[v] for v in sorted(layer)}


def build_layered_dag(graph: nx.Graph, options: MappingOptions | None = None) -> LayeredDAG:
    """Convert an undirected graph into the layered DAG a network is built from."""
    options = options or MappingOptions()
    if graph.number_of_nodes() == 0:
        raise ValueError("cannot build a network from a graph with no nodes")
    dag = orient(graph, options.orientation, options.seed)
    layer_of = assign_layers(dag, options.sinks_to_last_layer)
    depth = max(layer_of.values()) + 1
    layers: list[list[int]] = [[] for _ in range(depth)]
    for v in sorted(layer_of):
        layers[layer_of[v]].append(v)
    # Moving sinks can empty a middle layer; drop empty layers, keeping order.
    layers = [layer for layer in layers if layer]
    layer_of = {v: li for li, layer in enumerate(layers) for v in layer}
    position = {v: i for layer in layers for i, v in enumerate(layer)}
    if options.input_wiring is InputWiring.SOURCES:
        input_nodes = list(layers[0])
    else:
        input_nodes = sorted(layer_of)
    if options.readout is Readout.LAST_LAYER:
        readout_nodes = list(layers[-1])
    elif options.readout is Readout.SINKS:
        readout_nodes = sorted(v for v in dag.nodes() if dag.out_degree(v) == 0)
    else:
        readout_nodes = sorted(layer_of)
    return LayeredDAG(
        dag=dag,
        layer_of=layer_of,
        layers=layers,
        position=position,
        input_nodes=input_nodes,
        readout_nodes=readout_nodes,
        input_weights_removed=options.input_weights_removed,
        input_seed=options.input_seed,
    )
