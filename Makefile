# tilefleet — the two commands on a fresh Debian 12 machine:
#   make demo   set up everything and run the main job on the embedded default
#   make test   set up everything and run the test suite
SHELL := /bin/bash
SERVICES := deploy/local/services.sh
SWIFT ?= swift
DEB_PACKAGES := curl pkg-config librabbitmq-dev libpq-dev libcurl4-openssl-dev libproj-dev proj-data \
                libgeos-dev rabbitmq-server postgresql postgresql-client

.PHONY: deps build test test-unit demo bench services-start services-stop services-status clean

## deps: install the Debian packages the build, the tests and the local services need (if missing)
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build

## test-unit: the pure tests only (targets named *Tests, not *IntegrationTests): no RabbitMQ,
## PostgreSQL or sockets, so they run with no service up and no TILEFLEET_* variable set
test-unit: deps
	env -u TILEFLEET_AMQP_URL -u TILEFLEET_DATABASE_URL $(SWIFT) test --disable-xctest --skip 'IntegrationTests\.'

## test: deps, start RabbitMQ + PostgreSQL, run the pure tests (in parallel) and then the
## integration tests one at a time (they restart brokers and databases and spawn fleets: on two
## cores, run side by side they would measure the machine's load instead of the code), stop the
## services, exit with the tests' status
test: deps
	@$(SERVICES) start >/dev/null
	@set -a; eval "$$($(SERVICES) env)"; set +a; \
	$(SWIFT) build --build-tests && \
	$(SWIFT) test --skip-build --disable-xctest --skip 'IntegrationTests\.' && \
	$(SWIFT) test --skip-build --disable-xctest --no-parallel --filter 'IntegrationTests\.'; status=$$?; \
	$(SERVICES) stop; exit $$status

## demo: deps, services, build, then the main job on the embedded default
demo: deps
	@$(SERVICES) start >/dev/null
	@set -a; eval "$$($(SERVICES) env)"; set +a; \
	$(SWIFT) build -c release --product tilefleet && \
	deploy/local/demo.sh; status=$$?; \
	$(SERVICES) stop; exit $$status

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
	$(SERVICES) stop; exit $$status

services-start:
	@$(SERVICES) start
services-stop:
	@$(SERVICES) stop
services-status:
	@$(SERVICES) status

clean:
	rm -rf .build
