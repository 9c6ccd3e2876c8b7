# graphprior: two commands for a new user.
#   make run   - set up .venv from requirements.lock and run the workflow on config/config.yaml
#   make test  - set up .venv from requirements.lock and run the test suite (incl. a small end-to-end run)
#   make lock  - refresh requirements.lock (pip-compile, with hashes) and the workflow/envs/ files from it
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2
CONFIG ?= config/config.yaml
STAMP := $(VENV)/.installed
LOCK := requirements.lock
# The lock as pip-compile writes it; `make lock` reruns exactly this.
PIP_COMPILE := $(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --generate-hashes \
	--no-emit-index-url --no-emit-find-links --extra workflow --extra test --extra dev

.PHONY: run test test-fast test-slurm lint format dry-run clean-results benchmarks deepstruct lock schema

# Every package from the lock, each checked against its hashes; then graphprior itself.
$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Refresh the pins (keeps the locked versions that still fit pyproject.toml; add
# --upgrade to PIP_COMPILE for the newest), then the conda env files from them.
# The workflow's schema (workflow/schemas/, which the Snakemake catalog reads) is a copy of
# the package's, the one source of defaults; a test checks they are equal.
schema:
	cp src/graphprior/config/schema.yaml workflow/schemas/config.schema.yaml

lock: $(STAMP)
	$(PIP_COMPILE) --output-file $(LOCK) pyproject.toml
	$(BIN)/python scripts/make_envs.py

run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG) --rerun-incomplete
	@echo
	@study=$$($(BIN)/python -c "import graphprior; print(graphprior.load_config('$(CONFIG)').study)"); \
	echo "Report: $(CURDIR)/results/$$study/report/report.html"; \
	echo "Tables: $(CURDIR)/results/$$study/tables/"

test: $(STAMP)
	$(BIN)/python -m pytest -q -ra --durations=15 tests

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -ra -m "not slow and not slurm" tests

test-slurm: $(STAMP)
	GRAPHPRIOR_SLURM=1 $(BIN)/python -m pytest -q -ra -m slurm tests

lint: $(STAMP)
	$(BIN)/ruff check src tests workflow/scripts benchmarks
	$(BIN)/snakefmt --check workflow
	$(BIN)/snakemake --lint --cores 1
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format src tests workflow/scripts benchmarks
	$(BIN)/snakefmt workflow

dry-run: $(STAMP)
	$(BIN)/snakemake -n --cores $(CORES) --configfile $(CONFIG)

# The benchmark suite (benchmarks/suite.py, docs/benchmarks.md): BENCH picks benchmarks
# (a pytest -k expression, e.g. BENCH=attack), BENCH_ARGS passes them options.
BENCH ?=
BENCH_ARGS ?=
benchmarks: $(STAMP)
	$(BIN)/python -m pytest benchmarks/suite.py -p no:cacheprovider -q -s -k "$(BENCH)" \
		--bench-args "$(BENCH_ARGS)" --benchmark-json benchmarks/results/suite.json

# deepstruct's MaskedDeepDAN, a reference row of the training benchmark, into build/deepstruct
# with --no-deps: deepstruct 0.10.0 asks for torch < 2 and networkx < 3, so it runs on the
# project's torch and networkx beside (not inside) the project's environment.
deepstruct: $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps --upgrade --target build/deepstruct \
		deepstruct==0.10.0 deprecated==1.3.1 wrapt==2.5.2 importlib-metadata==10.2.0 \
		semantic-version==2.10.0 zipp==4.1.2

clean-results:
	rm -rf results .snakemake
