# One job per chunk of graphs_per_job graph groups, then one job per baseline group
# (a baseline's models exist only after every graph trained).
for chunk, ids in enumerate(GRAPH_CHUNKS + BASELINE_CHUNKS):

    rule:
        name:
            gpstages.chunk_rule("attack", chunk)
        input:
            training=per_id("results/training/{id}.parquet", ids),
            models=per_id("results/models/{id}", ids),
            data=DATASET_FILES,
        output:
            robustness=per_id("results/robustness/{id}.parquet", ids),
            checks=per_id("results/attack_checks/{id}.parquet", ids),
            failures=per_id("results/failures/attack/{id}.json", ids),
        log:
            per_id("results/logs/attack/{id}.log", ids),
        benchmark:
            f"results/benchmarks/attack/c{chunk}.tsv"
        conda:
            "../../envs/graphprior.yaml"
        threads: 1
        resources:
            mem_mb=3000,
            runtime=60 * len(ids),
            gpu=GPU,
        params:
            ids=ids,
            config=config_for("attack"),
        script:
            "../scripts/attack.py"
