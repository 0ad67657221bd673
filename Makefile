# Segue: `make run` installs what is missing, builds and serves; `make test` runs every test.
BUILD ?= build
DATA ?= $(CURDIR)/data
LISTEN ?= 127.0.0.1:8080
MUSIC ?=
JOBS ?= $(shell nproc)

.PHONY: all setup build run test unit integration e2e cluster-test sanitize bench crash-loop soak rescan-memory deb deb-test clean

all: build

setup:
	@./scripts/setup.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)
	./scripts/build-web.sh

run: build
	@./scripts/run.sh "$(BUILD)/src/app/segue" "$(DATA)" "$(LISTEN)" "$(MUSIC)"

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

integration: build
	./scripts/integration.sh $(BUILD)

e2e: build
	./scripts/integration.sh $(BUILD) e2e

test: build
	./scripts/test.sh $(BUILD)

# A cluster on this machine (PostgreSQL, Redis, nodes behind an nginx gateway, nginx edges): the
# system tests against the gateway, then kills and outages under load (part of `make test`).
cluster-test: build
	./scripts/cluster-test.sh $(BUILD)

sanitize: setup
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSEGUE_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

bench: build
	./bench/run.sh $(BUILD)

# kill -9 at random moments of a mixed write load, 100 times (KILLS=N), checking after each
# restart that nothing acknowledged is lost and derived counts match recounts.
KILLS ?= 100
crash-loop: build
	./bench/crash_loop.sh $(BUILD) $(KILLS)

# An hour (MINUTES=N) of mixed load; RSS, descriptors, latency and errors per minute in
# docs/soak.csv and docs/soak.svg.
MINUTES ?= 60
soak: build
	./bench/soak.sh $(BUILD) --minutes $(MINUTES)

# Server RSS over 12 rescans of an unchanged 28,335-track library.
rescan-memory: build
	./bench/rescan_memory.sh $(BUILD)

# A Debian package in dist/ (the binary, the web player, a systemd unit, /etc/segue/segue.toml;
# packaging/deb/), and a test that installs it on this machine, runs the service as its user,
# then removes and purges it (needs root; docs/deploy.md, "Debian package").
deb: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target segue
	./scripts/build-web.sh
	./scripts/build-deb.sh $(BUILD) dist

deb-test: deb
	./scripts/deb-test.sh

clean:
	rm -rf $(BUILD) build-asan dist
