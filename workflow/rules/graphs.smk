# One job per chunk of graphs_per_job graphs (GRAPH_CHUNKS), one graph after the other.
for chunk, ids in enumerate(GRAPH_CHUNKS):

    rule:
        name:
            gpstages.chunk_rule("generate_graphs", chunk)
        output:
            graph=per_id(f"{RESULTS}/graphs/{{id}}.graphml", ids),
        log:
            per_id(f"{RESULTS}/logs/generate_graphs/{{id}}.log", ids),
        benchmark:
            f"{RESULTS}/benchmarks/generate_graphs/c{chunk}.tsv"
        conda:
            "../envs/graphprior.yaml"
        threads: 1
        resources:
            mem_mb=500,
            runtime=1 + len(ids) // 10,
        params:
            ids=ids,
            specs=[SPECS[i] for i in ids],
            # the specs as text, so Snakemake sees a change of them (objects it cannot)
            spec_text=[repr(SPECS[i]) for i in ids],
            config=config_for("generate_graphs"),
        message:
            job_message(gpstages.chunk_message("generate_graphs", chunk, ids))
        script:
            "../scripts/generate_graphs.py"

    rule:
        name:
            gpstages.chunk_rule("compute_graph_properties", chunk)
        input:
            graph=per_id(f"{RESULTS}/graphs/{{id}}.graphml", ids),
        output:
            properties=per_id(f"{RESULTS}/properties/{{id}}.parquet", ids),
            failures=per_id(
                f"{RESULTS}/failures/compute_graph_properties/{{id}}.json", ids
            ),
        log:
            per_id(f"{RESULTS}/logs/compute_graph_properties/{{id}}.log", ids),
        benchmark:
            f"{RESULTS}/benchmarks/compute_graph_properties/c{chunk}.tsv"
        conda:
            "../envs/graphprior.yaml"
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10 * len(ids),
        params:
            ids=ids,
            config=config_for("compute_graph_properties"),
        message:
            job_message(gpstages.chunk_message("compute_graph_properties", chunk, ids))
        script:
            "../scripts/compute_graph_properties.py"
