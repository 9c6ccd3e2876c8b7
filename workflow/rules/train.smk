rule train_sparse_nets:
    input:
        graph="results/graphs/{graph_id}.graphml",
        data=DATASET_FILES,
    output:
        training="results/training/{graph_id}.parquet",
        models=directory("results/models/{graph_id}"),
        failures="results/failures/train_sparse_nets/{graph_id}.json",
    log:
        "results/logs/train_sparse_nets/{graph_id}.log",
    benchmark:
        "results/benchmarks/train_sparse_nets/{graph_id}.tsv"
    conda:
        "../../envs/graphprior.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        config=config_for("train_sparse_nets"),
    script:
        "../scripts/train_sparse_nets.py"
