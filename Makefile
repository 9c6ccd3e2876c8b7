# graphprior: two commands for a new user.
#   make run   - set up .venv (pinned) and run the whole workflow on config/config.yaml
#   make test  - set up .venv (pinned) and run the test suite (incl. a small end-to-end run)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2
CONFIG ?= config/config.yaml
STAMP := $(VENV)/.installed

.PHONY: run test test-fast test-slurm lint format dry-run clean-results benchmarks

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG) --rerun-incomplete
	@echo
	@echo "Report: $(CURDIR)/results/report/report.html"
	@echo "Tables: $(CURDIR)/results/tables/"

test: $(STAMP)
	$(BIN)/python -m pytest -q -ra tests

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -ra -m "not slow and not slurm" tests

test-slurm: $(STAMP)
	GRAPHPRIOR_SLURM=1 $(BIN)/python -m pytest -q -ra -m slurm tests

lint: $(STAMP)
	$(BIN)/ruff check src tests workflow/scripts benchmarks
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/snakemake --lint --cores 1
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format src tests workflow/scripts benchmarks
	$(BIN)/snakefmt Snakefile workflow

dry-run: $(STAMP)
	$(BIN)/snakemake -n --cores $(CORES) --configfile $(CONFIG)

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/graph_properties.py
	$(BIN)/python benchmarks/train.py
	$(BIN)/python benchmarks/attack.py

clean-results:
	rm -rf results .snakemake
