# twon.helios: the two commands a user needs are `make demo` and `make test`.
#
# `make test` runs every gate (below), independent ones in parallel ($(JOBS) at a time), each one's output
# on the console and in build/logs/<gate>.log, then a summary of which passed and which failed.
# Each gate is also a target of its own: make sanity, make lint, make doc, make docs, make build,
# make test-emulator, make test-collection, make bench-smoke, make sanity-newest, make test-newest,
# make integration-targets.
#
# meta/runtime.yml claims ansible-core 2.19 to 2.21: .venv has the oldest (requirements-dev.txt, on Python 3.11),
# .venv-newest the newest (requirements-newest.txt, on Python 3.12, which ansible-core 2.21 needs); the *-newest
# gates run sanity, the unit and the integration tests under it.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# the newest ansible-core's virtualenv, on pyenv's newest Python 3.12 (else python3.12 on PATH; PYTHON_NEWEST= overrides)
VENV_NEWEST := .venv-newest
BIN_NEWEST := $(CURDIR)/$(VENV_NEWEST)/bin
ifndef PYTHON_NEWEST
PYTHON_NEWEST := $(or $(shell ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.12*/bin/python3.12 2>/dev/null | sort -V | tail -1),$(shell command -v python3.12 2>/dev/null))
endif
# ansible-test wants the collection at ansible_collections/<namespace>/<name>
COLLECTION_ROOT := build/collections
COLLECTION_DIR := $(COLLECTION_ROOT)/ansible_collections/twon/helios
# copies of that tree for the other ansible-test runs, which write into the tree they test (tests/output, .git)
# and run at the same time as `make sanity` in `make test`
COLLECTION_DIR_NEWEST := build/collections-newest/ansible_collections/twon/helios
COLLECTION_DIR_TARGETS := build/collections-targets/ansible_collections/twon/helios
LOGS := build/logs
# the docsite (make docs): HTML in $(DOCSITE)/build/html
DOCSITE := build/docsite
# parallel gates in `make test`; pytest-xdist workers per pytest gate (0: no xdist)
JOBS ?= 2
EMULATOR_WORKERS ?= 2
COLLECTION_WORKERS ?= 2
NEWEST_WORKERS ?= 2
# a gate still running after this many seconds is killed and fails (CI must never hang)
export GATE_TIMEOUT ?= 1200

# every recipe finds the venv's tools first, and twon.helios in the collection tree
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTION_ROOT)
# ansible-rulebook (make test-eda, make demo) runs Drools through jpy on Java 17: the JDK the machine has, unless set
JAVA_HOME ?= $(firstword $(wildcard /usr/lib/jvm/java-17-openjdk* /usr/lib/jvm/java-1.17.0-openjdk* /usr/lib/jvm/temurin-17*))
ifneq ($(JAVA_HOME),)
export JAVA_HOME
endif

# the order is the start order under -j: the longest first (a cold sanity run can be among them)
GATES := test-collection test-newest sanity sanity-newest integration-targets test-emulator test-eda lint doc docs \
	build bench-smoke licence
PYTEST := $(BIN)/pytest -ra
xdist = $(if $(filter-out 0,$(1)),-n $(1))

.PHONY: venv venv-newest browser test demo clean collection-tree sanity sanity-newest integration-targets lint doc docs \
	build test-emulator test-eda test-collection test-newest bench-smoke licence $(addprefix gate-,$(GATES))

venv: $(VENV)/.installed

venv-newest: $(VENV_NEWEST)/.installed

# The stamp is newer than every file that says what to install: `make venv` is a no-op until one changes.
# (pip's "Location 'file:///...' is ignored" lines come from this machine's pip config, not from us.)
$(VENV)/.installed: requirements.txt requirements-dev.txt emulator/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | { grep -v "^WARNING: Location 'file:" || true; }
	$(BIN)/python -m pip install -q -r requirements.txt -r requirements-dev.txt -e ./emulator 2>&1 \
		| { grep -v "^WARNING: Location 'file:" || true; }
	$(BIN)/helios-emulator --help >/dev/null
	$(BIN)/ansible-rulebook --version >/dev/null
	touch $@

# The report's browser test (tests/integration/test_report.py) drives Debian's chromium through its chromedriver.
# Installed from Debian's packages when missing, which needs root and apt-get (CI runs as root); elsewhere it says
# what to install, and the test fails saying the same. It never fails itself: `make test` runs it before the gates.
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "browser: installing chromium and chromium-driver from Debian's packages"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium chromium-driver >/dev/null; } \
			|| echo "browser: apt-get could not install chromium chromium-driver; the browser test will fail" >&2; \
	else \
		echo "browser: /usr/bin/chromium or /usr/bin/chromedriver is missing: install chromium and chromium-driver" \
			"(apt-get install chromium chromium-driver, as root) for the report's browser test" >&2; \
	fi
# The same for the newest ansible-core: only what the unit and integration tests need (requirements-newest.txt).
$(VENV_NEWEST)/.installed: requirements.txt requirements-newest.txt emulator/pyproject.toml
	@[ -n "$(PYTHON_NEWEST)" ] || { echo "venv-newest: no Python 3.12 (looked in pyenv's versions and on PATH):" \
		"pyenv install 3.12, or make PYTHON_NEWEST=/path/to/python3.12" >&2; exit 1; }
	$(PYTHON_NEWEST) -m venv $(VENV_NEWEST)
	$(BIN_NEWEST)/python -m pip install -q --upgrade pip 2>&1 | { grep -v "^WARNING: Location 'file:" || true; }
	$(BIN_NEWEST)/python -m pip install -q -r requirements.txt -r requirements-newest.txt -e ./emulator 2>&1 \
		| { grep -v "^WARNING: Location 'file:" || true; }
	$(BIN_NEWEST)/python -c 'import ansible.release; print("ansible-core", ansible.release.__version__)'
	$(BIN_NEWEST)/helios-emulator --help >/dev/null
	touch $@

# A copy of the collection content where ansible-test, ansible-doc and ansible-playbook find it by FQCN:
# the files git would commit (tracked and untracked, less .gitignore'd and deleted ones; every file when
# this is not a git work tree) less .collection-exclude (tar patterns).
# `make test` builds it once before the gates run in parallel (TREE_READY=1 then skips the rebuild).
collection-tree:
ifndef TREE_READY
	@rm -rf $(COLLECTION_DIR) && mkdir -p $(COLLECTION_DIR)
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		comm -23 <(git ls-files -co --exclude-standard | sort) <(git ls-files -d | sort) | sed 's|^|./|' \
			| tar -c --exclude-from=.collection-exclude --no-recursion -T -; \
	else \
		tar -c --exclude-from=.collection-exclude .; \
	fi | tar -x -C $(COLLECTION_DIR)
	@for p in emulator .venv $(VENV_NEWEST) build .git tests/output; do \
		if [ -e $(COLLECTION_DIR)/$$p ]; then echo "collection-tree: $$p must not be in the tree" >&2; exit 1; fi; \
	done
	@for copy in $(COLLECTION_DIR_NEWEST) $(COLLECTION_DIR_TARGETS); do \
		rm -rf $$copy && mkdir -p $$(dirname $$copy) && cp -a $(COLLECTION_DIR) $$copy; \
	done
	@echo "collection tree: $(COLLECTION_DIR) ($$(find $(COLLECTION_DIR) -type f | wc -l) files), and copies for sanity-newest and integration-targets"
endif

test:
	@rm -rf $(LOGS) && mkdir -p $(LOGS)
	@.ci/gate venv $(MAKE) --no-print-directory venv venv-newest \
		&& .ci/gate browser $(MAKE) --no-print-directory browser \
		&& .ci/gate collection-tree $(MAKE) --no-print-directory collection-tree \
		&& $(MAKE) --no-print-directory -k -j$(JOBS) --output-sync=target TREE_READY=1 $(addprefix gate-,$(GATES)) 9>&1 \
		|| true
	@$(PYTHON) .ci/summary.py $(LOGS) venv browser collection-tree $(GATES)

# Each gate is a make of its own, started through a variable that is not $(MAKE): so make treats it as an
# ordinary command and --output-sync prints its output in one piece when it ends (a recursive make's is not
# synchronised). MAKEFLAGS is emptied so it neither looks for the jobserver nor inherits -k. Descriptor 9, which
# make does not capture, is the console: .ci/gate says there when a gate starts.
SUBMAKE := $(MAKE)
$(addprefix gate-,$(GATES)): gate-%:
	@MAKEFLAGS= .ci/gate $* $(SUBMAKE) --no-print-directory TREE_READY=$(TREE_READY) $*

# Every file of the repository has its copyright and licence (REUSE.toml, LICENSES/): the reuse tool's lint.
licence: venv
	$(BIN)/reuse lint

# ansible-test sanity in the collection tree, on the venv's Python (see .ci/sanity for why --local).
sanity: venv collection-tree
	.ci/sanity $(COLLECTION_DIR)

# The same under the newest ansible-core (.venv-newest), in a copy of the tree.
sanity-newest: venv-newest collection-tree
	.ci/sanity $(COLLECTION_DIR_NEWEST) $(VENV_NEWEST)

# `ansible-test integration` over tests/integration/targets/ (a thin target per module, each starting an emulated
# intercom through setup_helios_emulator), in a copy of the tree: what collection contributors run.
integration-targets: venv collection-tree
	.ci/integration-targets $(COLLECTION_DIR_TARGETS)

# ansible-lint, production profile (.ansible-lint), over the repository: playbooks, roles, tests' playbooks.
lint: venv collection-tree
	$(BIN)/ansible-lint --nocolor

# ansible-doc of every plugin under plugins/, loaded from the collection tree.
doc: venv collection-tree
	$(BIN)/python .ci/doc_check.py plugins twon.helios

# The changelog and the docsite, offline (PyPI only), failing on any warning:
# - antsibull-changelog lints the fragments, and CHANGELOG.md/.rst must be what it generates from them;
# - antsibull-docs lints the plugins' and roles' documentation and docs/docsite (the guides);
# - `antsibull-docs sphinx-init` writes the docsite's Sphinx project, docs/docsite-build/conf_offline.py makes it
#   offline (no intersphinx download), and its build.sh renders module and role pages from the plugins' own
#   documentation and builds HTML with sphinx-build -W.
docs: venv collection-tree
	$(BIN)/antsibull-changelog lint
	@rm -rf $(DOCSITE) && mkdir -p $(DOCSITE)/changelog
	@for format in md rst; do \
		$(BIN)/antsibull-changelog generate --output $(DOCSITE)/changelog/CHANGELOG.$$format --output-format $$format; \
		diff -u CHANGELOG.$$format $(DOCSITE)/changelog/CHANGELOG.$$format \
			|| { echo "CHANGELOG.$$format is not what antsibull-changelog generates: run antsibull-changelog generate"; exit 1; }; \
	done
	@# antsibull-docs lints a copy in a temporary directory; when its random name ends in "_", reStructuredText reads
	@# the path in the generated pages as a link (Unknown target name: "antsibull-docs-..."): an upstream flaw that
	@# hits about one run in 37, so that one message, and only it, is linted again with another directory.
	@for attempt in 1 2 3; do \
		echo "$(BIN)/antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs --validate-collection-refs all $(CURDIR)"; \
		if $(BIN)/antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs --validate-collection-refs all \
			$(CURDIR) >$(DOCSITE)/lint.log 2>&1; then cat $(DOCSITE)/lint.log; break; fi; \
		cat $(DOCSITE)/lint.log; \
		if [ $$attempt = 3 ] || grep -v 'Unknown target name: "antsibull-docs-' $(DOCSITE)/lint.log | grep -q ERROR; then exit 1; fi; \
		echo "docs: only antsibull-docs' temporary directory name failed the lint: once more"; \
	done
	$(BIN)/antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir $(DOCSITE) --project twon.helios \
		--copyright 'twon.helios developers' --title 'twon.helios: 2N Helios IP intercoms' twon.helios
	cat docs/docsite-build/conf_offline.py >> $(DOCSITE)/conf.py
	$(DOCSITE)/build.sh
	@echo "docsite: $(DOCSITE)/build/html/index.html"

# The release artifact: built from the repository by galaxy.yml's build_ignore, checked, installed once.
build: venv
	@rm -rf build/twon-helios-*.tar.gz build/install-check
	$(BIN)/ansible-galaxy collection build --force --output-path build/
	@tarball=$$(ls build/twon-helios-*.tar.gz); \
	bad=$$(tar -tzf $$tarball | grep -E '^(emulator|\.venv|\.venv-newest|build|\.git|\.ci|tests/output|tests/bench)(/|$$)' || true); \
	if [ -n "$$bad" ]; then echo "$$tarball must not contain:"; echo "$$bad"; exit 1; fi; \
	members=$$(tar -tzf $$tarball); \
	for f in MANIFEST.json FILES.json meta/runtime.yml README.md; do \
		grep -qx "$$f" <<< "$$members" || { echo "$$tarball lacks $$f"; exit 1; }; \
	done; \
	echo "$$tarball: $$(wc -l <<< "$$members") entries, none from emulator/, .venv, build/"; \
	export ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build/install-check; \
	$(BIN)/ansible-galaxy collection install --offline -p build/install-check $$tarball >/dev/null; \
	modules=$$($(BIN)/ansible-doc -t module --list --json twon.helios | $(BIN)/python -c 'import json, sys; print(len(json.load(sys.stdin)))'); \
	echo "installs into build/install-check; ansible-doc lists $$modules modules from there"

# Every benchmark of tests/bench/ once, at sizes far too small to measure anything: this only keeps them working
# on a clean clone. Measurements are made by running the scripts by hand (their docstrings say how).
bench-smoke: venv
	$(BIN)/python tests/bench/bench_config_diff.py --size-kb 64 --repeat 1
	$(BIN)/python tests/bench/bench_emulator.py --quick
	$(BIN)/python tests/bench/bench_firmware_upload.py --large-mib 8
	$(BIN)/python tests/bench/bench_modules.py --devices 3 --rounds 1
	$(BIN)/python tests/bench/bench_drift.py --devices 3
	$(BIN)/python tests/bench/bench_inventory.py --addresses 16 --devices 3 --timing loopback
	$(BIN)/python tests/bench/bench_events.py --smoke

test-emulator: venv
	$(BIN)/ruff check --no-cache emulator
	$(PYTEST) $(call xdist,$(EMULATOR_WORKERS)) --junitxml=$(LOGS)/test-emulator.xml emulator/tests \
		|| { rc=$$?; [ $$rc != 5 ] || echo "test-emulator: pytest collected no tests" >&2; exit $$rc; }

# The Event-Driven Ansible source (extensions/eda): its resumption, backoff and unsupported-firmware report against
# emulated intercoms, and the real ansible-rulebook running the example rulebook's playbook on a door event. Under
# .venv only, where ansible-rulebook is installed.
test-eda: venv
	$(PYTEST) -n 0 --junitxml=$(LOGS)/test-eda.xml tests/eda \
		|| { rc=$$?; [ $$rc != 5 ] || echo "test-eda: pytest collected no tests" >&2; exit $$rc; }

# Unit tests and integration tests (these start emulator fleets and run ansible-playbook against them):
# $(call collection_tests,GATE,VENV BIN,XDIST WORKERS). The tests run ansible-playbook and helios-emulator from the
# virtualenv of the pytest that runs them.
define collection_tests
	@dirs="$(wildcard tests/unit tests/integration)"; \
	if [ -z "$$dirs" ]; then echo "$(1): neither tests/unit nor tests/integration exists" >&2; exit 5; fi; \
	echo "$(2)/pytest -ra $(call xdist,$(3)) --junitxml=$(LOGS)/$(1).xml $$dirs"; \
	PATH=$(2):$$PATH $(2)/pytest -ra $(call xdist,$(3)) --junitxml=$(LOGS)/$(1).xml $$dirs \
		|| { rc=$$?; [ $$rc != 5 ] || echo "$(1): pytest collected no tests" >&2; exit $$rc; }
endef

test-collection: venv browser collection-tree
	$(call collection_tests,test-collection,$(BIN),$(COLLECTION_WORKERS))

# The same under the newest ansible-core.
test-newest: venv-newest browser
	@$(BIN_NEWEST)/python -c 'import ansible.release; print("ansible-core", ansible.release.__version__)'
	$(call collection_tests,test-newest,$(BIN_NEWEST),$(NEWEST_WORKERS))

# Five emulated intercoms and the story of the collection's playbooks against them (demo/demo.sh).
demo: venv
	bash demo/demo.sh

clean:
	rm -rf $(VENV) $(VENV_NEWEST) build tests/output .pytest_cache .ruff_cache emulator/.ruff_cache
