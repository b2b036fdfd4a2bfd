#!/bin/bash
# make bench: l2tp-bench (one LAC, M tunnels, N PPP subscribers) against three
# LNSes in turn, with the same sessions, tunnels, rate, authentication and
# traffic; then the data plane against a no-protocol forwarder; then a scale
# run of our LNS alone. Prints one side-by-side table, writes
# bench-results/summary.json (every run's report merged, and the table) and
# PNG plots. A program that prints figures, not a test: a run that fails
# (an LNS that cannot hold N sessions, say) is reported and the others go on.
#
#   netns bench-lac                              netns bench-lns
#   l2tp-bench (LAC)  10.240.0.1 ── veth ── 10.240.0.2  the LNS under test:
#                                                   (a) l2tpd, local users file
#                                                   (b) l2tpns + FreeRADIUS on 127.0.0.1
#                                                   (c) l2tp-bench --lns
#                                               its TUN routes the subscribers'
#                                               pool (100.64.0.0/10) back
#                                               198.18.0.1 on lo: l2tp-bench --sink
#
# The subscribers' datagrams leave the LNS through its TUN to the sink, which
# reflects each one; the reflection is routed back into the TUN and the
# tunnel, so both directions cross the LNS's data plane (l2tp-bench --lns
# reflects it itself). Each LNS gets a main run (setup, hold, traffic at
# BENCH_PPS, teardown) and a saturation run (a few sessions, far more
# packets offered than get through), with the LNS's CPU time sampled while
# traffic flows. The namespaces are made afresh for each LNS and removed
# after it, and on any exit.
#
# Run as root (scripts/bench.sh or make bench; make bench-small for a quick
# look). It installs missing Debian packages (scripts/deps.sh) and builds
# (make build). Every figure is overridable from the environment:
#
#   BENCH_SESSIONS N      sessions per LNS (full 50000, small 500; l2tpns holds 59999)
#   BENCH_TUNNELS M       tunnels they are spread over (full 4, small 2; see below)
#   BENCH_RATE R          setups started per second, 0: window only (0)
#   BENCH_WINDOW W        setups in flight at most (full 500, small 100)
#   BENCH_AUTH A          pap | chap (chap; l2tpns speaks no MS-CHAPv2)
#   BENCH_PROXY P         percent of sessions sent with proxy LCP/auth (0)
#   BENCH_HOLD S          seconds all sessions are held before traffic (full 10, small 3)
#   BENCH_TRAFFIC S       seconds of traffic through every session (full 10, small 5)
#   BENCH_PPS PPS         upstream packets per second, all sessions (full 20000, small 5000)
#   BENCH_SIZE B|imix     IP packet size (imix)
#   BENCH_TIMEOUT S       a session not established by then failed (60)
#   BENCH_RECEIVE_WINDOW  l2tpd's receive_window: control messages a LAC may have
#                         in flight per tunnel (16, l2tpd's default)
#   BENCH_SAT_SESSIONS N  saturation run: this many sessions... (100)
#   BENCH_SAT_SECONDS S   ...send this long... (full 5, small 3; 0: no such run)
#   BENCH_SAT_PPS PPS     ...offered this fast, far above what anything here carries (2000000)
#   BENCH_SCALE_SESSIONS N  scale run, our l2tpd only (full 1000000, small 20000)
#   BENCH_SCALE_TUNNELS M   (full 64, small 4; raised so no tunnel holds over 65535)
#   BENCH_SCALE_WINDOW W    (full 4000, small 1000)
#   BENCH_SCALE_HOLD S      seconds held with LCP echo and HELLO running (full 60, small 10)
#   BENCH_SCALE_ECHO S      the LNS's lcp_echo_interval and hello_interval then (full 15, small 3)
#   BENCH_DATAPLANE_ARGS    arguments of build/dataplane_bench (small: --seconds 1 --repeat 1)
#   BENCH_RUNS            which runs, in order (l2tpd l2tpns ceiling dataplane scale)
#   BENCH_RESULTS DIR     where results go (bench-results)
#   BENCH_PROFILE         full | small (make bench-small sets small)
#
# Exit status 0 when every run completed (whether or not it met the
# targets), 1 when one failed (its figures are then missing from the table).
#
# Few tunnels by default, for l2tpns's sake: it takes an SCCRQ that arrives
# from the address and port of a tunnel still opening for a retransmission
# of that tunnel's SCCRQ. l2tp-bench, like a LAC on port 1701, opens every
# tunnel from one socket at once, so l2tpns lets one more tunnel in per
# retransmission of ours (1, 2, 4, 8 s ...), and after the sixth the
# others fail: with 20 tunnels, 13 did.
#
# Each run sets TEST_TMP (lib.sh's per-test directory) in its own subshell:
# shellcheck disable=SC2030,SC2031
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"

BENCH_PROFILE=${BENCH_PROFILE:-full}
case $BENCH_PROFILE in
full)
	: "${BENCH_SESSIONS:=50000}" "${BENCH_TUNNELS:=4}" "${BENCH_WINDOW:=500}"
	: "${BENCH_HOLD:=10}" "${BENCH_TRAFFIC:=10}" "${BENCH_PPS:=20000}"
	: "${BENCH_SAT_SECONDS:=5}"
	: "${BENCH_SCALE_SESSIONS:=1000000}" "${BENCH_SCALE_TUNNELS:=64}"
	: "${BENCH_SCALE_WINDOW:=4000}" "${BENCH_SCALE_HOLD:=60}" "${BENCH_SCALE_ECHO:=15}"
	: "${BENCH_DATAPLANE_ARGS:=}"
	;;
small)
	: "${BENCH_SESSIONS:=500}" "${BENCH_TUNNELS:=2}" "${BENCH_WINDOW:=100}"
	: "${BENCH_HOLD:=3}" "${BENCH_TRAFFIC:=5}" "${BENCH_PPS:=5000}"
	: "${BENCH_SAT_SECONDS:=3}"
	: "${BENCH_SCALE_SESSIONS:=20000}" "${BENCH_SCALE_TUNNELS:=4}"
	: "${BENCH_SCALE_WINDOW:=1000}" "${BENCH_SCALE_HOLD:=10}" "${BENCH_SCALE_ECHO:=3}"
	: "${BENCH_DATAPLANE_ARGS:=--seconds 1 --repeat 1}"
	;;
*)
	echo "bench.sh: BENCH_PROFILE must be full or small, not '$BENCH_PROFILE'" >&2
	exit 2
	;;
esac
: "${BENCH_RATE:=0}" "${BENCH_AUTH:=chap}" "${BENCH_PROXY:=0}" "${BENCH_SIZE:=imix}"
: "${BENCH_TIMEOUT:=60}" "${BENCH_RECEIVE_WINDOW:=16}"
: "${BENCH_SAT_SESSIONS:=100}" "${BENCH_SAT_PPS:=2000000}"
: "${BENCH_RUNS:=l2tpd l2tpns ceiling dataplane scale}"
: "${BENCH_RESULTS:=$REPO/bench-results}"

case $BENCH_AUTH in
pap | chap) ;;
*)
	echo "bench.sh: BENCH_AUTH must be pap or chap (the methods l2tpns offers), not '$BENCH_AUTH'" >&2
	exit 2
	;;
esac
for v in BENCH_SESSIONS BENCH_TUNNELS BENCH_WINDOW BENCH_HOLD BENCH_TRAFFIC BENCH_PPS \
	BENCH_SAT_SESSIONS BENCH_SAT_SECONDS BENCH_SAT_PPS BENCH_SCALE_SESSIONS \
	BENCH_SCALE_TUNNELS BENCH_SCALE_WINDOW BENCH_SCALE_HOLD BENCH_SCALE_ECHO BENCH_PROXY \
	BENCH_TIMEOUT BENCH_RECEIVE_WINDOW; do
	[[ "${!v}" =~ ^[0-9]+$ ]] || { echo "bench.sh: $v must be a whole number, not '${!v}'" >&2; exit 2; }
done
[[ "$BENCH_RATE" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "bench.sh: BENCH_RATE must be a number" >&2; exit 2; }
[[ "$BENCH_SIZE" =~ ^([0-9]+|imix)$ ]] || { echo "bench.sh: BENCH_SIZE must be octets or imix" >&2; exit 2; }
if [[ $(id -u) != 0 ]]; then
	echo "bench.sh: needs root (network namespaces, TUN devices); run it as root or with sudo" >&2
	exit 1
fi

# One bench at a time: the namespaces have fixed names.
exec 9>/run/lock/l2tpd-bench.lock
flock -n 9 || { echo "bench.sh: another bench is running (/run/lock/l2tpd-bench.lock)" >&2; exit 1; }

# What a previous bench left in the results directory goes (only that).
RESULTS=$BENCH_RESULTS
mkdir -p "$RESULTS"
(
	cd "$RESULTS"
	rm -rf logs bench-config.json summary.json summary.txt dataplane.json dataplane.txt \
		sessions.png throughput.png saturation.png scale.png \
		{l2tpd,l2tpns,ceiling}{,-sat}{.json,.extra.json,.tsv} ceiling.lns.json \
		scale.json scale.extra.json scale.tsv
)
mkdir -p "$RESULTS/logs"

echo "== dependencies (scripts/deps.sh) and build (make build, log in $RESULTS/logs/build.log)"
scripts/deps.sh
make --no-print-directory build >"$RESULTS/logs/build.log" 2>&1 ||
	{ tail -n 30 "$RESULTS/logs/build.log" >&2; echo "bench.sh: make build failed" >&2; exit 1; }

# The test library: namespaces, background processes, waiting, cleanup on
# every exit. Its watchdog is for tests; the bench bounds each wait itself.
export L2TPT_TIMEOUT=0
export L2TPD_BIN_DIR=$REPO/build
# shellcheck source=SCRIPTDIR/../tests/integration/lib.sh
. "$REPO/tests/integration/lib.sh"
# shellcheck source=SCRIPTDIR/../tests/integration/l2tpd_helpers.sh
. "$REPO/tests/integration/l2tpd_helpers.sh"
# shellcheck source=SCRIPTDIR/../tests/integration/l2tpns_helpers.sh
. "$REPO/tests/integration/l2tpns_helpers.sh"
TEST_NAME=bench
_NS_PREFIX=bench        # namespaces bench-lac and bench-lns
SCRATCH=$TEST_TMP       # removed by lib.sh's cleanup of this shell

L2TP_BENCH=$L2TPD_BIN_DIR/l2tp-bench
DATAPLANE_BENCH=$L2TPD_BIN_DIR/dataplane_bench
BENCH_PY=$REPO/bench/bench_report.py
BENCH_GP=$REPO/bench/bench_plots.gp
need_cmd ip timeout gnuplot "$PYTHON"
need_bin "$L2TPD" "$L2TPCTL" "$L2TP_BENCH" "$DATAPLANE_BENCH"

# Addresses: only inside bench-lac and bench-lns (and dataplane_bench's own
# namespaces, 10.203.0.0/16).
LAC4=10.240.0.1
LNS4=10.240.0.2
LNS_LOCAL=10.240.1.1            # the LNS's end of every PPP link
POOL=100.64.0.0/10              # 4 M subscriber addresses (RFC 6598 space)
L2TPNS_POOL_CIDR=100.64.0.0/16  # l2tpns holds at most 131072 pool addresses
SINK=198.18.0.1                 # RFC 2544 benchmarking space, on the LNS's lo
SINK_PORT=9
TUNNEL_SECRET=bench-tunnel-s3cret
USER_NAME=bench
USER_PASSWORD=bench
# l2tpns_helpers.sh settings for this bench.
L2TPNS_TUN=l2tpns0
L2TPNS_TUN_ADDR=$LNS_LOCAL
L2TPNS_POOL=$L2TPNS_POOL_CIDR
L2TPNS_CLUSTER_ADDR=10.240.255.254
L2TPNS_SECRET=$TUNNEL_SECRET
# FreeRADIUS as an operator runs it (threads, no per-request debug log),
# not the single-threaded -X the tests use.
RADIUS_FLAGS="-f -l stdout"

# ---------------------------------------------------------------- runs
#
# Each run is a subshell in the background with its own namespaces,
# processes and lib.sh cleanup (its logs stay in $RESULTS/logs/RUN); the
# main shell waits for it, notes its exit status and goes on. On INT/TERM
# the main shell stops the run in progress (which cleans up) and exits.

RUN_PID=
RUN_STATUS=()   # "name=status" per run

_bench_exit()
{
	local st=$? i
	if [[ -n "$RUN_PID" ]] && kill -0 "$RUN_PID" 2>/dev/null; then
		echo "bench.sh: stopping the run in progress (pid $RUN_PID)" >&2
		kill -TERM "$RUN_PID" 2>/dev/null || true
		for ((i = 0; i < 300; i++)); do
			kill -0 "$RUN_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$RUN_PID" 2>/dev/null || true
		wait "$RUN_PID" 2>/dev/null || true
	fi
	(exit "$st")
	_cleanup
}
trap _bench_exit EXIT

# Namespaces of a bench that was killed outright: ours by name; the lock
# says no other bench owns them.
remove_stale_namespaces()
{
	local ns pids
	for ns in bench-lac bench-lns; do
		ip netns list | grep -qw "^$ns" || continue
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		# shellcheck disable=SC2086
		[[ -n "$pids" ]] && kill -KILL $pids 2>/dev/null
		ip netns del "$ns" && echo "removed stale namespace $ns" >&2
	done
	return 0
}

# run NAME FUNCTION: FUNCTION in a subshell of its own (see above).
run()
{
	local name=$1 fn=$2 st=0

	echo
	echo "== $name"
	remove_stale_namespaces
	(
		TEST_TMP=$RESULTS/logs/$name
		mkdir -p "$TEST_TMP"
		L2TPT_KEEP_TMP=1
		_WATCHDOG=
		_NAMESPACES=() _BG_NAMES=() _BG_PIDS=() _BG_GROUP=()
		_T0=$EPOCHREALTIME
		trap _cleanup EXIT
		trap 'exit 143' TERM
		trap '' INT     # the main shell stops us with TERM
		"$fn"
	) 2> >(grep -v '^kept ' >&2) &
	RUN_PID=$!
	wait "$RUN_PID" || st=$?
	RUN_PID=
	RUN_STATUS+=("$name=$st")
	if ((st == 0)); then
		echo "== $name: done"
	else
		echo "== $name: FAILED (status $st; logs in $RESULTS/logs/$name)" >&2
	fi
}

# ---------------------------------------------------------------- pieces of a run

# The two namespaces, a veth between them, and the sink's address.
bench_net()
{
	ns_create lac
	ns_create lns
	veth_link lac $LAC4/24 lns $LNS4/24
	ns_exec lns ip addr add $SINK/32 dev lo
}

start_sink()
{
	start_bg -n lns sink "$L2TP_BENCH" --sink $SINK:$SINK_PORT
	wait_log sink "listening on" 10
}

# l2tpd_conf DIR MAX_SESSIONS ECHO_S HELLO_S: an LNS configuration, the users
# file beside it; prints the configuration's path.
l2tpd_conf()
{
	local dir=$1 max=$2 echo_s=$3 hello_s=$4 other
	other=$([[ $BENCH_AUTH == pap ]] && echo chap || echo pap)

	echo "$USER_NAME $USER_PASSWORD" >"$dir/users"
	cat >"$dir/l2tpd.conf" <<-EOF
		[global]
		listen = $LNS4:1701
		hostname = bench-lns
		control = $dir/l2tpd.sock
		tun = bench0
		max_sessions = $max
		log_level = warn
		receive_window = $BENCH_RECEIVE_WINDOW
		hello_interval = $hello_s

		[lns bench]
		peer = 10.240.0.0/24
		secret = $TUNNEL_SECRET
		local_ip = $LNS_LOCAL
		pool = $POOL
		auth = $BENCH_AUTH $other
		users = $dir/users
		accept_proxy = yes
		lcp_echo_interval = $echo_s
	EOF
	echo "$dir/l2tpd.conf"
}

start_l2tpd()
{
	local conf=$1
	"$L2TPD" -n -c "$conf" >/dev/null || fail "l2tpd refuses its configuration $conf"
	start_bg -n lns l2tpd "$L2TPD" -c "$conf"
	wait_until 10 test -S "$(dirname "$conf")/l2tpd.sock"
}

# settle TIMEOUT_S CMD...: as lib.sh's wait_until, but a timeout is only
# status 1 here (a figure to report, not a reason to stop the bench).
settle()
{
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i <= n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# cpu_ticks PID: utime + stime of PID, in clock ticks.
cpu_ticks()
{
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# lac LABEL LNS_PID ON_HOLD N M W TRAFFIC_S PPS HOLD_S [ARGS...]: one
# l2tp-bench run in bench-lac toward $LNS4, report to $RESULTS/LABEL.json
# and .tsv. Prints its progress every 10 s. ON_HOLD (a function, or "")
# is called once when every session is up and held.
lac()
{
	local label=$1 pid=$2 on_hold=$3 n=$4 m=$5 win=$6 traffic=$7 pps=$8 hold=$9 limit logf i
	shift 9
	local -a args=(-n "$n" -t "$m" -r "$BENCH_RATE" -w "$win" --auth "$BENCH_AUTH"
		--proxy "$BENCH_PROXY" --secret "$TUNNEL_SECRET" --user "$USER_NAME"
		--password "$USER_PASSWORD" --hold "$hold" --timeout "$BENCH_TIMEOUT"
		--label "$label" --json "$RESULTS/$label.json" --timeline "$RESULTS/$label.tsv"
		--size "$BENCH_SIZE" --sink "$SINK:$SINK_PORT")
	((traffic > 0)) && args+=(--traffic "$traffic" --pps "$pps")
	[[ -n "$pid" ]] && args+=(--lns-pid "$pid")
	args+=("$@" "$LNS4")

	# Bounded: every session may take the whole timeout, a few times over
	# for retransmissions, then hold, traffic and teardown.
	limit=$((3 * BENCH_TIMEOUT + hold + traffic + 120 + n / 2000))
	start_bg -n lac "lac-$label" "$L2TP_BENCH" "${args[@]}"
	logf=$(bg_log "lac-$label")
	# The LNS's CPU time while traffic flows: sampled at the first and the
	# last progress line of the traffic phase (one a second), both inside it.
	local line last="" t0="" c0="" t1="" c1=""
	for ((i = 1; i <= limit * 10; i++)); do
		bg_alive "lac-$label" || break
		line=$(tail -n 1 "$logf")
		if [[ "$line" != "$last" ]]; then
			last=$line
			if [[ -n "$on_hold" && "$line" == *"] hold "* ]]; then
				"$on_hold"
				on_hold=
			fi
			if [[ -n "$pid" && "$line" == *"] traffic "* ]]; then
				t1=$EPOCHREALTIME c1=$(cpu_ticks "$pid")
				[[ -n "$t0" ]] || t0=$t1 c0=$c1
			fi
		fi
		((i % 100 == 0)) && log "  $line"
		sleep 0.1
	done
	if bg_alive "lac-$label"; then
		log "l2tp-bench still running after ${limit}s: stopping it"
		stop_bg "lac-$label" 30
	else
		wait_bg "lac-$label" 5
	fi
	[[ -s "$RESULTS/$label.json" ]] || fail "l2tp-bench wrote no report (status $BG_STATUS)"
	if [[ -n "$t0" ]] && awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 1) }'; then
		extra "$label" "traffic_wall_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" \
			"traffic_lns_cpu_s=$(awk -v a="$c0" -v b="$c1" -v t="$(getconf CLK_TCK)" \
				'BEGIN { printf "%.3f", (b - a) / t }')"
	fi
	log "$label: $("$PYTHON" "$BENCH_PY" oneline "$RESULTS/$label.json")"
}

# The LNS's own counters, kept beside the bench's report.
l2tpd_stats_to()
{
	ctl "$L2TPD_SOCK" stats >"$1" 2>/dev/null || true
}

on_hold_l2tpd()
{
	l2tpd_stats_to "$TEST_TMP/stats-held.json"
}

# extra LABEL KEY=VALUE...: figures of a run beyond l2tp-bench's report
# (VALUE as JSON, else a string), added to $RESULTS/LABEL.extra.json.
extra()
{
	local label=$1
	shift
	"$PYTHON" - "$RESULTS/$label.extra.json" "$@" <<-'EOF'
		import json, sys
		out, kv = sys.argv[1], sys.argv[2:]
		try:
		    d = json.load(open(out))
		except (OSError, ValueError):
		    d = {}
		for a in kv:
		    k, v = a.split("=", 1)
		    try:
		        v = json.loads(v)
		    except ValueError:
		        pass
		    d[k] = v
		json.dump(d, open(out, "w"), indent=1)
	EOF
}

# A short run with few sessions and far more packets offered than anything
# here carries: the packets per second that get through.
saturation()
{
	local label=$1 pid=$2
	((BENCH_SAT_SECONDS > 0)) || return 0
	lac "$label-sat" "$pid" "" "$BENCH_SAT_SESSIONS" 1 "$BENCH_SAT_SESSIONS" \
		"$BENCH_SAT_SECONDS" "$BENCH_SAT_PPS" 0
}

# ---------------------------------------------------------------- (a) l2tpd

run_l2tpd()
{
	local conf max
	bench_net
	max=$((BENCH_SESSIONS > 100000 ? BENCH_SESSIONS + 1000 : 100000))
	conf=$(l2tpd_conf "$(config_dir l2tpd)" $max 30 60)
	L2TPD_SOCK=$(dirname "$conf")/l2tpd.sock
	start_l2tpd "$conf"
	start_sink
	lac l2tpd "$(bg_pid l2tpd)" on_hold_l2tpd "$BENCH_SESSIONS" "$BENCH_TUNNELS" \
		"$BENCH_WINDOW" "$BENCH_TRAFFIC" "$BENCH_PPS" "$BENCH_HOLD"
	settle 30 count_is "$L2TPD_SOCK" sessions "" 0 || log "l2tpd still has sessions 30 s after teardown"
	l2tpd_stats_to "$TEST_TMP/stats-end.json"
	extra l2tpd auth_backend='"local users file"' session_limit="$max" \
		"held_by_lns=$(json_get "$TEST_TMP/stats-held.json" sessions.current 2>/dev/null || echo null)" \
		"sessions_after_teardown=$(json_get "$TEST_TMP/stats-end.json" sessions.current 2>/dev/null || echo null)"
	saturation l2tpd "$(bg_pid l2tpd)"
	stop_bg sink
	stop_bg l2tpd 10
}

# ---------------------------------------------------------------- (b) l2tpns

L2TPNS_PID=
RADIUS_PID=
RADIUS_T0=0

on_hold_l2tpns()
{
	RADIUS_HELD=$(cpu_ticks "$RADIUS_PID")
}

run_l2tpns()
{
	local authtypes tck
	bench_net
	RADIUS_DIR=$SCRATCH/raddb
	L2TPNS_DIR=$SCRATCH/etc-l2tpns
	radius_start lns "$USER_NAME" "$USER_PASSWORD"
	RADIUS_PID=$(bg_pid radius)
	authtypes=$([[ $BENCH_AUTH == pap ]] && echo pap,chap || echo chap,pap)
	# debug 2: warnings (3 logs every session and packet; our l2tpd logs at
	# warn too). allow_duplicate_users: every subscriber is the same user;
	# without it l2tpns looks for the user's other session on each login.
	l2tpns_start lns $LNS4 "set debug 2" "set allow_duplicate_users yes" \
		"set radius_authtypes \"$authtypes\""
	L2TPNS_PID=$(bg_pid l2tpns)
	start_sink
	RADIUS_T0=$(cpu_ticks "$RADIUS_PID")
	RADIUS_HELD=
	lac l2tpns "$L2TPNS_PID" on_hold_l2tpns "$BENCH_SESSIONS" "$BENCH_TUNNELS" \
		"$BENCH_WINDOW" "$BENCH_TRAFFIC" "$BENCH_PPS" "$BENCH_HOLD"
	tck=$(getconf CLK_TCK)
	extra l2tpns auth_backend='"RADIUS (FreeRADIUS, same host)"' \
		"radius_cpu_setup_s=$(awk -v a="$RADIUS_T0" -v b="${RADIUS_HELD:-$RADIUS_T0}" -v t="$tck" \
			'BEGIN { printf "%.2f", (b - a) / t }')" \
		"radius_cpu_total_s=$(awk -v a="$RADIUS_T0" -v b="$(cpu_ticks "$RADIUS_PID")" -v t="$tck" \
			'BEGIN { printf "%.2f", (b - a) / t }')" \
		"radius_pid=$RADIUS_PID" \
		"session_limit=$(grep -oE 'Fixed [0-9]+ uninitialized sessions' "$(bg_log l2tpns)" |
			grep -oE '[0-9]+' | head -n 1 || echo null)" \
		"log_errors=$(grep -ciE 'error|fail|too many|no free' "$(bg_log l2tpns)" || true)"
	saturation l2tpns "$L2TPNS_PID"
	stop_bg sink
	l2tpns_stop
	radius_stop
}

# ---------------------------------------------------------------- (c) l2tp-bench --lns

run_ceiling()
{
	bench_net
	start_bg -n lns lns "$L2TP_BENCH" --lns --bind $LNS4 --secret "$TUNNEL_SECRET" \
		--pool $POOL --auth "$BENCH_AUTH" --password "$USER_PASSWORD" \
		--json "$RESULTS/ceiling.lns.json"
	wait_log lns "listening on" 10
	# No sink: this LNS reflects the traffic itself.
	lac ceiling "$(bg_pid lns)" "" "$BENCH_SESSIONS" "$BENCH_TUNNELS" \
		"$BENCH_WINDOW" "$BENCH_TRAFFIC" "$BENCH_PPS" "$BENCH_HOLD"
	extra ceiling auth_backend='"none (accepts every credential)"'
	saturation ceiling "$(bg_pid lns)"
	stop_bg lns 10
}

# ---------------------------------------------------------------- (d) data plane

run_dataplane()
{
	local -a args
	read -r -a args <<<"$BENCH_DATAPLANE_ARGS"
	log "build/dataplane_bench ${args[*]}"
	timeout 900 "$DATAPLANE_BENCH" "${args[@]}" >"$RESULTS/dataplane.txt" 2>"$TEST_TMP/dataplane.err" ||
		fail "dataplane_bench failed: $(tail -n 5 "$TEST_TMP/dataplane.err")"
	"$PYTHON" "$BENCH_PY" dataplane "$RESULTS/dataplane.txt" >"$RESULTS/dataplane.json"
	sed -n '/^dir /,/^$/p' "$RESULTS/dataplane.txt"
}

# ---------------------------------------------------------------- (e) scale

on_hold_scale()
{
	l2tpd_stats_to "$TEST_TMP/stats-held.json"
}

run_scale()
{
	local conf n=$BENCH_SCALE_SESSIONS m=$BENCH_SCALE_TUNNELS hold=$BENCH_SCALE_HOLD
	((m * 65535 >= n)) || m=$(((n + 65534) / 65535))
	bench_net
	conf=$(l2tpd_conf "$(config_dir l2tpd)" $((n + 1000)) "$BENCH_SCALE_ECHO" "$BENCH_SCALE_ECHO")
	L2TPD_SOCK=$(dirname "$conf")/l2tpd.sock
	start_l2tpd "$conf"
	log "$n sessions over $m tunnels, held ${hold}s with lcp_echo_interval and hello_interval ${BENCH_SCALE_ECHO}s"
	lac scale "$(bg_pid l2tpd)" on_hold_scale "$n" "$m" "$BENCH_SCALE_WINDOW" 0 0 "$hold"
	l2tpd_stats_to "$TEST_TMP/stats-end.json"
	extra scale auth_backend='"local users file"' tunnels="$m" \
		lcp_echo_interval_s="$BENCH_SCALE_ECHO" hello_interval_s="$BENCH_SCALE_ECHO" \
		"held_by_lns=$(json_get "$TEST_TMP/stats-held.json" sessions.current 2>/dev/null || echo null)" \
		"lns_lcp_echo_timeouts=$(grep -c 'echo' "$(bg_log l2tpd)" || true)"
	stop_bg l2tpd 30
}

# ---------------------------------------------------------------- main

for r in $BENCH_RUNS; do
	case $r in
	l2tpd | l2tpns | ceiling | dataplane | scale) run "$r" "run_$r" ;;
	*) echo "bench.sh: unknown run '$r' in BENCH_RUNS" >&2; exit 2 ;;
	esac
done

# The settings of this bench and what ran, for the summary.
L2TPD_VERSION=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)
L2TPNS_VERSION=$(dpkg-query -W -f='${Version}' l2tpns 2>/dev/null || echo unknown)
RADIUS_VERSION=$(dpkg-query -W -f='${Version}' freeradius 2>/dev/null || echo unknown)
"$PYTHON" - "$RESULTS/bench-config.json" "${RUN_STATUS[@]}" <<EOF
import json, os, platform, sys
env = {k: v for k, v in os.environ.items() if k.startswith("BENCH_")}
env.update({
 "BENCH_PROFILE": "$BENCH_PROFILE", "BENCH_SESSIONS": $BENCH_SESSIONS,
 "BENCH_TUNNELS": $BENCH_TUNNELS, "BENCH_RATE": $BENCH_RATE, "BENCH_WINDOW": $BENCH_WINDOW,
 "BENCH_AUTH": "$BENCH_AUTH", "BENCH_PROXY": $BENCH_PROXY, "BENCH_HOLD": $BENCH_HOLD,
 "BENCH_TRAFFIC": $BENCH_TRAFFIC, "BENCH_PPS": $BENCH_PPS, "BENCH_SIZE": "$BENCH_SIZE",
 "BENCH_TIMEOUT": $BENCH_TIMEOUT, "BENCH_SAT_SESSIONS": $BENCH_SAT_SESSIONS,
 "BENCH_SAT_SECONDS": $BENCH_SAT_SECONDS, "BENCH_SAT_PPS": $BENCH_SAT_PPS,
 "BENCH_SCALE_SESSIONS": $BENCH_SCALE_SESSIONS, "BENCH_SCALE_TUNNELS": $BENCH_SCALE_TUNNELS,
 "BENCH_SCALE_WINDOW": $BENCH_SCALE_WINDOW, "BENCH_SCALE_HOLD": $BENCH_SCALE_HOLD,
 "BENCH_SCALE_ECHO": $BENCH_SCALE_ECHO, "BENCH_DATAPLANE_ARGS": "$BENCH_DATAPLANE_ARGS",
 "BENCH_RUNS": "$BENCH_RUNS"})
status = dict(a.split("=", 1) for a in sys.argv[2:])
json.dump({"config": env, "status": {k: int(v) for k, v in status.items()},
           "host": {"cpus": os.cpu_count(), "kernel": platform.release(),
                    "l2tpd": "$L2TPD_VERSION", "l2tpns": "$L2TPNS_VERSION",
                    "freeradius": "$RADIUS_VERSION"}},
          open(sys.argv[1], "w"), indent=1)
EOF

echo
"$PYTHON" "$BENCH_PY" summary "$RESULTS" | tee "$RESULTS/summary.txt"
gnuplot -e "dir='$RESULTS'" "$BENCH_GP" 2>"$SCRATCH/gnuplot.err" ||
	{ echo "bench.sh: gnuplot failed:" >&2; cat "$SCRATCH/gnuplot.err" >&2; }
echo
shopt -s nullglob
pngs=("$RESULTS"/*.png)
echo "results: $RESULTS/summary.json, summary.txt, ${pngs[*]##*/}"
echo "         per-run reports $RESULTS/*.json, timelines *.tsv, logs $RESULTS/logs/"
# Missed targets are figures; a run that failed is an error.
for st in "${RUN_STATUS[@]}"; do
	[[ "${st#*=}" == 0 ]] || exit 1
done
