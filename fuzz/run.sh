#!/bin/sh
# Run every libFuzzer target of a fuzz build for a while, each from a fresh
# seed corpus (fuzz/make_seeds: every message type, plain and hidden).
#
#   fuzz/run.sh BUILD_DIR SECONDS
#
# BUILD_DIR is a build configured with -DL2TPD_FUZZ=ON (CC=clang) whose
# fuzz_targets target is built. Prints one line per target:
#   fuzz_parse: 123456 execs in 45 s (2743 exec/s), no crashes
# and exits non-zero if any target crashed, leaked, hung or failed a property
# check. The corpus and artifacts live in a temporary directory that is
# removed; a crashing input is copied to /tmp/l2tpd-fuzz-<target>.XXXXXX
# first, with the log and the command that reproduces it.
set -eu

usage() {
	echo "usage: fuzz/run.sh BUILD_DIR SECONDS" >&2
	exit 2
}
[ $# -eq 2 ] || usage
build=$1
seconds=$2
case $seconds in
'' | *[!0-9]*) usage ;;
esac

seeder=$build/fuzz/make_seeds
if [ ! -x "$seeder" ]; then
	echo "fuzz/run.sh: $seeder not found: build the fuzz_targets target of $build first" >&2
	exit 1
fi
targets=
for bin in "$build"/fuzz/fuzz_*; do
	[ -f "$bin" ] && [ -x "$bin" ] && targets="$targets $bin"
done
if [ -z "$targets" ]; then
	echo "fuzz/run.sh: no fuzz_* programs in $build/fuzz" >&2
	exit 1
fi

tmp=$(mktemp -d /tmp/l2tpd-fuzz-run.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

# The library is instrumented with recoverable UBSan checks: make any report
# fatal so libFuzzer records the input instead of carrying on.
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}
export UBSAN_OPTIONS

status=0
for bin in $targets; do
	name=${bin##*/}
	work=$tmp/$name
	mkdir -p "$work/corpus" "$work/artifacts"
	"$seeder" "$name" "$work/corpus"
	log=$work/log

	# -timeout: a single input taking 10 s is a hang worth reporting.
	# -max_len: well above any real control message on a 1500-octet path.
	if "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -max_len=4096 \
		-artifact_prefix="$work/artifacts/" "$work/corpus" >"$log" 2>&1; then
		rc=0
	else
		rc=$?
	fi

	execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	# "Done 123456 runs in 45 second(s)": the time libFuzzer itself measured.
	took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
	[ -n "$took" ] && [ "$took" -gt 0 ] || took=$seconds
	[ "$took" -gt 0 ] || took=1

	if [ "$rc" -eq 0 ] && [ -z "$(ls -A "$work/artifacts")" ] && [ -n "$execs" ]; then
		echo "$name: $execs execs in $took s ($((execs / took)) exec/s), no crashes"
		continue
	fi

	status=1
	keep=$(mktemp -d "/tmp/l2tpd-fuzz-$name.XXXXXX")
	cp "$log" "$keep/$name.log"
	echo "$name: FAILED (exit $rc, ${execs:-?} execs); libFuzzer's report:"
	grep -E -A 30 '^==[0-9]+==|runtime error|^SUMMARY|deadly signal|ERROR: libFuzzer' "$log" |
		head -n 60 | sed 's/^/    /'
	found=0
	for a in "$work"/artifacts/*; do
		[ -e "$a" ] || continue
		cp "$a" "$keep/"
		found=1
		echo "$name: crash input kept: $keep/${a##*/}"
		echo "$name: reproduce with: $bin $keep/${a##*/}"
	done
	[ "$found" -eq 1 ] || echo "$name: no crash input was written; full log: $keep/$name.log"
done
exit $status
