# NeuroRegen — the README's two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export NEUROREGEN_VAR_DIR ?= $(CURDIR)/var

.PHONY: demo test install serve lint typecheck bench messages clean audit backup

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# uv when available (on PATH, or installed into the venv by pip); plain pip otherwise.
	@# Both compile the bytecode at install time (pip does by default): otherwise every command
	@# compiles some 2,000 modules again at start wherever PYTHONDONTWRITEBYTECODE is set.
	@UV=$$(command -v uv || true); \
	if [ -z "$$UV" ] && $(BIN)/python -m pip install --quiet uv >/dev/null 2>&1; then UV=$(BIN)/uv; fi; \
	if [ -n "$$UV" ]; then \
		$$UV pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock && \
		$$UV pip install --quiet --python $(BIN)/python --no-deps -e . ; \
	else \
		$(BIN)/python -m pip install --quiet -r requirements.lock && \
		$(BIN)/python -m pip install --quiet --no-deps -e . ; \
	fi
	@touch $(STAMP)

install: $(STAMP)

## The main job: the web app on an embedded SQLite database with a labelled synthetic cohort.
demo: install
	$(BIN)/neuroregen migrate --noinput -v0
	cd src/neuroregen && ../../$(BIN)/neuroregen compilemessages -v0
	$(BIN)/neuroregen demo_setup
	@echo "Serving NeuroRegen (SYNTHETIC demo data) at http://$(HOST):$(PORT)/  — Ctrl-C to stop"
	$(BIN)/neuroregen runserver $(HOST):$(PORT) --noreload

## The whole test suite (SQLite by default; set DATABASE_URL for PostgreSQL).
## Runs on every core (pytest-xdist); each worker gets its own test database.
PYTEST_ARGS ?= -n auto
test: install
	cd src/neuroregen && ../../$(BIN)/neuroregen compilemessages -v0
	$(BIN)/pytest $(PYTEST_ARGS)

## Refresh the ru/uk catalogues and list what is still untranslated.
messages: install
	cd src/neuroregen && ../../$(BIN)/neuroregen makemessages -l ru -l uk -v0
	$(BIN)/neuroregen check_translations --list

## Style, then the house order: the import contracts in pyproject.toml (docs/architecture.md).
lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-logo --no-cache

typecheck: install
	$(BIN)/mypy src/neuroregen/stats src/neuroregen/core src/neuroregen/participants \
		src/neuroregen/interop src/neuroregen/evidence

## Known vulnerabilities in the pinned dependencies (fails on a finding, not on a network outage).
audit: install
	BIN=$(BIN) bash .ci/audit

## A verified backup of the configured database into var/backups/.
backup: install
	$(BIN)/neuroregen backup

## Benchmarks on PostgreSQL (BENCH_SERVER, databases nr_bench_*): simulated power,
## evidence, REDCap import vs COPY, page latency; writes bench/RESULTS.md. Not timed tests.
BENCH_PARTICIPANTS ?= 10000
BENCH_VALUES ?= 1000000
BENCH_SECONDS ?= 45
BENCH_SERVER ?= postgres://postgres@127.0.0.1:5432
bench: install
	$(BIN)/python bench/report.py --participants $(BENCH_PARTICIPANTS) --values $(BENCH_VALUES) \
		--seconds $(BENCH_SECONDS) --server $(BENCH_SERVER)

clean:
	rm -rf $(VENV) var .pytest_cache
