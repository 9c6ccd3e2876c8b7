#!/usr/bin/env bash
# deepstruct's MaskedDeepDAN, the per-model masked reference row (c2) of
# benchmarks/train_union.py, installed with --no-deps into build/deepstruct:
# deepstruct 0.10.0 asks for torch < 2 and networkx < 3, so it runs here on the
# project's torch and networkx, beside (not inside) the project's environment.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
"$PY" -m pip install --quiet --no-deps --upgrade --target build/deepstruct \
  deepstruct==0.10.0 deprecated==1.3.1 wrapt==2.5.2 importlib-metadata==10.2.0 \
  semantic-version==2.10.0 zipp==4.1.2
echo "deepstruct installed in build/deepstruct"
