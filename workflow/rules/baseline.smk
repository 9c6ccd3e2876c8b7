# Pruned dense networks at densities matched to the graph nets.
rule prune_baseline:
    input:
        graph_training=chunk_folders("training"),
        properties=chunk_folders("properties"),
        data=DATASET_FILES,
    output:
        training=f"{RESULTS}/training/{{baseline}}.parquet",
        models=directory(f"{RESULTS}/models/{{baseline}}"),
        failures=failure_record("prune_baseline", "{baseline}"),
    log:
        f"{RESULTS}/logs/prune_baseline/{{baseline}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/prune_baseline/{{baseline}}.tsv"
    # on the study's longest chain (all graphs trained, a baseline trained, its steps
    # attacked): started before graph attack jobs that are ready at the same time
    priority: 10
    conda:
        "../envs/graphprior.yaml"
    threads: 1
    resources:
        mem_mb=lambda wildcards: PRUNE_COST[wildcards.baseline].mem_mb,
        runtime=lambda wildcards: PRUNE_COST[wildcards.baseline].runtime,
        gpu=GPU,
    params:
        config=config_for("prune_baseline"),
        chunks=GRAPH_CHUNKS,
        retry=retry("prune_baseline", "{baseline}"),
    message:
        job_message("prune_baseline {wildcards.baseline}")
    script:
        "../scripts/prune_baseline.py"
