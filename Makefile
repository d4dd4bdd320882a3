# Quancheng — two commands set everything up: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

DATA_DIR ?= ./quancheng-data
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: all demo serve test test-fast lint format bench bench-quick install clean

all: install

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(BIN)/quancheng: $(UV) pyproject.toml uv.lock
	@# Bytecode compiled once, here: where PYTHONDONTWRITEBYTECODE is set (container images
	@# often set it), every process would otherwise compile each module it imports again,
	@# seconds for each server, worker and command started.
	$(UV) sync --frozen --all-groups --compile-bytecode
	$(BIN)/python -m compileall -q src
	@touch $@

install: $(BIN)/quancheng ## Create the virtual environment from the lock file.

demo: install ## Build the demo city of Jinan and serve it on http://$(HOST):$(PORT).
	@# A small simulated fleet keeps the operations centre (/ops) alive once the city serves.
	$(BIN)/quancheng simulate --url http://$(HOST):$(PORT) --accounts $(DATA_DIR)/demo-accounts.json \
		--wait 900 --no-create --rate 20 & \
	$(BIN)/quancheng demo --data-dir $(DATA_DIR) --host $(HOST) --port $(PORT)

serve: install ## Serve an existing city.
	$(BIN)/quancheng serve --data-dir $(DATA_DIR) --host $(HOST) --port $(PORT)

test: install ## The whole suite: SQLite, PostgreSQL and Chromium, plus the lint gate.
	scripts/ensure-system-deps postgres chromium cjk-fonts mosquitto
	$(MAKE) lint
	scripts/with-postgres $(BIN)/pytest -n auto $(PYTEST_ARGS)

test-fast: install ## SQLite-only tests, without PostgreSQL or the browser.
	$(BIN)/pytest -n auto -m "not postgres and not browser" $(PYTEST_ARGS)

lint: install ## ruff (lint + format check) and mypy --strict on the package and the benchmarks.
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src benchmarks

format: install ## Apply ruff's formatting and fixes.
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: install ## Benchmarks side by side with peers; results in benchmarks/results/.
	scripts/with-postgres $(BIN)/python -m benchmarks.run

bench-quick: install ## The same benchmarks at small sizes (a few minutes).
	scripts/with-postgres $(BIN)/python -m benchmarks.run --quick

clean: ## Remove the virtual environments and caches (not the data dir).
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
