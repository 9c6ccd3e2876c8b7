"""Graphs on disk and in the ``graphs`` table: GraphML files and table rows.

:func:`write_graph` stores a drawn graph with its spec as GraphML graph
attributes (atomically), :func:`read_graph` reads it back in canonical form,
and :func:`graph_record` is the spec's row of the ``graphs`` table
(docs/data-dictionary.md).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import networkx as nx

from graphprior.graphs.generators import canonical_graph
from graphprior.graphs.grid import GraphSpec

__all__ = ["graph_record", "write_graph", "read_graph"]


def _params_json(spec: GraphSpec) -> str:
    values = {k: list(v) if isinstance(v, tuple) else v for k, v in spec.params}
    return json.dumps(values, separators=(",", ":"))


def graph_record(spec: GraphSpec) -> dict[str, Any]:
    """Row of the ``graphs`` table for one spec.

    Keys: ``graph_id, generator, params_json`` (parameters as a JSON object in
    the generator's order), ``n_nodes_requested`` (``n``, or the sum of block
    sizes), ``seed, variant, parent_id`` (``None`` for originals),
    ``pair_id`` (the original's id, for the original and its twin alike),
    ``stratum`` (``n{n}-m{m}`` for size-matched graphs, twins included) and
    ``target_edges`` (the stratum's m); both ``None`` for the classic grid.
    The achieved edge count is ``n_edges`` of the ``graph_properties`` table.
    """
    return {
        "graph_id": spec.graph_id,
        "generator": spec.generator,
        "params_json": _params_json(spec),
        "n_nodes_requested": spec.n_nodes,
        "seed": int(spec.seed),
        "variant": spec.variant,
        "parent_id": spec.parent_id,
        "pair_id": spec.parent_id or spec.graph_id,
        "stratum": spec.stratum,
        "target_edges": spec.target_edges,
    }


def write_graph(graph: nx.Graph, spec: GraphSpec, path: str | os.PathLike[str]) -> None:
    """Write a graph as GraphML with its spec as graph attributes.

    Graph attributes: ``graph_id``, ``generator``, ``params`` (JSON string),
    ``seed``, ``variant``, ``parent_id`` (empty string for originals) and
    ``twin_swaps_per_edge``. Node and edge attributes are not written. The file
    is written to a temporary file in the same folder and renamed, so a
    crashed job never leaves a half-written graph behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = canonical_graph(graph)
    out.graph.update(
        graph_id=spec.graph_id,
        generator=spec.generator,
        params=_params_json(spec),
        seed=int(spec.seed),
        variant=spec.variant,
        parent_id=spec.parent_id or "",
        twin_swaps_per_edge=int(spec.twin_swaps_per_edge),
    )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            nx.write_graphml(out, handle)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_graph(path: str | os.PathLike[str]) -> nx.Graph:
    """Read a graph written by :func:`write_graph`.

    Returns an undirected ``networkx.Graph`` with integer nodes in ascending
    order and sorted edges; the GraphML graph attributes are kept in
    ``graph.graph`` (``parent_id`` is ``None`` for originals).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        ``"corrupt graph file {path}: ..."`` if it cannot be parsed, is
        directed, or has non-integer node ids.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    try:
        raw = nx.read_graphml(path, node_type=int)
    except Exception as err:  # parse errors come from expat, networkx and int()
        raise ValueError(f"corrupt graph file {path}: {type(err).__name__}: {err}") from err
    if raw.is_directed() or raw.is_multigraph():
        raise ValueError(f"corrupt graph file {path}: expected a simple undirected graph")
    graph = canonical_graph(raw)
    graph.graph.update(
        (k, v) for k, v in raw.graph.items() if k not in ("node_default", "edge_default")
    )
    if graph.graph.get("parent_id") == "":
        graph.graph["parent_id"] = None
    return graph
