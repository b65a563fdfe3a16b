# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck unit unit-python e2e surfaces needs needs-unit needs-e2e needs-surfaces clean tools

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

# What each test layer runs besides Python, as `command:Debian package`. A layer checks its own
# before it starts, and `make test` checks them all before anything runs, so a missing tool is one
# line naming it and its package instead of a failure minutes in.
UNIT_NEEDS := npm:npm docker-registry:docker-registry skopeo:skopeo git:git
E2E_NEEDS := docker-registry:docker-registry skopeo:skopeo openssl:openssl
SURFACES_NEEDS := npm:npm docker-registry:docker-registry docker:docker.io git:git
need_command = $(word 1,$(subst :, ,$(1)))
need_package = $(word 2,$(subst :, ,$(1)))
missing_needs = $(strip $(foreach need,$(sort $(1)),$(if $(shell command -v $(call need_command,$(need))),,$(need))))
check_needs = $(if $(call missing_needs,$(1)),$(error the tests need $(foreach need,$(call missing_needs,$(1)),$(call need_command,$(need))): install with: apt-get install --no-install-recommends $(foreach need,$(call missing_needs,$(1)),$(call need_package,$(need))) (Debian/Ubuntu; .ci/run does this)))@:

needs:
	$(call check_needs,$(UNIT_NEEDS) $(E2E_NEEDS) $(SURFACES_NEEDS))
needs-unit:
	$(call check_needs,$(UNIT_NEEDS))
needs-e2e:
	$(call check_needs,$(E2E_NEEDS))
needs-surfaces:
	$(call check_needs,$(SURFACES_NEEDS))

# The three test layers. unit: everything outside tests/e2e and tests/surfaces (fast; a plain
# clone runs it in CI); e2e: tagguard against the test Harbor; surfaces: the Action, GitLab
# CI, pre-commit, git hook and docker plugin as their real clients run them.
# Each layer's tests run on one pytest-xdist worker per CPU (every test has its own folders,
# server and ports): on CI's 2 cores a layer takes 0.6x its time on one (`WORKERS=0`: one
# process, as a plain `pytest` runs).
WORKERS ?= auto
unit: needs-unit $(VENV)/.installed-test $(TOOLS)/.installed
	$(BIN)/pytest -n $(WORKERS) --ignore=tests/e2e --ignore=tests/surfaces

# The unit layer on another interpreter (`make unit-python PYTHON=/path/to/python3.13`), in a
# venv of its own named after the interpreter's version (.venv-3.13), so .venv stays the README's.
# .ci/run calls it with the newest Python it finds beside python3.
unit-python:
	version="$$('$(PYTHON)' -c 'import sys; print("%d.%d" % sys.version_info[:2])')" && \
	$(MAKE) --no-print-directory unit PYTHON='$(PYTHON)' VENV=".venv-$$version"

e2e: needs-e2e $(VENV)/.installed-test
	$(BIN)/pytest -n $(WORKERS) tests/e2e

# A surface's module sets up once what its client needs (the Action's venv, pre-commit's
# hook environments): its tests stay on one worker (`--dist loadfile`) so it is done once.
surfaces: needs-surfaces $(VENV)/.installed-test $(TOOLS)/.installed
	$(BIN)/pytest -n $(WORKERS) --dist loadfile tests/surfaces

test: needs lint typecheck unit e2e surfaces

clean:
	rm -rf $(VENV) .venv-3.* $(TOOLS) .pytest_cache .mypy_cache .ruff_cache .hypothesis
