# Thin wrappers over CMake and the scripts; see README.md.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 30
# Tests `make sanitize` leaves out (a ctest -E regex); empty = all unit and e2e tests.
SANITIZE_EXCLUDE ?=
# The Debian stand-ins for heroku-22 (bullseye), heroku-24 (bookworm) and heroku-26 (trixie).
STACK_SUITES ?= bullseye bookworm trixie

.PHONY: deps build test test-unit test-stack test-arm64 specs lint bench demo clean sanitize fuzz

deps:
	bash scripts/deps.sh

build:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j 2

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -L unit

sanitize:
	$(MAKE) build BUILD=build-asan CMAKE_FLAGS="-DDYNOSTATSD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DDYNOSTATSD_BENCH=OFF"
	ctest --test-dir build-asan --output-on-failure -j 2 -L 'unit|e2e' $(if $(SANITIZE_EXCLUDE),-E '$(SANITIZE_EXCLUDE)')

fuzz:
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

test-stack:
	bash test/stack/run.sh $(STACK_SUITES)

test-stack-%:
	bash test/stack/run.sh $*

test-arm64:
	bash test/arm64/run.sh

specs:
	bash scripts/fetch-specs.sh

lint:
	bash scripts/lint.sh

bench: build
	bash bench/run.sh

demo:
	bash scripts/demo.sh

clean:
	rm -rf build build-*
