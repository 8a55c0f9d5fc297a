# twon.helios: the two commands a user needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# ansible-test wants the collection at ansible_collections/<namespace>/<name>
COLLECTION_ROOT := build/collections
COLLECTION_DIR := $(COLLECTION_ROOT)/ansible_collections/twon/helios

.PHONY: venv test demo clean collection-tree

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt emulator/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt -r requirements-dev.txt -e ./emulator
	touch $@

# A copy of the collection content where ansible-test and ansible-playbook find it by FQCN.
collection-tree:
	@rm -rf $(COLLECTION_DIR) && mkdir -p $(COLLECTION_DIR)
	@tar -c --exclude-from=.collection-exclude . | tar -x -C $(COLLECTION_DIR)

test: venv collection-tree
	$(BIN)/ruff check emulator
	$(BIN)/pytest -q emulator/tests

demo: venv
	@echo "demo: not yet"

clean:
	rm -rf $(VENV) build
