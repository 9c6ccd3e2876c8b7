"""Permutation p-values of the Friedman, Kruskal–Wallis and Kendall τ tests (claims C1, R1)."""

import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from graphprior.analysis.groups import init_independence
from graphprior.analysis.stats.inference import correlation_test
from graphprior.analysis.stats.permutation import (
    cluster_permutations,
    friedman_permutation_p,
    kendall_permutation_p,
    kruskal_permutation_p,
)


def test_friedman_exact_p_equals_a_brute_force_enumeration():
    values = np.array([[1.0, 2.0, 3.0], [1.0, 3.0, 2.0], [2.0, 1.0, 3.0]])
    observed = scipy.stats.friedmanchisquare(*values.T).statistic
    hits = total = 0
    for perms in itertools.product(itertools.permutations(range(3)), repeat=3):
        shuffled = np.stack([row[list(p)] for row, p in zip(values, perms, strict=True)])
        hits += scipy.stats.friedmanchisquare(*shuffled.T).statistic >= observed - 1e-12
        total += 1
    p, method = friedman_permutation_p(values, 2000, np.random.default_rng(0))
    assert method == "exact" and total == 216
    assert p == pytest.approx(hits / total)
    tied = np.ones((4, 3))
    assert friedman_permutation_p(tied, 2000, np.random.default_rng(0)) == (1.0, "exact")


def test_friedman_monte_carlo_is_seeded_and_near_the_asymptotic_p_when_large():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(25, 3)) + np.array([0.0, 0.3, 0.6])
    a = friedman_permutation_p(values, 4000, np.random.default_rng(1))
    b = friedman_permutation_p(values, 4000, np.random.default_rng(1))
    assert a == b and a[1] == "permutation"
    asym = scipy.stats.friedmanchisquare(*values.T).pvalue
    assert abs(a[0] - asym) < 0.03


def test_kruskal_exact_p_of_two_separated_groups():
    # 20 ways to split 6 values into 3 + 3; only the observed split and its mirror are as extreme
    p, method = kruskal_permutation_p([[1, 2, 3], [4, 5, 6]], 2000, np.random.default_rng(0))
    assert method == "exact" and p == pytest.approx(2 / 20)
    assert kruskal_permutation_p([[1, 1], [1]], 2000, np.random.default_rng(0)) == (1.0, "exact")


def test_kendall_exact_p_at_n6_is_2_over_720_and_clusters_weaken_it():
    x = np.arange(6.0)
    p, method = kendall_permutation_p(x, x, 2000, np.random.default_rng(0))
    assert method == "exact" and abs(p - 2 / 720) < 1e-9
    # three original + twin pairs: 3! cluster orders × 2³ orders within clusters = 48
    # arrangements, of which only the identity is as concordant: p = 2 / 48
    units = ["a", "a", "b", "b", "c", "c"]
    p, method = kendall_permutation_p(x, x, 6000, np.random.default_rng(0), units)
    assert method == "permutation" and abs(p - 2 / 48) < 0.01
    assert np.isnan(kendall_permutation_p(x, np.ones(6), 2000, np.random.default_rng(0))[0])


def test_init_independence_uses_permutations_below_30_graphs():
    rng = np.random.default_rng(0)
    rows = [
        {"graph_id": f"g{g}", "init": init, "rob": g + 0.5 * i + rng.normal(0, 0.1)}
        for g in range(8)
        for i, init in enumerate(["a", "b", "c"])
    ]
    study = pd.DataFrame(rows)
    asym = init_independence(study, "rob", ok_only=False)
    perm = init_independence(study, "rob", ok_only=False, n_perm=3000, rng=rng)
    assert asym["friedman_p_method"] == asym["kruskal_p_method"] == "asymptotic"
    assert perm["friedman_p_method"] == perm["kruskal_p_method"] == "permutation"
    assert perm["kendall_w"] == asym["kendall_w"]
    # every graph orders the inits a < b < c: only 6 of the 6^8 within-block permutations are
    # as extreme, so no Monte Carlo draw is and p = (0 + 1) / (3000 + 1)
    assert perm["friedman_p"] == pytest.approx(1 / 3001)
    with pytest.raises(ValueError, match="both n_perm and rng"):
        init_independence(study, "rob", n_perm=3000)


def test_kruskal_accepts_a_group_of_one_observation():
    """Groups {1, 2, 3} and {4}: of the 4 places for the singleton's rank, the two
    ends (rank 1 or 4) give the largest statistic, 28, so p = 2/4."""
    p, method = kruskal_permutation_p([[1, 2, 3], [4]], 2000, np.random.default_rng(0))
    assert method == "exact"
    assert p == pytest.approx(0.5)


def _every_cluster_arrangement(blocks: list[list[int]]) -> list[list[int]]:
    """Every target of equal-size clusters: a cluster order, then an order within each."""
    out = []
    for order in itertools.permutations(range(len(blocks))):
        withins = [list(itertools.permutations(blocks[j])) for j in order]
        for chosen in itertools.product(*withins):
            target = [0] * sum(len(b) for b in blocks)
            for rows, moved in zip(blocks, chosen, strict=True):
                for r, m in zip(rows, moved, strict=True):
                    target[r] = m
            out.append(target)
    return out


def test_cluster_permutations_draw_every_arrangement_of_clusters_and_their_rows():
    units = np.array(["a", "a", "b", "b", "c", "c", "d"])
    target = cluster_permutations(units, 4800, np.random.default_rng(0))
    assert (target[:, 6] == 6).all()  # the only singleton stays put
    drawn = {tuple(t[:6]) for t in target}
    every = {tuple(t) for t in _every_cluster_arrangement([[0, 1], [2, 3], [4, 5]])}
    assert drawn == every  # all 3! × 2³ = 48, and nothing else
    counts = np.unique(target[:, :6], axis=0, return_counts=True)[1]
    assert counts.min() > 4800 / 48 * 0.6  # roughly uniform


def test_clustered_permutation_p_is_the_count_over_every_arrangement():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=6), rng.normal(size=6)
    units = ["a", "a", "b", "b", "c", "c"]
    t = correlation_test(x, y, units=units, n_perm=20000, n_boot=0, rng=rng)
    ex = scipy.stats.rankdata(x) - 3.5
    ey = scipy.stats.rankdata(y) - 3.5
    null = np.array([ey[tg] @ ex for tg in _every_cluster_arrangement([[0, 1], [2, 3], [4, 5]])])
    observed = ey @ ex
    exact = min(1.0, 2 * min(np.mean(null >= observed - 1e-9), np.mean(null <= observed + 1e-9)))
    assert t.p_method == "permutation" and abs(t.p - exact) < 0.02


def test_clustered_null_is_centred_when_originals_and_twins_differ_alike():
    # within every pair the original is 6 above its twin in both x and y, while across
    # pairs x and y run opposite ways: overall rho = -0.12. A null that kept the
    # original/twin order inside permuted pairs sat near the within-pair contrast and
    # gave p = 0.0005 here.
    level = np.arange(12, dtype=float)
    x = np.concatenate([[v + 6, v] for v in level])
    y = np.concatenate([[-v + 6, -v] for v in level])
    units = np.repeat(np.arange(12), 2)
    t = correlation_test(x, y, units=units, n_perm=4000, n_boot=0, rng=np.random.default_rng(0))
    assert t.r == pytest.approx(scipy.stats.spearmanr(x, y).statistic)
    assert abs(t.r) < 0.2 and t.p > 0.3
    ex = scipy.stats.rankdata(x) - 12.5
    ey = scipy.stats.rankdata(y) - 12.5
    null = ey[cluster_permutations(units, 4000, np.random.default_rng(1))] @ ex
    assert abs(null.mean()) / np.sqrt((ex @ ex) * (ey @ ey)) < 0.02  # centred at zero
