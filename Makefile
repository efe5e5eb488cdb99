# DigiGov: `make demo` runs the platform locally; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
RESIDENTS ?= 10000
SEED ?= 42
export DJANGO_SETTINGS_MODULE ?= digigov.platform.settings

.PHONY: demo install assets migrate seed serve test lint bench bench-submit bench-seed bench-kpi bench-kpi-dashboard bench-crash bench-trust bench-rules clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

frontend/dist/.built: frontend/node_modules/.package-lock.json $(wildcard frontend/src/*) frontend/build.mjs
	cd frontend && npm run build
	touch $@

assets: frontend/dist/.built

migrate: install
	mkdir -p var
	$(BIN)/digigov migrate --no-input

seed: migrate
	$(BIN)/digigov seed --residents $(RESIDENTS) --seed $(SEED)

demo: install assets seed
	DIGIGOV_ENV=demo $(BIN)/digigov demo

serve: install assets migrate
	DIGIGOV_ENV=demo $(BIN)/digigov demo

test: install assets
	DJANGO_SETTINGS_MODULE=digigov.platform.settings_test $(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

bench: bench-submit

bench-submit: install assets
	$(BIN)/python bench/bench_submit.py

bench-seed: install
	$(BIN)/python bench/bench_seed.py

bench-kpi: install
	$(BIN)/python bench/bench_kpi.py $(if $(FULL),--full)

bench-crash: install
	$(BIN)/python bench/bench_crash.py $(if $(KILLS),--kills $(KILLS))

bench-kpi-dashboard: install
	$(BIN)/python bench/bench_kpi_dashboard.py

bench-trust: install assets
	$(BIN)/python bench/bench_trust.py

# Seeds var/bench_rules.sqlite3 and the PostgreSQL database digigov_bench_rules once (1,000,000 residents;
# RESIDENTS=5900000 uses databases of its own).
bench-rules: install
	$(BIN)/python bench/bench_rules.py $(if $(NO_POSTGRES),--skip-postgres) $(if $(RESIDENTS),--residents $(RESIDENTS))

clean:
	rm -rf var frontend/dist
