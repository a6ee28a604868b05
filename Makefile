# The README's commands. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_CORE := $(VENV)/.installed-core
STAMP_TEST := $(VENV)/.installed-test

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_CORE): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[plot,tabular]"
	touch $@

$(STAMP_TEST): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(STAMP_CORE)

demo: $(STAMP_CORE)
	$(BIN)/glassnet demo --plot demo-loss.png

lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests bench examples

test: $(STAMP_TEST) lint
	$(BIN)/python -m pytest

bench: $(STAMP_TEST)
	$(BIN)/python -m pip install --quiet -e ".[bench]" "torch==2.13.0"
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
