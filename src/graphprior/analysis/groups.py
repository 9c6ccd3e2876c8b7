"""Comparisons of groups: initialisations (claim C1) and graph nets vs pruned baselines.

Claim C1 (no dependence on the initialisation) is tested with a Friedman test
blocked by graph and a Kruskal–Wallis test (:func:`init_independence`), with a
bootstrap interval of Kendall's W (:func:`kendall_w_interval`); graph nets are
compared with pruned dense baselines at matched density by
:func:`matched_density_comparison`, on the ``matched_density`` both share
(docs/measures.md), and :func:`matched_density_pairs` lists the achieved
densities of each pairing. Test statistics come from
:mod:`scipy.stats`. See docs/report.md.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.stats

from graphprior.analysis.primitives import require_columns
from graphprior.analysis.stats.inference import PERMUTATION_BELOW
from graphprior.analysis.stats.permutation import friedman_permutation_p, kruskal_permutation_p
from graphprior.analysis.study.table import ok_rows

__all__ = [
    "init_independence",
    "kendall_w_interval",
    "cliffs_delta",
    "compare_groups",
    "matched_density_comparison",
    "matched_density_pairs",
    "nearest_level",
    "MATCHED_COLUMNS",
    "PAIR_COLUMNS",
]

logger = logging.getLogger(__name__)


def init_independence(
    study: pd.DataFrame,
    measure: str,
    block: str = "graph_id",
    group: str = "init",
    *,
    ok_only: bool = True,
    n_perm: int | None = None,
    rng: np.random.Generator | None = None,
) -> dict[str, Any]:
    """Does a measure depend on the initialisation? Friedman and Kruskal–Wallis.

    Models are first averaged over seeds within each (graph, init) cell.

    * **Friedman** (:func:`scipy.stats.friedmanchisquare`, tie-corrected)
      compares the inits within each graph, using only complete blocks (graphs
      with a value for every init). Effect size Kendall's
      ``W = χ² / (n_blocks·(k − 1))`` in [0, 1]: 0 = no consistent ordering of
      the inits across graphs, 1 = the same ordering in every graph. Needs
      k ≥ 3 inits and 2 blocks, otherwise NaN.
    * **Kruskal–Wallis** (:func:`scipy.stats.kruskal`) compares the inits on
      all cells, ignoring the blocking by graph (so graph-to-graph variation
      counts as noise). Effect size ``ε² = H·(n + 1)/(n² − 1)``, n the number
      of cells.

    With `n_perm` and `rng`, and fewer than
    :data:`~graphprior.analysis.stats.inference.PERMUTATION_BELOW` graphs, both
    p-values are permutation p-values instead (exact when every permutation
    fits in `n_perm`; :mod:`graphprior.analysis.stats.permutation`); the method of
    each is in ``friedman_p_method`` / ``kruskal_p_method``.

    When every value being ranked is tied (e.g. the measure is identical for
    all inits) the tie-corrected statistics are 0/0; they are reported as 0
    with p = 1 (no evidence of a difference), the limit of the uncorrected
    statistics.

    Parameters
    ----------
    study : DataFrame
        One row per model.
    measure : str
        Robustness measure column.
    block, group : str
        Blocking column (graph) and treatment column (initialisation).
    ok_only : bool
        Drop models whose ``status`` is not ``Status.OK``.
    n_perm : int, optional
        Permutations for the small-sample p-values (``report.permutations``).
    rng : numpy.random.Generator, optional
        Source of the permutations; both or neither with `n_perm`.

    Returns
    -------
    dict
        ``measure``; ``k`` (number of inits); ``n_blocks`` (complete graphs
        used by Friedman); ``n_blocks_dropped`` (graphs lacking an init);
        ``friedman_chi2``, ``friedman_p``, ``friedman_p_method``,
        ``kendall_w``; ``n_obs`` (cells used by Kruskal–Wallis); ``kruskal_h``,
        ``kruskal_p``, ``kruskal_p_method``, ``epsilon_squared``;
        ``group_medians`` (dict init → median over cells).
    """
    require_columns(study, [block, group, measure])
    if (n_perm is None) != (rng is None):
        raise ValueError("init_independence needs both n_perm and rng, or neither")
    data = ok_rows(study) if ok_only else study
    data = data.loc[np.isfinite(data[measure].astype(float))]
    cells = data.groupby([block, group], sort=True)[measure].mean()
    wide = cells.unstack(group)
    k = wide.shape[1]
    complete = wide.dropna()
    n_blocks = len(complete)
    result = _blank_result(measure, int(k), n_blocks, len(wide) - n_blocks, cells.size)
    result["group_medians"] = {str(g): float(v) for g, v in wide.median().items()}
    perm = (n_perm, rng) if n_perm is not None and len(wide) < PERMUTATION_BELOW else None
    result.update(_friedman(complete, perm))
    result.update(_kruskal(wide, perm))
    return result


def _blank_result(measure: str, k: int, n_blocks: int, dropped: int, n_obs: int) -> dict[str, Any]:
    """The result of :func:`init_independence` before any test ran (NaN, asymptotic)."""
    nan = float("nan")
    return {
        "measure": measure,
        "k": k,
        "n_blocks": int(n_blocks),
        "n_blocks_dropped": int(dropped),
        "friedman_chi2": nan,
        "friedman_p": nan,
        "friedman_p_method": "asymptotic",
        "kendall_w": nan,
        "n_obs": int(n_obs),
        "kruskal_h": nan,
        "kruskal_p": nan,
        "kruskal_p_method": "asymptotic",
        "epsilon_squared": nan,
        "group_medians": {},
    }


def _friedman(complete: pd.DataFrame, perm: tuple | None) -> dict[str, Any]:
    """Friedman χ², p and Kendall's W on complete blocks (rows) × inits (columns).

    ``perm`` = (n_perm, rng): the p-value by permutation within blocks.
    """
    n_blocks, k = complete.shape
    if not (k >= 3 and n_blocks >= 2):
        logger.info("Friedman test needs >= 3 inits and >= 2 complete graphs; skipped")
        return {}
    block_values = complete.to_numpy(dtype=float)
    if (block_values.max(axis=1) == block_values.min(axis=1)).all():
        chi2, p = 0.0, 1.0
    else:
        res = scipy.stats.friedmanchisquare(*block_values.T)
        chi2, p = float(res.statistic), float(res.pvalue)
    out = {"friedman_chi2": chi2, "friedman_p": p, "kendall_w": chi2 / (n_blocks * (k - 1))}
    if perm is not None:
        out["friedman_p"], out["friedman_p_method"] = friedman_permutation_p(block_values, *perm)
    return out


def _kruskal(wide: pd.DataFrame, perm: tuple | None) -> dict[str, Any]:
    """Kruskal–Wallis H, p and ε² on every (graph, init) cell, inits as groups.

    ``perm`` = (n_perm, rng): the p-value by permuting cells among the inits.
    """
    samples = [wide[g].dropna().to_numpy(dtype=float) for g in wide.columns]
    samples = [s for s in samples if s.size]
    n_obs = sum(s.size for s in samples)
    if not (len(samples) >= 2 and n_obs >= 3):
        return {}
    pooled = np.concatenate(samples)
    if pooled.min() == pooled.max():
        h, p = 0.0, 1.0
    else:
        res = scipy.stats.kruskal(*samples)
        h, p = float(res.statistic), float(res.pvalue)
    out = {"kruskal_h": h, "kruskal_p": p, "epsilon_squared": h * (n_obs + 1) / (n_obs**2 - 1)}
    if perm is not None:
        out["kruskal_p"], out["kruskal_p_method"] = kruskal_permutation_p(samples, *perm)
    return out


def kendall_w_interval(
    study: pd.DataFrame,
    measure: str,
    inits: Sequence[str],
    *,
    n_boot: int,
    rng: np.random.Generator,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of Kendall's W, resampling complete graphs.

    Cells are averaged over seeds per (graph, init), as
    :func:`init_independence`; each resample draws graphs with
    replacement and recomputes ``W = χ²_Friedman / (n (k − 1))`` with
    :func:`scipy.stats.friedmanchisquare` (0 when every block is tied).
    """
    data = study.loc[study["init"].isin(inits) & np.isfinite(study[measure].astype(float))]
    cells = data.groupby(["graph_id", "init"])[measure].mean().unstack("init").dropna()
    values = cells.to_numpy(dtype=float)
    n, k = values.shape if values.ndim == 2 else (0, 0)
    if n_boot <= 0 or n < 3 or k < 3:
        return float("nan"), float("nan")
    idx = rng.integers(0, n, size=(n_boot, n))
    ws = np.empty(n_boot)
    for b in range(n_boot):
        block = values[idx[b]]
        if (block.max(axis=1) == block.min(axis=1)).all():
            ws[b] = 0.0
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            chi2 = scipy.stats.friedmanchisquare(*block.T).statistic
        ws[b] = chi2 / (n * (k - 1))
    ws = ws[np.isfinite(ws)]
    if ws.size == 0:
        return float("nan"), float("nan")
    alpha = 1.0 - level
    lo, hi = np.quantile(ws, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def cliffs_delta(a: Any, b: Any) -> float:
    """Cliff's δ = P(A > B) − P(A < B) over all pairs, in [−1, 1].

    NaN values are dropped; NaN if either sample is empty. Computed by
    counting with a sorted copy of `b` (O(n log n)).

    Examples
    --------
    >>> cliffs_delta([3, 4], [1, 2, 3])
    0.8333333333333334
    """
    av = np.asarray(a, dtype=float)
    bv = np.sort(np.asarray(b, dtype=float))
    av, bv = av[~np.isnan(av)], bv[~np.isnan(bv)]
    if av.size == 0 or bv.size == 0:
        return float("nan")
    greater = np.searchsorted(bv, av, side="left").sum()
    less = (bv.size - np.searchsorted(bv, av, side="right")).sum()
    return float((greater - less) / (av.size * bv.size))


def compare_groups(a: Any, b: Any) -> dict[str, float]:
    """Two-sided Mann–Whitney U test of two independent samples, with effect sizes.

    Parameters
    ----------
    a, b : array_like
        The two samples (e.g. graph nets and pruned baselines); NaN dropped.

    Returns
    -------
    dict
        ``n_a``, ``n_b``; ``median_a``, ``median_b``; ``u`` (U statistic of
        `a`, scipy's convention); ``p`` (two-sided,
        :func:`scipy.stats.mannwhitneyu` default method); ``rank_biserial``
        ``= 2·U/(n_a·n_b) − 1`` (positive when `a` tends to be larger);
        ``cliffs_delta`` (:func:`cliffs_delta`). The two effect sizes are the
        same number for this test (ties count one half); both names are
        common in the literature, and computing them two ways checks the U
        statistic. All NaN except the counts when either sample is empty.
    """
    av = np.asarray(a, dtype=float)
    bv = np.asarray(b, dtype=float)
    av, bv = av[~np.isnan(av)], bv[~np.isnan(bv)]
    nan = float("nan")
    out: dict[str, float] = {
        "n_a": int(av.size),
        "n_b": int(bv.size),
        "median_a": float(np.median(av)) if av.size else nan,
        "median_b": float(np.median(bv)) if bv.size else nan,
        "u": nan,
        "p": nan,
        "rank_biserial": nan,
        "cliffs_delta": nan,
    }
    if av.size == 0 or bv.size == 0:
        return out
    res = scipy.stats.mannwhitneyu(av, bv, alternative="two-sided")
    u = float(res.statistic)
    out.update(
        u=u,
        p=float(res.pvalue),
        rank_biserial=2.0 * u / (av.size * bv.size) - 1.0,
        cliffs_delta=cliffs_delta(av, bv),
    )
    return out


def matched_density_comparison(
    graph_df: pd.DataFrame,
    baseline_df: pd.DataFrame,
    measure: str,
    density_col: str = "matched_density",
    *,
    family_col: str = "model_family",
    decimals: int | None = None,
) -> pd.DataFrame:
    """Graph nets against pruned dense baselines of the nearest density.

    For each baseline family (value of `family_col` in `baseline_df`; one
    family ``"baseline"`` when the column is absent) the *density levels* are
    the distinct densities of its models (rounded to `decimals` first, if
    given, so models pruned to the same target share a level). Each graph net
    (row of `graph_df`, typically one per graph) is matched to the nearest
    level (the lower one on a tie); its partner value is the mean of the
    measure over all baseline models at that level. With paired differences
    ``d = graph value − matched baseline mean``:

    * ``wilcoxon_p``: two-sided Wilcoxon signed-rank test of d
      (:func:`scipy.stats.wilcoxon`, zero differences dropped; p = 1 when all
      differences are zero);
    * ``cliffs_delta``: Cliff's δ between the graph values and their matched
      baseline means (positive: graph nets tend to be higher).

    Parameters
    ----------
    graph_df : DataFrame
        Graph nets, with `density_col` and `measure`.
    baseline_df : DataFrame
        Baseline models, with `density_col`, `measure` and (optionally)
        `family_col`.
    measure : str
        Measure compared.
    density_col : str
        Density column in both tables: ``matched_density``, the one definition
        graph nets and baselines share (docs/measures.md).
    family_col : str
        Column naming the baseline family.
    decimals : int or None
        Rounding of baseline densities before forming levels.

    Returns
    -------
    DataFrame
        One row per baseline family, columns :data:`MATCHED_COLUMNS`: ``n``
        (graph nets paired), ``n_levels`` (density levels of the family),
        medians of the graph values, the matched means and d, the Wilcoxon
        statistic and p, Cliff's δ, and the median and largest density gap.
    """
    require_columns(graph_df, [density_col, measure])
    require_columns(baseline_df, [density_col, measure])
    graphs = graph_df[[density_col, measure]].astype(float)
    graphs = graphs.loc[np.isfinite(graphs.to_numpy()).all(axis=1)]
    g_density = graphs[density_col].to_numpy()
    g_value = graphs[measure].to_numpy()
    baseline = baseline_df.copy()
    if family_col not in baseline.columns:
        baseline[family_col] = "baseline"
    baseline = baseline.loc[
        np.isfinite(baseline[density_col].astype(float))
        & np.isfinite(baseline[measure].astype(float))
    ]
    rows = []
    for fam, models in baseline.groupby(family_col, sort=True):
        density = models[density_col].astype(float)
        if decimals is not None:
            density = density.round(decimals)
        level_means = models[measure].astype(float).groupby(density.to_numpy()).mean()
        row: dict[str, Any] = {
            "family": fam,
            "measure": measure,
            "n": int(g_value.size),
            "n_levels": int(level_means.size),
        }
        if g_value.size:
            row.update(_matched(g_density, g_value, level_means))
        rows.append(row)
    return pd.DataFrame(rows, columns=list(MATCHED_COLUMNS))


#: Columns of :func:`matched_density_comparison`.
MATCHED_COLUMNS: tuple[str, ...] = (
    "family",
    "measure",
    "n",
    "n_levels",
    "median_graph",
    "median_baseline",
    "median_difference",
    "wilcoxon_statistic",
    "wilcoxon_p",
    "cliffs_delta",
    "median_density_gap",
    "max_density_gap",
)


def nearest_level(density: Any, levels: Any) -> np.ndarray:
    """Index of the nearest of the sorted ``levels`` for each density (the lower one on a tie).

    >>> nearest_level([0.1, 0.3, 0.9], [0.2, 0.4, 1.0]).tolist()
    [0, 0, 2]
    """
    d = np.asarray(density, dtype=float)
    lv = np.asarray(levels, dtype=float)
    if lv.size == 0:
        raise ValueError("no density level to pair with")
    if np.any(np.diff(lv) <= 0):
        raise ValueError(f"density levels must be sorted and distinct, got {lv.tolist()}")
    return np.abs(d[:, None] - lv[None, :]).argmin(axis=1)


def matched_density_pairs(
    graph_df: pd.DataFrame,
    baseline_df: pd.DataFrame,
    density_col: str,
    *,
    family_col: str = "model_family",
    decimals: int | None = None,
) -> pd.DataFrame:
    """The pairings of :func:`matched_density_comparison`, with the densities each side achieved.

    One row per baseline family and density level (levels formed as there:
    distinct densities, rounded to `decimals`), columns :data:`PAIR_COLUMNS`:
    ``level``; ``n_baseline`` models at the level and the smallest and largest
    density they reached (``baseline_min``, ``baseline_max``); ``n_graphs``
    graph nets paired with it (0 when none is nearest), their smallest and
    largest density (``graph_min``, ``graph_max``) and the largest gap
    ``|graph density − level|`` (``max_gap``). NaN densities are dropped.
    """
    require_columns(graph_df, [density_col])
    require_columns(baseline_df, [density_col])
    g = graph_df[density_col].astype(float).to_numpy()
    g = g[np.isfinite(g)]
    base = baseline_df.loc[np.isfinite(baseline_df[density_col].astype(float))].copy()
    if family_col not in base.columns:
        base[family_col] = "baseline"
    rows = []
    for fam, models in base.groupby(family_col, sort=True):
        achieved = models[density_col].astype(float)
        level = achieved.round(decimals) if decimals is not None else achieved
        by_level = achieved.groupby(level.to_numpy()).agg(["size", "min", "max"])
        levels = by_level.index.to_numpy(dtype=float)
        nearest = nearest_level(g, levels) if g.size else np.array([], dtype=int)
        for i, lv in enumerate(levels):
            paired = g[nearest == i]
            rows.append(
                {
                    "family": fam,
                    "level": float(lv),
                    "n_baseline": int(by_level["size"].iloc[i]),
                    "baseline_min": float(by_level["min"].iloc[i]),
                    "baseline_max": float(by_level["max"].iloc[i]),
                    "n_graphs": int(paired.size),
                    "graph_min": float(paired.min()) if paired.size else float("nan"),
                    "graph_max": float(paired.max()) if paired.size else float("nan"),
                    "max_gap": float(np.abs(paired - lv).max()) if paired.size else float("nan"),
                }
            )
    return pd.DataFrame(rows, columns=list(PAIR_COLUMNS))


#: Columns of :func:`matched_density_pairs`.
PAIR_COLUMNS: tuple[str, ...] = (
    "family",
    "level",
    "n_baseline",
    "baseline_min",
    "baseline_max",
    "n_graphs",
    "graph_min",
    "graph_max",
    "max_gap",
)


def _matched(
    g_density: np.ndarray, g_value: np.ndarray, level_means: pd.Series
) -> dict[str, float]:
    """Statistics of the graph values against the mean of the nearest density level."""
    levels = level_means.index.to_numpy(dtype=float)
    nearest = nearest_level(g_density, levels)
    matched = level_means.to_numpy()[nearest]
    diff = g_value - matched
    gap = np.abs(g_density - levels[nearest])
    if np.all(diff == 0):
        w_stat, w_p = 0.0, 1.0
    else:
        res = scipy.stats.wilcoxon(diff)
        w_stat, w_p = float(res.statistic), float(res.pvalue)
    return {
        "median_graph": float(np.median(g_value)),
        "median_baseline": float(np.median(matched)),
        "median_difference": float(np.median(diff)),
        "wilcoxon_statistic": w_stat,
        "wilcoxon_p": w_p,
        "cliffs_delta": cliffs_delta(g_value, matched),
        "median_density_gap": float(np.median(gap)),
        "max_density_gap": float(gap.max()),
    }
