# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench chaos install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start web, worker, beat and Flower (plus embedded Redis and the Jira simulator when needed).
run: $(STAMP)
	$(BIN)/psw run

## Run the whole test suite (on a redis-server of its own, or TEST_REDIS_URL).
# Most of the suite's time is spent waiting on the processes it starts, so it runs in 4 pytest
# workers (a module stays on one worker, with its processes); each starts its own redis-server.
# A named TEST_REDIS_URL is one Redis that tests flush, so it runs in one process.
TEST_WORKERS ?= $(if $(TEST_REDIS_URL),0,4)
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## Run the benchmarks and write docs/BENCHMARKS.md.
bench: $(STAMP)
	$(BIN)/python -m bench

## The reliability run (about 10 minutes; not part of `make test`): writes docs/RELIABILITY.md.
## `make chaos CHAOS_ARGS=--quick` for a 60-second one.
chaos: $(STAMP)
	$(BIN)/python -m bench chaos $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
