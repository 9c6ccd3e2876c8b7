# The image graphprior's jobs run in on executors without a shared filesystem
# (Kubernetes, Google Batch, AWS Batch, Azure Batch, TES: `--container-image`) and with
# `--sdm apptainer` (the config key `container`): Python, every pinned
# dependency of requirements.lock (Snakemake and its plugins included, since a remote job
# runs Snakemake inside the image), then graphprior itself. docs/cluster.md, "Software in
# the jobs", shows how to build, push and use it.
#
#   docker build -t REGISTRY/graphprior:0.1.0 --build-arg CLOUD_PLUGINS=snakemake-storage-plugin-s3 .
#
# The lock holds PyTorch's CPU build; a GPU image starts from a CUDA base image and
# installs the CUDA build of the same torch version instead.
FROM python:3.11-slim

# git: Snakemake records the workflow's version; rsync: the fs storage plugin.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git rsync \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/graphprior
# The lock's torch is the +cpu build, served by PyTorch's index (as `make` installs it).
COPY requirements.lock ./
RUN python -m pip install --no-cache-dir --require-hashes --no-deps \
        --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.lock

# The lock's only storage plugin is the fs one; a cloud run needs its provider's plugin in
# the image, e.g. --build-arg CLOUD_PLUGINS="snakemake-storage-plugin-s3" (Kubernetes with
# S3) or "snakemake-storage-plugin-gcs" (Google Batch): installed as they resolve today,
# outside the lock.
ARG CLOUD_PLUGINS=""
RUN if [ -n "$CLOUD_PLUGINS" ]; then python -m pip install --no-cache-dir $CLOUD_PLUGINS; fi

COPY pyproject.toml README.md LICENSE ./
COPY src ./src
COPY workflow ./workflow
COPY config ./config
COPY profiles ./profiles
RUN python -m pip install --no-cache-dir --no-deps . \
    && python -c "import graphprior.stages, snakemake_logger_plugin_graphprior"
