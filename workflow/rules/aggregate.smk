rule aggregate_parquet:
    input:
        graphs=expand("results/graphs/{graph_id}.graphml", graph_id=GRAPH_IDS),
        properties=expand("results/properties/{graph_id}.parquet", graph_id=GRAPH_IDS),
        training=expand("results/training/{group}.parquet", group=GROUPS),
        robustness=expand("results/robustness/{unit}.parquet", unit=ATTACK_UNITS),
        checks=expand("results/attack_checks/{unit}.parquet", unit=ATTACK_UNITS),
        failures=failure_records(),
    output:
        graphs="results/tables/graphs.parquet",
        graph_properties="results/tables/graph_properties.parquet",
        models="results/tables/models.parquet",
        robustness="results/tables/robustness.parquet",
        attack_checks="results/tables/attack_checks.parquet",
        failures="results/tables/failures.parquet",
        study=report(
            "results/tables/study.parquet",
            caption="../report/study.rst",
            category="Tables",
        ),
    log:
        "results/logs/aggregate_parquet.log",
    benchmark:
        "results/benchmarks/aggregate_parquet.tsv"
    conda:
        "../../envs/graphprior.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        config=config_for("aggregate_parquet"),
        specs=SPECS,
    script:
        "../scripts/aggregate_parquet.py"
