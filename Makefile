# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck unit clean tools

# The clients the CI-surface tests drive, from the npm registry: gitlab-ci-local (4.65 runs on
# Node.js 20; 4.75 needs a newer Node) and the SARIF 2.1.0 schema (in @microsoft/jest-sarif).
TOOLS := .tools
NPM_TOOLS := gitlab-ci-local@4.65.0 @microsoft/jest-sarif@1.0.0-beta.0

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" examples/demo.sh

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

$(TOOLS)/.installed:
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) $(NPM_TOOLS)
	touch $@

tools: $(TOOLS)/.installed

unit: $(VENV)/.installed-test $(TOOLS)/.installed
	$(BIN)/pytest

test: lint typecheck unit

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache .hypothesis
