"""Measure before correlating: variance components, split-half reliability, maxT, verdicts.

Known answers first: a simulated study with a planted graph share, a planted
null, data of known reliability, a maxT p-value counted by hand; then the
moment estimator against statsmodels' REML fit on a balanced design.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from graphprior.analysis.claims.verdicts import (
    claim_verdict,
    simultaneous_intervals,
    weak_correlation_verdict,
)
from graphprior.analysis.stats import (
    maxt_correlations,
    share_decision,
    spearman_brown,
    split_half_reliability,
    variance_components,
)
from graphprior.config.sections import ReportConfig


def simulate(
    rng: np.random.Generator,
    *,
    families: int = 5,
    graphs: int = 10,
    orientations: int = 2,
    inits: int = 3,
    sd: tuple[float, float, float, float] = (0.5, 1.0, 0.5, 2.0),
    init_shift: float = 1.0,
) -> pd.DataFrame:
    """A nested study: families > graphs > orientations, crossed with inits; one model per cell."""
    sd_f, sd_g, sd_o, sd_e = sd
    rows = []
    fam_eff = rng.normal(0, sd_f, families)
    for f in range(families):
        for g in range(graphs):
            g_eff = rng.normal(0, sd_g)
            for o in range(orientations):
                o_eff = rng.normal(0, sd_o)
                for i in range(inits):
                    y = fam_eff[f] + g_eff + o_eff + init_shift * i + rng.normal(0, sd_e)
                    rows.append((f, f"{f}-{g}", o, i, y))
    return pd.DataFrame(rows, columns=["family", "graph", "orientation", "init", "y"])


def decompose(frame: pd.DataFrame, **kw):
    return variance_components(
        frame["y"], frame["family"], frame["graph"], frame["orientation"], frame["init"], **kw
    )


def test_planted_graph_share_is_recovered_within_its_interval():
    # variances: family 0.25, graph 1, orientation 0.25, residual 4 -> graph share of the
    # random part 1/5.5; the init's fixed effects (0, 1, 2) add 2/3
    rng = np.random.default_rng(1)
    vc = decompose(simulate(rng, graphs=30), n_boot=500, rng=rng)
    init_var = np.var([0.0, 1.0, 2.0])
    truth = 1.0 / (0.25 + 1.0 + 0.25 + 4.0 + init_var)
    g = vc["graph"]
    assert g.ci_low <= truth <= g.ci_high
    assert g.ci_low > 0
    assert share_decision(g.ci_low, g.ci_high, 0.05) == "matters"
    assert vc["residual"].variance == pytest.approx(4.0, rel=0.15)
    assert vc["init"].variance == pytest.approx(init_var, abs=0.25)
    shares = [c.share for c in vc.components]
    assert sum(shares) == pytest.approx(1.0)
    assert vc.n_graphs == 150 and vc.n_models == 900


def test_interval_covers_the_planted_share_in_most_studies():
    truth = 1.0 / (0.25 + 1.0 + 0.25 + 4.0)
    covered = 0
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        vc = decompose(simulate(rng, graphs=10, init_shift=0.0), n_boot=300, rng=rng)
        covered += vc["graph"].ci_low <= truth <= vc["graph"].ci_high
    assert covered >= 33  # 95 % nominal; percentile intervals of a ratio run a little short


def test_planted_null_is_undecided_small_and_negligible_large():
    rng = np.random.default_rng(2)
    small = decompose(simulate(rng, graphs=4, sd=(0.0, 0.0, 0.5, 2.0)), n_boot=400, rng=rng)
    assert small["graph"].ci_low == 0.0  # the interval includes 0
    assert share_decision(small["graph"].ci_low, small["graph"].ci_high, 0.05) != "matters"
    large = decompose(
        simulate(rng, graphs=200, orientations=2, sd=(0.0, 0.0, 0.3, 2.0)), n_boot=400, rng=rng
    )
    g = large["graph"]
    assert g.ci_low == 0.0 and g.ci_high < 0.05
    assert share_decision(g.ci_low, g.ci_high, 0.05) == "negligible"
    assert large.reliability_ci[1] < 0.5


def test_moment_estimates_equal_reml_on_a_balanced_design():
    statsmodels = pytest.importorskip("statsmodels.formula.api")
    rng = np.random.default_rng(3)
    frame = simulate(rng, families=4, graphs=8, sd=(1.0, 1.0, 0.7, 1.0), init_shift=0.5)
    vc = decompose(frame, n_boot=0)
    model = statsmodels.mixedlm(
        "y ~ C(init)",
        frame.assign(one=1),
        groups="family",
        re_formula="1",
        vc_formula={"graph": "0 + C(graph)", "orientation": "0 + C(graph):C(orientation)"},
    ).fit(reml=True)
    assert vc["family"].variance == pytest.approx(float(model.cov_re.iloc[0, 0]), rel=0.02)
    vcomp = dict(zip(model.model.exog_vc.names, model.vcomp, strict=True))
    assert vc["graph"].variance == pytest.approx(vcomp["graph"], rel=0.02)
    assert vc["orientation"].variance == pytest.approx(vcomp["orientation"], rel=0.02)
    assert vc["residual"].variance == pytest.approx(model.scale, rel=0.02)


def test_unbalanced_design_matches_the_one_way_textbook_estimator():
    # one family, one orientation per graph, unequal graph sizes: the classic one-way
    # ANOVA estimator with n0 = (N - sum n_i^2 / N) / (a - 1)
    rng = np.random.default_rng(4)
    sizes = rng.integers(2, 9, size=25)
    graph = np.repeat(np.arange(25), sizes)
    y = rng.normal(0, 1.0, 25)[graph] + rng.normal(0, 1.5, graph.size)
    vc = variance_components(y, np.zeros_like(y), graph, np.zeros_like(y), n_boot=0)
    n, a = graph.size, 25
    means = np.bincount(graph, y) / sizes
    msb = np.sum(sizes * (means - y.mean()) ** 2) / (a - 1)
    msw = np.sum((y - means[graph]) ** 2) / (n - a)
    n0 = (n - np.sum(sizes**2) / n) / (a - 1)
    assert vc["residual"].variance == pytest.approx(msw)
    assert vc["graph"].variance == pytest.approx(max((msb - msw) / n0, 0.0))
    assert np.isnan(vc["family"].variance) and np.isnan(vc["orientation"].variance)


def test_a_graph_in_two_families_is_refused():
    with pytest.raises(ValueError, match="not nested"):
        variance_components([1.0, 2.0, 3.0], ["a", "b", "b"], ["g", "g", "h"], [0, 0, 0])


def test_share_decision_rules():
    assert share_decision(0.1, 0.4, 0.05) == "matters"
    assert share_decision(0.0, 0.04, 0.05) == "negligible"
    assert share_decision(0.01, 0.04, 0.05) == "negligible"  # non-zero but below the bound
    assert share_decision(0.0, 0.3, 0.05) == "undecided"
    assert share_decision(float("nan"), 0.3, 0.05) == "undecided"


def test_split_half_recovers_a_known_reliability():
    # true score variance 1, each half's mean has error variance 1: a half's reliability
    # is 0.5, the whole mean's 2/3 (Spearman-Brown)
    rng = np.random.default_rng(5)
    units = 2000
    true = rng.normal(0, 1, units)
    unit = np.repeat(np.arange(units), 4)
    half = np.tile([0, 0, 1, 1], units)
    y = true[unit] + rng.normal(0, np.sqrt(2), unit.size)  # mean of 2 has variance 1
    res = split_half_reliability(y, unit, half, n_boot=200, rng=rng)
    assert res.r_split_half == pytest.approx(0.5, abs=0.04)
    assert res.reliability == pytest.approx(2 / 3, abs=0.04)
    assert res.ci_low <= 2 / 3 <= res.ci_high
    assert spearman_brown(0.5) == pytest.approx(2 / 3)


def test_split_half_of_noise_is_near_zero_and_blocks_do_not_count():
    rng = np.random.default_rng(6)
    unit = np.repeat(np.arange(300), 4)
    half = np.tile([0, 1, 0, 1], 300)
    block = unit % 3  # block means differ a lot; centring removes them
    y = 5.0 * block + rng.normal(0, 1, unit.size)
    with_blocks = split_half_reliability(y, unit, half, n_boot=0)
    centred = split_half_reliability(y, unit, half, block=block, n_boot=200, rng=rng)
    assert with_blocks.reliability > 0.9
    assert abs(centred.r_split_half) < 0.15
    assert centred.ci_low < 0 < centred.ci_high


def test_maxt_p_value_counted_by_hand():
    # four rows -> 24 permutations of y, enumerated; two properties, one measure
    x = np.array([[1.0, 4.0], [2.0, 1.0], [3.0, 3.0], [4.0, 2.0]])
    y = np.array([1.0, 2.0, 4.0, 3.0])
    res = maxt_correlations(x, y)
    assert res.exact and res.null_max.size == 24

    def r(a, b):
        return np.corrcoef(a, b)[0, 1]

    maxima = [
        max(abs(r(x[:, 0], y[list(p)])), abs(r(x[:, 1], y[list(p)])))
        for p in itertools.permutations(range(4))
    ]
    for j in range(2):
        observed = abs(r(x[:, j], y))
        expected = sum(m >= observed - 1e-12 for m in maxima) / 24
        assert res.r[j, 0] == pytest.approx(r(x[:, j], y))
        assert res.p_adjusted[j, 0] == pytest.approx(expected)
    # the 24 maxima: 0.2 x2, 0.4 x4, 0.6 x4, 0.8 x10, 1.0 x4; r = 0.8 is reached by 14
    assert res.p_adjusted[0, 0] == pytest.approx(14 / 24)
    assert res.p_adjusted[1, 0] == pytest.approx(1.0)  # r = -0.2: every maximum reaches it


def test_maxt_within_blocks_ignores_a_block_contrast():
    # y differs between blocks only; within blocks it is noise: no pair is significant
    rng = np.random.default_rng(7)
    block = np.repeat([0, 1], 30)
    x = np.column_stack([block + rng.normal(0, 0.1, 60), rng.normal(size=60)])
    y = 10.0 * block + rng.normal(size=60)
    pooled = maxt_correlations(x, y, n_perm=999, rng=rng)
    within = maxt_correlations(x, y, block=block, n_perm=999, rng=rng)
    assert pooled.p_adjusted[0, 0] < 0.01
    assert within.p_adjusted.min() > 0.05
    assert not within.exact


def test_claim_verdict_can_decide_no_effect():
    assert claim_verdict(0.02, -0.1, 0.14, 0.7, "negative", equivalence=0.2) == "negligible"
    assert claim_verdict(0.02, -0.3, 0.34, 0.7, "negative", equivalence=0.2) == "inconclusive"
    assert claim_verdict(-0.3, -0.45, -0.12, 0.01, "negative", equivalence=0.2) == "supported"
    assert claim_verdict(float("nan"), float("nan"), float("nan"), 0.01, -1) == "not testable"


def test_weak_correlation_verdict_both_ways():
    lo, hi = simultaneous_intervals([0.05, 0.1], [400, 400])
    assert weak_correlation_verdict([0.05, 0.1], [0.9, 0.5], lo, hi) == "supported"
    lo, hi = simultaneous_intervals([0.05, -0.7], [400, 400])
    assert weak_correlation_verdict([0.05, -0.7], [0.9, 0.001], lo, hi) == "contradicted"
    lo, hi = simultaneous_intervals([0.05, 0.2], [30, 30])
    assert weak_correlation_verdict([0.05, 0.2], [0.9, 0.5], lo, hi) == "inconclusive"
    assert weak_correlation_verdict([np.nan], [np.nan], [np.nan], [np.nan]) == "not testable"


# ---------------------------------------------------------------------------
# the study: fixed effects, verdicts, the tables


def test_pooled_correlations_compare_graphs_of_one_size_only():
    from graphprior.analysis.correlation_table import correlation_rows

    rng = np.random.default_rng(8)
    n = 40
    size = np.repeat(["n50-m100", "n50-m200"], n)
    shift = np.repeat([0.0, 5.0], n)
    table = pd.DataFrame(
        {
            "graph_id": [f"g{i}" for i in range(2 * n)],
            "generator": np.tile(["a", "b"], n),
            "size_stratum": size,
            "x": shift + rng.normal(size=2 * n),  # the size contrast and noise
            "y": -shift + rng.normal(size=2 * n),
            "test_accuracy": rng.uniform(0.8, 0.9, 2 * n),
            "n_params": np.repeat([3900.0, 4000.0], n),
        }
    )
    corr, _ = correlation_rows({"mean": table}, ["x"], ["y"], n_boot=0, rng=rng)
    pooled = corr.loc[(corr["stratum"] == "pooled") & (corr["method"] == "spearman")].iloc[0]
    assert pooled["fixed_effects"] == "stratum"
    assert abs(pooled["r"]) < 0.35  # raw pooling would give about -0.75
    raw = scipy_spearman(table["x"], table["y"])
    assert raw < -0.6
    assert (corr.loc[corr["stratum"] == "pooled", "fixed_effects"] == "stratum").all()
    assert {"n50-m100", "n50-m200", "n50-m100/a", "n50-m200/b"} <= set(corr["stratum"])
    assert (corr.loc[corr["stratum"] != "pooled", "fixed_effects"] == "").all()


def test_a_property_the_strata_fix_is_compared_across_strata_of_one_size():
    """The density design: density is constant within each stratum, so stratum fixed effects
    leave it nothing; strata of one parameter count are one size, and density is read
    across them (``fixed_effects == "size"``), while a property that varies within strata
    keeps stratum fixed effects."""
    from graphprior.analysis.correlation_table import correlation_rows

    rng = np.random.default_rng(3)
    n = 30
    density = np.repeat([0.08, 0.16, 0.24], n)
    within = rng.normal(size=3 * n)
    table = pd.DataFrame(
        {
            "graph_id": [f"g{i}" for i in range(3 * n)],
            "generator": np.tile(["a", "b", "c"], n),
            "size_stratum": np.repeat(["n50-m100", "n50-m200", "n50-m300"], n),
            "density": density,
            "within": within + 10 * density,  # varies within strata and between
            "y": -20 * density + 0.5 * within + rng.normal(scale=0.5, size=3 * n),
            "test_accuracy": rng.uniform(0.8, 0.9, 3 * n),
            "n_params": np.where(np.arange(3 * n) % 7 == 0, 3844.0, 3860.0),  # BA: within 0.5 %
        }
    )
    corr, _ = correlation_rows({"mean": table}, ["density", "within"], ["y"], n_boot=0, rng=rng)
    pooled = corr[(corr["stratum"] == "pooled") & (corr["method"] == "spearman")].set_index("x")
    assert pooled.loc["density", "fixed_effects"] == "size"
    assert pooled.loc["density", "r"] < -0.7
    assert pooled.loc["within", "fixed_effects"] == "stratum"
    assert pooled.loc["within", "r"] > 0.5  # within strata: the planted +0.5, not the density
    # the same strata at different parameter counts are different sizes: density has no
    # within-size variation left, so no pooled row has an estimate
    other = table.assign(n_params=np.repeat([3860.0, 3960.0, 4060.0], n))
    corr, _ = correlation_rows({"mean": other}, ["density"], ["y"], n_boot=0, rng=rng)
    rows = corr[(corr["stratum"] == "pooled") & (corr["x"] == "density")]
    assert not np.isfinite(rows["r"].to_numpy(dtype=float)).any()


def test_size_classes_join_strata_of_one_parameter_count():
    from graphprior.analysis.stats import pooled_frame, size_classes

    strata = pd.Series(["a", "a", "b", "b", "c", "d"])
    size = pd.Series([100.0, 100.0, 100.3, 100.5, 130.0, np.nan])
    assert size_classes(strata, size.fillna(1.0)).tolist() == ["a+b"] * 4 + ["c", "d"]
    classes = size_classes(strata[:5], size[:5])
    assert classes.tolist() == ["a+b", "a+b", "a+b", "a+b", "c"]
    assert size_classes(strata, size).tolist() == strata.tolist()  # a size unknown: no classes
    spread = pd.Series([100.0, 90.0, 100.3, 100.5, 130.0])  # a's graphs differ in size
    assert size_classes(strata[:5], spread).tolist() == ["a", "a", "b", "b", "c"]
    frame = pd.DataFrame({"s": strata[:5], "x": [1.0, 1, 2, 2, 3], "p": size[:5]})
    within, fixed = pooled_frame(frame, ["x"], "s", "p", between=False)
    assert fixed == "stratum" and within["x"].tolist() == [0.0] * 5
    across, fixed = pooled_frame(frame, ["x"], "s", "p", between=True)
    assert fixed == "size" and across["x"].tolist() == [-0.5, -0.5, 0.5, 0.5]  # c stands alone
    assert pooled_frame(frame[frame["s"] != "b"], ["x"], "s", "p", between=True)[0] is None
    assert pooled_frame(frame[frame["s"] == "a"], ["x"], "s", "p", between=True)[0] is None
    assert pooled_frame(frame[frame["s"] == "a"], ["x"], "s", "p", between=False)[1] == ""


def scipy_spearman(x, y) -> float:
    import scipy.stats

    return float(scipy.stats.spearmanr(x, y).statistic)


def test_unreliable_replaces_undecided_verdicts_but_not_evidence():
    from graphprior.analysis.claims.rows import claim_row, finish_claims

    row = {"analysis": "raw", "stratum": "pooled", "x": "x", "y": "y", "statistic": "spearman",
           "n": 60, "sign": -1}  # fmt: skip
    rows = [
        claim_row("C2", **row, r=0.05, ci_low=-0.3, ci_high=0.4, p=0.7, equivalence=0.2,
                  unreliable=True),
        claim_row("C3", **row, r=-0.6, ci_low=-0.8, ci_high=-0.4, p=1e-5, equivalence=0.2,
                  unreliable=True),
        claim_row("C4", **row, r=0.01, ci_low=-0.1, ci_high=0.12, p=0.9, equivalence=0.2),
        claim_row("C3-DAG", **row),
    ]  # fmt: skip
    verdicts = dict(zip(*finish_claims(rows)[["claim", "verdict"]].T.to_numpy(), strict=True))
    assert verdicts == {
        "C2": "unreliable",
        "C3": "supported",
        "C4": "negligible",
        "C3-DAG": "not testable",
    }


def test_every_claim_row_has_a_decidable_verdict_and_no_nan_reads_inconclusive():
    from graphprior.config.choices import Verdict
    from graphprior.report import compose_report

    from .test_report import _config, synthetic_tables

    report, _ = compose_report(synthetic_tables(30), _config(bootstrap=50), sections=("claims",))
    claims = report.data["claims"]
    assert set(claims["verdict"]) <= {v.value for v in Verdict}
    nan_rows = claims.loc[claims["r"].isna()]
    assert not (nan_rows["verdict"] == "inconclusive").any(), nan_rows
    assert set(claims["analysis"]) >= {"raw", "controlled", "sensitivity"}


def test_measurement_tables_cover_every_measure_stratum_and_arm():
    from graphprior.analysis.measurement import measurement_tables, unreliable_measures
    from graphprior.analysis.study.columns import Measure

    rng = np.random.default_rng(9)
    parts = []
    for stratum, shift in (("n50-m100", 0.0), ("n50-m200", 1.0)):
        f = simulate(rng, families=3, graphs=20, sd=(0.3, 1.0, 0.3, 1.0))
        parts.append(f.assign(graph=stratum + "/" + f["graph"], stratum=stratum, y=f["y"] + shift))
    frame = pd.concat(parts, ignore_index=True)
    models = pd.DataFrame(
        {
            "graph_id": frame["graph"],
            "generator": "fam" + frame["family"].astype(str),
            "arm": "fixed_interface",
            "orientation_seed": frame["orientation"],
            "init": frame["init"].astype(str),
            "seed": 0,
            "parent_id": None,
            "rob": frame["y"],
            "noise": rng.normal(size=len(frame)),
        }
    )
    graphs = frame.drop_duplicates("graph")[["graph", "stratum"]].rename(
        columns={"graph": "graph_id"}
    )
    measures = [Measure("rob", "rob", "a", "linf", float("nan"), 1),
                Measure("noise", "noise", "a", "linf", float("nan"), 1)]  # fmt: skip
    config = ReportConfig.from_dict(
        {
            "bootstrap": 200,
            "smallest_effect": {"share": 0.1, "rho": 0.2},
            "primary_measure": {"measure": "rob", "attack": "a", "norm": "linf"},
        }
    )
    m = measurement_tables(models, graphs, measures, config, rng)
    assert len(m.variance) == 2 * 2 * 5 and len(m.reliability) == 2 * 2 * 3
    graph = m.variance.loc[m.variance["component"] == "graph"].set_index(["stratum", "measure"])
    assert graph.loc[("n50-m100", "rob"), "decision"] == "matters"
    assert bool(graph.loc[("n50-m100", "rob"), "primary"])
    assert not graph.loc[("n50-m100", "noise"), "primary"]
    rel = m.reliability.set_index(["stratum", "measure", "split"])["reliability"]
    assert rel[("n50-m100", "rob", "orientation")] > 0.5
    assert abs(rel[("n50-m100", "noise", "replicate")]) < 0.7
    bad = unreliable_measures(m.reliability, 0.5)
    assert ("n50-m100", "fixed_interface", "noise") in bad
    assert ("n50-m100", "fixed_interface", "rob") not in bad
    # strata of one parameter count (the density design) also form a size class, whose
    # graph component holds the strata's difference (the planted shift of 1.0)
    held = measurement_tables(models.assign(n_params=3860), graphs, measures, config, rng)
    assert set(held.variance["stratum"]) == {"n50-m100", "n50-m200", "n50-m100+n50-m200"}
    share = held.variance.set_index(["stratum", "measure", "component"])["share"]
    assert share[("n50-m100+n50-m200", "rob", "graph")] > share[("n50-m100", "rob", "graph")]
    sized = measurement_tables(models.assign(n_params=np.where(
        frame["stratum"] == "n50-m100", 3860, 4060)), graphs, measures, config, rng)  # fmt: skip
    assert set(sized.variance["stratum"]) == {"n50-m100", "n50-m200"}


def test_stratum_contrast_is_the_difference_of_per_graph_means():
    from graphprior.analysis.measurement import stratum_contrasts

    # stratum a: graphs with means 1, 2, 3 (two models each); stratum b: 5, 6, 7
    graph = np.repeat([f"g{i}" for i in range(6)], 2)
    value = np.repeat([1.0, 2.0, 3.0, 5.0, 6.0, 7.0], 2) + np.tile([-0.5, 0.5], 6)
    models = pd.DataFrame({"graph_id": graph, "generator": "x", "rob": value})
    graphs = pd.DataFrame({"graph_id": [f"g{i}" for i in range(6)],
                           "stratum": ["a"] * 3 + ["b"] * 3})  # fmt: skip
    out = stratum_contrasts(models, graphs, "rob", 500, np.random.default_rng(0))
    row = out.iloc[0]
    assert (row["stratum"], row["reference"]) == ("b", "a")
    assert row["difference"] == pytest.approx(4.0) and row["n_graphs"] == 6
    assert row["ci_low"] <= 4.0 <= row["ci_high"]
    assert stratum_contrasts(
        models, graphs.assign(stratum="a"), "rob", 10, np.random.default_rng(0)
    ).empty
