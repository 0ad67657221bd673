# Segue: `make run` installs what is missing, builds and serves; `make test` runs every test.
BUILD ?= build
DATA ?= $(CURDIR)/data
LISTEN ?= 127.0.0.1:8080
MUSIC ?=
JOBS ?= $(shell nproc)

.PHONY: all setup build run test unit integration e2e sanitize bench clean

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

sanitize: setup
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSEGUE_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

bench: build
	./bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) build-asan
