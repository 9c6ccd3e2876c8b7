"""How often the graph share's interval covers the truth, and how often it decides wrongly.

Simulates the default study's design — 5 families × 10 graphs, 2 orientations
× 3 initialisations per graph, one model each (300 models per stratum) — with
a planted graph share (family share 0, orientation 0.05, the rest residual),
decomposes each simulated study with
:func:`graphprior.analysis.stats.variance_components` and counts, over many
studies: coverage of the true share by the 95 % interval, the share of
studies deciding `negligible` (upper bound below the pre-registered 0.1) and
`matters` (lower bound above 0) — for plain and bias-corrected percentile
intervals on the same simulated studies.

    .venv/bin/python benchmarks/variance_coverage.py [--studies 200] [--bootstrap 400]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from _record import record

from graphprior.analysis.stats import variance_components

OUT = Path(__file__).parent / "results" / "variance_coverage.md"
BOUND = 0.1


def simulate(rng: np.random.Generator, share: float, families=5, graphs=10, orientations=2,
             inits=3) -> pd.DataFrame:  # fmt: skip
    """One study: graph variance `share`, orientation 0.05, residual the rest (total 1)."""
    sd_g, sd_o, sd_e = np.sqrt(share), np.sqrt(0.05), np.sqrt(0.95 - share)
    rows = []
    for f in range(families):
        for g in range(graphs):
            g_eff = rng.normal(0, sd_g)
            for o in range(orientations):
                o_eff = rng.normal(0, sd_o)
                for i in range(inits):
                    rows.append((f, f"{f}-{g}", o, i, g_eff + o_eff + rng.normal(0, sd_e)))
    return pd.DataFrame(rows, columns=["family", "graph", "orientation", "init", "y"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--bootstrap", type=int, default=400)
    args = parser.parse_args()
    rows = []
    for share in (0.0, 0.05, 0.15, 0.25):
        for interval in ("percentile", "bc"):
            covered = negligible = matters = 0
            for s in range(args.studies):
                rng = np.random.default_rng(1000 + s)  # the same studies for both intervals
                f = simulate(rng, share)
                g = variance_components(
                    f["y"], f["family"], f["graph"], f["orientation"], f["init"],
                    n_boot=args.bootstrap, rng=rng, interval=interval,
                )["graph"]  # fmt: skip
                covered += g.ci_low <= share <= g.ci_high
                negligible += g.ci_high < BOUND
                matters += g.ci_low > 0
            n = args.studies
            rows.append({"true graph share": share, "interval": interval,
                         "coverage": covered / n, "decided negligible": negligible / n,
                         "decided matters": matters / n})  # fmt: skip
    text = (
        "# Graph share: coverage and decisions in simulated default studies\n\n"
        f"`.venv/bin/python benchmarks/variance_coverage.py --studies {args.studies} "
        f"--bootstrap {args.bootstrap}`: 5 families × 10 graphs × 2 orientations × 3 inits, "
        f"bound {BOUND}.\n\n" + pd.DataFrame(rows).to_markdown(index=False)
    )
    record(text, OUT)


if __name__ == "__main__":
    main()
