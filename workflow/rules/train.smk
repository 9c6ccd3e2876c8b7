# One job per chunk of graphs_per_job graphs (GRAPH_CHUNKS), one graph after the other.
for chunk, ids in enumerate(GRAPH_CHUNKS):

    rule:
        name:
            gpstages.chunk_rule("train_sparse_nets", chunk)
        input:
            graph=per_id(f"{RESULTS}/graphs/{{id}}.graphml", ids),
            data=DATASET_FILES,
        output:
            training=per_id(f"{RESULTS}/training/{{id}}.parquet", ids),
            models=[directory(p) for p in per_id(f"{RESULTS}/models/{{id}}", ids)],
            failures=per_id(f"{RESULTS}/failures/train_sparse_nets/{{id}}.json", ids),
        log:
            per_id(f"{RESULTS}/logs/train_sparse_nets/{{id}}.log", ids),
        benchmark:
            f"{RESULTS}/benchmarks/train_sparse_nets/c{chunk}.tsv"
        conda:
            "../envs/graphprior.yaml"
        threads: 1
        resources:
            mem_mb=TRAIN_COST[chunk].mem_mb,
            runtime=TRAIN_COST[chunk].runtime,
            gpu=GPU,
        params:
            ids=ids,
            config=config_for("train_sparse_nets"),
        message:
            job_message(gpstages.chunk_message("train_sparse_nets", chunk, ids))
        script:
            "../scripts/train_sparse_nets.py"
