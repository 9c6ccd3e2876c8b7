# One job per chunk of graphs_per_job graphs (GRAPH_CHUNKS), one graph after the other.
for chunk, ids in enumerate(GRAPH_CHUNKS):

    rule:
        name:
            gpstages.chunk_rule("train_sparse_nets", chunk)
        input:
            graph=per_id("results/graphs/{id}.graphml", ids),
            data=DATASET_FILES,
        output:
            training=per_id("results/training/{id}.parquet", ids),
            models=[directory(p) for p in per_id("results/models/{id}", ids)],
            failures=per_id("results/failures/train_sparse_nets/{id}.json", ids),
        log:
            per_id("results/logs/train_sparse_nets/{id}.log", ids),
        benchmark:
            f"results/benchmarks/train_sparse_nets/c{chunk}.tsv"
        conda:
            "../../envs/graphprior.yaml"
        threads: 1
        resources:
            mem_mb=TRAIN_COST[chunk].mem_mb,
            runtime=TRAIN_COST[chunk].runtime,
            gpu=GPU,
        params:
            ids=ids,
            config=config_for("train_sparse_nets"),
        script:
            "../scripts/train_sparse_nets.py"
