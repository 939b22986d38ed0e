# Everyday commands for the biospecimen access portal.
#
#   make run     set up, migrate, load the demo users and serve on http://127.0.0.1:8000
#   make test    set up, then lint, type-check and run the whole test suite
#   make worker  a Celery worker   (needs REDIS_URL)
#   make beat    Celery beat, the scheduler (needs REDIS_URL)
#   make lint    ruff, mypy and the import contracts only
#   make bench   page throughput and p95 against a bare view (PostgreSQL, 100,000 researchers)
#   make bench-nightly   the nightly re-check and reminder pass on the same database
#   make totp EMAIL=researcher@demo.example.org   a demo user's current two-factor code
#
# Setup is incremental: the virtualenv is created once with Python 3.12, Python packages are
# installed again only when pyproject.toml changes, and npm packages only when
# package-lock.json changes (stamp files record the last install).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.12
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in emails and notifications point here; follows HOST and PORT unless set.
SITE_URL ?= http://$(HOST):$(PORT)
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS=-x`. The suite runs on two workers
# (pytest-xdist); `PYTEST_ARGS="-n 0"` runs it in one process.
PYTEST_ARGS ?=

PY_STAMP := $(VENV)/.installed-pyproject
NPM_STAMP := node_modules/.installed-package-lock

.PHONY: help setup run test lint worker beat migrate seed totp clean bench bench-nightly

help:
	@sed -n '3,11p' Makefile | sed 's/^# *//'

$(PY):
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[dev]'
	touch $@

$(NPM_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund
	touch $@

setup: $(PY_STAMP) $(NPM_STAMP)

migrate: setup
	DEBUG=true $(PY) manage.py migrate --noinput

seed: migrate
	SITE_URL=$(SITE_URL) DEBUG=true $(PY) manage.py seed_demo

run: seed
	SITE_URL=$(SITE_URL) DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

# Demo users exist only where DEBUG is on, so the code is printed with DEBUG=true too.
totp:
	@test -n "$(EMAIL)" || { echo "Name the demo user: make totp EMAIL=researcher@demo.example.org"; exit 2; }
	@DEBUG=true $(PY) manage.py demo_totp $(EMAIL)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

# Every step runs even when an earlier one fails, so that one run shows every problem; the
# target fails if any step failed and names them at the end.
test: setup
	@failed=""; \
	step() { echo "+ $$*"; "$$@" || failed="$$failed\n  $$*"; }; \
	step $(BIN)/ruff check .; \
	step $(BIN)/ruff format --check .; \
	step $(BIN)/mypy; \
	step $(BIN)/lint-imports --no-logo; \
	step env DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run; \
	step $(BIN)/pytest -n 2 $(PYTEST_ARGS); \
	if [ -n "$$failed" ]; then printf 'make test: these steps failed:%b\n' "$$failed"; exit 1; fi

# The worker and beat need a broker: without REDIS_URL tasks already run inside the web
# process. DEBUG defaults to true here, as for `make run`; set DEBUG=false and SECRET_KEY to
# run them like production.
worker: setup
	@test -n "$$REDIS_URL" || { echo "make worker needs REDIS_URL (e.g. redis://127.0.0.1:6379/0)."; exit 2; }
	DEBUG=$${DEBUG:-true} $(BIN)/celery -A portal worker --loglevel=INFO

beat: setup
	@test -n "$$REDIS_URL" || { echo "make beat needs REDIS_URL (e.g. redis://127.0.0.1:6379/0)."; exit 2; }
	mkdir -p var
	DEBUG=$${DEBUG:-true} $(BIN)/celery -A portal beat --loglevel=INFO --schedule=var/celerybeat-schedule

clean:
	rm -rf staticfiles .pytest_cache .mypy_cache .ruff_cache .import_linter_cache

# The page benchmark (tests/benchmarks/pages.py): fills BENCH_DATABASE_URL with BENCH_USERS
# researchers once (kept for later runs), serves the portal with gunicorn and prints each
# page's requests per second and p95 as a ratio to a bare view, with its query count.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bench_pages
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/3
BENCH_USERS ?= 100000
BENCH_ARGS ?=
bench: setup
	$(PY) -m pip install -q -e '.[bench]'
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) \
		$(PY) -m tests.benchmarks.pages --users $(BENCH_USERS) $(BENCH_ARGS)

# The nightly re-check and reminder pass on the database `make bench` filled, twice: a night
# with the day's reminders all due (--rearm), then one with nothing due.
BENCH_BROKER_URL ?= redis://127.0.0.1:6379/4
bench-nightly: setup
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_BROKER_URL) \
		$(PY) -m tests.benchmarks.nightly --rearm
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_BROKER_URL) \
		$(PY) -m tests.benchmarks.nightly
	redis-cli -u $(BENCH_BROKER_URL) flushdb > /dev/null || true
