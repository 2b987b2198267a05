# Thin wrapper over CMake. `make demo` and `make test` work on a fresh Debian 12 machine (they install what is
# missing with apt-get first).
BUILD ?= build
SAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc)
DB ?= ./certfleet.db
PREFIX ?= /usr/local

# `make fuzz`: each fuzzer (or only those named in FUZZERS, e.g. FUZZERS="der pkcs12") for FUZZ_SECONDS, an input
# slower than FUZZ_TIMEOUT seconds or holding more than FUZZ_RSS_MB being a failure (docs/fuzzing.md).
FUZZ_SECONDS ?= 300
FUZZ_TIMEOUT ?= 10
FUZZ_RSS_MB ?= 2048
FUZZERS ?=

.PHONY: all deps build install package demo test test-fast test-asan test-fuzz fuzz fuzz-build bench clean

all: build

deps:
	scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

# The same files as the package, under $(PREFIX) (docs/install.md), without a package manager to remove them.
install: build
	cmake --install $(BUILD) --prefix $(PREFIX) --strip

# $(BUILD)/certfleet_VERSION_ARCH.deb, by CPack from the install rules (packaging/CMakeLists.txt, docs/install.md);
# an older build's package is removed first, so that `apt-get install ./build/certfleet_*.deb` names one file.
package: build
	rm -f $(BUILD)/certfleet_*.deb
	cd $(BUILD) && cpack -G DEB

# The main job: scan this host's certificate directories and localhost's TLS ports into $(DB), print the report.
demo: build
	$(BUILD)/certfleet --db $(DB) scan --system-dirs --localhost --timeout-ms 2000
	$(BUILD)/certfleet --db $(DB) report --format table

# The whole suite, then again under AddressSanitizer + UndefinedBehaviorSanitizer in a separate build dir, then
# each fuzzer for 20 s as a smoke test.
test: test-fast test-asan test-fuzz

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCERTFLEET_SANITIZE=ON -DCERTFLEET_BENCH=OFF
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS)

# The libFuzzer targets of fuzz/ and their seed corpora, built with clang in a build dir of their own.
fuzz-build: deps
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
		-DCERTFLEET_FUZZ=ON -DCERTFLEET_TESTS=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target certfleet_fuzzers

test-fuzz: fuzz-build
	cd $(FUZZ_BUILD) && ctest --output-on-failure -j $(JOBS)

fuzz: fuzz-build
	fuzz/run-fuzzers --build-dir $(FUZZ_BUILD) --seconds $(FUZZ_SECONDS) --timeout $(FUZZ_TIMEOUT) \
		--rss-limit-mb $(FUZZ_RSS_MB) $(FUZZERS)

bench: build
	$(BUILD)/bench/bench_files

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)
