"""Report section "How a graph becomes a network": one example graph, its DAG and mask."""

from __future__ import annotations

import json
import logging

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize

from graphprior.analysis.study_context import StudyContext
from graphprior.graphs.dag import build_layered_dag
from graphprior.graphs.grid import GraphSpec, make_graph
from graphprior.graphs.selection import mapping_options
from graphprior.report.document import Figure, Section
from graphprior.report.figures import figure, plt
from graphprior.report.render import fmt
from graphprior.report.sections import TITLES

__all__ = ["section_mapping"]

log = logging.getLogger(__name__)


def _example_graph(ctx: StudyContext) -> pd.Series | None:
    """The graph shown: with a trainable model, original, smallest first."""
    graphs = ctx.tables["graphs"]
    if graphs.empty:
        return None
    cand = graphs.copy()
    cand["has_ok"] = cand["graph_id"].isin(set(ctx.ok["graph_id"].dropna()))
    cand["is_original"] = cand["variant"] == "original"
    size = cand["n_nodes_requested"] if "n_nodes_requested" in cand else 0
    cand["size"] = pd.to_numeric(size, errors="coerce").fillna(np.inf)
    cand = cand.sort_values(["has_ok", "is_original", "size"], ascending=[False, False, True])
    return cand.iloc[0]


def section_mapping(ctx: StudyContext) -> Section:
    """One example graph, its layered DAG and the resulting weight mask."""
    sec = Section(TITLES["mapping"])
    row = _example_graph(ctx)
    if row is None:
        sec.text("The graphs table is empty: there is no graph to show.")
        return sec
    try:
        spec = GraphSpec.create(
            str(row["generator"]),
            json.loads(row["params_json"]),
            int(row["seed"]),
            variant=str(row["variant"]),
            twin_swaps_per_edge=ctx.config.graphs.twin_swaps_per_edge,
        )
        graph = make_graph(spec)
        opts = mapping_options(ctx.config, str(row["graph_id"]), 0)
        layered = build_layered_dag(graph, opts)
    except Exception as exc:  # a report must build even if the example cannot be redrawn
        log.warning("could not rebuild example graph %s: %s", row["graph_id"], exc)
        sec.text(f"The example graph `{row['graph_id']}` could not be rebuilt ({exc}).")
        return sec
    gid = str(row["graph_id"])
    props = ctx.tables["graph_properties"]
    prow = props.loc[props["graph_id"] == gid]
    if "orientation_seed" in prow.columns:  # the orientation drawn: seed 0
        prow = prow.loc[prow["orientation_seed"] == 0]
    prow = prow.iloc[0] if len(prow) else pd.Series(dtype=float)
    opts = opts.to_dict()
    sec.text(
        f"Example: graph `{gid}` ({row['generator']}, parameters {row['params_json']}, seed "
        f"{fmt(int(row['seed']))}, {row['variant']}), rebuilt from its row of the graphs table. "
        f"It has {fmt(prow.get('n_nodes'))} nodes and {fmt(prow.get('n_edges'))} edges. Edges are "
        f"oriented `{opts['orientation']}` (orientation seed 0, seeded by the graph id), every node gets layer "
        "1 + the largest layer of its predecessors (sources: layer 0"
        + ("; sinks moved to the last layer" if opts["sinks_to_last_layer"] else "")
        + f"), giving {fmt(prow.get('dag_depth'))} hidden layers of widths "
        + ", ".join(fmt(w) for w in layered.widths)
        + f". {fmt(prow.get('dag_skip_edges'))} of the edges skip at least one layer (mean span "
        f"{fmt(prow.get('dag_skip_span_mean'))}). The input feeds "
        f"{fmt(len(layered.input_nodes))} neurons (`{opts['input_wiring']}`), "
        f"{fmt(len(layered.readout_nodes))} neurons feed the classifier (`{opts['readout']}`); the "
        f"network has {fmt(prow.get('dag_n_params'))} trainable parameters. Each edge u→v is one "
        "trainable weight from neuron u to neuron v; absent edges are masked to zero."
    )
    checks = {
        "edges": (graph.number_of_edges(), prow.get("n_edges")),
        "layers": (layered.depth, prow.get("dag_depth")),
    }
    mismatch = [
        k
        for k, (a, b) in checks.items()
        if b is not None and np.isfinite(float(b)) and int(a) != int(b)
    ]
    if mismatch:
        sec.text(
            "Warning: the rebuilt graph differs from the graph_properties table in "
            + ", ".join(mismatch)
            + " (the figure may not show the graph that was trained)."
        )
    sec.figure(_mapping_figure(graph, layered, gid))
    return sec


def _mapping_figure(graph, layered, gid: str) -> Figure:
    """Three panels: the undirected graph, its layered DAG and the hidden weight mask."""
    fig, axes = plt.subplots(
        1, 3, figsize=(16, 5.2), gridspec_kw={"width_ratios": [1.0, 1.5, 1.0]}, layout="constrained"
    )
    _graph_panel(axes[0], graph, gid)
    spans = _dag_panel(fig, axes[1], layered)
    _mask_panel(axes[2], layered, spans)
    return figure(
        "graph_to_network",
        f"From graph to network: the undirected graph {gid} (left), its layered DAG with nodes "
        "placed by layer (centre; input in green, classifier in red, skip edges coloured by "
        "span) and the resulting mask of hidden-to-hidden weights (right; blue lines separate "
        "the layers; the diagonal blocks and everything above them are always absent).",
        fig,
    )


def _graph_panel(ax, graph, gid: str) -> None:
    """The undirected graph in a spring layout."""
    pos = nx.spring_layout(graph, seed=0)
    segs = [(pos[u], pos[v]) for u, v in graph.edges()]
    ax.add_collection(LineCollection(segs, colors="0.6", linewidths=0.6))
    xy = np.array([pos[v] for v in graph.nodes()])
    ax.scatter(xy[:, 0], xy[:, 1], s=14, c="tab:blue", zorder=3)
    ax.set_title(f"undirected graph {gid}", fontsize=9)
    ax.set_axis_off()
    ax.autoscale()


def _dag_panel(fig, ax, layered) -> dict:
    """The layered DAG, skip edges coloured by span; returns the span of every edge."""
    widths = layered.widths
    lpos = {
        v: (layered.layer_of[v], layered.position[v] - (widths[layered.layer_of[v]] - 1) / 2)
        for v in layered.dag.nodes()
    }
    spans = {(u, v): layered.layer_of[v] - layered.layer_of[u] for u, v in layered.dag.edges()}
    max_span = max(spans.values(), default=1)
    norm = Normalize(vmin=2, vmax=max(max_span, 3))
    cmap = plt.get_cmap("plasma")
    adjacent = [(lpos[u], lpos[v]) for (u, v), s in spans.items() if s == 1]
    skips = [((lpos[u], lpos[v]), s) for (u, v), s in spans.items() if s > 1]
    ax.add_collection(LineCollection(adjacent, colors="0.65", linewidths=0.6, zorder=1))
    if skips:
        lc = LineCollection(
            [seg for seg, _ in skips],
            colors=[cmap(norm(s)) for _, s in skips],
            linewidths=0.9,
            alpha=0.8,
            zorder=2,
        )
        ax.add_collection(lc)
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(sm, ax=ax, label="span of a skip edge (layers)", fraction=0.04)
    depth = layered.depth
    ymax = max(widths) / 2 + 0.5
    for v in layered.input_nodes:
        ax.plot([-1, lpos[v][0]], [0, lpos[v][1]], color="tab:green", lw=0.4, alpha=0.5, zorder=0)
    for v in layered.readout_nodes:
        ax.plot([lpos[v][0], depth], [lpos[v][1], 0], color="tab:red", lw=0.4, alpha=0.5, zorder=0)
    xy = np.array([lpos[v] for v in layered.dag.nodes()])
    ax.scatter(xy[:, 0], xy[:, 1], s=16, c="tab:blue", zorder=3)
    ax.scatter([-1], [0], marker="s", s=120, c="tab:green", zorder=3)
    ax.scatter([depth], [0], marker="s", s=120, c="tab:red", zorder=3)
    ax.text(-1, -ymax * 0.12 - 0.3, "input", ha="center", va="top", fontsize=8)
    ax.text(depth, -ymax * 0.12 - 0.3, "classifier", ha="center", va="top", fontsize=8)
    ax.set_xlim(-1.5, depth + 0.5)
    ax.set_ylim(-ymax, ymax)
    ax.set_xticks(range(depth))
    ax.set_xlabel("hidden layer")
    ax.set_yticks([])
    ax.set_title("layered DAG (grey: adjacent layers; colour: skip edges)", fontsize=9)
    return spans


def _mask_panel(ax, layered, spans: dict) -> None:
    """The mask of hidden-to-hidden weights, neurons ordered by layer."""
    widths = layered.widths
    order = [v for layer in layered.layers for v in layer]
    index = {v: i for i, v in enumerate(order)}
    mask = np.zeros((len(order), len(order)))
    for u, v in layered.dag.edges():
        mask[index[v], index[u]] = 1.0 if spans[(u, v)] == 1 else 2.0
    ax.imshow(
        mask,
        cmap=plt.matplotlib.colors.ListedColormap(["white", "0.4", "tab:orange"]),
        interpolation="nearest",
        vmin=0,
        vmax=2,
    )
    bounds = np.cumsum(widths)[:-1] - 0.5
    for b in bounds:
        ax.axhline(b, color="tab:blue", lw=0.4)
        ax.axvline(b, color="tab:blue", lw=0.4)
    ax.set_xlabel("sending neuron (ordered by layer)")
    ax.set_ylabel("receiving neuron")
    ax.set_title(
        "weight mask between hidden neurons\n(grey: adjacent layers, orange: skips)", fontsize=9
    )
