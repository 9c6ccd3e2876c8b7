#!/usr/bin/env bash
# Snakemake runs this inside the new environment right after creating it from
# graphprior.yaml (--sdm conda): it installs graphprior itself, since the jobs import the
# package and the environment file can only name its dependencies.
#
# GRAPHPRIOR_SOURCE, when set, is what pip installs (a checkout, a wheel, a git URL);
# otherwise GRAPHPRIOR_CHECKOUT, the checkout the workflow was read from, which the
# workflow sets when it finds one (Snakemake runs a copy of this script from its conda
# folder, so the script cannot find the checkout itself), installed editable, so that
# jobs run the checkout's code as it is now (Snakemake rebuilds the environment only when
# this file or graphprior.yaml changes, not when the code does).
set -euo pipefail

source="${GRAPHPRIOR_SOURCE:-}"
if [ -z "$source" ]; then
    source="${GRAPHPRIOR_CHECKOUT:-}"
    if [ -z "$source" ] || [ ! -f "$source/pyproject.toml" ] || [ ! -d "$source/src/graphprior" ]; then
        echo "graphprior.post-deploy.sh: no graphprior checkout to install (GRAPHPRIOR_CHECKOUT:" \
            "'${GRAPHPRIOR_CHECKOUT:-}'; a workflow read from a remote module is not on disk);" \
            "set GRAPHPRIOR_SOURCE to a checkout, a wheel or a git URL of graphprior" >&2
        exit 1
    fi
fi
# The environment file pins every dependency; pip adds only graphprior itself.
if [ -z "${GRAPHPRIOR_SOURCE:-}" ]; then
    python -m pip install --no-deps --editable "$source"
else
    python -m pip install --no-deps "$source"
fi
python -c "import graphprior"
