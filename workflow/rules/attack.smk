# One job per chunk of graphs_per_job graphs, the chunk's trained graphs one after the other.
rule attack:
    input:
        training=f"{RESULTS}/training/c{{chunk}}",
        models=f"{RESULTS}/models/c{{chunk}}",
        data=DATASET_FILES,
    output:
        robustness=directory(f"{RESULTS}/robustness/c{{chunk}}"),
        checks=directory(f"{RESULTS}/attack_checks/c{{chunk}}"),
        failures=failure_record("attack", "c{chunk}"),
    log:
        f"{RESULTS}/logs/attack/c{{chunk}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/attack/c{{chunk}}.tsv"
    conda:
        "../envs/graphprior.yaml"
    threads: 1
    resources:
        mem_mb=lambda wildcards: ATTACK_COST[int(wildcards.chunk)].mem_mb,
        runtime=lambda wildcards: ATTACK_COST[int(wildcards.chunk)].runtime,
        gpu=GPU,
    params:
        ids=chunk_ids,
        config=config_for("attack"),
        span=chunk_span,
        retry=retry("attack", "c{chunk}"),
    message:
        job_message("attack c{wildcards.chunk}: {params.span}")
    script:
        "../scripts/attack.py"


# One job per pruning step (or density level) of each baseline group; the graph nets'
# densities decide which parts get the full suite (graphprior.stages.attack_baseline).
rule attack_baseline:
    input:
        training=f"{RESULTS}/training/{{baseline}}.parquet",
        models=f"{RESULTS}/models/{{baseline}}",
        graph_training=chunk_folders("training"),
        data=DATASET_FILES,
    output:
        robustness=f"{RESULTS}/robustness/{{baseline}}--{{part}}.parquet",
        checks=f"{RESULTS}/attack_checks/{{baseline}}--{{part}}.parquet",
        failures=failure_record("attack", "{baseline}--{part}"),
    log:
        f"{RESULTS}/logs/attack/{{baseline}}--{{part}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/attack/{{baseline}}--{{part}}.tsv"
    # on the study's longest chain (all graphs trained, a baseline trained, its steps
    # attacked): started before graph attack jobs that are ready at the same time
    priority: 10
    conda:
        "../envs/graphprior.yaml"
    threads: 1
    resources:
        mem_mb=lambda wildcards: PART_COST[wildcards.baseline].mem_mb,
        runtime=lambda wildcards: PART_COST[wildcards.baseline].runtime,
        gpu=GPU,
    params:
        config=config_for("attack_baseline"),
        chunks=GRAPH_CHUNKS,
        retry=retry("attack", "{baseline}--{part}"),
    message:
        job_message("attack_baseline {wildcards.baseline}, {wildcards.part}")
    script:
        "../scripts/attack_baseline.py"
