# Thin wrapper over CMake. `make demo` and `make test` work on a fresh Debian 12 machine (they install what is
# missing with apt-get first).
BUILD ?= build
SAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
DB ?= ./certfleet.db

.PHONY: all deps build demo test test-fast test-asan bench clean

all: build

deps:
	scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

# The main job: scan this host's certificate directories and localhost's TLS ports into $(DB), print the report.
demo: build
	$(BUILD)/certfleet --db $(DB) scan --system-dirs --localhost --timeout-ms 2000
	$(BUILD)/certfleet --db $(DB) report --format table

# The whole suite, then again under AddressSanitizer + UndefinedBehaviorSanitizer in a separate build dir.
test: test-fast test-asan

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCERTFLEET_SANITIZE=ON
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS)

bench: build
	$(BUILD)/bench/bench_files

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
