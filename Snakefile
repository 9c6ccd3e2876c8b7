# graphprior: does the wiring of a sparse neural network predict its robustness?
# The Snakefile holds no logic: config, validation and rules live in workflow/.
from snakemake.utils import min_version

min_version("8.0")


# The default study, unless `--configfile` names another: that one replaces it whole
# (no keys inherited from it); `--config KEY=VALUE` edits whichever is in use.
if not workflow.overwrite_configfiles:

    configfile: f"{workflow.basedir}/config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/graphs.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/baseline.smk"
include: "workflow/rules/attack.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        rules.aggregate_parquet.output,
        rules.correlation_report.output,
    message:
        job_message(
            f"all: the tables and the report of study {config['study']} in {RESULTS}/"
        )


# At the end of every run, success or not: name each recorded failure (rule, group,
# reason, log) and mark it out of date, so rerunning the same command retries it;
# a run that finished with recorded failures exits non-zero.
onsuccess:
    gpfailures.finish_run(RESULTS)


onerror:
    gpfailures.end_of_run(RESULTS, stopped=True)
