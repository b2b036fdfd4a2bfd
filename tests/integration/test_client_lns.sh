#!/bin/bash
# VPN client against LNS, both l2tpd, PPP in userspace, real traffic:
#
#   cli (l2tpd, [client vpn]) 10.201.7.1 ── veth ── 10.201.7.2 lns (l2tpd, [lns any])
#
# For each of pap, chap and mschapv2 (the LNS offering only that one): the
# client's session is established on both sides with an address from the
# pool, ping works both ways through the tunnel, and a 3 s iperf3 TCP
# stream (server on the LNS's local_ip, client in cli) moves data, its
# throughput printed into the output. Then a wrong password:
# the LNS refuses the session with a CDN and logs the user. Last, a pool of
# one address for two clients: the second call gets CDN result 4.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=l2tpd_helpers.sh
. "$(dirname "$0")/l2tpd_helpers.sh"

skip_unless_root
need_cmd ip ping timeout iperf3 "$PYTHON"
need_bin "$L2TPD" "$L2TPCTL"
[[ -c /dev/net/tun ]] || skip "no /dev/net/tun"

CLI4=10.201.7.1 LNS4=10.201.7.2
LOCAL_IP=10.201.100.1

step "namespaces cli and lns joined by a veth"
ns_create cli
ns_create lns
veth_link cli $CLI4/24 lns $LNS4/24

lns_conf=$(config_dir lns)
cli_conf=$(config_dir cli)
LNS_SOCK=$lns_conf/l2tpd.sock
CLI_SOCK=$cli_conf/l2tpd.sock
cat >"$lns_conf/users" <<EOF
# name password [ip]
alice wonderland
bob builder 10.201.100.77
EOF

# write_confs AUTH PASSWORD [USER]
write_confs()
{
	cat >"$lns_conf/l2tpd.conf" <<EOF
[global]
listen = $LNS4:1701
hostname = lns-1
control = $LNS_SOCK
tun = l2tpt0

[lns any]
peer = 10.201.7.0/24
local_ip = $LOCAL_IP
pool = 10.201.100.10-10.201.100.20
dns = 10.201.100.53
auth = $1
users = $lns_conf/users
EOF
	cat >"$cli_conf/l2tpd.conf" <<EOF
[global]
listen = $CLI4:1701
hostname = cli-1
control = $CLI_SOCK

[client vpn]
peer = $LNS4:1701
user = ${3:-alice}
password = $2
tun = vpn0
routes = 10.201.100.0/24
autostart = yes
EOF
	assert_ok "$L2TPD" -n -c "$lns_conf/l2tpd.conf"
	assert_ok "$L2TPD" -n -c "$cli_conf/l2tpd.conf"
}

start_pair()
{
	start_bg -n lns -w "lns-$1" "$L2TPD" -c "$lns_conf/l2tpd.conf"
	wait_log "lns-$1" "listening address=$LNS4:1701"
	wait_until 5 test -S "$LNS_SOCK"
	start_bg -n cli -w "cli-$1" "$L2TPD" -c "$cli_conf/l2tpd.conf"
	wait_log "cli-$1" "listening address=$CLI4:1701"
	wait_until 5 test -S "$CLI_SOCK"
}

stop_pair()
{
	stop_bg "cli-$1" 10
	assert_eq 0 "$BG_STATUS" "client exit status ($1)"
	stop_bg "lns-$1" 10
	assert_eq 0 "$BG_STATUS" "LNS exit status ($1)"
}

# session_field SOCK FIELD: FIELD of the first session.
session_field()
{
	ctl "$1" show sessions | _jq 'items(j, "sessions")[0].get(a[0]) if items(j, "sessions") else None' "$2"
}

has_ip()
{
	[[ "$(session_field "$1" ip)" =~ ^10\.201\.100\. ]]
}

# iperf_tcp TAG: a one-off iperf3 server bound to the LNS's local_ip, a 3 s
# TCP stream from the client namespace; asserts it moved data and prints
# the throughput.
iperf_tcp()
{
	local json=$TEST_TMP/iperf-$1.json bytes mbps

	start_bg -n lns "iperf-$1" iperf3 -s -1 --forceflush -B $LOCAL_IP
	wait_log "iperf-$1" "Server listening" 10
	assert_ok ns_exec cli timeout 30 iperf3 -c $LOCAL_IP -t 3 -J --connect-timeout 5000 \
		>"$json"
	bytes=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"])' "$json")
	mbps=$("$PYTHON" -c 'import json, sys; print("%.1f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))' "$json")
	assert_range "$bytes" 1 999999999999 "iperf3 bytes received ($1)"
	log "iperf3 auth=$1: $bytes bytes in 3 s, $mbps Mbit/s (TCP, client -> LNS, userspace PPP)"
	wait_bg "iperf-$1" 10
	assert_eq 0 "$BG_STATUS" "iperf3 server exit status ($1)"
}

for auth in pap chap mschapv2; do
	step "auth=$auth: client session established with an address from the pool"
	write_confs "$auth" wonderland
	start_pair "$auth"
	wait_until 15 count_is "$CLI_SOCK" sessions established 1
	wait_until 15 count_is "$LNS_SOCK" sessions established 1
	wait_until 15 has_ip "$CLI_SOCK"
	wait_until 15 has_ip "$LNS_SOCK"
	cli_ip=$(session_field "$CLI_SOCK" ip)
	assert_eq "$cli_ip" "$(session_field "$LNS_SOCK" ip)" "client's address on both sides ($auth)"
	assert_eq client "$(session_field "$CLI_SOCK" role)" "client session role"
	assert_eq lns "$(session_field "$LNS_SOCK" role)" "LNS session role"
	assert_eq alice "$(session_field "$LNS_SOCK" user)" "LNS session user"
	assert_range "${cli_ip##*.}" 10 20 "client address in the pool"
	wait_log "lns-$auth" "authenticated session=.* user=alice method="

	step "auth=$auth: ping both ways through the tunnel"
	# The host route to the LNS was pinned before the routes went in.
	ns_exec cli ip route get $LNS4 | grep -q "dev to-lns" ||
		fail "route to the LNS endpoint left the veth"
	assert_ok ns_exec cli timeout 20 ping -c 3 -i 0.2 -W 2 $LOCAL_IP
	assert_ok ns_exec lns timeout 20 ping -c 3 -i 0.2 -W 2 "$cli_ip"
	rx=$(session_field "$LNS_SOCK" rx_packets)
	assert_range "$rx" 6 100000 "LNS session rx_packets"

	step "auth=$auth: iperf3 TCP stream through the tunnel, 3 s"
	iperf_tcp "$auth"
	stop_pair "$auth"
done

step "wrong password: session refused with a CDN naming the user"
write_confs chap "not-the-password"
start_pair badpw
wait_log lns-badpw "authentication failed session=.* user=alice .*reason=wrong password"
# Both ends learn it from PPP at once and each clears the call: the LNS
# with CDN result 2 and the RFC 3145 cause, sent from a timer, so the
# client's own CDN may get there first and leave the LNS nothing to clear.
# Either way the call ends. The client then redials, after 30 s at first:
# a wrong password stays wrong, and each try costs the LNS a verification.
badpw_call_cleared()
{
	local code

	counter_ge "$LNS_SOCK" sessions.cdn_sent.2 1 && return 0
	for code in 1 2 3 4 5 6 7 8 9 10 11; do
		counter_ge "$LNS_SOCK" "sessions.cdn_received.$code" 1 && return 0
	done
	return 1
}
wait_until 15 badpw_call_cleared
wait_log cli-badpw "authentication refused by the LNS session=.* user=alice"
wait_log cli-badpw "client down client=vpn redial_in=30s reason=authentication refused"
assert_eq 0 "$(count "$LNS_SOCK" sessions established)" "no session on the LNS"
stop_pair badpw

step "pool of one address, two clients: the second is refused, pool exhausted"
write_confs pap wonderland
sed -i 's/^pool = .*/pool = 10.201.100.10-10.201.100.10/' "$lns_conf/l2tpd.conf"
echo "carol s3cret" >>"$lns_conf/users"
cat >>"$cli_conf/l2tpd.conf" <<EOF

[client vpn2]
peer = $LNS4:1701
user = carol
password = s3cret
tun = vpn1
routes = 10.201.100.0/24
autostart = yes
EOF
start_pair pool
wait_log lns-pool "pool exhausted session=.* user=(alice|carol) lns=any"
wait_until 15 counter_ge "$LNS_SOCK" sessions.cdn_sent.4 1
wait_until 15 count_is "$LNS_SOCK" sessions established 1
wait_until 15 has_ip "$LNS_SOCK"
assert_eq 10.201.100.10 "$(session_field "$LNS_SOCK" ip)" "the one pool address"
stop_pair pool

pass
