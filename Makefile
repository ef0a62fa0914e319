# Thin wrapper: the build is CMake (Ninja), the tests are ctest.
BUILD_DIR ?= build
JOBS ?= 2

.PHONY: all setup configure build test unit-test demo demo-down bench clean

all: build

setup:
	tools/setup

configure: setup
	cmake -S . -B $(BUILD_DIR) -G Ninja

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

# Unit tests, then integration tests against a real Kafka broker and Redis that
# the ctest fixture starts (deploy/local/mesh) and stops.
# The counts the hostile-input, access, deadline, rate, confidentiality, kcat and fuzz
# tests print (ctest shows a passing test's output only in its log) follow the result.
COUNTS = ^late calls:|^forgetting: [0-9]|^hostile inputs tried|as one caller \(rate|^planted .* hits|^methods [0-9]+, calls|^kcat: [0-9]|^fuzz: [0-9]+ inputs tried in all

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure; rc=$$?; \
	  echo "counts printed by the tests (build/Testing/Temporary/LastTest.log):"; \
	  grep -aE '$(COUNTS)' Testing/Temporary/LastTest.log | sed 's/^/  /'; exit $$rc

unit-test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit

# Starts the local mesh, runs a sample owner's lifecycle, prints the timeline.
demo: build
	MOT_BUILD_DIR=$(abspath $(BUILD_DIR)) tools/demo

# Mesh throughput and memory against the raw broker and Redis, on its own mesh.
bench: build
	MOT_BUILD_DIR=$(abspath $(BUILD_DIR)) tools/bench/run

demo-down:
	deploy/local/mesh down

clean:
	-deploy/local/mesh down
	rm -rf $(BUILD_DIR) .run
