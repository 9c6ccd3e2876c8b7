rule aggregate_parquet:
    input:
        graphs=expand(f"{RESULTS}/graphs/{{graph_id}}.graphml", graph_id=GRAPH_IDS),
        properties=expand(
            f"{RESULTS}/properties/{{graph_id}}.parquet", graph_id=GRAPH_IDS
        ),
        training=expand(f"{RESULTS}/training/{{group}}.parquet", group=GROUPS),
        robustness=expand(f"{RESULTS}/robustness/{{unit}}.parquet", unit=ATTACK_UNITS),
        checks=expand(f"{RESULTS}/attack_checks/{{unit}}.parquet", unit=ATTACK_UNITS),
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
    message:
        job_message(f"aggregate_parquet: every job's outputs into {RESULTS}/tables")
    script:
        "../scripts/aggregate_parquet.py"
