"""CLEVER's reverse-Weibull fits: scipy one problem at a time vs the vectorised fit, side by side.

The problems are CLEVER's at ``config/config.yaml`` (``attack.clever``: 5
batches of 20 gradient norms drawn from a pool of 200, one class fitted) for
K models × N inputs: each problem's pool is a lognormal sample of positive
norms (a random median and spread, some nearly constant as for a model that
is linear around its input). The old path is the loop CLEVER ran before,
``weibull_min.fit(-maxima, 1.0, optimizer=fmin)`` per problem; the new one
is :func:`graphprior.robustness.weibull.reverse_weibull_locations` on all
problems at once. CPU seconds (``time.process_time``), best of ``--repeats``.

Usage: python benchmarks/weibull_fit.py [--k 7] [--n 20] [--repeats 3]   (~10 s)
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from scipy.optimize import fmin
from scipy.stats import weibull_min

from graphprior.robustness.weibull import reverse_weibull_locations


def clever_like_maxima(problems: int, nb_batches: int, batch_size: int, seed: int) -> np.ndarray:
    """Batch maxima ``(problems, nb_batches)`` of pools of ``10 · batch_size`` positive norms."""
    rng = np.random.default_rng(seed)
    median = rng.uniform(0.1, 5.0, (problems, 1))
    spread = np.where(rng.random((problems, 1)) < 0.2, 1e-4, rng.uniform(0.05, 0.8, (problems, 1)))
    pool = median * np.exp(spread * rng.standard_normal((problems, 10 * batch_size)))
    draws = rng.integers(0, pool.shape[1], (problems, nb_batches, batch_size))
    return np.take_along_axis(pool[:, None, :], draws, axis=2).max(axis=2)


def scipy_loop(maxima: np.ndarray) -> np.ndarray:
    out = np.empty(len(maxima))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for p, m in enumerate(maxima):
            out[p] = -weibull_min.fit(-m, 1.0, optimizer=fmin)[1]
    return out


def best_time(fn, arg, repeats: int) -> tuple[float, np.ndarray]:
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        result = fn(arg)
        times.append(time.process_time() - t0)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, default=7, help="models")
    ap.add_argument("--n", type=int, default=20, help="inputs per model")
    ap.add_argument("--nb-batches", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    maxima = clever_like_maxima(args.k * args.n, args.nb_batches, args.batch_size, args.seed)
    t_old, old = best_time(scipy_loop, maxima, args.repeats)
    t_new, new = best_time(reverse_weibull_locations, maxima, args.repeats)
    rel = np.abs(new - old) / np.abs(old)
    print(f"{len(maxima)} fits ({args.k} models x {args.n} inputs, {args.nb_batches} maxima each)")
    print(
        f"scipy, one problem at a time: {t_old:.3f} s CPU ({1e3 * t_old / len(maxima):.1f} ms per fit)"
    )
    print(f"vectorised, all problems:     {t_new:.3f} s CPU")
    print(f"ratio: {t_old / t_new:.1f}x")
    print(
        f"bit-identical locations: {np.sum(new == old)} of {len(maxima)}; max relative gap {rel.max():.1e}"
    )


if __name__ == "__main__":
    main()
