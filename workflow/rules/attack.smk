# One job per chunk of graphs_per_job graphs.
for chunk, ids in enumerate(GRAPH_CHUNKS):

    rule:
        name:
            gpstages.chunk_rule("attack", chunk)
        input:
            training=per_id(f"{RESULTS}/training/{{id}}.parquet", ids),
            models=per_id(f"{RESULTS}/models/{{id}}", ids),
            data=DATASET_FILES,
        output:
            robustness=per_id(f"{RESULTS}/robustness/{{id}}.parquet", ids),
            checks=per_id(f"{RESULTS}/attack_checks/{{id}}.parquet", ids),
            failures=per_id(f"{RESULTS}/failures/attack/{{id}}.json", ids),
        log:
            per_id(f"{RESULTS}/logs/attack/{{id}}.log", ids),
        benchmark:
            f"{RESULTS}/benchmarks/attack/c{chunk}.tsv"
        conda:
            "../envs/graphprior.yaml"
        threads: 1
        resources:
            mem_mb=ATTACK_COST[chunk].mem_mb,
            runtime=ATTACK_COST[chunk].runtime,
            gpu=GPU,
        params:
            ids=ids,
            config=config_for("attack"),
        message:
            job_message(gpstages.chunk_message("attack", chunk, ids))
        script:
            "../scripts/attack.py"


# One job per pruning step (or density level) of each baseline group; the graph nets'
# densities decide which parts get the full suite (graphprior.stages.attack_baseline).
rule attack_baseline:
    input:
        training=f"{RESULTS}/training/{{baseline}}.parquet",
        models=f"{RESULTS}/models/{{baseline}}",
        graph_training=expand(
            f"{RESULTS}/training/{{graph_id}}.parquet", graph_id=GRAPH_IDS
        ),
        data=DATASET_FILES,
    output:
        robustness=f"{RESULTS}/robustness/{{baseline}}--{{part}}.parquet",
        checks=f"{RESULTS}/attack_checks/{{baseline}}--{{part}}.parquet",
        failures=f"{RESULTS}/failures/attack/{{baseline}}--{{part}}.json",
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
    message:
        job_message("attack_baseline {wildcards.baseline}, {wildcards.part}")
    script:
        "../scripts/attack_baseline.py"
