#!/bin/bash
# Interop with l2tpns, Debian's userspace LNS (its own PPP, its own TUN),
# which authenticates PPP through FreeRADIUS; our l2tpd is the VPN client.
#
#   ns "lac" (l2tpd) 10.204.1.1 ─── veth ─── 10.204.1.2 ns "lns" (l2tpns)
#   l2tpc0: our client's TUN                    │ 127.0.0.1: FreeRADIUS
#                                               │ l2tpns0 (TUN) 10.204.99.1
#
# Asserted:
#  - FreeRADIUS accepts the test user through radtest, with PAP and CHAP,
#    and rejects a wrong password; l2tpns is up (its TUN, UDP 1701);
#  - our [client] dials l2tpns (l2tpctl dial): the tunnel (our Challenge
#    answered with the right secret), the session, and PPP through IPCP,
#    l2tpns proposing CHAP: our session is established with the user and an
#    address from l2tpns's ip_pool, that address is on l2tpc0 and the route
#    to l2tpns's TUN address goes through it; l2tpns logs the login and
#    FreeRADIUS an Access-Accept; 3 pings to 10.204.99.1 (on l2tpns's TUN
#    only: through the tunnel or nowhere) are answered, and the session's
#    rx and tx packet counters grow by at least as much;
#  - a [lac] with another secret fails tunnel authentication (StopCCN 4)
#    and leaves the client's session alone;
#  - a [client] with a wrong password: FreeRADIUS rejects it (Access-
#    Reject) and l2tpns closes the call (a CDN, no CHAP Failure: that is
#    how l2tpns refuses); our client logs the CDN, never brings PPP up and
#    schedules a redial;
#  - closing the client's destination from our side: StopCCN, l2tpns shuts
#    the tunnel down, l2tpc0 loses the address;
#  - l2tpns restarted with radius_authtypes "pap", our client dialling by
#    autostart: the same session, address and ping, over PAP; stopping our
#    daemon sends l2tpns a StopCCN;
#  - everything exits 0, and tshark dissects the whole exchange without a
#    malformed packet or an expert error.
#
# hide_avps stays off toward l2tpns: its hidden-AVP decoding is wrong past
# 16 bytes.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=l2tpd_helpers.sh
. "$(dirname "$0")/l2tpd_helpers.sh"
# shellcheck source=l2tpns_helpers.sh
. "$(dirname "$0")/l2tpns_helpers.sh"

skip_unless_root
need_cmd ip ss ping "$PYTHON" timeout tshark
need_bin "$L2TPD" "$L2TPCTL"
[[ -c /dev/net/tun ]] || skip "no /dev/net/tun"

LAC=10.204.1.1 LNS=10.204.1.2
RUSER=l2tpt-user RPASS='pass w0rd'

ns_create lac
ns_create lns
veth_link lac "$LAC/24" lns "$LNS/24"

# ---------------------------------------------------------------- peers

step "FreeRADIUS on the LNS's loopback answers for the test user"
radius_start lns "$RUSER" "$RPASS"
assert_ok radius_auth "$RUSER" "$RPASS" pap
assert_ok radius_auth "$RUSER" "$RPASS" chap
assert_fails radius_auth "$RUSER" wrong-password pap
# Loopback only: no FreeRADIUS socket (UDP or TCP) on the veth or on any address.
# (-t and -u: ss then always prints the Netid column, so $5 is the address.)
assert_eq "127.0.0.1:1812" \
	"$(ns_exec lns ss -Hlntup | awk '/freeradius/ { print $5 }' | sort -u | paste -sd' ')" \
	"FreeRADIUS's sockets"

step "l2tpns starts on $LNS with its TUN"
l2tpns_start lns "$LNS"
assert_contains "$(ip -n "$(ns_name lns)" -4 addr show dev "$L2TPNS_TUN")" \
	"inet $L2TPNS_TUN_ADDR/32" "l2tpns's TUN"
assert_contains "$(ns_exec lns ss -Hlnup 'sport = :1701')" "$LNS:1701" "l2tpns's L2TP socket"

# ---------------------------------------------------------------- helpers

usdir=$(config_dir l2tpd)
SOCK=$usdir/l2tpd.sock
CONF=$usdir/l2tpd.conf

# write_conf AUTOSTART: our daemon with the VPN client toward l2tpns
# (autostart or not), a client with a wrong password, and a LAC with a
# wrong tunnel secret. No tun in [global]: only the clients have one.
write_conf()
{
	cat >"$CONF" <<EOF
[global]
listen = $LAC:1701
hostname = l2tpd-client
control = $SOCK
hello_interval = 30
retransmit_initial = 1
retransmit_cap = 2
retransmit_max = 3

[client l2tpns]
peer = $LNS:1701
secret = $L2TPNS_SECRET
hide_avps = no
user = $RUSER
password = $RPASS
tun = l2tpc0
routes = $L2TPNS_TUN_ADDR/32
autostart = $1

[client l2tpns-badpw]
peer = $LNS:1701
secret = $L2TPNS_SECRET
hide_avps = no
user = $RUSER
password = not-$RPASS
tun = l2tpc1
routes = $L2TPNS_TUN_ADDR/32

[lac l2tpns-wrong-secret]
peer = $LNS:1701
secret = not-$L2TPNS_SECRET
hide_avps = no
EOF
	assert_ok timeout 10 "$L2TPD" -n -c "$CONF"
}

# start_l2tpd NAME: our daemon in ns lac, ready for l2tpctl.
start_l2tpd()
{
	start_bg -n lac -w "$1" "$L2TPD" -c "$CONF"
	wait_log "$1" "listening address=$LAC:1701"
	wait_until 10 test -S "$SOCK"
	wait_until 10 ctl "$SOCK" stats
}

# sess DEST FIELD: FIELD of the established session in destination DEST's
# established tunnel; prints nothing when there is none.
sess()
{
	local tid
	tid=$(ctl "$SOCK" show tunnels | _jq '
next((t["id"] for t in items(j, "tunnels")
      if t.get("destination") == a[0] and t.get("state") == "established"), "")' "$1")
	[[ -n "$tid" ]] || return 0
	ctl "$SOCK" show sessions | _jq '
next((s.get(a[1]) for s in items(j, "sessions")
      if str(s.get("tunnel")) == a[0] and s.get("state") == "established"), "")' "$tid" "$2"
}

# has_ip DEST: DEST's session has an address (IPCP is done).
# shellcheck disable=SC2317 # called through wait_until
has_ip()
{
	local ip
	ip=$(sess "$1" ip)
	[[ -n "$ip" && "$ip" != None ]]
}

# in_pool IP: IP is inside l2tpns's ip_pool.
# shellcheck disable=SC2317 # called through assert_ok
in_pool()
{
	"$PYTHON" -c '
import ipaddress, sys
sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network(sys.argv[2]))' \
		"$1" "$L2TPNS_POOL" 2>/dev/null
}

# radius_count PATTERN: lines of FreeRADIUS's log matching PATTERN (grep -E).
radius_count()
{
	grep -Ec -- "$1" "$(bg_log radius)" || true
}

# shellcheck disable=SC2317 # called through wait_until
radius_count_ge()
{
	(($(radius_count "$1") >= $2))
}

# shellcheck disable=SC2317 # called through wait_until
l2tpns_count_ge()
{
	(($(l2tpns_log_count "$1") >= $2))
}

# peer_tunnel DEST: l2tpns's id of DEST's established tunnel.
peer_tunnel()
{
	ctl "$SOCK" show tunnels | _jq '
next((t["peer_id"] for t in items(j, "tunnels")
      if t.get("destination") == a[0] and t.get("state") == "established"), "")' "$1"
}

# stopccns_seen N: l2tpns has logged at least N StopCCNs (for wait_until).
# (A closed tunnel stays "closing" on our side for a few seconds, in case
# its StopCCN must be acknowledged again: the test does not wait for that.)
# shellcheck disable=SC2317 # called through wait_until
stopccns_seen()
{
	l2tpns_count_ge 'Received StopCCN' "$1"
}

# client_up L2TPD_NAME METHOD: our client's session on l2tpns is up through
# IPCP: our view, the TUN, l2tpns's and FreeRADIUS's logs; then a ping
# crosses the tunnel. Leaves the address in CLIENT_IP.
client_up()
{
	local name=$1 method=$2 ip rx tx out

	wait_until 15 has_ip l2tpns
	ip=$(sess l2tpns ip)
	CLIENT_IP=$ip
	assert_ok in_pool "$ip"
	assert_eq "$RUSER" "$(sess l2tpns user)" "user of our session ($method)"
	assert_eq client "$(sess l2tpns role)" "role of our session ($method)"
	wait_log "$name" "ppp up session=[0-9]+ tunnel=[0-9]+ role=client user=$RUSER ip=$ip .*tun=l2tpc0" 5
	wait_until 5 l2tpns_log_has "${method^^} login $RUSER"
	wait_until 5 l2tpns_log_has "Login by $RUSER at $ip from $LAC"
	wait_until 5 radius_count_ge "Sent Access-Accept" $((ACCEPTS + 1))
	ACCEPTS=$(radius_count "Sent Access-Accept")
	assert_contains "$(ns_exec lac ip -4 addr show dev l2tpc0)" "inet $ip" "l2tpc0's address ($method)"
	assert_contains "$(ns_exec lac ip -4 route get "$L2TPNS_TUN_ADDR")" "dev l2tpc0" \
		"route to l2tpns's TUN address ($method)"
	log "our client ($method): $(summary "$SOCK"), ip $ip"

	step "$method: ping from l2tpc0 to l2tpns's TUN address, through the tunnel"
	rx=$(sess l2tpns rx_packets)
	tx=$(sess l2tpns tx_packets)
	out=$(ns_exec lac timeout 15 ping -c 3 -i 0.2 -W 2 -I l2tpc0 "$L2TPNS_TUN_ADDR" 2>&1) ||
		fail "ping through the tunnel ($method): $out"
	log "ping ($method): $(grep 'packets transmitted' <<<"$out")"
	assert_contains "$out" "3 received" "ping replies ($method)"
	assert_range "$(($(sess l2tpns rx_packets) - rx))" 3 1000 "session rx_packets growth ($method)"
	assert_range "$(($(sess l2tpns tx_packets) - tx))" 3 1000 "session tx_packets growth ($method)"
}

ACCEPTS=$(radius_count "Sent Access-Accept")
rejects=$(radius_count "Sent Access-Reject")

# ---------------------------------------------------------------- CHAP

step "CHAP: our client dials l2tpns, PPP up with an address from its pool"
write_conf no
capture_start lac to-lns cap
start_l2tpd l2tpd
assert_ok ctl "$SOCK" dial l2tpns >/dev/null
wait_until 15 count_is "$SOCK" sessions established 1
tunnels=$(ctl "$SOCK" show tunnels)
assert_eq "$L2TPNS_HOSTNAME" "$(_jq 'items(j, "tunnels")[0]["peer_hostname"]' <<<"$tunnels")" \
	"peer_hostname of the tunnel"
assert_eq 0 "$(counter "$SOCK" tunnels.auth_failures)" "tunnel authentication failures"
# l2tpns spells SCCCN "SCCN".
wait_until 5 l2tpns_log_has "Received SCCN"
wait_until 5 l2tpns_log_has "Received ICCN"
client_up l2tpd chap

step "a destination with another secret fails tunnel authentication"
assert_ok ctl "$SOCK" dial l2tpns-wrong-secret 1 >/dev/null
wait_until 10 counter_ge "$SOCK" tunnels.auth_failures 1
assert_eq 1 "$(counter "$SOCK" tunnels.stopccn_sent.4)" "StopCCN sent (result 4, not authorized)"
wait_until 10 stopccns_seen 1
assert_eq "$CLIENT_IP" "$(sess l2tpns ip)" "the client's session is still up"

# l2tpns sends no CHAP Failure on an Access-Reject: it kills the session
# at once, a CDN with result 3 (administrative) right after our Response.
# Our client takes that CDN, arriving while its Response waits for the
# verdict, as a refusal: it says so and waits 30 s before it redials.
step "CHAP, wrong password: FreeRADIUS rejects, l2tpns closes the call, our client goes down"
assert_ok ctl "$SOCK" dial l2tpns-badpw >/dev/null
wait_until 10 radius_count_ge "Sent Access-Reject" $((rejects + 1))
wait_until 5 l2tpns_log_has "Authentication rejected for $RUSER"
wait_log l2tpd "session closed by peer session=[0-9]+ .*state=established result=3 .*received=CDN" 5
wait_log l2tpd "authentication refused by the LNS client=l2tpns-badpw user=$RUSER .*reason=call cleared before auth verdict" 5
wait_log l2tpd "client down client=l2tpns-badpw redial_in=30s reason=authentication refused" 5
badpw_tunnel=$(ctl "$SOCK" show tunnels |
	_jq 'next((t["id"] for t in items(j, "tunnels") if t.get("destination") == "l2tpns-badpw"), "")')
if grep -Eq "ppp up session=[0-9]+ tunnel=$badpw_tunnel " "$(bg_log l2tpd)"; then
	fail "PPP came up for the client with the wrong password"
fi
assert_eq "" "$(sess l2tpns-badpw ip)" "address of the refused client"
assert_eq 1 "$(count "$SOCK" sessions established)" "sessions established (the good client's)"

# (The client then schedules a redial, as after any end of its call; the
# daemon is stopped before it is due.)
step "closing the client's destination: StopCCN, l2tpns drops the tunnel and session"
ptid=$(peer_tunnel l2tpns)
assert_range "$ptid" 1 65535 "l2tpns's id of the client's tunnel"
assert_ok ctl "$SOCK" close destination l2tpns >/dev/null
wait_until 10 l2tpns_log_has "^.{20}0*$ptid/00 Received StopCCN"
wait_until 10 l2tpns_log_has "Shutting down tunnel $ptid \(Stopped\)"
wait_until 5 l2tpns_log_has "^.{20}0*$ptid/[0-9]+ Shutting down session [0-9]+: Stopped"
if ns_exec lac ip -4 addr show dev l2tpc0 2>/dev/null | grep -q "inet $CLIENT_IP"; then
	fail "l2tpc0 still has $CLIENT_IP after the close"
fi
show_stats "our client" "$SOCK"
stop_bg l2tpd
assert_eq 0 "$BG_STATUS" "l2tpd exit status"

# ---------------------------------------------------------------- PAP

step "PAP: l2tpns restarted with radius_authtypes pap, our client dials by autostart"
l2tpns_stop
assert_eq 0 "$BG_STATUS" "l2tpns exit status"
assert_ok l2tpns_log_has "Shutdown complete"
L2TPNS_BG=l2tpns-pap
l2tpns_start lns "$LNS" 'set radius_authtypes "pap"'
write_conf yes
start_l2tpd l2tpd-pap
wait_log l2tpd-pap "autostart client=l2tpns"
client_up l2tpd-pap pap

step "stopping our daemon: StopCCN, l2tpns drops the tunnel and session"
ptid=$(peer_tunnel l2tpns)
assert_range "$ptid" 1 65535 "l2tpns's id of the client's tunnel (pap)"
stop_bg l2tpd-pap
assert_eq 0 "$BG_STATUS" "l2tpd exit status (pap)"
wait_until 10 l2tpns_log_has "Shutting down tunnel $ptid \(Stopped\)"
wait_until 5 l2tpns_log_has "^.{20}0*$ptid/[0-9]+ Shutting down session [0-9]+: Stopped"

step "everything stops cleanly"
l2tpns_stop
assert_eq 0 "$BG_STATUS" "l2tpns exit status"
assert_ok l2tpns_log_has "Shutdown complete"
radius_stop
capture_stop cap
log "on the wire: $(msg_types "$PCAP")"
assert_dissects_clean "$PCAP" "l2tpd client <-> l2tpns"

pass
