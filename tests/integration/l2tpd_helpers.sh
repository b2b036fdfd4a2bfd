# shellcheck shell=bash
# tests/integration/l2tpd_helpers.sh: l2tpd-specific helpers over lib.sh,
# sourced after it by the tests that run l2tpd instances:
#
#	. "$(dirname "$0")/lib.sh"
#	. "$(dirname "$0")/l2tpd_helpers.sh"
#
# Every assertion on a daemon's state goes through `l2tpctl --json`, never
# through its human tables. Every call is bounded in time.

# ctl SOCK ARGS...: l2tpctl --json against the daemon whose control socket
# is SOCK. The socket is a path on the file system, so this works from any
# namespace.
ctl()
{
	local sock=$1
	shift
	timeout 15 "$L2TPCTL" -s "$sock" --json "$@"
}

# _jq EXPR [ARGS...]: evaluate a Python expression over the JSON on stdin,
# bound to "j", with the extra arguments in "a" (strings). Prints the result.
# The list helpers take the list itself or an object holding it ("tunnels",
# "sessions", "destinations"), so they do not depend on the wrapping.
_jq()
{
	"$PYTHON" -c '
import json, sys
def items(v, key):
    if isinstance(v, dict):
        v = v.get(key, [])
    return v if isinstance(v, list) else []
j = json.load(sys.stdin)
a = sys.argv[2:]
r = eval(sys.argv[1])
print(json.dumps(r) if isinstance(r, (dict, list)) else r)
' "$@"
}

# count SOCK tunnels|sessions|destinations [STATE]: how many the daemon
# shows (in STATE when given).
count()
{
	local sock=$1 what=$2 state=${3:-}

	ctl "$sock" show "$what" |
		_jq 'sum(1 for x in items(j, a[0]) if not a[1] or x.get("state") == a[1])' "$what" "$state"
}

# count_is SOCK WHAT STATE N: succeeds when count says N (for wait_until).
count_is()
{
	[[ "$(count "$1" "$2" "$3")" == "$4" ]]
}

# empty SOCK: no tunnel and no session at all (for wait_until).
empty()
{
	count_is "$1" tunnels "" 0 && count_is "$1" sessions "" 0
}

# summary SOCK: one line "tunnels=N (state:n ...) sessions=N (state:n ...)"
# for the test's output.
summary()
{
	local sock=$1 t s

	t=$(ctl "$sock" show tunnels | _jq '
" ".join("%s:%d" % (k, n) for k, n in sorted(__import__("collections").Counter(
    x.get("state") for x in items(j, "tunnels")).items()))')
	s=$(ctl "$sock" show sessions | _jq '
" ".join("%s:%d" % (k, n) for k, n in sorted(__import__("collections").Counter(
    x.get("state") for x in items(j, "sessions")).items()))')
	printf 'tunnels(%s) sessions(%s)\n' "${t:-none}" "${s:-none}"
}

# ctl_refusal SOCK ARGS...: a command the daemon must refuse (l2tpctl exit
# status 1, not 0 nor a usage or connection error); prints its error message.
ctl_refusal()
{
	local sock=$1 out rc=0
	shift
	out=$(timeout 15 "$L2TPCTL" -s "$sock" "$@" 2>&1 >/dev/null) || rc=$?
	_check
	[[ $rc == 1 ]] || fail "l2tpctl $*: exit status $rc, expected 1 (refused): $out"
	printf '%s\n' "$out"
}

# counter SOCK KEY[.KEY...]: one counter from `l2tpctl --json stats`; 0 when
# the daemon does not report that key (a counter never bumped may be left out).
counter()
{
	ctl "$1" stats | "$PYTHON" -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    if isinstance(v, list) and k.isdigit() and int(k) < len(v):
        v = v[int(k)]
    elif isinstance(v, dict) and k in v:
        v = v[k]
    else:
        v = 0
        break
print(v)
' "$2"
}

# counter_ge SOCK KEY N: the counter is at least N (for wait_until).
counter_ge()
{
	local v
	v=$(counter "$1" "$2")
	[[ "$v" =~ ^[0-9]+$ ]] && ((v >= $3))
}

# show_stats NAME SOCK: print the daemon's stats into the test output, in
# l2tpctl's human form (for people reading the log; never parsed).
show_stats()
{
	log "l2tpctl stats of $1:"
	timeout 15 "$L2TPCTL" -s "$2" stats | sed 's/^/    /'
}

# ---------------------------------------------------------------- tshark

# Captures are started inside a test namespace, on its veth end, with a
# capture filter (udp port 1701) and bounded in time and packet count.
# capture_start NS IFACE NAME [SECONDS]: to $TEST_TMP/NAME.pcap.
capture_start()
{
	local ns=$1 ifc=$2 name=$3 secs=${4:-150}

	need_cmd tshark
	start_bg -n "$ns" "$name" tshark -n -q -i "$ifc" -f 'udp port 1701' \
		-a "duration:$secs" -c 200000 -w "$TEST_TMP/$name.pcap"
	# "Capturing on" is printed before dumpcap has the interface open; on a
	# loaded machine that gap has swallowed a whole exchange. dumpcap reports
	# "Capture started" once packets are being written.
	wait_log "$name" "Capture started" 20
}

# capture_stop NAME: stop the capture (it flushes on TERM). Must run in the
# test's shell, not in $(...); the pcap's path is then in $PCAP.
capture_stop()
{
	# A last look: packets just sent are on the wire by now.
	sleep 0.3
	stop_bg "$1" 10
	PCAP=$TEST_TMP/$1.pcap
	[[ -s "$PCAP" ]] || fail "capture $1 wrote nothing"
}

# dissect PCAP ARGS...: tshark reading PCAP with a private, empty profile (a
# developer's own preferences must not change the verdict), UDP 1701 as L2TP.
dissect()
{
	local pcap=$1
	shift
	mkdir -p "$TEST_TMP/wireshark"
	WIRESHARK_CONFIG_DIR="$TEST_TMP/wireshark" timeout 60 \
		tshark -n -r "$pcap" -d udp.port==1701,l2tp "$@" 2>/dev/null
}

# dissect_count PCAP FILTER: frames matching a display filter.
dissect_count()
{
	dissect "$1" -Y "$2" -T fields -e frame.number | grep -c . || true
}

# assert_dissects_clean PCAP WHAT: tshark finds at least one L2TP frame, no
# malformed packet and no expert error in it. Prints the counts.
assert_dissects_clean()
{
	local pcap=$1 what=$2 total l2tp malformed errors

	total=$(dissect_count "$pcap" frame)
	l2tp=$(dissect_count "$pcap" l2tp)
	malformed=$(dissect_count "$pcap" _ws.malformed)
	errors=$(dissect_count "$pcap" '_ws.expert.severity >= 0x00800000')
	log "$what: tshark: $total frames, $l2tp L2TP, $malformed malformed, $errors with expert errors"
	assert_range "$l2tp" 1 999999 "$what: L2TP frames in the capture"
	assert_eq 0 "$malformed" "$what: malformed packets (_ws.malformed)"
	assert_eq 0 "$errors" "$what: frames with an expert error"
	if ((errors)); then
		dissect "$pcap" -q -z expert,error >&2
	fi
}

# msg_types PCAP: the control message types in capture order, by name
# ("SCCRQ SCCRP SCCCN ..."), ZLBs left out.
msg_types()
{
	dissect "$1" -Y 'l2tp.avp.message_type' -T fields -e l2tp.avp.message_type |
		awk 'BEGIN { split("SCCRQ SCCRP SCCCN StopCCN - HELLO OCRQ OCRP OCCN ICRQ ICRP ICCN - CDN WEN SLI", n, " ") }
		     { printf "%s%s", sep, ($1 in n ? n[$1] : "type" $1); sep = " " } END { print "" }'
}

# ---------------------------------------------------------------- leaks

# binary_is_sanitized BIN: built with AddressSanitizer (the ASan build dir).
binary_is_sanitized()
{
	grep -aq __asan_init "$1"
}
