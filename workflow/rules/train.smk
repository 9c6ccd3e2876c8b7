# One job per chunk of graphs_per_job graphs (GRAPH_CHUNKS), one graph after the other;
# the chunk's folders hold each graph's `models` rows and its checkpoints' folder.
rule train_sparse_nets:
    input:
        graph=f"{RESULTS}/graphs/c{{chunk}}",
        data=DATASET_FILES,
    output:
        training=directory(f"{RESULTS}/training/c{{chunk}}"),
        models=directory(f"{RESULTS}/models/c{{chunk}}"),
        failures=failure_record("train_sparse_nets", "c{chunk}"),
    log:
        f"{RESULTS}/logs/train_sparse_nets/c{{chunk}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_sparse_nets/c{{chunk}}.tsv"
    conda:
        "../envs/graphprior.yaml"
    threads: 1
    resources:
        mem_mb=lambda wildcards: TRAIN_COST[int(wildcards.chunk)].mem_mb,
        runtime=lambda wildcards: TRAIN_COST[int(wildcards.chunk)].runtime,
        gpu=GPU,
    params:
        ids=chunk_ids,
        config=config_for("train_sparse_nets"),
        span=chunk_span,
        retry=retry("train_sparse_nets", "c{chunk}"),
    message:
        job_message("train_sparse_nets c{wildcards.chunk}: {params.span}")
    script:
        "../scripts/train_sparse_nets.py"
