# The two commands a newcomer types: `make run` and `make test` (see README.md).
# Python 3.11 when there is one (the version CI and the pins are tested with), else python3.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000

.PHONY: run test lint format bench clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## run: install, migrate, load reference and demo data, start web + worker + beat
run: $(VENV)/.runtime
	PORT=$(PORT) PY=$(PY) scripts/run

## test: install and run the whole suite (PostgreSQL and Redis on 127.0.0.1 when they answer)
test: $(VENV)/.dev
	PY=$(PY) scripts/test $(ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .

## bench: the benchmarks of docs/benchmarks.md (not part of the suite)
bench: $(VENV)/.dev
	PY=$(PY) bench/run --write-doc $(ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
