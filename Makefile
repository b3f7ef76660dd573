# tilefleet — the two commands on a fresh Debian 12 machine:
#   make demo   set up everything and run the main job on the embedded default
#   make test   set up everything and run the test suite
SHELL := /bin/bash
SERVICES := deploy/local/services.sh
SWIFT ?= swift
DEB_PACKAGES := curl pkg-config librabbitmq-dev libpq-dev libcurl4-openssl-dev libproj-dev proj-data \
                libgeos-dev rabbitmq-server postgresql postgresql-client python3 python3-venv libjs-leaflet chromium \
                iproute2
# The real third-party servers of the contract tests (BackendsContractIntegrationTests), from PyPI
# into a virtual environment: openeo-driver's dummy backend and pygeoapi. openeo-driver's version is
# a pre-release and must be named (the resolver would pick an old 0.83); every other package is
# pinned by the constraints file. The stamp names the versions, so changing one reinstalls.
PYTHON ?= /usr/bin/python3
REAL_SERVERS_VENV := .local/real-servers
REAL_SERVERS_CONSTRAINTS := Tests/TestSupport/RealServers/constraints.txt
OPENEO_DRIVER_VERSION := 0.136.0a4
PYGEOAPI_VERSION := 0.21.0
REAL_SERVERS_STAMP := $(REAL_SERVERS_VENV)/.installed-openeo-driver-$(OPENEO_DRIVER_VERSION)-pygeoapi-$(PYGEOAPI_VERSION)

.PHONY: deps build test test-unit real-servers demo bench fuzz services-start services-stop services-status clean

## deps: install the Debian packages the build, the tests and the local services need (if missing)
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

## real-servers: openeo-driver (dummy backend) and pygeoapi, pinned, in $(REAL_SERVERS_VENV) (if missing)
real-servers: deps $(REAL_SERVERS_STAMP)

$(REAL_SERVERS_STAMP): $(REAL_SERVERS_CONSTRAINTS)
	rm -rf $(REAL_SERVERS_VENV)
	$(PYTHON) -m venv $(REAL_SERVERS_VENV)
	$(REAL_SERVERS_VENV)/bin/pip install -q --disable-pip-version-check -c $(REAL_SERVERS_CONSTRAINTS) \
		'openeo-driver==$(OPENEO_DRIVER_VERSION)' 'pygeoapi==$(PYGEOAPI_VERSION)'
	touch $@

build: deps
	$(SWIFT) build

## test-unit: the pure tests only (targets named *Tests, not *IntegrationTests): no RabbitMQ,
## PostgreSQL or sockets, so they run with no service up and no TILEFLEET_* variable set
test-unit: deps
	env -u TILEFLEET_AMQP_URL -u TILEFLEET_DATABASE_URL $(SWIFT) test --disable-xctest --skip 'IntegrationTests\.'

## test: deps, the real servers' venv, start RabbitMQ + PostgreSQL, run the pure tests (in parallel) and then the
## integration tests one at a time (they restart brokers and databases and spawn fleets: on two
## cores, run side by side they would measure the machine's load instead of the code), stop the
## services, exit with the tests' status. Output is line-buffered and each run is bounded
## (TEST_TIMEOUT, INTEGRATION_TIMEOUT: they take about 1 and 13 minutes here), so a hung test ends
## the run with the test that hung as the last one started, instead of a silent CI timeout.
TEST_TIMEOUT ?= 10m
INTEGRATION_TIMEOUT ?= 50m
BOUNDED = timeout --kill-after=30s
test: deps real-servers
	@$(SERVICES) start >/dev/null
	@set -a; eval "$$($(SERVICES) env)"; set +a; \
	$(SWIFT) build --build-tests && \
	$(BOUNDED) $(TEST_TIMEOUT) stdbuf -oL -eL $(SWIFT) test --skip-build --disable-xctest --skip 'IntegrationTests\.' && \
	$(BOUNDED) $(INTEGRATION_TIMEOUT) stdbuf -oL -eL $(SWIFT) test --skip-build --disable-xctest --no-parallel --filter 'IntegrationTests\.'; \
	status=$$?; \
	if [ $$status = 124 ] || [ $$status = 137 ]; then \
		echo "make test: a test run did not finish within its bound (TEST_TIMEOUT=$(TEST_TIMEOUT), INTEGRATION_TIMEOUT=$(INTEGRATION_TIMEOUT)); the last test started above hung" >&2; \
	fi; \
	$(SERVICES) stop; exit $$status

## demo: deps, services, build, then the main job on the embedded default
demo: deps
	@$(SERVICES) start >/dev/null
	@set -a; eval "$$($(SERVICES) env)"; set +a; \
	$(SWIFT) build -c release --product tilefleet && \
	deploy/local/demo.sh; status=$$?; \
	$(SERVICES) stop; exit $$status

## fuzz: every reader of untrusted input (FuzzTargets) under libFuzzer with AddressSanitizer, for
## FUZZ_SECONDS each, from the seeds in Tests/Fuzz/corpus (inputs libFuzzer finds go to
## .local/fuzz/corpus). A crash, a hang beyond 10 s or more than 2 GB of memory fails and leaves
## the input in .local/fuzz/ (copy it to Tests/Fuzz/regressions/<target>/ once fixed). Opt-in:
## its own release build, not part of `make test` (the corpus is replayed there by FuzzCorpusTests).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := work-item recorder-message fleet-config task-spec aoi key-file
fuzz: deps
	TILEFLEET_FUZZ=1 $(SWIFT) build -c release --build-path .build-fuzz --product tilefleet-fuzz -Xswiftc -sanitize=fuzzer,address \
		-Xswiftc -use-ld=lld -Xlinker --allow-multiple-definition
	@status=0; for t in $(FUZZ_TARGETS); do \
		mkdir -p .local/fuzz/corpus/$$t; \
		TILEFLEET_FUZZ_TARGET=$$t .build-fuzz/release/tilefleet-fuzz .local/fuzz/corpus/$$t Tests/Fuzz/corpus/$$t \
			-max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
			-artifact_prefix=.local/fuzz/$$t- -print_final_stats=1 >.local/fuzz/$$t.log 2>&1 || status=1; \
		printf '%-17s %s\n' $$t "$$(grep -E '^#[0-9]+[[:space:]]+DONE' .local/fuzz/$$t.log | tail -1) $$(grep -E 'stat::peak_rss_mb' .local/fuzz/$$t.log)"; \
	done; \
	[ $$status = 0 ] || { echo "a fuzz target failed: see .local/fuzz/*.log and the inputs beside them" >&2; exit 1; }

## bench: the figures in docs/benchmarks.md, from the opt-in tilefleet-bench executable
bench: deps
	@$(SERVICES) start >/dev/null
	@set -a; eval "$$($(SERVICES) env)"; set +a; \
	status=0; $(SWIFT) build -c release --product tilefleet && $(SWIFT) build -c release --product tilefleet-bench || status=1; \
	for b in amqp postgres http tiles; do \
		[ $$status = 0 ] && { .build/release/tilefleet-bench $$b || status=1; }; \
	done; \
	[ $$status = 0 ] && { .build/release/tilefleet-bench recorder --backlog --direct || status=1; }; \
	[ $$status = 0 ] && { .build/release/tilefleet-bench simulator || status=1; }; \
	[ $$status = 0 ] && { .build/release/tilefleet-bench callbacks || status=1; }; \
	[ $$status = 0 ] && { .build/release/tilefleet-bench polls || status=1; }; \
	$(SERVICES) stop; exit $$status

services-start:
	@$(SERVICES) start
services-stop:
	@$(SERVICES) stop
services-status:
	@$(SERVICES) status

clean:
	rm -rf .build
