# Imageworks: `make run` starts the app, `make test` runs the whole suite.
# Both set up everything they need first (system packages, a .venv with the project).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The LiteLLM proxy (a router the GPU-pool interop test runs in front of test servers) lives in
# a venv of its own: its pinned dependencies must not change the app's.
LITELLM_VENV := .venv-litellm
LITELLM := $(LITELLM_VENV)/bin/litellm
LITELLM_SPEC ?= litellm[proxy]>=1.108
SYSSTAMP := $(VENV)/.system-deps
REGISTRY ?= configs/model_registry.json
PYTEST_ARGS ?=

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint check bench screenshots package clean system-deps

$(SYSSTAMP):
	bash packaging/system-deps.sh
	@mkdir -p $(VENV) && touch $@

system-deps: $(SYSSTAMP)

$(STAMP): pyproject.toml | $(SYSSTAMP)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,interop]'
	@touch $@

$(LITELLM): | $(SYSSTAMP)
	@test -x $(LITELLM_VENV)/bin/python || $(PYTHON) -m venv $(LITELLM_VENV)
	$(LITELLM_VENV)/bin/python -m pip install -q --upgrade pip
	$(LITELLM_VENV)/bin/python -m pip install -q '$(LITELLM_SPEC)'
	@touch $@

run: $(STAMP)
	$(BIN)/imageworks-gui --registry-path $(REGISTRY)

lint: $(STAMP)
	$(BIN)/ruff check imageworks_gui tests bench packaging
	$(BIN)/lint-imports

# The Qt tests run apart from the others, one process per test file (tests/gui_processes.py):
# no thread, server or ExifTool pool of other tests is alive while a Qt event loop runs.
test: $(STAMP) $(LITELLM) lint
	IMAGEWORKS_LITELLM=$(abspath $(LITELLM)) QT_QPA_PLATFORM=offscreen $(BIN)/python -X faulthandler -m pytest -q $(PYTEST_ARGS) \
		tests/core tests/services tests/cli
	$(BIN)/python tests/gui_processes.py $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/hashing.py
	$(BIN)/python bench/tagging.py
	$(BIN)/python bench/metadata.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/gui_verify_stall.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/gui_responsiveness.py

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m imageworks_gui.gui.screenshots resources/screenshots

package: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[package]'
	$(BIN)/python packaging/build.py

clean:
	rm -rf build dist .pytest_cache .ruff_cache
