"""Size and interface columns: what the controlled claims control for and C5 never counts.

A graph net's size (parameters, neurons, edges) and its interface (how many
neurons read the input, how many feed the classifier) are not structure in
the paper's sense, yet they move with the structural properties: with
``mapping.input_wiring: sources`` the number of DAG sources *is* the input
width. docs/report.md ("Size and interface columns") lists them;
:func:`claim_frame` is the per-graph table of the claims and the confound
audit.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from graphprior.analysis.primitives import is_constant, unique
from graphprior.analysis.stats.inference import cluster_ids
from graphprior.analysis.study.aggregate import aggregate_per_graph
from graphprior.analysis.study.columns import CONTROLS, bare
from graphprior.config import MappingConfig

__all__ = [
    "SIZE_COLUMNS",
    "INTERFACE_COLUMNS",
    "is_size_column",
    "interface_columns",
    "claim_controls",
    "structural",
    "strata_column",
    "claim_frame",
]

#: Columns (bare names, no ``graph_`` prefix) that measure size: never structure.
SIZE_COLUMNS: tuple[str, ...] = (
    "n_params",
    "n_weights",
    "n_neurons",
    "n_nodes",
    "n_edges",
    "dag_n_params",
    "dag_n_nodes",
    "dag_n_edges",
    "dag_width_mean",
    "dag_width_max",
)

#: Columns (bare names) that measure the interface to the input and the classifier.
INTERFACE_COLUMNS: tuple[str, ...] = ("input_width", "readout_width", "dag_sources", "dag_sinks")


def is_size_column(column: str) -> bool:
    """True for a size or interface column (:data:`SIZE_COLUMNS`, :data:`INTERFACE_COLUMNS`)."""
    return bare(column) in SIZE_COLUMNS + INTERFACE_COLUMNS


def interface_columns(study: pd.DataFrame, mapping: MappingConfig) -> dict[str, str]:
    """The study columns that hold the input width and the readout width, where known.

    ``input_width`` / ``readout_width`` when the study has them (the
    size-matched design); otherwise the input width is ``dag_sources`` with
    ``input_wiring: sources`` (every source reads the whole input) and
    ``dag_n_nodes`` with ``all``, and the readout width is ``dag_sinks`` with
    ``readout: sinks``. A role without a column is left out.
    """
    found: dict[str, str] = {}
    fallback_input = {"sources": "dag_sources", "all": "dag_n_nodes"}[mapping.input_wiring]
    fallback_readout = {"sinks": "dag_sinks"}.get(mapping.readout)
    for role, fallback in (("input_width", fallback_input), ("readout_width", fallback_readout)):
        for col in (role, fallback):
            if col is not None and col in study.columns:
                found[role] = col
                break
    return found


def claim_controls(study: pd.DataFrame, mapping: MappingConfig) -> list[str]:
    """Controls of the controlled claims: clean accuracy, parameter count, input and readout width."""
    cols = [c for c in CONTROLS if c in study.columns]
    return unique([*cols, *interface_columns(study, mapping).values()])


def structural(columns: Sequence[str]) -> list[str]:
    """The columns that are structural properties (not size or interface)."""
    return [c for c in columns if not is_size_column(c)]


def strata_column(study: pd.DataFrame) -> str:
    """``stratum`` when the study has it with values (the size-matched design), else ``generator``."""
    has = "stratum" in study.columns and study["stratum"].notna().any()
    return "stratum" if has else "generator"


def claim_frame(
    ok: pd.DataFrame,
    study: pd.DataFrame,
    xs: Sequence[str],
    ys: Sequence[str],
    controls: Sequence[str],
    how: str,
) -> tuple[pd.DataFrame, list[str]]:
    """Per-(graph, arm) table of the claims: properties, measures, controls, ``unit``, ``stratum``.

    One row per graph of each arm in `ok` (the claims pass one arm, the main
    one). ``unit`` is the resampling cluster (an original with its twins,
    :func:`graphprior.analysis.stats.inference.cluster_ids`), ``stratum`` the
    value of :func:`strata_column` for that graph and arm. Also returns the
    controls used: those present and not constant over the graphs (a
    constant one carries no information).
    """
    present = [c for c in controls if c in ok.columns]
    frame = aggregate_per_graph(ok, list(xs), list(ys), how, controls=present)
    on = ["graph_id", *(["arm"] if "arm" in frame.columns and "arm" in study.columns else [])]
    keys = [c for c in (*on, "variant", "parent_id") if c in study.columns]
    scol = strata_column(study)
    graphs = study.loc[study["graph_id"].notna(), unique([*keys, scol])].drop_duplicates(on)
    graphs = graphs.rename(columns={scol: "stratum"})
    if "arm" in on:  # an all-null arm (a study without arms) reads as float: compare as text
        graphs["arm"], frame["arm"] = graphs["arm"].astype(object), frame["arm"].astype(object)
    frame = frame.drop(columns=[c for c in ("stratum",) if c in frame.columns]).merge(
        graphs, on=on, how="left"
    )
    frame["unit"] = cluster_ids(frame)
    frame["stratum"] = frame["stratum"].fillna("unknown").astype(str)
    used = [c for c in present if not is_constant(frame[c].to_numpy(dtype=float))]
    return frame, used
