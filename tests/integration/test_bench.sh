#!/bin/bash
# A small l2tp-bench run against our LNS, asserting correctness only (the
# speed figures are make bench's business, printed beside l2tpns's):
#
#   lac (l2tp-bench) 10.201.60.1 ── veth ── 10.201.60.2 lns (l2tpd [lns bench],
#                                                           l2tp-bench --sink on 10.201.61.1:9)
#
# 300 subscribers over 3 tunnels, PAP, CHAP and MS-CHAPv2 in turn, a third
# of them (PAP and CHAP ones) sending proxy LCP and proxy authentication in
# their ICCN. Every session must be established, and the LNS must hold all
# 300 at once. The proxied ones must come up without a single LCP
# Configure or PAP/CHAP packet on their link (the generator counts them on
# the wire side of its PPP) and the LNS must log each one's proxy taken.
# Then 3 s of UDP through every session to the sink, which reflects it:
# every packet is accounted for, by the generator, the sink and the LNS's
# own data-path counters. At the end both sides are back to no session.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=l2tpd_helpers.sh
. "$(dirname "$0")/l2tpd_helpers.sh"

: "${L2TP_BENCH:=$L2TPD_BIN_DIR/l2tp-bench}"

skip_unless_root
need_cmd ip timeout "$PYTHON"
need_bin "$L2TPD" "$L2TPCTL" "$L2TP_BENCH"
[[ -c /dev/net/tun ]] || skip "no /dev/net/tun"

LAC4=10.201.60.1 LNS4=10.201.60.2
SINK=10.201.61.1
SESSIONS=300 TUNNELS=3 PPS=2000 TRAFFIC_S=3

step "namespaces lac and lns joined by a veth; the sink's address on the LNS's loopback"
ns_create lac
ns_create lns
veth_link lac $LAC4/24 lns $LNS4/24
ns_exec lns ip addr add $SINK/32 dev lo

conf=$(config_dir lns)
SOCK=$conf/l2tpd.sock
echo "bench bench" >"$conf/users"
cat >"$conf/l2tpd.conf" <<EOF
[global]
listen = $LNS4:1701
hostname = lns-bench
control = $SOCK
tun = l2tpt0
log_level = info

[lns bench]
peer = 10.201.60.0/24
local_ip = 10.201.62.1
pool = 10.201.64.0/22
auth = pap chap mschapv2
users = $conf/users
accept_proxy = yes
EOF
assert_ok "$L2TPD" -n -c "$conf/l2tpd.conf"
start_bg -n lns -w lns "$L2TPD" -c "$conf/l2tpd.conf"
wait_log lns "listening address=$LNS4:1701"
start_bg -n lns sink "$L2TP_BENCH" --sink $SINK:9
sink_ready() { ns_exec lns ss -Huln | grep -qF "$SINK:9"; }
wait_until 10 sink_ready

step "l2tp-bench: $SESSIONS sessions over $TUNNELS tunnels, auth mix, proxy on a third, hold, traffic"
report=$TEST_TMP/bench.json
start_bg -n lac bench "$L2TP_BENCH" -q -n $SESSIONS -t $TUNNELS -w 100 --auth mix --proxy 34 \
	--hold 4 --traffic $TRAFFIC_S --pps $PPS --size 200 --sink $SINK:9 \
	--lns-pid "$(bg_pid lns)" --timeout 20 --json "$report" $LNS4
# While the generator holds them: the LNS has every one established.
wait_until 30 count_is "$SOCK" sessions established $SESSIONS
log "LNS holds $(count "$SOCK" sessions established) established sessions in $(count "$SOCK" tunnels established) tunnels"
# The LNS's own view of the sessions, kept while all of them are up: the
# last such view is taken after the traffic (the generator waits 1 s for
# stragglers and asks the sink for its counters before it tears down).
sessions_up()
{
	_jq 'sum(1 for x in items(j, "sessions") if x.get("state") == "established")' <"$1"
}
view=$TEST_TMP/sessions.json
for ((i = 0; i < 600; i++)); do
	bg_alive bench || break
	if ctl "$SOCK" show sessions >"$view.new" 2>/dev/null &&
		[[ "$(sessions_up "$view.new")" == "$SESSIONS" ]]; then
		mv "$view.new" "$view"
	fi
	sleep 0.1
done
wait_bg bench 60
assert_eq 0 "$BG_STATUS" "l2tp-bench exit status"
[[ -s "$report" ]] || fail "l2tp-bench wrote no report"
sed 's/^/    /' "$(bg_log bench)"

j() { json_get "$report" "$1"; }

step "setup: every session established, nothing failed"
assert_eq $SESSIONS "$(j setup.attempted)" "sessions attempted"
assert_eq $SESSIONS "$(j setup.established)" "sessions established"
assert_eq 0 "$(j setup.failed)" "sessions failed"
assert_eq $SESSIONS "$(j held.concurrent_max)" "sessions held at once"
log "setup: $(j setup.rate_per_s)/s, median $(j setup.time_to_establish_ms.median) ms, p99 $(j setup.time_to_establish_ms.p99) ms"

step "proxy LCP and authentication: taken by the LNS, no renegotiation on the wire"
proxied=$(j proxy.sessions)
# Every third session is proxied unless it is an MS-CHAPv2 one (never
# proxied): with pap, chap, mschapv2 in turn that is 2 in 3 of them.
assert_range "$proxied" 50 $((SESSIONS / 2)) "proxied sessions"
assert_eq "$proxied" "$(j proxy.established)" "proxied sessions established"
assert_eq 0 "$(j proxy.lcp_configure_packets)" "LCP Configure packets on proxied sessions"
assert_eq 0 "$(j proxy.auth_packets)" "PAP/CHAP packets on proxied sessions"
assert_eq "$proxied" "$(grep -c 'proxy lcp taken session=' "$(bg_log lns)")" \
	"LNS log lines 'proxy lcp taken'"

step "traffic: every packet accounted for"
assert_eq true "$(j traffic.sink_stats)" "the sink answered the stats query"
sent=$(j traffic.up.sent)
assert_range "$sent" $((PPS * TRAFFIC_S * 8 / 10)) $((PPS * TRAFFIC_S * 12 / 10)) "packets sent up"
assert_eq "$sent" "$(j traffic.up.sink_received)" "received by the sink"
assert_eq "$sent" "$(j traffic.down.sink_sent)" "reflected by the sink"
assert_eq "$sent" "$(j traffic.down.received)" "received back by the subscribers"
assert_eq 0 "$(j traffic.up.loss)" "upstream loss"
assert_eq 0 "$(j traffic.down.loss)" "downstream loss"
# The LNS's own data path saw the same, plus the few stats queries and
# answers (sent through one session, retried at most 10 times).
tun_tx=$(counter "$SOCK" data.tun_tx_packets)
tun_rx=$(counter "$SOCK" data.tun_rx_packets)
assert_range "$tun_tx" "$sent" $((sent + 20)) "LNS: IP packets written to the TUN"
assert_range "$tun_rx" "$sent" $((sent + 20)) "LNS: IP packets read from the TUN"
assert_eq 0 "$(counter "$SOCK" data.rx_spoofed)" "LNS: spoofed packets"
# Per session too: every data message the LNS took in a session (the
# traffic, and each session's few PPP negotiation and keepalive frames).
[[ -s "$view" ]] || fail "l2tpctl show sessions never listed all $SESSIONS sessions established"
rx_sum=$(_jq 'sum(x.get("rx_packets", 0) for x in items(j, "sessions"))' <"$view")
log "LNS: $rx_sum data messages in its $SESSIONS sessions for $sent datagrams sent up"
assert_range "$rx_sum" "$sent" $((sent + 30 * SESSIONS)) "LNS: data messages received, summed over its sessions"

step "teardown: both sides back to no session"
assert_eq $SESSIONS "$(j teardown.sessions)" "sessions torn down by the generator"
wait_until 20 count_is "$SOCK" sessions "" 0
assert_eq $SESSIONS "$(counter "$SOCK" sessions.cdn_received.3)" "LNS: CDNs received (result 3)"

step "the LNS's cost, as l2tp-bench read it from /proc (printed, not asserted)"
log "LNS RSS per session $(j lns_process.rss_per_session_bytes) B, CPU per session $(j lns_process.cpu_per_session_us) us"
stop_bg sink
stop_bg lns
assert_eq 0 "$BG_STATUS" "LNS exit status"
pass
