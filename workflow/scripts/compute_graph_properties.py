"""Adapter for rule compute_graph_properties: one graph -> one Parquet row."""

import sys
from pathlib import Path

# With --sdm conda the package is not installed: import it from the checkout.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821


import pandas as pd

from graphprior.graphs.graphml import read_graph
from graphprior.graphs.records import properties_record
from graphprior.io.failures import run_guarded
from graphprior.io.logs import setup_job_logging
from graphprior.io.tables import properties_schema, write_table


def main(smk) -> None:
    setup_job_logging(smk.log[0])
    graph_id = smk.wildcards.graph_id
    row = run_guarded(
        "compute_graph_properties",
        graph_id,
        smk.params.config,
        smk.output.failures,
        smk.log[0],
        lambda: properties_record(read_graph(smk.input.graph), graph_id, smk.params.config),
        lambda: {"graph_id": graph_id},
    )
    df = pd.DataFrame([row])
    write_table(df, smk.output.properties, properties_schema(df.columns), "graph_properties")


if __name__ == "__main__":
    main(snakemake)  # noqa: F821
