#!/bin/bash
# Smoke test of l2tpd as LAC and LNS: two instances in two namespaces.
#
#   lac (l2tpd, [lac up]) 10.201.1.1 ── veth ── 10.201.1.2 lns (l2tpd, [lns any])
#
# The LAC dials 10 sessions; both sides must show the tunnel and the 10
# sessions established, with matching ids. Closing the tunnel on the LAC
# clears both sides (after the §5.7 linger); a second batch of sessions
# then comes up, and SIGTERM makes the LAC send StopCCN (result 6) and
# both daemons exit 0.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

skip_unless_root
need_cmd ip timeout "$PYTHON"
need_bin "$L2TPD" "$L2TPCTL"

LAC4=10.201.1.1 LNS4=10.201.1.2

# ctl NS ARGS...: l2tpctl --json against NS's daemon, bounded in time.
ctl()
{
	local ns=$1
	shift
	timeout 10 "$L2TPCTL" -s "$TEST_TMP/conf-$ns/l2tpd.sock" --json "$@"
}

# count NS WHAT [STATE]: how many tunnels/sessions NS shows (in STATE).
count()
{
	ctl "$1" show "$2" | "$PYTHON" -c '
import json, sys
rows = json.load(sys.stdin)
state = sys.argv[1] if len(sys.argv) > 1 else None
print(sum(1 for r in rows if state is None or r["state"] == state))' ${3:+"$3"}
}

is_count()
{
	[[ "$(count "$1" "$2" ${4:+"$4"})" == "$3" ]]
}

step "namespaces lac and lns joined by a veth"
ns_create lac
ns_create lns
veth_link lac $LAC4/24 lns $LNS4/24

step "configurations"
# Short retransmission schedule: the §5.7 linger (a full cycle: 1+2+2 s)
# stays short enough for the test to watch it end.
lns_conf=$(config_dir lns)
cat >"$lns_conf/l2tpd.conf" <<EOF
[global]
listen = $LNS4:1701
hostname = lns-1
control = $lns_conf/l2tpd.sock
retransmit_initial = 1
retransmit_cap = 2
retransmit_max = 2
hello_interval = 5

[lns any]
peer = 10.201.1.0/24
peer_hostname = lac-*
local_ip = 10.100.0.1
pool = 10.100.0.2-10.100.0.254
EOF
lac_conf=$(config_dir lac)
cat >"$lac_conf/l2tpd.conf" <<EOF
[global]
listen = $LAC4:1701
hostname = lac-1
control = $lac_conf/l2tpd.sock
retransmit_initial = 1
retransmit_cap = 2
retransmit_max = 2
hello_interval = 5

[lac up]
peer = $LNS4:1701
EOF
assert_ok "$L2TPD" -n -c "$lns_conf/l2tpd.conf"
assert_ok "$L2TPD" -n -c "$lac_conf/l2tpd.conf"

step "start both daemons"
start_bg -n lns -w lns "$L2TPD" -c "$lns_conf/l2tpd.conf"
start_bg -n lac -w lac "$L2TPD" -c "$lac_conf/l2tpd.conf"
wait_log lns "listening address=$LNS4:1701"
wait_log lac "listening address=$LAC4:1701"
wait_until 5 test -S "$lac_conf/l2tpd.sock"
wait_until 5 test -S "$lns_conf/l2tpd.sock"

step "dial 10 sessions from the LAC"
ids=$(ctl lac dial up 10)
n=$(echo "$ids" | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')
assert_eq 10 "$n" "session ids returned by dial"

step "both sides show the tunnel and 10 sessions established"
wait_until 10 is_count lac sessions 10 established
wait_until 10 is_count lns sessions 10 established
assert_eq 1 "$(count lac tunnels established)" "LAC tunnels established"
assert_eq 1 "$(count lns tunnels established)" "LNS tunnels established"
lac_tunnels=$TEST_TMP/lac-tunnels.json
lns_tunnels=$TEST_TMP/lns-tunnels.json
ctl lac show tunnels >"$lac_tunnels"
ctl lns show tunnels >"$lns_tunnels"
lac_tid=$(json_get "$lac_tunnels" 0.id)
assert_eq "$lac_tid" "$(json_get "$lns_tunnels" 0.peer_id)" "LNS tunnel's peer_id"
assert_eq "$(json_get "$lns_tunnels" 0.id)" "$(json_get "$lac_tunnels" 0.peer_id)" \
	"LAC tunnel's peer_id"
assert_eq lac "$(json_get "$lac_tunnels" 0.role)" "LAC tunnel role"
assert_eq lns "$(json_get "$lns_tunnels" 0.role)" "LNS tunnel role"
assert_eq lns-1 "$(json_get "$lac_tunnels" 0.peer_hostname)" "LAC sees the LNS host name"
assert_eq lac-1 "$(json_get "$lns_tunnels" 0.peer_hostname)" "LNS sees the LAC host name"
assert_eq up "$(json_get "$lac_tunnels" 0.destination)" "LAC tunnel destination"
assert_eq lac-1 "$(json_get "$lns_tunnels" 0.destination)" "LNS dynamic destination"
assert_eq "$LNS4:1701" "$(json_get "$lac_tunnels" 0.peer)" "LAC tunnel peer"
assert_eq 10 "$(json_get "$lns_tunnels" 0.sessions)" "LNS tunnel session count"
# Every LAC session's peer is an LNS session pointing back at it (one
# tunnel: ids are unique on each side), and dial named each TUNNEL/SESSION.
pairs=$("$PYTHON" -c '
import json, sys
lac = {s["id"]: s for s in json.loads(sys.argv[1])}
lns = {s["id"]: s for s in json.loads(sys.argv[2])}
dial = set(json.loads(sys.argv[3]))
ok = set("%d/%d" % (s["tunnel"], i) for i, s in lac.items()) == dial and all(
    s["peer_id"] in lns and lns[s["peer_id"]]["peer_id"] == i and s["role"] == "lac"
    and lns[s["peer_id"]]["role"] == "lns" for i, s in lac.items())
print("matched" if ok and len(lns) == 10 else "mismatch")' \
	"$(ctl lac show sessions)" "$(ctl lns show sessions)" "$ids")
assert_eq matched "$pairs" "session ids on both sides"
dests=$TEST_TMP/lns-destinations.json
ctl lns show destinations >"$dests"
assert_eq lac-1 "$(json_get "$dests" 0.name)" "LNS destination name"
assert_eq 10 "$(json_get "$dests" 0.sessions)" "LNS destination sessions"

step "close the tunnel from the LAC: both sides are left with nothing"
ctl lac close tunnel "$lac_tid" >/dev/null
wait_log lns "tunnel closed by peer tunnel=.* result=1 "
wait_until 5 is_count lac sessions 0
wait_until 5 is_count lns sessions 0
# Both linger a full retransmission cycle (§5.7), then free the tunnel.
wait_until 12 is_count lac tunnels 0
wait_until 12 is_count lns tunnels 0
assert_eq "[]" "$(ctl lns show destinations | tr -d ' \n')" "LNS dynamic destination gone"
stats=$TEST_TMP/lns-stats.json
ctl lns stats >"$stats"
assert_eq 10 "$(json_get "$stats" sessions.established)" "LNS sessions established"
assert_eq 1 "$(json_get "$stats" tunnels.stopccn_received.1)" "LNS StopCCN received"

step "a second batch, then SIGTERM: StopCCN and a clean exit"
ctl lac dial up 3 >/dev/null
wait_until 10 is_count lns sessions 3 established
stop_bg lac 10
assert_eq 0 "$BG_STATUS" "LAC exit status"
grep -Eq "tunnel closing tunnel=.* result=6 .*sent=StopCCN" "$(bg_log lac)" ||
	fail "LAC logged no StopCCN on SIGTERM"
wait_log lns "tunnel closed by peer tunnel=.* result=6 .*received=StopCCN"
wait_until 5 is_count lns sessions 0
stop_bg lns 10
assert_eq 0 "$BG_STATUS" "LNS exit status"
pass
