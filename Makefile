# The README's commands. `make demo` runs the app with demo data on the embedded
# default (SQLite, no Redis); `make test` runs the whole suite (set DATABASE_URL /
# REDIS_URL to run it on PostgreSQL and Redis, as .ci/run does).
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: setup demo test lint audit bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	PORT=$(PORT) bin/serve-demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run

# pip-audit of the installed dependencies; warns and passes where PyPI's
# vulnerability data is unreachable (AUDIT_REQUIRED=1 makes that a failure).
audit: setup
	VENV=$(VENV) scripts/audit-dependencies

test: lint
	$(VENV)/bin/pytest -n auto --dist loadfile

bench: setup
	$(PY) bench/run.py
