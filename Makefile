# Two commands do all set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
export UV_COMPILE_BYTECODE := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect

# uv from PATH, else the one pip installs as a module (works with or without --user site).
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
VENV := .venv
CLI := $(VENV)/bin/customs-credit
DEMO := warehouse/landing/demo
AS_OF ?= 2026-06-30

.PHONY: setup run test lint bench clean

.PHONY: ensure-uv
ensure-uv:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

$(VENV)/.synced: pyproject.toml uv.lock | ensure-uv
	$(UV) sync --frozen
	touch $@

setup: $(VENV)/.synced

# A second, tiny environment with DuckDB 1.x: the serving copy must stay readable by BI tools that
# still embed 1.x (tests/test_publish_compat.py).
DUCKDB1 := .venv-duckdb1
$(DUCKDB1)/.ready: | ensure-uv
	$(UV) venv --quiet $(DUCKDB1)
	$(UV) pip install --quiet --python $(DUCKDB1) 'duckdb==1.5.6'
	touch $@

# The main job on the embedded default: sample data -> ingest -> evaluate -> snapshot table.
run: setup
	$(CLI) generate --out $(DEMO) --enterprises 200 --declarations 50000 --seed 7 --as-of $(AS_OF)
	$(CLI) ingest $(DEMO)
	$(CLI) evaluate --as-of $(AS_OF)
	$(CLI) snapshot --as-of $(AS_OF)

test: setup $(DUCKDB1)/.ready
	$(VENV)/bin/ruff check .
	CUSTOMS_CREDIT_DUCKDB1_PYTHON=$(CURDIR)/$(DUCKDB1)/bin/python $(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	$(VENV)/bin/python -m bench.run

clean:
	rm -rf $(DUCKDB1) warehouse/*.duckdb warehouse/landing warehouse/serving warehouse/.duckdb_tmp
