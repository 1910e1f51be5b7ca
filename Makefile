# 掌上办 handheld — `make dev` runs the whole system, `make test` runs every test suite.
.DEFAULT_GOAL := help
SHELL := /bin/bash

UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
RUN := $(UV) run --frozen
PY_PACKAGES := core api push payments sandbox

.PHONY: help install system-deps dev test lint format typecheck imports pytest jest record bench faultrun migrate clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	python3 -m pip install --user --quiet "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

install: .venv/.synced ## Install the locked dependencies into .venv

# What the test suites need from the system, installed only when missing (Debian packages, as
# `make bench` does for wrk; apt-get as root or through sudo): Chromium and a Chinese font for
# the ops console's browser tests and the mini-program's screenshots, a face with traditional
# Mongolian script for those (Noto Sans Mongolian, in fonts-noto-core), Node.js and npm for the
# mini-program's tests, PgBouncer that the test suite runs the application's pools through
# (transaction mode, as in production).
CHROMIUM ?= $(or $(HANDHELD_CHROMIUM),/usr/bin/chromium)
system-deps: ## Install Chromium, Chinese and Mongolian fonts, Node.js, npm and PgBouncer if missing (apt-get)
	@missing=""; \
	[ -x "$(CHROMIUM)" ] || missing="$$missing chromium"; \
	command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing="$$missing pgbouncer"; \
	fc-list 2>/dev/null | grep -qi wenquanyi || missing="$$missing fonts-wqy-microhei"; \
	fc-list 2>/dev/null | grep -qi "noto sans mongolian" || missing="$$missing fonts-noto-core"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
		echo "system-deps: installing Debian packages:$$missing"; \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		$$sudo apt-get update -qq || true; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

dev: install ## Run everything on embedded defaults (PostgreSQL, Valkey, stand-ins, API, worker)
	$(RUN) handheld dev

test: lint pytest jest ## Every test suite (installs what is missing): lint, types, import rules, pytest (incl. schemathesis, browser, mini-program e2e), jest

lint: install ## ruff, mypy --strict and import-linter
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) lint-imports

format: install ## Format and autofix
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

pytest: install system-deps miniprogram/node_modules/.installed ## pytest against real PostgreSQL/Valkey (embedded unless HANDHELD_TEST_*_URL) and stand-ins (the mini-program's page e2e runs its jest)
	$(RUN) pytest

miniprogram/node_modules/.installed: miniprogram/package.json miniprogram/package-lock.json | system-deps
	cd miniprogram && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

jest: system-deps miniprogram/node_modules/.installed ## The mini-program's jest suite (pages, components, API module, screenshots)
	cd miniprogram && npm test --silent

record: install ## Re-record the backend answers the mini-program's jest tests replay (after a shape change)
	HANDHELD_RECORD=1 $(RUN) pytest tests/miniprogram/test_recorded_responses.py -q

bench: install ## Benchmarks: each prints RESULT lines with a ratio against a baseline of the same run
	@command -v wrk >/dev/null || { echo "bench: installing wrk (Debian package)"; \
		apt-get install -y -qq wrk >/dev/null || sudo apt-get install -y -qq wrk; }
	$(RUN) python bench/catalogue.py
	$(RUN) python bench/auth.py
	$(RUN) python bench/declarations.py
	$(RUN) python bench/payments.py
	$(RUN) python bench/licences.py
	$(RUN) python bench/scaling.py
	$(RUN) python bench/fanout.py
	$(RUN) python bench/figures.py

faultrun: install ## The outside fault run at full scale: 160 citizens, 20 worker kills, outages, replays
	HANDHELD_FAULT_RUN_SIZE=160 HANDHELD_FAULT_RUN_KILLS=20 \
		$(RUN) pytest tests/api/declarations/test_fault_run.py -q -s

migrate: install ## Apply migrations to HANDHELD_DATABASE_URL
	$(RUN) handheld migrate

clean: ## Remove local data (.handheld/) and caches
	rm -rf .handheld .pytest_cache .mypy_cache .ruff_cache .import_linter_cache miniprogram/node_modules
