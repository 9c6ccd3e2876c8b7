# A downloaded dataset's files (mnist, fashion-mnist), fetched once, checked and
# renamed into place, on the machine that runs Snakemake (a localrule): compute
# jobs read them and never download, so cluster nodes need no network. Bundled
# datasets (digits, mnist5k, mnist1d) have no files and no such job.
if DATASET_FILES:

    rule download_dataset:
        output:
            DATASET_FILES,
        log:
            f"{RESULTS}/logs/download_dataset.log",
        localrule: True
        conda:
            "../envs/graphprior.yaml"
        params:
            config=config_for("download_dataset"),
        message:
            job_message("download_dataset: the dataset's files")
        script:
            "../scripts/download_dataset.py"
