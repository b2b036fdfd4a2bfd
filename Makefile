# Thin facade over CMake/CTest. Every target installs missing Debian
# dependencies first (scripts/deps.sh; needs root on a fresh machine).
#   make             build (build/)
#   make demo        an LNS and a VPN client in network namespaces, ping through
#                    the tunnel (root; scripts/demo.sh)
#   make check       all tests: normal build, ASan+UBSan build, fuzz smoke runs
#                    (scripts/check.sh; ends with 'check: N passed, M failed')
#   make fuzz        longer fuzzing runs (FUZZ_SECONDS per target, default 600)
#   make bench-dataplane   data-plane packets per second, ours beside a no-protocol
#                    forwarder (root; BENCH_ARGS="--seconds 4 --seq ...")
#   make bench       l2tp-bench against l2tpd, l2tpns and its own minimal LNS, the
#                    data plane, 1M sessions on l2tpd; a table, bench-results/
#                    (root; ~6 min; BENCH_* variables, see scripts/bench.sh)
#   make bench-small the same with small figures, for a quick look (~1 min)

JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
FUZZ_SMOKE_SECONDS ?= 45
FUZZ_SECONDS ?= 600
BENCH_ARGS ?=

.PHONY: all deps build build-asan build-fuzz check check-normal check-asan fuzz-smoke fuzz clean \
	bench-dataplane bench bench-small demo

all: build

deps:
	@scripts/deps.sh

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	cmake --build build -j $(JOBS)

build-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DL2TPD_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build build-asan -j $(JOBS)

build-fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DL2TPD_FUZZ=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target fuzz_targets

check-normal: build
	ctest --test-dir build --output-on-failure -j $(JOBS)

check-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir build-asan --output-on-failure -j $(JOBS)

fuzz-smoke: build-fuzz
	fuzz/run.sh build-fuzz $(FUZZ_SMOKE_SECONDS)

fuzz: build-fuzz
	fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

demo:
	@scripts/demo.sh

check:
	@FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) JOBS=$(JOBS) scripts/check.sh

bench-dataplane: build
	build/dataplane_bench $(BENCH_ARGS)

# bench.sh installs what it needs and builds, like demo.sh.
bench:
	@scripts/bench.sh

bench-small:
	@BENCH_PROFILE=small scripts/bench.sh

clean:
	rm -rf build build-asan build-fuzz
