# SPDX-License-Identifier: GPL-3.0-or-later
# lathe: the two set-up commands are `make demo` and `make check` (see README.md).
# Both install missing Debian packages first (scripts/deps.sh), then build with CMake.

PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
# CI (CI=true) builds with warnings as errors; so does `make check` everywhere.
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 60

.PHONY: all build deps demo check test asan fuzz bench install clean distclean

all: build

deps:
	@sh scripts/deps.sh --quiet

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@sh scripts/demo.sh $(BUILD)

# Everything: warning-free build, the test suite, the suite again under ASan+UBSan,
# then a bounded libFuzzer run of the file-reading and analysis path.
check: deps
	cmake -S . -B $(BUILD)-check -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLATHE_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD)-check -j $(JOBS)
	cd $(BUILD)-check && ctest --output-on-failure -j $(JOBS) --timeout 600
	$(MAKE) asan
	$(MAKE) fuzz

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DLATHE_WERROR=ON -DLATHE_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LATHE_SANITIZED=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900

fuzz: deps
	CC=clang cmake -S . -B $(BUILD)-fuzz -DCMAKE_BUILD_TYPE=Debug -DLATHE_FUZZ=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD)-fuzz -j $(JOBS) --target fuzz_analyze
	sh tests/fuzz/run.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

bench: build
	@sh bench/run.sh $(BUILD)
	@sh bench/master.sh $(BUILD)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(BUILD)-check $(BUILD)-asan $(BUILD)-fuzz

distclean: clean
	rm -rf demo/out
