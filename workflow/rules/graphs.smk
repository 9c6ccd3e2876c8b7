# One job per chunk of graphs_per_job graphs (GRAPH_CHUNKS), one graph after the other;
# each output is the chunk's folder, one file per graph in it.
rule generate_graphs:
    output:
        graph=directory(f"{RESULTS}/graphs/c{{chunk}}"),
    log:
        f"{RESULTS}/logs/generate_graphs/c{{chunk}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/generate_graphs/c{{chunk}}.tsv"
    conda:
        "../envs/graphprior.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=lambda wildcards: 1 + len(chunk_ids(wildcards)) // 10,
    params:
        ids=chunk_ids,
        specs=lambda wildcards: [SPECS[i] for i in chunk_ids(wildcards)],
        # the specs as text, so Snakemake sees a change of them (objects it cannot)
        spec_text=lambda wildcards: [repr(SPECS[i]) for i in chunk_ids(wildcards)],
        config=config_for("generate_graphs"),
        span=chunk_span,
    message:
        job_message("generate_graphs c{wildcards.chunk}: {params.span}")
    script:
        "../scripts/generate_graphs.py"


rule compute_graph_properties:
    input:
        graph=f"{RESULTS}/graphs/c{{chunk}}",
    output:
        properties=directory(f"{RESULTS}/properties/c{{chunk}}"),
        failures=failure_record("compute_graph_properties", "c{chunk}"),
    log:
        f"{RESULTS}/logs/compute_graph_properties/c{{chunk}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/compute_graph_properties/c{{chunk}}.tsv"
    conda:
        "../envs/graphprior.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=lambda wildcards: 10 * len(chunk_ids(wildcards)),
    params:
        ids=chunk_ids,
        config=config_for("compute_graph_properties"),
        span=chunk_span,
        retry=retry("compute_graph_properties", "c{chunk}"),
    message:
        job_message("compute_graph_properties c{wildcards.chunk}: {params.span}")
    script:
        "../scripts/compute_graph_properties.py"
