"""Tests for the statistics of graphprior.analysis: known answers, agreement with scipy/statsmodels, invariants."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests

from graphprior.analysis import (
    claims,
    curves,
    groups,
    primitives,
    related_studies,
    stats,
    study,
    study_context,
    summaries,
)
from graphprior.analysis import (
    correlation_table as correlation_table_module,
)
from graphprior.analysis.claims import rows as claim_rows
from graphprior.analysis.claims import table, verdicts
from graphprior.analysis.claims.verdicts import claim_verdict
from graphprior.analysis.correlation_table import CORRELATION_COLUMNS, correlation_table
from graphprior.analysis.groups import (
    PAIR_COLUMNS,
    cliffs_delta,
    compare_groups,
    init_independence,
    matched_density_comparison,
    matched_density_pairs,
    nearest_level,
)
from graphprior.analysis.stats import (
    bootstrap,
    correlation,
    inference,
    multiple_testing,
    permutation,
    regression,
)
from graphprior.analysis.stats.bootstrap import cluster_bootstrap_ci
from graphprior.analysis.stats.correlation import correlate, partial_spearman
from graphprior.analysis.stats.multiple_testing import bh_qvalues
from graphprior.analysis.stats.regression import ols_hc3
from graphprior.analysis.study import aggregate, arms, columns, gates, interface
from graphprior.analysis.study import table as study_table
from graphprior.analysis.study.aggregate import aggregate_per_graph, iqr_filter

ANALYSIS_MODULES = (
    aggregate,
    arms,
    bootstrap,
    claims,
    columns,
    primitives,
    study_context,
    correlation,
    correlation_table_module,
    curves,
    gates,
    groups,
    inference,
    interface,
    multiple_testing,
    permutation,
    regression,
    related_studies,
    claim_rows,
    stats,
    study,
    study_table,
    summaries,
    table,
    verdicts,
)

TOL = 1e-9
SCIPY_CORR = {
    "spearman": scipy.stats.spearmanr,
    "kendall": scipy.stats.kendalltau,
    "pearson": scipy.stats.pearsonr,
}


def correlated_normal(rng: np.random.Generator, n: int, rho: float) -> tuple[np.ndarray, ...]:
    cov = np.array([[1.0, rho], [rho, 1.0]])
    xy = rng.multivariate_normal([0.0, 0.0], cov, size=n)
    return xy[:, 0], xy[:, 1]


def loop_bootstrap(df, x, y, method, controls, n_boot, seed, level=0.95):
    """Reference: resample rows of a per-graph table one resample at a time with scipy."""
    values = df[[x, y, *controls]].reset_index(drop=True)
    idx = np.random.default_rng(seed).integers(0, len(values), size=(n_boot, len(values)))
    boot = []
    for rows in idx:
        sample = values.iloc[rows]
        if method == "partial_spearman":
            boot.append(partial_spearman(sample, x, y, controls)[0])
        else:
            boot.append(correlate(sample[x], sample[y], method)[0])
    boot = np.array(boot)
    boot = boot[np.isfinite(boot)]
    alpha = 1 - level
    return tuple(np.quantile(boot, [alpha / 2, 1 - alpha / 2]))


# ---------------------------------------------------------------------------
# aggregation and outliers
# ---------------------------------------------------------------------------


def make_study() -> pd.DataFrame:
    rows = []
    for graph, gen, density in [("g1", "ws", 0.1), ("g2", "ws", 0.2), ("g3", "er", 0.3)]:
        for i, init in enumerate(["he", "xavier", "normal"]):
            rows.append(
                {
                    "model_id": f"{graph}-{init}",
                    "graph_id": graph,
                    "generator": gen,
                    "model_family": "graph_prior",
                    "init": init,
                    "seed": 0,
                    "status": "ok",
                    "density": density,
                    "rob": 10.0 * density + i * i,  # values 0, 1, 4 above the base
                    "test_accuracy": 0.9,
                    "n_params": 100,
                }
            )
    rows.append({**rows[0], "model_id": "g1-bad", "status": "diverged", "rob": 1e6})
    rows.append({**rows[0], "model_id": "base", "model_family": "pruned", "graph_id": "b1"})
    return pd.DataFrame(rows)


@pytest.mark.parametrize(("how", "offset"), [("mean", 5.0 / 3.0), ("median", 1.0)])
def test_aggregate_per_graph_known_answer(how, offset):
    out = aggregate_per_graph(make_study(), ["density"], ["rob"], how=how)
    assert out["graph_id"].tolist() == ["g1", "g2", "g3"]  # no diverged model, no baseline
    assert out["generator"].tolist() == ["ws", "ws", "er"]
    assert out["n_models"].tolist() == [3, 3, 3]
    np.testing.assert_allclose(out["density"], [0.1, 0.2, 0.3])
    np.testing.assert_allclose(out["rob"], np.array([1.0, 2.0, 3.0]) + offset)
    assert list(out.columns) == [
        "graph_id",
        "generator",
        "n_models",
        "density",
        "rob",
        "test_accuracy",
        "n_params",
    ]


def test_aggregate_per_graph_keeps_everything_when_asked():
    out = aggregate_per_graph(
        make_study(), ["density"], ["rob"], controls=(), family=None, ok_only=False
    )
    assert out["graph_id"].tolist() == ["b1", "g1", "g2", "g3"]
    assert out.set_index("graph_id").loc["g1", "n_models"] == 4


def test_iqr_filter_known_answer():
    df = pd.DataFrame(
        {
            "a": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 100.0],
            "b": [10.0, 10.0, 11.0, 12.0, -50.0, 11.0, 12.0, 10.0, 11.0],
            "c": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, np.nan],
        }
    )
    # a: Q1 = 3, Q3 = 7, fences [-3, 13] -> 100 out; b: Q1 = 10, Q3 = 11, fences [8.5, 12.5] -> -50 out
    kept, n_removed = iqr_filter(df, ["a", "b"])
    assert n_removed == 2
    assert kept.index.tolist() == [0, 1, 2, 3, 5, 6, 7]
    kept_c, n_c = iqr_filter(df, ["c"])  # NaN never removes a row
    assert n_c == 0 and len(kept_c) == len(df)
    _, n_wide = iqr_filter(df, ["b"], k=100.0)
    assert n_wide == 0


# ---------------------------------------------------------------------------
# correlations
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["spearman", "kendall", "pearson"])
def test_correlate_agrees_with_scipy(method):
    rng = np.random.default_rng(1)
    x, y = correlated_normal(rng, 60, 0.4)
    y = np.round(y, 1)  # ties, so tau-b and average ranks matter
    r, p = correlate(x, y, method)
    ref = SCIPY_CORR[method](x, y)
    assert abs(r - ref.statistic) < TOL and abs(p - ref.pvalue) < TOL


def test_correlate_drops_nan_pairs():
    rng = np.random.default_rng(2)
    x, y = correlated_normal(rng, 30, 0.5)
    x_nan, y_nan = x.copy(), y.copy()
    x_nan[3], y_nan[7] = np.nan, np.nan
    keep = np.ones(30, bool)
    keep[[3, 7]] = False
    for method in SCIPY_CORR:
        assert correlate(x_nan, y_nan, method) == pytest.approx(correlate(x[keep], y[keep], method))


def test_correlate_degenerate_inputs_give_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in SCIPY_CORR:
            assert np.isnan(correlate([1, 2], [2, 1], method)).all()
            assert np.isnan(correlate([1, 2, np.nan, 4], [1, np.nan, 3, 4], method)).all()
            assert np.isnan(correlate([1, 1, 1, 1], [1, 2, 3, 4], method)).all()
            assert np.isnan(correlate([], [], method)).all()


def partial_reference_statsmodels(df, x, y, controls):
    """Residuals of statsmodels OLS on ranks, Pearson on residuals, t with n-2-k dof."""
    ranks = df[[x, y, *controls]].rank()
    exog = sm.add_constant(ranks[list(controls)])
    ex = sm.OLS(ranks[x], exog).fit().resid
    ey = sm.OLS(ranks[y], exog).fit().resid
    r = np.corrcoef(ex, ey)[0, 1]
    dof = len(df) - 2 - len(controls)
    t = r * np.sqrt(dof / (1 - r**2))
    return r, 2 * scipy.stats.t.sf(abs(t), dof)


def partial_reference_precision(df, x, y, controls):
    """Partial correlation from the inverse of the rank correlation matrix."""
    precision = np.linalg.inv(df[[x, y, *controls]].rank().corr().to_numpy())
    return -precision[0, 1] / np.sqrt(precision[0, 0] * precision[1, 1])


def test_partial_spearman_agrees_with_direct_computations():
    rng = np.random.default_rng(3)
    n = 80
    z1, z2 = rng.normal(size=n), rng.normal(size=n)
    df = pd.DataFrame(
        {
            "x": z1 + rng.normal(size=n),
            "y": z1 - z2 + rng.normal(size=n),
            "z1": z1,
            "z2": np.round(z2, 1),
        }
    )
    r, p = partial_spearman(df, "x", "y", ["z1", "z2"])
    r_sm, p_sm = partial_reference_statsmodels(df, "x", "y", ["z1", "z2"])
    assert abs(r - r_sm) < TOL and abs(p - p_sm) < TOL
    assert abs(r - partial_reference_precision(df, "x", "y", ["z1", "z2"])) < TOL
    # no controls: Spearman's rho
    assert abs(partial_spearman(df, "x", "y", [])[0] - correlate(df.x, df.y)[0]) < TOL


def test_partial_spearman_removes_a_shared_cause():
    rng = np.random.default_rng(4)
    n = 400
    z = rng.normal(size=n)
    df = pd.DataFrame({"x": z + 0.5 * rng.normal(size=n), "y": z**3 + 0.5 * rng.normal(size=n)})
    df["z"] = z
    raw, _ = correlate(df.x, df.y)
    partial, p = partial_spearman(df, "x", "y", ["z"])
    assert raw > 0.6
    assert abs(partial) < 0.15  # ranks of z**3 are ranks of z; only rank-linearity noise left

    # y = x + z: controlling for z changes the answer
    x = rng.normal(size=n)
    df2 = pd.DataFrame({"x": x, "z": z, "y": x + z})
    assert abs(partial_spearman(df2, "x", "y", ["z"])[0] - correlate(df2.x, df2.y)[0]) > 0.2


def test_partial_spearman_degenerate_cases():
    rng = np.random.default_rng(5)
    z = rng.normal(size=10)
    df = pd.DataFrame({"x": z, "y": rng.normal(size=10), "z": z, "c": 1.0})
    assert np.isnan(partial_spearman(df, "x", "y", ["z"])).all()  # x is a function of z
    df["w"] = rng.normal(size=10)
    df["v"] = rng.normal(size=10)
    assert np.isnan(partial_spearman(df.head(4), "y", "w", ["v", "z"])).all()  # dof = 0
    # a constant control uses no degree of freedom
    r_c, p_c = partial_spearman(df, "y", "z", ["c"])
    r, p = correlate(df.y, df.z)
    assert abs(r_c - r) < TOL
    assert abs(p_c - p) < TOL  # spearmanr also uses t with n - 2 dof


# ---------------------------------------------------------------------------
# bootstrap
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["spearman", "kendall", "pearson", "partial_spearman"])
def test_vectorised_bootstrap_equals_loop_over_scipy(method):
    rng = np.random.default_rng(6)
    n = 25
    x, y = correlated_normal(rng, n, 0.5)
    df = pd.DataFrame(
        {"graph_id": [f"g{i:02d}" for i in range(n)], "x": np.round(x, 1), "y": np.round(y, 1)}
    )
    df["z"] = np.round(df.x + rng.normal(size=n), 1)
    controls = ["z"] if method == "partial_spearman" else []
    ci = cluster_bootstrap_ci(df, "x", "y", method, controls=controls, n_boot=60, rng=11)
    ref = loop_bootstrap(df, "x", "y", method, controls, n_boot=60, seed=11)
    np.testing.assert_allclose(ci, ref, rtol=0, atol=TOL)


def test_cluster_bootstrap_resamples_clusters_not_rows():
    rng = np.random.default_rng(7)
    n_graphs, per_graph = 30, 6
    x, y = correlated_normal(rng, n_graphs, 0.4)
    per_graph_df = pd.DataFrame(
        {"graph_id": [f"g{i:02d}" for i in range(n_graphs)], "x": x, "y": y}
    )
    models = per_graph_df.loc[per_graph_df.index.repeat(per_graph)].reset_index(drop=True)
    for method in ["spearman", "kendall", "pearson"]:
        ci_models = cluster_bootstrap_ci(models, "x", "y", method, n_boot=500, rng=3)
        ci_graphs = cluster_bootstrap_ci(per_graph_df, "x", "y", method, n_boot=500, rng=3)
        assert ci_models == pytest.approx(ci_graphs, abs=TOL)
        # treating the 180 rows as independent gives a falsely narrow interval
        lo, hi = cluster_bootstrap_ci(models, "x", "y", method, cluster=None, n_boot=500, rng=3)
        assert hi - lo < 0.7 * (ci_graphs[1] - ci_graphs[0])


def test_cluster_bootstrap_aggregates_within_clusters():
    df = pd.DataFrame(
        {
            "graph_id": np.repeat(["a", "b", "c", "d", "e", "f"], 2),
            "x": np.repeat([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2),
            "y": [1, 3, 2, 2, 5, 5, 4, 4, 7, 5, 6, 6],
        }
    )
    means = df.groupby("graph_id", as_index=False).mean()
    for how in ("mean", "median"):
        ci = cluster_bootstrap_ci(df, "x", "y", n_boot=200, rng=0, how=how)
        assert ci == pytest.approx(cluster_bootstrap_ci(means, "x", "y", n_boot=200, rng=0))
    assert np.isnan(cluster_bootstrap_ci(df.head(4), "x", "y", n_boot=50, rng=0)).all()


def test_bootstrap_ci_covers_planted_spearman():
    """Bivariate normal, Pearson 0.5: rho_s = 6/pi asin(rho/2); 95 % CIs cover it ~95 %."""
    rho = 0.5
    rho_s = 6 / np.pi * np.arcsin(rho / 2)
    rng = np.random.default_rng(2024)
    n_draws, covered, estimates = 100, 0, []
    for _ in range(n_draws):
        x, y = correlated_normal(rng, 100, rho)
        estimates.append(correlate(x, y)[0])
        df = pd.DataFrame({"x": x, "y": y})
        lo, hi = cluster_bootstrap_ci(df, "x", "y", cluster=None, n_boot=300, rng=rng)
        covered += lo <= rho_s <= hi
    assert abs(np.mean(estimates) - rho_s) < 0.03
    assert 0.85 <= covered / n_draws <= 0.99


# ---------------------------------------------------------------------------
# multiple testing
# ---------------------------------------------------------------------------


def test_bh_qvalues_agree_with_statsmodels_and_keep_nan():
    rng = np.random.default_rng(8)
    p = rng.uniform(size=30) ** 3
    np.testing.assert_allclose(bh_qvalues(p), multipletests(p, method="fdr_bh")[1], atol=TOL)
    p_nan = p.copy()
    p_nan[[2, 9]] = np.nan
    q = bh_qvalues(p_nan)
    assert np.isnan(q[[2, 9]]).all()
    keep = ~np.isnan(p_nan)
    np.testing.assert_allclose(q[keep], multipletests(p_nan[keep], method="fdr_bh")[1], atol=TOL)
    assert np.isnan(bh_qvalues([np.nan, np.nan])).all()


def test_null_families_control_false_discoveries():
    rng = np.random.default_rng(9)
    n_families, n_tests, n = 200, 20, 30
    any_discovery, pvalues = 0, []
    for _ in range(n_families):
        x = rng.normal(size=(n_tests, n))
        y = rng.normal(size=(n_tests, n))
        p = np.array([correlate(x[i], y[i])[1] for i in range(n_tests)])
        pvalues.append(p)
        any_discovery += (bh_qvalues(p) < 0.05).any()
    # under the complete null FDR = P(any discovery), which BH keeps at <= 5 %
    assert any_discovery / n_families < 0.1
    pvalues = np.concatenate(pvalues)
    assert scipy.stats.kstest(pvalues, "uniform").pvalue > 0.001
    assert abs((pvalues < 0.05).mean() - 0.05) < 0.015


# ---------------------------------------------------------------------------
# correlation table
# ---------------------------------------------------------------------------


def make_per_graph(rng: np.random.Generator) -> pd.DataFrame:
    n_ws, n_er, n_ba = 20, 12, 3
    n = n_ws + n_er + n_ba
    density = rng.uniform(0.05, 0.5, size=n)
    return pd.DataFrame(
        {
            "graph_id": [f"g{i:02d}" for i in range(n)],
            "generator": ["ws"] * n_ws + ["er"] * n_er + ["ba"] * n_ba,
            "density": density,
            "avg_path_length": rng.normal(size=n),
            "constant_prop": 1.0,
            "robustness": -density + 0.1 * rng.normal(size=n),
            "pgd": rng.normal(size=n),
            "test_accuracy": rng.uniform(0.8, 0.95, size=n),
            "n_params": rng.integers(1000, 2000, size=n).astype(float),
        }
    )


def test_correlation_table_shape_strata_and_families():
    rng = np.random.default_rng(10)
    per_graph = make_per_graph(rng)
    per_graph.loc[3, "pgd"] = np.nan
    x_cols = ["density", "avg_path_length", "constant_prop", "n_params"]
    y_cols = ["robustness", "pgd"]
    table = correlation_table(per_graph, x_cols, y_cols, n_boot=50, rng=0, aggregate="median")
    assert list(table.columns) == [*CORRELATION_COLUMNS, "aggregate"]
    assert (table["aggregate"] == "median").all()
    assert set(table["stratum"]) == {"pooled", "ws", "er"}  # ba has 3 < 5 graphs
    assert "constant_prop" not in set(table["x"])
    assert set(table["method"]) == {"spearman", "kendall", "pearson", "partial_spearman"}
    # 3 varying x * 2 y = 6 pairs per method and stratum
    assert (table.groupby(["stratum", "method"]).size() == 6).all()

    partial = table[table["method"] == "partial_spearman"].set_index(["stratum", "x", "y"])
    assert partial.loc[("pooled", "density", "pgd"), "controls"] == "test_accuracy+n_params"
    assert partial.loc[("pooled", "n_params", "pgd"), "controls"] == "test_accuracy"
    assert (table.loc[table["method"] != "partial_spearman", "controls"] == "").all()

    pooled = table[(table["stratum"] == "pooled") & (table["method"] == "spearman")]
    row = pooled.set_index(["x", "y"]).loc[("density", "pgd")]
    assert row["n"] == len(per_graph) - 1
    ref = scipy.stats.spearmanr(per_graph["density"], per_graph["pgd"], nan_policy="omit")
    assert abs(row["r"] - ref.statistic) < TOL
    assert row["ci_low"] <= row["r"] <= row["ci_high"]

    for (_, _), family in table.groupby(["stratum", "method"]):
        np.testing.assert_allclose(family["q"], bh_qvalues(family["p"]), atol=TOL)
    strong = table[(table.x == "density") & (table.y == "robustness") & (table.stratum == "pooled")]
    assert (strong["r"] < -0.6).all() and (strong["ci_high"] < 0).all()


def test_correlation_table_is_reproducible_and_optional_parts():
    per_graph = make_per_graph(np.random.default_rng(11))
    a = correlation_table(per_graph, ["density"], ["robustness"], n_boot=30, rng=5)
    b = correlation_table(per_graph, ["density"], ["robustness"], n_boot=30, rng=5)
    pd.testing.assert_frame_equal(a, b)
    plain = correlation_table(
        per_graph, ["density"], ["robustness"], ["kendall"], None, None, n_boot=0, rng=5
    )
    assert plain["stratum"].tolist() == ["pooled"] and plain["method"].tolist() == ["kendall"]
    assert np.isnan(plain[["ci_low", "ci_high"]].to_numpy()).all()
    assert list(plain.columns) == list(CORRELATION_COLUMNS)
    empty = correlation_table(per_graph.head(4), ["density"], ["robustness"], n_boot=0, rng=1)
    assert empty.empty and list(empty.columns) == list(CORRELATION_COLUMNS)


# ---------------------------------------------------------------------------
# initialisation independence
# ---------------------------------------------------------------------------


def make_init_study(rng, n_graphs=15, inits=("a", "b", "c", "d"), effect=0.0, seeds=2):
    rows = []
    for g in range(n_graphs):
        graph_level = rng.normal(scale=2.0)
        for j, init in enumerate(inits):
            for s in range(seeds):
                rows.append(
                    {
                        "graph_id": f"g{g}",
                        "init": init,
                        "seed": s,
                        "status": "ok",
                        "rob": graph_level + effect * j + rng.normal(scale=0.5),
                    }
                )
    return pd.DataFrame(rows)


def test_init_independence_agrees_with_scipy():
    study = make_init_study(np.random.default_rng(12), effect=0.3)
    study = study[~((study.graph_id == "g0") & (study.init == "b"))]  # g0 incomplete
    study.loc[len(study)] = {"graph_id": "g1", "init": "a", "seed": 9, "status": "diverged"}
    out = init_independence(study, "rob")
    cells = study[study.status == "ok"].groupby(["graph_id", "init"])["rob"].mean().unstack()
    complete = cells.dropna()
    fried = scipy.stats.friedmanchisquare(*complete.to_numpy().T)
    kw = scipy.stats.kruskal(*(cells[c].dropna() for c in cells.columns))
    n = cells.notna().to_numpy().sum()
    assert out["k"] == 4 and out["n_blocks"] == 14 and out["n_blocks_dropped"] == 1
    assert out["n_obs"] == n == 59
    assert abs(out["friedman_chi2"] - fried.statistic) < TOL
    assert abs(out["friedman_p"] - fried.pvalue) < TOL
    assert abs(out["kendall_w"] - fried.statistic / (14 * 3)) < TOL
    assert abs(out["kruskal_h"] - kw.statistic) < TOL
    assert abs(out["kruskal_p"] - kw.pvalue) < TOL
    assert abs(out["epsilon_squared"] - kw.statistic * (n + 1) / (n**2 - 1)) < TOL


def test_init_independence_known_cases():
    # no init effect: graph-to-graph differences and noise only
    null = init_independence(make_init_study(np.random.default_rng(13)), "rob")
    assert null["friedman_p"] > 0.05 and null["kruskal_p"] > 0.05
    assert null["kendall_w"] < 0.3

    # identical values across inits
    same = make_init_study(np.random.default_rng(14), seeds=1)
    same["rob"] = same["graph_id"].str[1:].astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = init_independence(same, "rob")
    assert out["friedman_chi2"] == 0.0 and out["friedman_p"] == 1.0 and out["kendall_w"] == 0.0
    assert out["kruskal_p"] > 0.99

    # strong init effect: same ordering of the inits in every graph
    strong = init_independence(make_init_study(np.random.default_rng(15), effect=5.0), "rob")
    assert strong["friedman_p"] < 1e-6 and strong["kendall_w"] > 0.95
    assert strong["group_medians"]["d"] > strong["group_medians"]["a"]


# ---------------------------------------------------------------------------
# regression
# ---------------------------------------------------------------------------


def test_ols_hc3_agrees_with_statsmodels():
    rng = np.random.default_rng(16)
    n = 120
    df = pd.DataFrame(
        {
            "density": rng.uniform(size=n),
            "path": rng.normal(size=n),
            "n_params": rng.normal(1000, 100, size=n),
        }
    )
    df["rob"] = -2 * df.density + 0.5 * df.path + rng.normal(size=n) * (1 + df.density)
    out = ols_hc3(df, "rob", ["density", "path"], ["n_params"])
    z = (df[["density", "path", "n_params"]] - df[["density", "path", "n_params"]].mean()) / df[
        ["density", "path", "n_params"]
    ].std()
    fit = sm.OLS(df.rob, sm.add_constant(z)).fit(cov_type="HC3")
    coef = out["coefficients"]
    assert coef.index.tolist() == ["const", "density", "path", "n_params"]
    assert coef["role"].tolist() == ["intercept", "x", "x", "control"]
    np.testing.assert_allclose(coef["coef"], fit.params, atol=TOL)
    np.testing.assert_allclose(coef["se_hc3"], fit.bse, atol=TOL)
    np.testing.assert_allclose(coef["p"], fit.pvalues, atol=TOL)
    assert abs(out["r2"] - fit.rsquared) < TOL and out["n"] == n
    # VIF = 1 / (1 - R^2 of the predictor on the others)
    others = sm.OLS(z["density"], sm.add_constant(z[["path", "n_params"]])).fit()
    assert abs(coef.loc["density", "vif"] - 1 / (1 - others.rsquared)) < 1e-8


def test_ols_hc3_drops_constant_and_collinear_predictors():
    rng = np.random.default_rng(17)
    n = 40
    df = pd.DataFrame({"a": rng.normal(size=n), "c": 3.0, "y": rng.normal(size=n)})
    df["twice_a"] = 2 * df.a + 1
    df.loc[0, "y"] = np.nan
    out = ols_hc3(df, "y", ["a", "c", "twice_a"])
    assert out["dropped"] == {"c": "constant", "twice_a": "collinear"}
    assert out["coefficients"].index.tolist() == ["const", "a"]
    assert out["n"] == n - 1
    tiny = ols_hc3(df.head(3), "y", ["a"])
    assert np.isnan(tiny["r2"]) and tiny["coefficients"].empty


# ---------------------------------------------------------------------------
# group comparisons
# ---------------------------------------------------------------------------


def test_compare_groups_agrees_with_scipy():
    rng = np.random.default_rng(18)
    a = np.round(rng.normal(0.5, 1, size=30), 1)
    b = np.append(np.round(rng.normal(0, 1, size=25), 1), np.nan)
    out = compare_groups(a, b)
    ref = scipy.stats.mannwhitneyu(a, b[:-1], alternative="two-sided")
    assert abs(out["u"] - ref.statistic) < TOL and abs(out["p"] - ref.pvalue) < TOL
    assert out["n_a"] == 30 and out["n_b"] == 25
    brute = np.sign(a[:, None] - b[None, :-1]).mean()
    assert abs(out["cliffs_delta"] - brute) < TOL
    assert abs(out["rank_biserial"] - brute) < TOL
    assert out["median_b"] == np.median(b[:-1])


def test_cliffs_delta_known_answers():
    assert cliffs_delta([3, 4], [1, 2, 3]) == pytest.approx(5 / 6)
    assert cliffs_delta([1, 2], [3, 4]) == -1.0
    assert np.isnan(cliffs_delta([], [1.0]))


def test_matched_density_comparison_known_answer():
    graph_df = pd.DataFrame(
        {"matched_density": [0.11, 0.19, 0.24, 0.52], "rob": [5.0, 6.0, 7.0, 9.0]}
    )
    baseline_df = pd.DataFrame(
        {
            "model_family": ["random"] * 6 + ["magnitude"] * 2,
            "matched_density": [0.1, 0.1, 0.2, 0.2, 0.5, 0.8, 0.1, 0.9],
            "rob": [4.0, 2.0, 1.0, 3.0, 8.0, 0.0, 5.0, 0.0],
        }
    )
    out = matched_density_comparison(graph_df, baseline_df, "rob").set_index("family")
    # random: levels 0.1 -> 3, 0.2 -> 2, 0.5 -> 8; matches 0.1, 0.2, 0.2, 0.5
    diff = np.array([5 - 3, 6 - 2, 7 - 2, 9 - 8.0])
    random = out.loc["random"]
    assert random["n"] == 4 and random["n_levels"] == 4
    assert random["median_difference"] == np.median(diff)
    assert random["wilcoxon_p"] == pytest.approx(scipy.stats.wilcoxon(diff).pvalue, abs=TOL)
    assert random["cliffs_delta"] == pytest.approx(cliffs_delta([5, 6, 7, 9], [3, 2, 2, 8]))
    assert random["max_density_gap"] == pytest.approx(0.04)
    # magnitude: every graph matched to 0.1 (value 5) except 0.52 (nearer 0.1 than 0.9)
    assert out.loc["magnitude", "median_baseline"] == 5.0
    same = matched_density_comparison(graph_df, graph_df.assign(model_family="copy"), "rob")
    assert same.loc[0, "wilcoxon_p"] == 1.0 and same.loc[0, "median_difference"] == 0.0


def test_matched_density_pairs_pick_the_nearest_level_and_show_both_sides():
    graph_df = pd.DataFrame({"matched_density": [0.11, 0.19, 0.24, 0.52, np.nan]})
    baseline_df = pd.DataFrame(
        {
            "model_family": ["random"] * 5 + ["magnitude"],
            # two models reach 0.2 and 0.2004: one level once rounded to 3 decimals
            "matched_density": [0.1, 0.2, 0.2004, 0.5, 0.8, 0.1],
        }
    )
    pairs = matched_density_pairs(graph_df, baseline_df, "matched_density", decimals=3)
    assert list(pairs.columns) == list(PAIR_COLUMNS)
    rnd = pairs.loc[pairs["family"] == "random"].set_index("level")
    assert list(rnd.index) == [0.1, 0.2, 0.5, 0.8]
    assert list(rnd["n_baseline"]) == [1, 2, 1, 1]
    assert rnd.loc[0.2, "baseline_max"] == pytest.approx(0.2004)
    # 0.11 -> 0.1, 0.19 and 0.24 -> 0.2, 0.52 -> 0.5, nothing -> 0.8
    assert list(rnd["n_graphs"]) == [1, 2, 1, 0]
    assert (rnd.loc[0.2, "graph_min"], rnd.loc[0.2, "graph_max"]) == (0.19, 0.24)
    assert rnd.loc[0.2, "max_gap"] == pytest.approx(0.04)
    assert np.isnan(rnd.loc[0.8, "graph_min"])
    mag = pairs.loc[pairs["family"] == "magnitude"].iloc[0]
    assert mag["n_graphs"] == 4 and mag["max_gap"] == pytest.approx(0.42)
    # a tie goes to the lower level
    assert nearest_level([0.3], [0.2, 0.4]).tolist() == [0]
    with pytest.raises(ValueError, match="sorted"):
        nearest_level([0.3], [0.4, 0.2])


# ---------------------------------------------------------------------------
# verdicts
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((-0.3, -0.5, -0.1, 0.01, "negative"), "supported"),
        ((-0.3, -0.5, -0.1, 0.01, -1), "supported"),
        ((0.3, 0.1, 0.5, 0.01, "negative"), "contradicted"),
        ((0.3, 0.1, 0.5, 0.01, +1), "supported"),
        ((-0.3, -0.5, 0.05, 0.01, "negative"), "inconclusive"),  # CI covers 0
        ((-0.3, -0.5, -0.1, 0.2, "negative"), "inconclusive"),  # not significant
        ((np.nan, -0.5, -0.1, 0.01, "negative"), "not testable"),
        ((-0.3, np.nan, np.nan, 0.01, "negative"), "inconclusive"),  # no interval
    ],
)
def test_claim_verdict(args, expected):
    assert claim_verdict(*args) == expected


@pytest.mark.parametrize("module", ANALYSIS_MODULES, ids=lambda m: m.__name__)
def test_public_api_is_declared(module):
    for name in module.__all__:
        assert hasattr(module, name)
