#!/bin/bash
# An outgoing call placed by the LNS (remote dial, RFC 2661 §7.5): the LNS
# sends OCRQ on the tunnel a VPN client holds, the client side answers
# (OCRP, OCCN) and runs its [client]'s PPP over the call.
#
#   cli (l2tpd, [client vpn]) 10.201.9.1 ── veth ── 10.201.9.2 lns (l2tpd, [lns any])
#
#  1. The client dials once (user alice, PPP up), then the operator closes
#     its session: the tunnel stays, the client does not redial.
#  2. Without accept_outgoing the client refuses the LNS's OCRQ: CDN result
#     6 (invalid destination), a log line naming the peer.
#  3. accept_outgoing = yes, reloaded: `l2tpctl dial cli-1` on the LNS.
#     The call is established on both sides (lns / client, call outgoing),
#     PPP comes up with alice authenticated by the LNS and an address from
#     its pool, and ping crosses both ways through the client's TUN.
#  4. The LNS closes the call: both sides drop it, the client's TUN and
#     routes go, the tunnel stays, nothing redials.
#  5. While the client's own call is up, an OCRQ is refused with result 4.
#  6. Both daemons exit 0 (in the ASan build: no leak).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=l2tpd_helpers.sh
. "$(dirname "$0")/l2tpd_helpers.sh"

skip_unless_root
need_cmd ip ping timeout "$PYTHON"
need_bin "$L2TPD" "$L2TPCTL"
[[ -c /dev/net/tun ]] || skip "no /dev/net/tun"

CLI4=10.201.9.1 LNS4=10.201.9.2
LOCAL_IP=10.201.102.1

step "namespaces cli and lns joined by a veth"
ns_create cli
ns_create lns
veth_link cli $CLI4/24 lns $LNS4/24

lns_conf=$(config_dir lns)
cli_conf=$(config_dir cli)
LNS_SOCK=$lns_conf/l2tpd.sock
CLI_SOCK=$cli_conf/l2tpd.sock
echo "alice wonderland" >"$lns_conf/users"
cat >"$lns_conf/l2tpd.conf" <<EOF
[global]
listen = $LNS4:1701
hostname = lns-1
control = $LNS_SOCK
tun = l2tpt0

[lns any]
peer = 10.201.9.0/24
local_ip = $LOCAL_IP
pool = 10.201.102.10-10.201.102.20
auth = chap
users = $lns_conf/users
EOF
cat >"$cli_conf/l2tpd.conf" <<EOF
[global]
listen = $CLI4:1701
hostname = cli-1
control = $CLI_SOCK

[client vpn]
peer = $LNS4:1701
user = alice
password = wonderland
tun = vpn0
routes = 10.201.102.0/24
autostart = yes
EOF
assert_ok "$L2TPD" -n -c "$lns_conf/l2tpd.conf"
assert_ok "$L2TPD" -n -c "$cli_conf/l2tpd.conf"

# session_field SOCK FIELD: FIELD of the first session.
session_field()
{
	ctl "$1" show sessions | _jq 'items(j, "sessions")[0].get(a[0]) if items(j, "sessions") else None' "$2"
}

has_ip()
{
	[[ "$(session_field "$1" ip)" =~ ^10\.201\.102\. ]]
}

# tunnel_up SOCK: one tunnel, established.
tunnel_up()
{
	count_is "$1" tunnels established 1 && count_is "$1" tunnels "" 1
}

no_vpn0()
{
	! ns_exec cli ip link show vpn0 >/dev/null 2>&1
}

# ---------------------------------------------------------------- 1

step "the client dials once, then the operator closes its session; the tunnel stays"
start_bg -n lns -w lns "$L2TPD" -c "$lns_conf/l2tpd.conf"
wait_log lns "listening address=$LNS4:1701"
wait_until 5 test -S "$LNS_SOCK"
start_bg -n cli -w cli "$L2TPD" -c "$cli_conf/l2tpd.conf"
wait_log cli "listening address=$CLI4:1701"
wait_until 5 test -S "$CLI_SOCK"
wait_until 15 count_is "$CLI_SOCK" sessions established 1
wait_until 15 has_ip "$CLI_SOCK"
# The user is the client's from the first log line of the call on.
wait_log cli "session established session=.* role=client call=lac-incoming user=alice "
sid=$(session_field "$CLI_SOCK" id)
assert_ok ctl "$CLI_SOCK" close session "$sid" >/dev/null
wait_log cli "client hung up client=vpn"
wait_until 10 count_is "$CLI_SOCK" sessions "" 0
wait_until 10 count_is "$LNS_SOCK" sessions "" 0
wait_until 10 no_vpn0
assert_ok tunnel_up "$CLI_SOCK"
assert_ok tunnel_up "$LNS_SOCK"
assert_eq cli-1 "$(ctl "$LNS_SOCK" show tunnels | _jq 'items(j, "tunnels")[0]["peer_hostname"]')" \
	"the LNS's name for the client's tunnel"

# ---------------------------------------------------------------- 2

step "without accept_outgoing the client refuses the LNS's OCRQ: CDN result 6"
assert_ok ctl "$LNS_SOCK" dial cli-1 >/dev/null
wait_until 10 counter_ge "$LNS_SOCK" sessions.cdn_received.6 1
wait_log cli "outgoing call refused tunnel=[0-9]+ peer=$LNS4:1701 peer_hostname=lns-1 .*result=6 reason=no \[client\] accepts"
wait_until 10 count_is "$LNS_SOCK" sessions "" 0
assert_eq 0 "$(count "$CLI_SOCK" sessions)" "sessions on the client after the refusal"
assert_ok tunnel_up "$LNS_SOCK"

# ---------------------------------------------------------------- 3

step "accept_outgoing = yes (reload); the LNS dials cli-1: OCRQ, OCRP, OCCN, PPP"
sed -i 's/^autostart = yes$/autostart = yes\naccept_outgoing = yes/' "$cli_conf/l2tpd.conf"
assert_ok "$L2TPD" -n -c "$cli_conf/l2tpd.conf"
assert_ok ctl "$CLI_SOCK" reload >/dev/null
oc=$(ctl "$LNS_SOCK" dial cli-1 | _jq 'j[0]')
[[ $oc =~ ^[0-9]+/[0-9]+$ ]] || fail "dial named the outgoing call '$oc', not TUNNEL/SESSION"
oc_tunnel=${oc%/*} oc_session=${oc#*/}
assert_range "$oc_session" 1 65535 "id of the outgoing call on the LNS"
wait_until 15 count_is "$LNS_SOCK" sessions established 1
wait_until 15 count_is "$CLI_SOCK" sessions established 1
wait_until 15 has_ip "$LNS_SOCK"
wait_until 15 has_ip "$CLI_SOCK"
detail=$(ctl "$LNS_SOCK" show session "$oc")
assert_eq "$oc_tunnel" "$(_jq 'j["tunnel"]' <<<"$detail")" "tunnel of the outgoing call on the LNS"
assert_eq lns "$(_jq 'j["role"]' <<<"$detail")" "role of the outgoing call on the LNS"
assert_eq outgoing "$(_jq 'j["call"]' <<<"$detail")" "kind of the call on the LNS"
assert_eq alice "$(_jq 'j["user"]' <<<"$detail")" "user the LNS authenticated"
peer_oc=$(_jq 'j["peer_id"]' <<<"$detail")
detail=$(ctl "$CLI_SOCK" show session "$peer_oc")
assert_eq client "$(_jq 'j["role"]' <<<"$detail")" "role of the outgoing call on the client side"
assert_eq outgoing "$(_jq 'j["call"]' <<<"$detail")" "kind of the call on the client side"
assert_eq alice "$(_jq 'j["user"]' <<<"$detail")" "user on the client side"
cli_ip=$(session_field "$CLI_SOCK" ip)
assert_eq "$cli_ip" "$(session_field "$LNS_SOCK" ip)" "the client's address on both sides"
assert_range "${cli_ip##*.}" 10 20 "client address in the LNS's pool"
wait_log cli "outgoing call accepted session=$peer_oc .*client=vpn user=alice"
wait_log cli "session established session=$peer_oc .*role=client call=lac-outgoing user=alice "
wait_log lns "authenticated session=$oc_session tunnel=$oc_tunnel user=alice method=chap"
wait_log lns "ppp up session=$oc_session tunnel=$oc_tunnel role=lns user=alice"
wait_log cli "ppp up session=$peer_oc .*role=client user=alice ip=$cli_ip .*tun=vpn0"
assert_eq 1 "$(counter "$LNS_SOCK" messages_received.OCCN)" "OCCN received by the LNS"
assert_eq 1 "$(counter "$CLI_SOCK" messages_sent.OCRP)" "OCRP sent by the client side"

step "ping both ways through the tunnel"
ns_exec cli ip route get $LNS4 | grep -q "dev to-lns" ||
	fail "route to the LNS endpoint left the veth"
assert_ok ns_exec cli timeout 20 ping -c 3 -i 0.2 -W 2 $LOCAL_IP
assert_ok ns_exec lns timeout 20 ping -c 3 -i 0.2 -W 2 "$cli_ip"
assert_range "$(session_field "$LNS_SOCK" rx_packets)" 6 100000 "LNS session rx_packets"
assert_range "$(session_field "$CLI_SOCK" rx_packets)" 6 100000 "client session rx_packets"

# ---------------------------------------------------------------- 4

step "the LNS closes the call: both sides clean up, the tunnel stays, no redial"
assert_ok ctl "$LNS_SOCK" close session "$oc" >/dev/null
wait_until 10 count_is "$CLI_SOCK" sessions "" 0
wait_until 10 count_is "$LNS_SOCK" sessions "" 0
wait_until 10 no_vpn0
if ns_exec cli ip route show | grep -q "10.201.102.0/24"; then
	fail "the client's route is still there"
fi
assert_ok tunnel_up "$CLI_SOCK"
assert_ok tunnel_up "$LNS_SOCK"
sleep 1.5
assert_eq 0 "$(grep -c "client redial client=vpn" "$(bg_log cli)")" \
	"redials after the LNS's call ended (the client was hung up)"

# ---------------------------------------------------------------- 5

step "the client's own call is up: an OCRQ is refused with result 4"
assert_ok ctl "$CLI_SOCK" dial vpn >/dev/null
wait_until 15 count_is "$CLI_SOCK" sessions established 1
wait_until 15 has_ip "$CLI_SOCK"
assert_ok ctl "$LNS_SOCK" dial cli-1 >/dev/null
wait_until 10 counter_ge "$LNS_SOCK" sessions.cdn_received.4 1
wait_until 10 count_is "$LNS_SOCK" sessions "" 1
assert_eq 1 "$(count "$CLI_SOCK" sessions established)" "the client's own call, untouched"
assert_ok ns_exec cli timeout 20 ping -c 1 -W 2 $LOCAL_IP

# ---------------------------------------------------------------- 6

step "both daemons stop cleanly"
stop_bg cli 10
assert_eq 0 "$BG_STATUS" "client exit status"
stop_bg lns 10
assert_eq 0 "$BG_STATUS" "LNS exit status"
pass
