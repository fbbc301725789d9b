# Build, run and test the WAMP router.
#   make run    set up and run the router on ws://127.0.0.1:8080/ (realm1, anonymous); ARGS="..." passes flags
#   make test   set up and run every test: swift unit/in-process tests, interop suite, Autobahn TestSuite, leak check
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

SWIFT      ?= swift
VENV       ?= .venv
PYTHON     := $(VENV)/bin/python
ROUTER_BIN ?= $(CURDIR)/.build/release/wamp-router
ARGS       ?=
PYTEST_ARGS ?= -q -rfE
SOAK_SECONDS ?= 600

export ROUTER_BIN VENV

.PHONY: all run test deps deps-test build build-debug unit venv interop autobahn leakcheck bench bench-serializers bench-cluster bench-smoke soak soak-smoke fuzz fuzz-smoke clean

all: build

deps:
	scripts/deps.sh

deps-test:
	scripts/deps.sh --test

build: deps
	$(SWIFT) build -c release

build-debug: deps
	$(SWIFT) build

run: build
	exec .build/release/wamp-router $(ARGS)

# `swift test` builds what the tests need (not wamp-bench or the other executables in debug,
# which nothing runs: the release build is what the later steps use).
unit: deps
	$(SWIFT) test

venv:
	scripts/venv.sh

interop: venv
	@mkdir -p interop/reports
	$(PYTHON) -m pytest interop/wamp $(PYTEST_ARGS) --junitxml=interop/reports/junit.xml
	$(PYTHON) -m pytest interop/cluster $(PYTEST_ARGS) --junitxml=interop/reports/junit-cluster.xml

# The Autobahn TestSuite (kosoku, all 517 cases) against the router's --testee-port echo endpoint.
autobahn: venv
	interop/autobahn/run.sh

leakcheck: venv
	interop/leakcheck/run.sh

# The benchmark matrix against this router, Crossbar.io and the bare echo stack; writes BENCHMARKS.md.
bench: deps
	bench/run.sh

# Only the serializer and transport rows of `make bench` (issue 10), ROUNDS (default 3) alternated
# rounds and the callgrind figure per configuration; prints the table, does not touch BENCHMARKS.md.
ROUNDS ?= 3
bench-serializers: build
	ROUNDS=$(ROUNDS) bench/serializers.sh bench/results-serializers $(ROUTER_BIN)

# The cluster rows (issue 12) beside the single-node rows: nats-server and three nodes on
# loopback, ROUNDS (default 3) alternated rounds; prints the table, does not touch BENCHMARKS.md.
bench-cluster: build deps-test
	ROUNDS=$(ROUNDS) bench/cluster.sh $(ROUTER_BIN)

# A second or two per wamp-bench mode: asserts 0 errors and 0 lost, never a speed.
bench-smoke: build
	SKIP_BUILD=1 bench/smoke.sh

# Mixed traffic against the release router for SOAK_SECONDS (default 600); fails on RSS growth
# after warm-up, an fd leak, or a lost call or event (interop/soak/soak.py states the rules).
soak: build venv
	SOAK_SECONDS=$(SOAK_SECONDS) $(PYTHON) interop/soak/soak.py

# The same for 20 s (about 30 s in all with start-up and the drain at the end).
soak-smoke: build venv
	SOAK_SECONDS=20 $(PYTHON) interop/soak/soak.py

# libFuzzer + AddressSanitizer targets (fuzz/), FUZZ_SECONDS (default 60) each; fails on any crash,
# leak or timeout and prints the reproducer. Builds into .build-fuzz.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh

# Every fuzz target for a few seconds (seed corpus plus a little mutation), built in debug: the
# release build of every target took most of this step's 8 minutes in CI.
fuzz-smoke: deps
	FUZZ_SECONDS=5 FUZZ_CONFIG=debug fuzz/run.sh

# The order matters: debug build and swift tests first (fast feedback), then the release binary
# the interop tests, the Autobahn TestSuite and the leak check run against.
# Each step says how long it took (CI has a budget: keep the whole under 30 minutes).
TEST_STEPS = unit build bench-smoke fuzz-smoke interop autobahn leakcheck soak-smoke
test: deps-test
	@for step in $(TEST_STEPS); do \
		started=$$(date +%s); \
		$(MAKE) --no-print-directory $$step || exit 1; \
		echo "make test: step $$step took $$(( $$(date +%s) - started )) s"; \
	done
	@echo "make test: all steps passed"

clean:
	rm -rf .build .build-fuzz $(VENV) interop/reports interop/*/reports

# The issue 9 interop tests (interop/wamp/test_auth_*.py) against Crossbar.io on the same example
# configs (interop/configs); installs crossbar into .venv-crossbar the first time (~4 min).
.PHONY: interop-crossbar
interop-crossbar: venv
	interop/crossbar/run.sh
