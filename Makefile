# The README's commands. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_CORE := $(VENV)/.installed-core
STAMP_TEST := $(VENV)/.installed-test
STAMP_DOCS := $(VENV)/.installed-docs

.PHONY: demo test lint bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_CORE): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[plot,tabular]"
	touch $@

$(STAMP_TEST): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(STAMP_CORE)

$(STAMP_DOCS): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $@

demo: $(STAMP_CORE)
	$(BIN)/glassnet demo --plot demo-loss.png

lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests bench examples docs

# Two processes, whole files each: a module's expensive fixtures then run once.
test: $(STAMP_TEST) lint
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: $(STAMP_TEST)
	$(BIN)/python -m pip install --quiet -e ".[bench]" "torch==2.13.0"
	$(BIN)/python bench/run_all.py

# The API reference, from the installed package's docstrings: open site/index.html.
docs: $(STAMP_DOCS)
	rm -rf site
	$(BIN)/python docs/api.py site

clean:
	rm -rf $(VENV) build dist site src/*.egg-info .pytest_cache .ruff_cache
