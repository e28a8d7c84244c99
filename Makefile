# Two commands do all set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
export UV_COMPILE_BYTECODE := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect

UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
VENV := .venv
CLI := $(VENV)/bin/customs-credit
DEMO := warehouse/landing/demo
AS_OF ?= 2026-06-30

.PHONY: setup run test lint bench clean

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

setup: $(VENV)/.synced

# The main job on the embedded default: sample data -> ingest -> evaluate -> snapshot table.
run: setup
	$(CLI) generate --out $(DEMO) --enterprises 200 --declarations 50000 --seed 7 --as-of $(AS_OF)
	$(CLI) ingest $(DEMO)
	$(CLI) evaluate --as-of $(AS_OF)
	$(CLI) snapshot --as-of $(AS_OF)

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	$(VENV)/bin/python -m bench.run

clean:
	rm -rf warehouse/*.duckdb warehouse/landing warehouse/serving warehouse/.duckdb_tmp
