rule attack:
    input:
        training=training_table,
        models=models_dir,
        data=DATASET_FILES,
    output:
        robustness="results/robustness/{group}.parquet",
        checks="results/attack_checks/{group}.parquet",
        failures="results/failures/attack/{group}.json",
    log:
        "results/logs/attack/{group}.log",
    benchmark:
        "results/benchmarks/attack/{group}.tsv"
    conda:
        "../../envs/graphprior.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    params:
        config=config_for("attack"),
    script:
        "../scripts/attack.py"
