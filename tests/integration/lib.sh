# shellcheck shell=bash
# tests/integration/lib.sh: sourced by every integration test.
#
# A test reads top to bottom, the way WireGuard's netns.sh does:
#
#	. "$(dirname "$0")/lib.sh"
#	skip_unless_root
#	ns_create lac; ns_create lns
#	veth_link lac 10.201.1.1/24,fd00:201:1::1/64 lns 10.201.1.2/24,fd00:201:1::2/64
#	conf=$(config_dir lns)
#	cat >"$conf/l2tpd.conf" <<-EOF
#	...
#	EOF
#	start_bg -n lns -w lns "$L2TPD" -c "$conf/l2tpd.conf"
#	wait_log lns "listening"
#	assert_eq established "$(ns_exec lac "$L2TPCTL" ... )" "tunnel state"
#	pass
#
# Everything a test makes (namespaces, background processes, its temp dir) is
# recorded and removed on exit, on failure and on INT/TERM; when the test
# fails, the logs of its background processes are printed so CI shows why.
#
# Environment (CTest sets the first ones; see CMakeLists.txt here):
#   L2TPD_BIN_DIR         where the built binaries are (default: <repo>/build)
#   UDP_IMPAIR, L2TPD, L2TPCTL   the binaries (default: $L2TPD_BIN_DIR/<name>)
#   PYTHON                the python3 the helpers run (default: /usr/bin/python3)
#   L2TPT_TIMEOUT         seconds before a watchdog stops the test (default 240;
#                         below CTest's TIMEOUT, so cleanup still runs); 0 = off
#   L2TPT_WRAPPER         command prefix for processes started with start_bg -w,
#                         e.g. "valgrind -q --error-exitcode=99 --leak-check=full"
#   L2TPT_FAIL_AT_STEP=N, L2TPT_FAIL_AT_CHECK=N
#                         make step N, or the Nth assertion, fail on purpose
#                         (to see the cleanup and the log dump work)
#   L2TPT_KEEP_TMP=1      keep the temp dir (its path is printed)
#
# Rules for tests: send traffic only to loopback and to addresses inside the
# namespaces the test creates (10.201.0.0/16, fd00:201::/32); bound every
# foreground command (timeout N cmd), because a signal to this shell waits
# for the foreground command to finish before the cleanup runs.

set -eu -o pipefail

TEST_NAME=$(basename "$0" .sh)
_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${L2TPD_BIN_DIR:=$(cd "$_LIB_DIR/../.." && pwd)/build}"
: "${UDP_IMPAIR:=$L2TPD_BIN_DIR/udp-impair}"
: "${L2TPD:=$L2TPD_BIN_DIR/l2tpd}"
: "${L2TPCTL:=$L2TPD_BIN_DIR/l2tpctl}"
# Debian's own python3 first: a version manager's shim (pyenv) costs ~0.2 s
# per start, and the helpers start it often.
: "${PYTHON:=$(command -v /usr/bin/python3 || command -v python3 || echo python3)}"
: "${L2TPT_TIMEOUT:=240}"
: "${L2TPT_WRAPPER:=}"
: "${L2TPT_FAIL_AT_STEP:=}"
: "${L2TPT_FAIL_AT_CHECK:=}"
: "${L2TPT_KEEP_TMP:=}"

# Namespace names carry the test name and our PID: parallel runs of different
# tests, or of the same one, never collide, and a leftover names its owner.
_NS_PREFIX="l2t-$(printf '%s' "$TEST_NAME" | tr -c 'A-Za-z0-9_' '_' | cut -c1-24)-$$"
_NAMESPACES=()
_BG_NAMES=()
_BG_PIDS=()
_BG_GROUP=()  # 1: started with setsid, so stop the whole process group
_STEP=0
_CHECKS=0
_T0=$EPOCHREALTIME
_WATCHDOG=
BG_STATUS=    # exit status of the last stop_bg / stop_pid / wait_bg

# The PID in the name lets a later run remove it if this one is SIGKILLed.
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/l2tpt-$TEST_NAME-$$.XXXXXX")

# ---------------------------------------------------------------- messages

_elapsed()
{
	local now=$EPOCHREALTIME
	awk -v a="$_T0" -v b="$now" 'BEGIN { printf "%.3f", b - a }'
}

log()
{
	printf '[%7s] %s\n' "$(_elapsed)" "$*"
}

# A numbered, logged stage of the test. L2TPT_FAIL_AT_STEP=N fails here.
step()
{
	_STEP=$((_STEP + 1))
	log "== step $_STEP: $*"
	if [[ "$L2TPT_FAIL_AT_STEP" == "$_STEP" ]]; then
		fail "forced failure at step $_STEP (L2TPT_FAIL_AT_STEP)"
	fi
}

# fail MESSAGE: stop the test; the cleanup prints the background logs.
# Inside $(...) this only leaves the subshell: test results there instead.
fail()
{
	local i where=""

	# Name the test script's line, not that of the helper (here or in
	# another sourced file) that called fail.
	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		if [[ "${BASH_SOURCE[$i]}" == "$0" ]]; then
			where="${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]}"
			break
		fi
	done
	printf 'FAIL: %s: %s (%s)\n' "$TEST_NAME" "$*" "$where" >&2
	exit 1
}

pass()
{
	log "PASS: $TEST_NAME ($_CHECKS checks, $_STEP steps)"
	exit 0
}

skip()
{
	echo "SKIP: $TEST_NAME: $*"
	exit 77
}

skip_unless_root()
{
	if [[ $(id -u) != 0 ]]; then
		skip "needs root (it creates network namespaces); run it as root or with sudo"
	fi
}

# A missing tool is a broken machine, not a reason to skip: scripts/deps.sh
# installs everything the tests use.
need_cmd()
{
	local c

	for c in "$@"; do
		command -v "$c" >/dev/null || fail "command '$c' not found (run scripts/deps.sh)"
	done
}

need_bin()
{
	local b

	for b in "$@"; do
		[[ -x "$b" ]] || fail "binary '$b' missing: build it first (cmake --build BUILD)"
	done
}

# ---------------------------------------------------------------- assertions

# Every assertion counts itself here; L2TPT_FAIL_AT_CHECK=N fails the Nth.
_check()
{
	_CHECKS=$((_CHECKS + 1))
	if [[ "$L2TPT_FAIL_AT_CHECK" == "$_CHECKS" ]]; then
		fail "forced failure at check $_CHECKS (L2TPT_FAIL_AT_CHECK)"
	fi
}

assert_eq()
{
	local expected=$1 actual=$2 what=${3:-value}

	_check
	[[ "$expected" == "$actual" ]] || fail "$what: expected '$expected', got '$actual'"
}

assert_contains()
{
	local haystack=$1 needle=$2 what=${3:-output}

	_check
	[[ "$haystack" == *"$needle"* ]] ||
		fail "$what: '${needle}' not found in: ${haystack:0:800}"
}

# assert_range VALUE LO HI [WHAT]: LO <= VALUE <= HI, numbers with decimals too.
assert_range()
{
	local value=$1 lo=$2 hi=$3 what=${4:-value}

	_check
	awk -v v="$value" -v lo="$lo" -v hi="$hi" \
		'BEGIN { exit !(v ~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/ && v + 0 >= lo + 0 && v + 0 <= hi + 0) }' ||
		fail "$what: $value not within [$lo, $hi]"
}

# assert_ok CMD...: the command succeeds. assert_fails CMD...: it does not.
assert_ok()
{
	_check
	"$@" || fail "command failed (status $?): $*"
}

assert_fails()
{
	_check
	if "$@" >/dev/null 2>&1; then
		fail "command unexpectedly succeeded: $*"
	fi
}

# ---------------------------------------------------------------- waiting

# wait_until TIMEOUT_S CMD...: run CMD every 0.1 s until it succeeds; fail
# after TIMEOUT_S (decimals allowed). CMD should itself be quick.
wait_until()
{
	local timeout=$1 i n
	shift
	n=$(awk -v t="$timeout" 'BEGIN { printf "%d", t * 10 + 0.5 }')
	for ((i = 0; i <= n; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	fail "timed out after ${timeout}s waiting for: $*"
}

# ---------------------------------------------------------------- namespaces

# The full name of the test's namespace NAME.
ns_name()
{
	printf '%s-%s' "$_NS_PREFIX" "$1"
}

ns_create()
{
	local name=$1 full

	[[ "$name" =~ ^[A-Za-z0-9_]+$ ]] || fail "ns_create: bad namespace name '$name'"
	full=$(ns_name "$name")
	ip netns add "$full"
	_NAMESPACES+=("$full")
	ip -n "$full" link set lo up
}

ns_exec()
{
	local full
	full=$(ns_name "$1")
	shift
	ip netns exec "$full" "$@"
}

# veth_link NS1 ADDR[,ADDR...] NS2 ADDR[,ADDR...]: a veth pair between two
# namespaces, each end with its addresses (IPv4 and/or IPv6, with prefix).
# The end in NS1 is named to-NS2 and the other to-NS1 (cut to 15 characters).
# IPv6 addresses skip duplicate address detection, so they work at once.
veth_link()
{
	local ns1=$1 addrs1=$2 ns2=$3 addrs2=$4
	local if1="to-$ns2" if2="to-$ns1"

	if1=${if1:0:15}
	if2=${if2:0:15}
	ip -n "$(ns_name "$ns1")" link add "$if1" type veth peer name "$if2" \
		netns "$(ns_name "$ns2")"
	_veth_addrs "$ns1" "$if1" "$addrs1"
	_veth_addrs "$ns2" "$if2" "$addrs2"
	ip -n "$(ns_name "$ns1")" link set "$if1" up
	ip -n "$(ns_name "$ns2")" link set "$if2" up
}

_veth_addrs()
{
	local full a
	local -a list
	full=$(ns_name "$1")

	IFS=, read -r -a list <<<"$3"
	for a in "${list[@]}"; do
		if [[ "$a" == *:* ]]; then
			ip -n "$full" addr add "$a" dev "$2" nodad
		else
			ip -n "$full" addr add "$a" dev "$2"
		fi
	done
}

# config_dir NAME: a fresh directory for one instance's configuration,
# sockets and state, inside the test's temp dir; prints its path.
config_dir()
{
	local d="$TEST_TMP/conf-$1"

	mkdir -p "$d"
	printf '%s\n' "$d"
}

# ---------------------------------------------------------------- processes

# start_bg [-n NS] [-s] [-w] NAME CMD...: run CMD in the background (in
# namespace NS with -n), output to $TEST_TMP/NAME.log, and record it for the
# cleanup. -s starts it in its own session (for programs that signal their
# process group on exit, like l2tpns); it is then stopped as a group.
# -w prefixes L2TPT_WRAPPER (valgrind, strace). Must run in the test's shell,
# not in $(...), so the PID is recorded and reaped here.
start_bg()
{
	local ns="" group=0 wrap=0 name pid
	local -a argv=() w=()

	while [[ $# -gt 0 ]]; do
		case $1 in
		-n) ns=$2; shift 2 ;;
		-s) group=1; shift ;;
		-w) wrap=1; shift ;;
		*) break ;;
		esac
	done
	name=$1
	shift
	[[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || fail "start_bg: bad name '$name'"
	if _bg_index "$name" >/dev/null; then
		fail "start_bg: '$name' already started"
	fi
	# setsid execs in place (we are not a group leader), and so does
	# ip netns exec: $! is the program's own PID.
	((group)) && argv+=(setsid)
	[[ -n "$ns" ]] && argv+=(ip netns exec "$(ns_name "$ns")")
	if ((wrap)) && [[ -n "$L2TPT_WRAPPER" ]]; then
		read -r -a w <<<"$L2TPT_WRAPPER"
	fi
	argv+=("${w[@]}" "$@")
	"${argv[@]}" >"$TEST_TMP/$name.log" 2>&1 </dev/null &
	pid=$!
	_BG_NAMES+=("$name")
	_BG_PIDS+=("$pid")
	_BG_GROUP+=("$group")
	log "started $name (pid $pid${ns:+, ns $ns}): ${w[*]}${w[*]:+ }$*"
}

_bg_index()
{
	local i

	for i in "${!_BG_NAMES[@]}"; do
		if [[ "${_BG_NAMES[$i]}" == "$1" ]]; then
			echo "$i"
			return 0
		fi
	done
	return 1
}

bg_pid()
{
	local i
	i=$(_bg_index "$1") || fail "no background process named '$1'"
	echo "${_BG_PIDS[$i]}"
}

bg_log()
{
	_bg_index "$1" >/dev/null || fail "no background process named '$1'"
	echo "$TEST_TMP/$1.log"
}

# Alive and not a zombie: our exited children stay zombies until reaped,
# and kill -0 would still succeed on them.
pid_alive()
{
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ "${stat:0:1}" != Z ]]
}

bg_alive()
{
	local pid
	pid=$(bg_pid "$1")
	[[ -n "$pid" ]] && pid_alive "$pid"
}

# wait_log NAME PATTERN [TIMEOUT_S]: wait until NAME's log matches PATTERN
# (grep -E); fail at once if NAME has exited.
wait_log()
{
	local name=$1 pattern=$2 timeout=${3:-10} logf i n

	logf=$(bg_log "$name")
	n=$(awk -v t="$timeout" 'BEGIN { printf "%d", t * 10 + 0.5 }')
	for ((i = 0; i <= n; i++)); do
		if grep -Eq -- "$pattern" "$logf"; then
			return 0
		fi
		bg_alive "$name" || fail "$name exited before logging /$pattern/"
		sleep 0.1
	done
	fail "timed out after ${timeout}s waiting for /$pattern/ in $name's log"
}

# _signal PID GROUP SIG
_signal()
{
	if [[ "$2" == 1 ]]; then
		kill "-$3" -- "-$1" 2>/dev/null || kill "-$3" "$1" 2>/dev/null || true
	else
		kill "-$3" "$1" 2>/dev/null || true
	fi
}

_reap()
{
	BG_STATUS=0
	wait "$1" 2>/dev/null || BG_STATUS=$?
}

# stop_pid PID [GRACE_S] [GROUP]: TERM, then KILL after GRACE_S (default 5).
# The exit status goes to BG_STATUS (143 = died of TERM, 137 = of KILL), so
# a test can assert a clean exit; stop_pid itself always succeeds.
stop_pid()
{
	local pid=$1 grace=${2:-5} group=${3:-0} i n

	n=$(awk -v t="$grace" 'BEGIN { printf "%d", t * 10 + 0.5 }')
	_signal "$pid" "$group" TERM
	for ((i = 0; i < n; i++)); do
		pid_alive "$pid" || break
		sleep 0.1
	done
	if pid_alive "$pid"; then
		log "pid $pid ignored TERM for ${grace}s: KILL"
		_signal "$pid" "$group" KILL
	fi
	_reap "$pid"
}

kill_pid()
{
	_signal "$1" "${2:-0}" KILL
	_reap "$1"
}

_bg_forget()
{
	_BG_PIDS[$1]=""
}

# stop_bg NAME [GRACE_S]: stop_pid for a process started with start_bg.
stop_bg()
{
	local i pid
	i=$(_bg_index "$1") || fail "no background process named '$1'"
	pid=${_BG_PIDS[$i]}
	[[ -n "$pid" ]] || fail "'$1' was already stopped"
	stop_pid "$pid" "${2:-5}" "${_BG_GROUP[$i]}"
	_bg_forget "$i"
	log "stopped $1 (status $BG_STATUS)"
}

kill_bg()
{
	local i pid
	i=$(_bg_index "$1") || fail "no background process named '$1'"
	pid=${_BG_PIDS[$i]}
	[[ -n "$pid" ]] || fail "'$1' was already stopped"
	kill_pid "$pid" "${_BG_GROUP[$i]}"
	_bg_forget "$i"
	log "killed $1"
}

# wait_bg NAME [TIMEOUT_S]: wait for NAME to exit by itself (default 30 s);
# its status goes to BG_STATUS.
wait_bg()
{
	local i pid
	i=$(_bg_index "$1") || fail "no background process named '$1'"
	pid=${_BG_PIDS[$i]}
	[[ -n "$pid" ]] || fail "'$1' was already stopped"
	wait_until "${2:-30}" _pid_gone "$pid"
	_reap "$pid"
	_bg_forget "$i"
	log "$1 exited (status $BG_STATUS)"
}

_pid_gone()
{
	! pid_alive "$1"
}

# ---------------------------------------------------------------- JSON

# json_get FILE|- KEY[.KEY...]: print one value (list indexes are numbers;
# objects and lists print as JSON, booleans as true/false).
json_get()
{
	"$PYTHON" - "$@" <<-'EOF'
		import json, sys
		src, path = sys.argv[1], sys.argv[2]
		v = json.load(sys.stdin if src == "-" else open(src))
		for k in path.split("."):
		    v = v[int(k)] if isinstance(v, list) else v[k]
		if isinstance(v, bool):
		    print(str(v).lower())
		elif isinstance(v, (dict, list)):
		    print(json.dumps(v))
		else:
		    print(v)
	EOF
}

# ---------------------------------------------------------------- udp-impair

# impair_start [-n NS] NAME ARGS...: start udp-impair (under L2TPT_WRAPPER)
# with its counters going to $TEST_TMP/NAME.stats.json, and wait until it
# listens. ARGS are udp-impair's options (--listen, --forward, ...).
impair_start()
{
	local -a ns=()

	if [[ "${1:-}" == -n ]]; then
		ns=(-n "$2")
		shift 2
	fi
	local name=$1
	shift
	need_bin "$UDP_IMPAIR"
	start_bg "${ns[@]}" -w "$name" "$UDP_IMPAIR" --max-seconds "$((L2TPT_TIMEOUT > 0 ? L2TPT_TIMEOUT : 600))" \
		--stats "$TEST_TMP/$name.stats.json" "$@"
	wait_log "$name" "listening on" 30
}

# impair_stop NAME: stop it, check it exited cleanly and that its counters
# add up (see tools/udp-impair.c); leaves the JSON path in IMPAIR_STATS.
impair_stop()
{
	local name=$1 problems

	stop_bg "$name" 30
	assert_eq 0 "$BG_STATUS" "$name exit status"
	IMPAIR_STATS="$TEST_TMP/$name.stats.json"
	[[ -s "$IMPAIR_STATS" ]] || fail "$name wrote no stats to $IMPAIR_STATS"
	problems=$("$PYTHON" - "$IMPAIR_STATS" <<-'EOF'
		import json, sys
		s = json.load(open(sys.argv[1]))
		for d in ("upstream", "downstream"):
		    c = s[d]
		    lhs = c["received"] + c["duplicated"]
		    rhs = (c["forwarded"] + c["dropped"] + c["overflow"] +
		           c["send_errors"] + c["unroutable"])
		    if lhs != rhs:
		        print(f"{d}: received+duplicated={lhs} but forwarded+dropped+"
		              f"overflow+send_errors+unroutable={rhs}: {c}")
	EOF
	)
	_check
	[[ -z "$problems" ]] || fail "$name counters do not add up: $problems"
}

# ---------------------------------------------------------------- cleanup

_cleanup()
{
	local status=$? i pid pids ns n

	trap - EXIT INT TERM
	set +e
	if [[ -n "$_WATCHDOG" ]]; then
		kill -TERM "$_WATCHDOG" 2>/dev/null
		wait "$_WATCHDOG" 2>/dev/null
	fi
	if [[ -e "$TEST_TMP/.watchdog" ]]; then
		echo "FAIL: $TEST_NAME: watchdog: still running after L2TPT_TIMEOUT=${L2TPT_TIMEOUT}s" >&2
	fi

	# Background processes: TERM to all, up to 3 s for all, then KILL.
	for i in "${!_BG_PIDS[@]}"; do
		pid=${_BG_PIDS[$i]}
		[[ -n "$pid" ]] && _signal "$pid" "${_BG_GROUP[$i]}" TERM
	done
	for ((n = 0; n < 30; n++)); do
		pids=0
		for pid in "${_BG_PIDS[@]}"; do
			[[ -n "$pid" ]] && pid_alive "$pid" && pids=1
		done
		((pids)) || break
		sleep 0.1
	done
	for i in "${!_BG_PIDS[@]}"; do
		pid=${_BG_PIDS[$i]}
		[[ -n "$pid" ]] || continue
		if pid_alive "$pid"; then
			echo "cleanup: ${_BG_NAMES[$i]} (pid $pid) ignored TERM: KILL" >&2
			_signal "$pid" "${_BG_GROUP[$i]}" KILL
		fi
		wait "$pid" 2>/dev/null
	done

	# Anything still inside our namespaces (a daemon's children, say) goes
	# too, or the namespace would outlive its name.
	for ns in "${_NAMESPACES[@]}"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		if [[ -n "$pids" ]]; then
			echo "cleanup: killing leftover processes in $ns: $pids" >&2
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null
		fi
		ip netns del "$ns" 2>/dev/null || echo "cleanup: could not delete netns $ns" >&2
	done

	if [[ $status != 0 && $status != 77 ]]; then
		for i in "${!_BG_NAMES[@]}"; do
			echo "----- log of ${_BG_NAMES[$i]} (last 200 lines of $TEST_TMP/${_BG_NAMES[$i]}.log) -----" >&2
			tail -n 200 "$TEST_TMP/${_BG_NAMES[$i]}.log" >&2
		done
		((${#_BG_NAMES[@]})) && echo "----- end of logs -----" >&2
		echo "FAIL: $TEST_NAME: exit status $status after $(_elapsed)s" >&2
	fi
	if [[ -n "$L2TPT_KEEP_TMP" ]]; then
		echo "kept $TEST_TMP" >&2
	else
		rm -rf "$TEST_TMP"
	fi
	exit "$status"
}

# Namespaces left by a test that was killed outright (SIGKILL, a CTest
# timeout): ours by their name pattern, and their owner PID is gone.
_sweep_stale()
{
	local ns owner pids d

	[[ $(id -u) == 0 ]] || return 0
	while read -r ns _; do
		[[ "$ns" =~ ^l2t-[A-Za-z0-9_]+-([0-9]+)-[A-Za-z0-9_]+$ ]] || continue
		owner=${BASH_REMATCH[1]}
		kill -0 "$owner" 2>/dev/null && continue
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[[ -n "$pids" ]] && kill -KILL $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null && echo "removed stale namespace $ns" >&2
	done < <(ip netns list 2>/dev/null)
	for d in "${TMPDIR:-/tmp}"/l2tpt-*-[0-9]*.??????; do
		[[ -d "$d" && "$d" =~ -([0-9]+)\.[A-Za-z0-9]{6}$ ]] || continue
		kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
		rm -rf "$d" && echo "removed stale temp dir $d" >&2
	done
	return 0
}

trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

_sweep_stale

# The watchdog TERMs us below CTest's own timeout, which would SIGKILL the
# test and skip the cleanup. Its output goes nowhere: a sleeping child must
# not hold CTest's pipe open.
if ((L2TPT_TIMEOUT > 0)); then
	(
		trap 'kill "$sp" 2>/dev/null; exit 0' TERM
		for ((i = 0; i < L2TPT_TIMEOUT; i++)); do
			sleep 1 &
			sp=$!
			wait "$sp"
			# The test was killed outright: nobody left to stop.
			kill -0 $$ 2>/dev/null || exit 0
		done
		touch "$TEST_TMP/.watchdog"
		kill -TERM $$
	) >/dev/null 2>&1 </dev/null &
	_WATCHDOG=$!
fi
