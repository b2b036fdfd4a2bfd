#!/bin/bash
# Everything `make check` runs, in order, with one summary at the end:
#   1. the normal build and all its tests (unit, wire/tshark, integration)
#   2. the ASan+UBSan build and the same tests, no recovery from any report
#   3. the libFuzzer smoke runs (FUZZ_SMOKE_SECONDS per target)
# Stops at nothing: every stage runs, and the exit status is non-zero if any failed.
set -u
cd "$(dirname "$0")/.."

JOBS=${JOBS:-$(nproc)}
FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-45}
log=$(mktemp -d /tmp/l2tpd-check.XXXXXX)
trap 'rm -rf "$log"' EXIT

passed=0
failed=0
failed_stages=""

# ctest prints "N% tests passed, F tests failed out of T"; add its counts.
count_ctest() {
	local line total bad
	line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -n 1)
	[ -n "$line" ] || return 1
	bad=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed.*/\1/')
	total=$(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
	passed=$((passed + total - bad))
	failed=$((failed + bad))
}

stage() {
	local name=$1
	shift
	echo "=== $name"
	if "$@" 2>&1 | tee "$log/$name.out"; then
		return 0
	fi
	failed_stages="$failed_stages $name"
	return 1
}

run_ctest() {
	local dir=$1 name=$2
	if stage "$name" ctest --test-dir "$dir" --output-on-failure -j "$JOBS"; then :; fi
	count_ctest "$log/$name.out" || { failed=$((failed + 1)); failed_stages="$failed_stages $name(no-result)"; }
}

scripts/deps.sh || exit 1

if stage build make --no-print-directory build; then
	run_ctest build tests
else
	failed=$((failed + 1))
fi

if stage build-asan make --no-print-directory build-asan; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run_ctest build-asan tests-asan
else
	failed=$((failed + 1))
fi

if stage build-fuzz make --no-print-directory build-fuzz &&
   stage fuzz-smoke fuzz/run.sh build-fuzz "$FUZZ_SMOKE_SECONDS"; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi

echo
[ -z "$failed_stages" ] || echo "failed stages:$failed_stages"
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$failed_stages" ]
