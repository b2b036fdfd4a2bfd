#!/bin/bash
# l2tpd demo: an LNS and a VPN client, both l2tpd, in two network namespaces
# of their own, with ping through the tunnel. Run as root on Debian 12:
#
#	scripts/demo.sh            (or: make demo)
#
#   namespace "client"                               namespace "lns"
#   l2tpd [client vpn] 10.210.0.1 ──── veth ──── 10.210.0.2 l2tpd [lns demo]
#   TUN vpn0: 10.210.100.x (from the pool)           TUN l2tp0, local_ip 10.210.100.1
#
# It installs missing packages (scripts/deps.sh), builds (make build), starts
# both daemons with configurations written to a temp dir, waits for the
# client's session, shows it with l2tpctl on both sides, pings both ways,
# and stops the daemons (SIGTERM: each sends StopCCN). All traffic stays
# inside the two namespaces. Everything it makes (namespaces, daemons, the
# temp dir) is removed on every exit, including Ctrl-C and failure; on
# failure the daemons' last log lines are printed and the exit status is
# non-zero.
#
# Environment:
#   DEMO_KEEP=1   keep the temp dir (configurations and logs); its path is printed
#   DEMO_FAIL=1   fail on purpose once the session is up (to see the cleanup)
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd)
L2TPD=$REPO/build/l2tpd
L2TPCTL=$REPO/build/l2tpctl

# Addresses that exist only inside the two namespaces.
CLIENT_VETH=10.210.0.1
LNS_VETH=10.210.0.2
LNS_LOCAL_IP=10.210.100.1
POOL=10.210.100.10-10.210.100.50
DNS=10.210.100.53

# Namespace names carry our PID, so a leftover names its owner.
NS_LNS=l2tpd-demo-$$-lns
NS_CLIENT=l2tpd-demo-$$-client

TMP=
NAMESPACES=()
PIDS=()          # daemons still running
NAMES=()         # their names, for the logs
FAILED=1         # cleared just before a successful exit

if [[ -t 1 ]]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD='' PLAIN=''; fi
say()
{
	printf '\n%s== %s%s\n' "$BOLD" "$*" "$PLAIN"
}

die()
{
	echo "demo: FAILED: $*" >&2
	exit 1
}

pid_alive()
{
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ "${stat:0:1}" != Z ]]    # an exited child stays a zombie until reaped
}

# stop_daemon INDEX: SIGTERM (the daemon sends StopCCN and waits up to 3 s
# for its ack), KILL after 8 s. Prints nothing; sets STATUS.
stop_daemon()
{
	local pid=${PIDS[$1]} i
	STATUS=0
	[[ -n "$pid" ]] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 80; i++)); do
		pid_alive "$pid" || break
		sleep 0.1
	done
	if pid_alive "$pid"; then
		echo "demo: ${NAMES[$1]} (pid $pid) ignored SIGTERM: KILL" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || STATUS=$?
	PIDS[$1]=""
}

cleanup()
{
	local status=$? i ns pids
	trap - EXIT INT TERM
	set +e
	((FAILED)) && [[ $status == 0 ]] && status=1
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do    # the client first
		stop_daemon "$i"
	done
	for ns in "${NAMESPACES[@]}"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[[ -n "$pids" ]] && kill -KILL $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null || echo "demo: could not delete namespace $ns" >&2
	done
	if [[ $status != 0 && -n "$TMP" ]]; then
		for i in "${!NAMES[@]}"; do
			echo "----- last lines of the ${NAMES[$i]} log -----" >&2
			tail -n 30 "$TMP/${NAMES[$i]}.log" >&2
		done
		[[ -s "$TMP/build.log" ]] && { echo "----- last lines of the build -----" >&2; tail -n 30 "$TMP/build.log" >&2; }
		echo "demo: failed (exit status $status); namespaces and daemons removed" >&2
	fi
	if [[ -n "$TMP" ]]; then
		if [[ -n "${DEMO_KEEP:-}" ]]; then
			echo "demo: kept $TMP" >&2
		else
			rm -rf "$TMP"
		fi
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Namespaces of an earlier demo that was killed outright (SIGKILL).
sweep_stale()
{
	local ns owner pids
	while read -r ns _; do
		[[ "$ns" =~ ^l2tpd-demo-([0-9]+)-(lns|client)$ ]] || continue
		owner=${BASH_REMATCH[1]}
		kill -0 "$owner" 2>/dev/null && continue
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[[ -n "$pids" ]] && kill -KILL $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null && echo "demo: removed stale namespace $ns"
	done < <(ip netns list 2>/dev/null)
	return 0
}

# start_daemon NAME NAMESPACE CONF: l2tpd in the namespace, its log in $TMP.
# setsid and ip netns exec both exec in place, so $! is the daemon's PID; in
# a session of its own, a Ctrl-C reaches only this script, whose cleanup
# then stops the daemon with SIGTERM.
start_daemon()
{
	setsid ip netns exec "$2" "$L2TPD" -c "$3" >"$TMP/$1.log" 2>&1 </dev/null &
	PIDS+=("$!")
	NAMES+=("$1")
}

ctl()
{
	timeout 5 "$L2TPCTL" -s "$@"
}

# established SOCK: the first session is up and has an address.
established()
{
	{
		ctl "$1" --json show sessions | python3 -c '
import json, sys
j = json.load(sys.stdin)
s = j.get("sessions", []) if isinstance(j, dict) else j
sys.exit(not (s and s[0].get("state") == "established" and s[0].get("ip")))'
	} 2>/dev/null
}

session_field()
{
	ctl "$1" --json show sessions | python3 -c '
import json, sys
j = json.load(sys.stdin)
s = j.get("sessions", []) if isinstance(j, dict) else j
print(s[0][sys.argv[1]])' "$2"
}

daemons_alive()
{
	local i
	for i in "${!PIDS[@]}"; do
		pid_alive "${PIDS[$i]}" || die "${NAMES[$i]} exited"
	done
}

# ---------------------------------------------------------------------------

[[ $(id -u) == 0 ]] || { echo "demo: run as root (it creates network namespaces)" >&2; exit 1; }
TMP=$(mktemp -d /tmp/l2tpd-demo.XXXXXX)
sweep_stale

say "dependencies (scripts/deps.sh) and build (make build, log in $TMP/build.log)"
scripts/deps.sh
make --no-print-directory build >"$TMP/build.log" 2>&1 || die "make build"
: >"$TMP/build.log"
echo "built $L2TPD and $L2TPCTL"
[[ -c /dev/net/tun ]] || modprobe tun 2>/dev/null || true
[[ -c /dev/net/tun ]] || die "no /dev/net/tun"

say "namespaces $NS_CLIENT and $NS_LNS, joined by a veth"
for ns in "$NS_LNS" "$NS_CLIENT"; do
	ip netns add "$ns"
	NAMESPACES+=("$ns")
	ip -n "$ns" link set lo up
done
ip -n "$NS_CLIENT" link add to-lns type veth peer name to-client netns "$NS_LNS"
ip -n "$NS_CLIENT" addr add $CLIENT_VETH/24 dev to-lns
ip -n "$NS_LNS" addr add $LNS_VETH/24 dev to-client
ip -n "$NS_CLIENT" link set to-lns up
ip -n "$NS_LNS" link set to-client up
echo "client $CLIENT_VETH/24 (to-lns) <-> lns $LNS_VETH/24 (to-client)"

say "configurations in $TMP"
cat >"$TMP/users" <<EOF
# name password [ip]
demo demo-password
EOF
cat >"$TMP/lns.conf" <<EOF
[global]
listen = $LNS_VETH:1701
hostname = demo-lns
control = $TMP/lns.sock
tun = l2tp0

[lns demo]
peer = 10.210.0.0/24
secret = demo-tunnel-secret
local_ip = $LNS_LOCAL_IP
pool = $POOL
dns = $DNS
auth = chap mschapv2 pap
users = $TMP/users
EOF
cat >"$TMP/client.conf" <<EOF
[global]
listen = $CLIENT_VETH:1701
hostname = demo-client
control = $TMP/client.sock

[client vpn]
peer = $LNS_VETH:1701
secret = demo-tunnel-secret
user = demo
password = demo-password
tun = vpn0
routes = $LNS_LOCAL_IP/32
autostart = yes
EOF
for f in lns client; do
	echo "--- $f.conf"
	cat "$TMP/$f.conf"
	"$L2TPD" -n -c "$TMP/$f.conf" || die "$f.conf refused"
done

say "starting the LNS, then the client (logs: $TMP/lns.log, $TMP/client.log)"
start_daemon lns "$NS_LNS" "$TMP/lns.conf"
start_daemon client "$NS_CLIENT" "$TMP/client.conf"
t0=$SECONDS
until established "$TMP/client.sock" && established "$TMP/lns.sock"; do
	daemons_alive
	((SECONDS - t0 < 20)) || die "no established session after 20 s"
	sleep 0.2
done
CLIENT_IP=$(session_field "$TMP/client.sock" ip)
echo "session established within $((SECONDS - t0 + 1)) s; the client got $CLIENT_IP"

[[ -z "${DEMO_FAIL:-}" ]] || die "DEMO_FAIL is set: failing on purpose"

say "LNS: l2tpctl show tunnels"
ctl "$TMP/lns.sock" show tunnels
say "LNS: l2tpctl show sessions"
ctl "$TMP/lns.sock" show sessions
say "client: l2tpctl show tunnels"
ctl "$TMP/client.sock" show tunnels
say "client: l2tpctl show sessions"
ctl "$TMP/client.sock" show sessions
say "client: ip addr show vpn0"
ip -n "$NS_CLIENT" addr show vpn0

say "ping through the tunnel: client -> LNS ($LNS_LOCAL_IP)"
ip netns exec "$NS_CLIENT" timeout 15 ping -c 3 -i 0.2 -W 2 "$LNS_LOCAL_IP" || die "ping client -> LNS"
say "ping through the tunnel: LNS -> client ($CLIENT_IP)"
ip netns exec "$NS_LNS" timeout 15 ping -c 3 -i 0.2 -W 2 "$CLIENT_IP" || die "ping LNS -> client"

say "LNS: l2tpctl show sessions (rx/tx counters grew)"
ctl "$TMP/lns.sock" show sessions
say "client: l2tpctl show sessions"
ctl "$TMP/client.sock" show sessions
rx=$(session_field "$TMP/lns.sock" rx_packets)
((rx >= 6)) || die "LNS session rx_packets is $rx after 6 pings"

say "stopping the daemons (SIGTERM: StopCCN to the peer)"
for i in 1 0; do    # the client first, then the LNS
	stop_daemon "$i"
	echo "${NAMES[$i]} exited with status $STATUS; its last log lines:"
	tail -n 3 "$TMP/${NAMES[$i]}.log" | sed 's/^/    /'
	[[ $STATUS == 0 ]] || die "${NAMES[$i]} exit status $STATUS"
done

FAILED=0
say "demo OK (namespaces and temp dir are removed now)"
