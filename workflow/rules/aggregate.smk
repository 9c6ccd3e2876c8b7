rule aggregate_parquet:
    input:
        graphs=chunk_folders("graphs"),
        properties=chunk_folders("properties"),
        training=chunk_folders("training"),
        robustness=chunk_folders("robustness"),
        checks=chunk_folders("attack_checks"),
        baseline_training=expand(
            f"{RESULTS}/training/{{baseline}}.parquet", baseline=BASELINE_GROUPS
        ),
        baseline_robustness=expand(f"{RESULTS}/robustness/{{part}}.parquet", part=BASELINE_PARTS),
        baseline_checks=expand(f"{RESULTS}/attack_checks/{{part}}.parquet", part=BASELINE_PARTS),
        failures=failure_records(),
    output:
        graphs=f"{RESULTS}/tables/graphs.parquet",
        graph_properties=f"{RESULTS}/tables/graph_properties.parquet",
        models=f"{RESULTS}/tables/models.parquet",
        robustness=f"{RESULTS}/tables/robustness.parquet",
        attack_checks=f"{RESULTS}/tables/attack_checks.parquet",
        failures=f"{RESULTS}/tables/failures.parquet",
        graphs_summary=f"{RESULTS}/tables/graphs_summary.parquet",
        study=report(
            f"{RESULTS}/tables/study.parquet",
            caption="../report/study.rst",
            category="Tables",
        ),
    log:
        f"{RESULTS}/logs/aggregate_parquet.log",
    benchmark:
        f"{RESULTS}/benchmarks/aggregate_parquet.tsv"
    conda:
        "../envs/graphprior.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        config=config_for("aggregate_parquet"),
        specs=SPECS,
        chunks=GRAPH_CHUNKS,
    message:
        job_message(f"aggregate_parquet: every job's outputs into {RESULTS}/tables")
    script:
        "../scripts/aggregate_parquet.py"
