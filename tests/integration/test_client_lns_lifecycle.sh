#!/bin/bash
# How an LNS ends a client's session on its own, both ends l2tpd:
#
#   cli (l2tpd, [client vpn]) 10.201.8.1 ── veth ── 10.201.8.2 lns (l2tpd, [lns any])
#
# Idle timeout: with idle_timeout = 3 and no traffic, the LNS ends the
# session 3 s after PPP came up (LCP Terminate, then CDN result 3), logging
# reason=idle.
#
# LCP keepalive: with lcp_echo_interval = 1 and lcp_echo_failures = 3 on the
# LNS, the client is frozen (SIGSTOP); the LNS gives up within interval x
# (failures + 1) and sends a CDN (result 2) carrying the RFC 3145 PPP
# Disconnect Cause 8 (keepalive failure), seen by tshark. The client is
# then resumed and both daemons exit cleanly.
#
# Last, `l2tpd -n` reports a bad line of a users file by its file and line.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=l2tpd_helpers.sh
. "$(dirname "$0")/l2tpd_helpers.sh"

skip_unless_root
need_cmd ip timeout tshark "$PYTHON"
need_bin "$L2TPD" "$L2TPCTL"
[[ -c /dev/net/tun ]] || skip "no /dev/net/tun"

CLI4=10.201.8.1 LNS4=10.201.8.2
LOCAL_IP=10.201.101.1

step "namespaces cli and lns joined by a veth"
ns_create cli
ns_create lns
veth_link cli $CLI4/24 lns $LNS4/24

lns_conf=$(config_dir lns)
cli_conf=$(config_dir cli)
LNS_SOCK=$lns_conf/l2tpd.sock
CLI_SOCK=$cli_conf/l2tpd.sock
echo "alice wonderland" >"$lns_conf/users"

# write_confs EXTRA_LNS_LINES [EXTRA_CLIENT_LINES]: the pair's
# configurations, with extra keys for the [lns] and [client] sections.
write_confs()
{
	cat >"$lns_conf/l2tpd.conf" <<EOF
[global]
listen = $LNS4:1701
hostname = lns-1
control = $LNS_SOCK
tun = l2tpt1

[lns any]
peer = 10.201.8.0/24
local_ip = $LOCAL_IP
pool = 10.201.101.10-10.201.101.20
auth = chap
users = $lns_conf/users
$1
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
tun = vpn9
routes = 10.201.101.0/24
autostart = yes
${2:-}
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
	wait_log "lns-$1" "ppp up session=.* user=alice" 15
}

stop_pair()
{
	stop_bg "cli-$1" 10
	assert_eq 0 "$BG_STATUS" "client exit status ($1)"
	stop_bg "lns-$1" 10
	assert_eq 0 "$BG_STATUS" "LNS exit status ($1)"
}

# log_ms NAME PATTERN: the time (ms since the epoch) of the first line of
# NAME's log matching PATTERN (l2tpd's local ISO timestamps).
log_ms()
{
	grep -Em1 -- "$2" "$(bg_log "$1")" | "$PYTHON" -c '
import datetime, sys
t = sys.stdin.read().split()[0]
print(int(datetime.datetime.fromisoformat(t).timestamp() * 1000))'
}

step "idle_timeout = 3: no traffic, the LNS closes the session after 3 s"
write_confs "idle_timeout = 3"
start_pair idle
wait_log lns-idle "idle timeout session=.* user=alice idle_timeout=3s" 8
wait_log lns-idle "ppp down session=.* user=alice .*reason=idle" 5
wait_log lns-idle "session closing session=.* result=3 .*reason=idle" 5
up=$(log_ms lns-idle "ppp up session=")
down=$(log_ms lns-idle "idle timeout session=")
log "idle close $((down - up)) ms after PPP came up"
assert_range $((down - up)) 2900 6000 "ms from PPP up to the idle close"
wait_until 10 counter_ge "$LNS_SOCK" sessions.cdn_sent.3 1
# The client heard it (a Terminate-Request first, then the CDN) and redials.
wait_log cli-idle "client down client=vpn redial_in=" 10
stop_pair idle

step "LCP echo 1 s x 3: the client frozen, the LNS drops the session"
write_confs "lcp_echo_interval = 1
lcp_echo_failures = 3"
capture_start lns to-cli cap-echo 60
start_pair echo
wait_until 15 count_is "$LNS_SOCK" sessions established 1
cli_pid=$(bg_pid cli-echo)
# Quiet for a moment first: the adaptive keepalive has answers to count.
sleep 1.5
t0=$EPOCHREALTIME
kill -STOP "$cli_pid"
log "client l2tpd (pid $cli_pid) stopped"
wait_log lns-echo "ppp down session=.* user=alice .*reason=no answer to LCP Echo-Requests cause=8" 10
t1=$EPOCHREALTIME
kill -CONT "$cli_pid"
log "client l2tpd resumed"
ms=$("$PYTHON" -c 'import sys; print(int((float(sys.argv[2]) - float(sys.argv[1])) * 1000))' "$t0" "$t1")
log "keepalive gave up $ms ms after the client froze (bound 1 s x (3 + 1))"
assert_range "$ms" 2000 6000 "ms from SIGSTOP to the echo timeout"
wait_log lns-echo "session closing session=.* result=2 .*reason=no answer to LCP Echo-Requests" 5
wait_until 10 counter_ge "$LNS_SOCK" sessions.cdn_sent.2 1
# The resumed client takes the CDN (queued while it slept) and redials.
wait_log cli-echo "session closed by peer session=.* result=2 " 10
wait_log cli-echo "client down client=vpn redial_in=" 10
capture_stop cap-echo
n=$(dissect_count "$PCAP" 'l2tp.avp.message_type == 14 && l2tp.avp.disconnect_code == 8')
assert_eq 1 "$n" "CDNs with PPP Disconnect Cause 8 (keepalive) on the wire"
stop_pair echo

step "close by hand hangs the client up: no redial until dialled again"
write_confs ""
start_pair hangup
assert_ok timeout 10 "$L2TPCTL" -s "$CLI_SOCK" close destination vpn
wait_log cli-hangup "client hung up client=vpn" 5
wait_until 10 count_is "$LNS_SOCK" sessions established 0
# Past the first redial delay (1 s): still down, and no redial was planned.
sleep 3
assert_eq 0 "$(grep -c "client down client=vpn redial_in=\|client redial client=vpn" "$(bg_log cli-hangup)")" \
	"redials after the operator's close"
wait_until 5 count_is "$LNS_SOCK" sessions established 0
assert_ok timeout 10 "$L2TPCTL" -s "$CLI_SOCK" dial vpn
wait_until 15 count_is "$LNS_SOCK" sessions established 1
stop_pair hangup

# seq_case NAME LNS_LINES CLIENT_LINES LOG_SEQ ICMP_WITH_S: a call, the
# LNS's view of its sequencing (seq=required: the ICCN carried Sequencing
# Required; seq=on: our own choice), then pings under a capture and what
# tshark sees: ICMP in data messages with and without Ns. (The ICCN itself
# goes out within milliseconds of the start, before a capture is reliably
# live, so the log line is what proves the AVP.)
seq_case()
{
	local name=$1 want_log=$4 want_s=$5 with without

	write_confs "$2" "$3"
	capture_start lns to-cli "cap-$name" 60
	start_pair "$name"
	wait_log "lns-$name" "session established session=.* seq=$want_log" 10
	assert_ok timeout 10 ip netns exec "$(ns_name cli)" ping -c 3 -i 0.2 -W 2 "$LOCAL_IP"
	capture_stop "cap-$name"
	stop_pair "$name"
	with=$(dissect_count "$PCAP" 'icmp && l2tp.seq_bit == 1')
	without=$(dissect_count "$PCAP" 'icmp && l2tp.seq_bit == 0')
	log "$name: ICMP in data messages with Ns $with, without $without"
	if [[ $want_s == yes ]]; then
		assert_eq 6 "$with" "ICMP data messages with sequence numbers ($name)"
		assert_eq 0 "$without" "ICMP data messages without ($name)"
	else
		assert_eq 0 "$with" "ICMP data messages with sequence numbers ($name)"
		assert_eq 6 "$without" "ICMP data messages without ($name)"
	fi
}

step "data sequencing (RFC 2661 §5.4): off by default, required by the client, turned on by the LNS"
seq_case seq-off "" "" off no
seq_case seq-lac "" "data_sequencing = yes" required yes
seq_case seq-lns "data_sequencing = yes" "" on yes

step "reload under a live call: both daemons swap their configuration, the call keeps what it installed"
write_confs ""
start_pair reload
wait_until 15 count_is "$CLI_SOCK" sessions established 1
assert_ok timeout 10 ip netns exec "$(ns_name cli)" ping -c 1 -W 2 "$LOCAL_IP"
# The LNS gains an [lns] (its sections must not move under live sessions);
# the client's routes change (the running call removes the ones it added).
cat >>"$lns_conf/l2tpd.conf" <<EOF

[lns more]
peer = 10.201.9.0/24
local_ip = 10.201.102.1
pool = 10.201.102.10-10.201.102.20
auth = chap
users = $lns_conf/users
EOF
sed -i 's|^routes = .*|routes = 10.201.101.0/25|' "$cli_conf/l2tpd.conf"
assert_ok timeout 10 "$L2TPCTL" -s "$LNS_SOCK" reload
assert_ok timeout 10 "$L2TPCTL" -s "$CLI_SOCK" reload
assert_ok timeout 10 ip netns exec "$(ns_name cli)" ping -c 1 -W 2 "$LOCAL_IP"
assert_ok timeout 10 "$L2TPCTL" -s "$CLI_SOCK" close destination vpn
wait_until 10 count_is "$LNS_SOCK" sessions established 0
routes=$(ip -n "$(ns_name cli)" route show 10.201.101.0/24)
assert_eq "" "$routes" "the call's route after it ended"
stop_pair reload

step "l2tpd -n reads the users files: a bad line is named by FILE:LINE"
echo "bob" >>"$lns_conf/users"
out=$(timeout 10 "$L2TPD" -n -c "$lns_conf/l2tpd.conf" 2>&1) && fail "l2tpd -n accepted a bad users file"
assert_contains "$out" "$lns_conf/users:2: " "l2tpd -n message"
log "l2tpd -n: $out"

pass
