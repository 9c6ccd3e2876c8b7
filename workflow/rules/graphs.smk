rule generate_graphs:
    output:
        graph="results/graphs/{graph_id}.graphml",
    log:
        "results/logs/generate_graphs/{graph_id}.log",
    benchmark:
        "results/benchmarks/generate_graphs/{graph_id}.tsv"
    conda:
        "../../envs/graphprior.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        spec=lambda wildcards: SPECS[wildcards.graph_id],
        # the spec as text, so Snakemake sees a change of it (an object it cannot)
        spec_text=lambda wildcards: repr(SPECS[wildcards.graph_id]),
        config=config_for("generate_graphs"),
    script:
        "../scripts/generate_graphs.py"


rule compute_graph_properties:
    input:
        graph="results/graphs/{graph_id}.graphml",
    output:
        properties="results/properties/{graph_id}.parquet",
        failures="results/failures/compute_graph_properties/{graph_id}.json",
    log:
        "results/logs/compute_graph_properties/{graph_id}.log",
    benchmark:
        "results/benchmarks/compute_graph_properties/{graph_id}.tsv"
    conda:
        "../../envs/graphprior.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        config=config_for("compute_graph_properties"),
    script:
        "../scripts/compute_graph_properties.py"
