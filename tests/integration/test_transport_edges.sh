#!/bin/bash
# Transport edges: IPv6 only, the reply source of a multi-homed LNS, and
# failover over peers that do not answer.
#
#   1. ns lac6 fd00:205::2 ── veth (IPv6 only) ── fd00:205::1 ns lns6
#      listen = [fd00:205::1]:1701; [lac] peer = [fd00:205::1]:1701. One
#      tunnel and 5 sessions established on both sides, each side's `peer`
#      is the other's IPv6 address, a close from the LAC clears both sides
#      and both daemons exit 0 on SIGTERM.
#   2. ns lacm 10.205.1.2, fd00:205:1::2 ── veth ── ns lnsm 10.205.1.1 and
#      10.205.1.11, fd00:205:1::1 and fd00:205:1::11 (deprecated, so that
#      the kernel's own choice is ::1); the LNS listens on
#      0.0.0.0:1701 and [::]:1701, the LAC dials 10.205.1.11 and
#      [fd00:205:1::11] (not the addresses the kernel would pick as source).
#      A capture on the LAC's veth: every datagram from the LNS (replies,
#      its HELLOs, its StopCCN) leaves from the address the LAC dialled; the
#      tunnels come up and the LAC dropped nothing as from a wrong peer.
#   3. ns lacf 10.205.2.2 ── veth ── 10.205.2.1 ns lnsf (also has .98)
#      [lac fo] peer = 10.205.2.99:1701 10.205.2.98:1701 10.205.2.1:1701,
#      retransmit 1 s, cap 1 s, 2 retries. .99 is silent (a permanent
#      neighbour entry to a MAC nobody has: the LNS's veth drops the frames);
#      .98 is in lnsf with nothing listening (ICMP port unreachable, which an
#      unconnected UDP socket does not report). `dial fo 3`: the 3 sessions
#      are established on a tunnel to 10.205.2.1 within the bound, the log
#      shows the two failovers in order, and the capture shows the SCCRQs
#      going to .99, then .98, then .1.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=l2tpd_helpers.sh
. "$(dirname "$0")/l2tpd_helpers.sh"

skip_unless_root
need_cmd ip timeout tshark "$PYTHON"
need_bin "$L2TPD" "$L2TPCTL"

# conf NAME: write $dir/l2tpd.conf from stdin, [global] basics prepended;
# check it with -n.
conf()
{
	local dir
	dir=$(config_dir "$1")
	{
		cat <<-EOF
			[global]
			hostname = $1
			control = $dir/l2tpd.sock
			retransmit_initial = 1
			retransmit_cap = 1
			retransmit_max = 2
		EOF
		cat
	} >"$dir/l2tpd.conf"
	assert_ok timeout 10 "$L2TPD" -n -c "$dir/l2tpd.conf"
}

sock()
{
	echo "$TEST_TMP/conf-$1/l2tpd.sock"
}

# daemon NS NAME: start l2tpd NAME in NS and wait for its control socket.
daemon()
{
	start_bg -n "$1" -w "$2" "$L2TPD" -c "$TEST_TMP/conf-$2/l2tpd.conf"
	wait_until 30 ctl "$(sock "$2")" stats
}

# agree LAC LNS TUNNELS SESSIONS: both show that many, all established.
# shellcheck disable=SC2317  # called through wait_until
agree()
{
	local s
	for s in "$(sock "$1")" "$(sock "$2")"; do
		count_is "$s" tunnels "" "$3" && count_is "$s" tunnels established "$3" &&
			count_is "$s" sessions "" "$4" &&
			count_is "$s" sessions established "$4" || return 1
	done
}

# stop_clean NAME: SIGTERM, exit status 0, no sanitizer report.
stop_clean()
{
	stop_bg "$1" 20
	assert_eq 0 "$BG_STATUS" "$1 exit status"
	_check
	if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$(bg_log "$1")"; then
		fail "$1: sanitizer report in its log"
	fi
}

# ---------------------------------------------------------------- 1

step "IPv6 only: LAC [fd00:205::2] and LNS [fd00:205::1]"
ns_create lac6
ns_create lns6
veth_link lac6 fd00:205::2/64 lns6 fd00:205::1/64
conf lns6 <<EOF
listen = [fd00:205::1]:1701
tun = l2te6

[lns v6]
peer = fd00:205::/64
local_ip = 10.100.5.1
pool = 10.100.5.2-10.100.5.254
EOF
conf lac6 <<EOF
listen = [fd00:205::2]:1701

[lac v6]
peer = [fd00:205::1]:1701
EOF
daemon lns6 lns6
daemon lac6 lac6
assert_eq 5 "$(ctl "$(sock lac6)" dial v6 5 | _jq 'len(j)')" "sessions returned by dial v6 5"
wait_until 20 agree lac6 lns6 1 5
_check
log "IPv6: 1 tunnel and 5 sessions established on both sides"
assert_eq "[fd00:205::1]:1701" "$(ctl "$(sock lac6)" show tunnels | _jq 'j[0]["peer"]')" \
	"peer of the LAC's tunnel"
assert_eq "[fd00:205::2]:1701" "$(ctl "$(sock lns6)" show tunnels | _jq 'j[0]["peer"]')" \
	"peer of the LNS's tunnel"
tid=$(ctl "$(sock lac6)" show tunnels | _jq 'j[0]["id"]')
assert_ok ctl "$(sock lac6)" close tunnel "$tid" >/dev/null
wait_until 15 empty "$(sock lns6)"
wait_until 15 empty "$(sock lac6)"
assert_eq 1 "$(counter "$(sock lns6)" tunnels.stopccn_received.1)" "StopCCN (clear) received by the LNS"
assert_eq 0 "$(counter "$(sock lns6)" tunnels.peer_dead)" "IPv6 tunnels declared dead on the LNS"
stop_clean lac6
stop_clean lns6

# ---------------------------------------------------------------- 2

step "multi-homed LNS: replies leave from the address the LAC dialled"
ns_create lacm
ns_create lnsm
# The kernel would choose .1 (the primary) and ::1 as source toward the
# LAC: ::11 is deprecated (preferred_lft 0), which source selection avoids
# but which still receives, and may be chosen explicitly with IPV6_PKTINFO.
veth_link lacm 10.205.1.2/24,fd00:205:1::2/64 lnsm 10.205.1.1/24,10.205.1.11/24,fd00:205:1::1/64
ip -n "$(ns_name lnsm)" addr add fd00:205:1::11/64 dev to-lacm nodad preferred_lft 0
# Precondition: without IP_PKTINFO / IPV6_PKTINFO the replies would leave
# from .1 and ::1, so what the capture shows below is the daemon's choice.
src4=$(ns_exec lnsm ip -4 route get 10.205.1.2 | grep -o 'src [^ ]*' | cut -d' ' -f2)
src6=$(ns_exec lnsm ip -6 route get fd00:205:1::2 | grep -o 'src [^ ]*' | cut -d' ' -f2)
assert_eq "10.205.1.1 fd00:205:1::1" "$src4 $src6" "the kernel's own source toward the LAC"
conf lnsm <<EOF
listen = 0.0.0.0:1701
listen = [::]:1701
tun = l2tem
hello_interval = 1

[lns any]
local_ip = 10.100.6.1
pool = 10.100.6.2-10.100.6.254
EOF
conf lacm <<EOF
listen = 10.205.1.2:1701
listen = [fd00:205:1::2]:1701

[lac v4]
peer = 10.205.1.11:1701

[lac v6]
peer = [fd00:205:1::11]:1701
EOF
capture_start lacm to-lnsm capm 60
daemon lnsm lnsm
daemon lacm lacm
ctl "$(sock lacm)" dial v4 2 >/dev/null
ctl "$(sock lacm)" dial v6 2 >/dev/null
wait_until 20 agree lacm lnsm 2 4
_check
log "multi-homed: 2 tunnels (IPv4, IPv6) and 4 sessions established on both sides"
peers=$(ctl "$(sock lacm)" show tunnels | _jq '" ".join(sorted(t["peer"] for t in j))')
assert_eq "10.205.1.11:1701 [fd00:205:1::11]:1701" "$peers" "peers of the LAC's tunnels"
# Let the LNS send HELLOs of its own (hello_interval = 1 there): not replies,
# but they must use the tunnel's address as well.
wait_until 10 counter_ge "$(sock lnsm)" messages_sent.HELLO 2
# ...and a StopCCN: the LNS closes both tunnels.
for tid in $(ctl "$(sock lnsm)" show tunnels | _jq '" ".join(str(t["id"]) for t in j)'); do
	ctl "$(sock lnsm)" close tunnel "$tid" >/dev/null
done
wait_until 15 empty "$(sock lacm)"
capture_stop capm
assert_eq 0 "$(counter "$(sock lacm)" dropped.wrong_peer)" "datagrams the LAC dropped as from a wrong peer"
v4from=$(dissect "$PCAP" -Y 'ip.dst == 10.205.1.2 && udp.srcport == 1701' -T fields -e ip.src | sort | uniq -c | xargs)
v6from=$(dissect "$PCAP" -Y 'ipv6.dst == fd00:205:1::2 && udp.srcport == 1701' -T fields -e ipv6.src | sort | uniq -c | xargs)
log "IPv4 datagrams to the LAC, by source: $v4from"
log "IPv6 datagrams to the LAC, by source: $v6from"
assert_eq 10.205.1.11 "$(awk '{ print $2 }' <<<"$v4from")" "IPv4 sources of the LNS's datagrams"
assert_eq fd00:205:1::11 "$(awk '{ print $2 }' <<<"$v6from")" "IPv6 sources of the LNS's datagrams"
assert_range "$(awk '{ print $1 }' <<<"$v4from")" 8 100000 "IPv4 datagrams from the LNS"
assert_range "$(awk '{ print $1 }' <<<"$v6from")" 8 100000 "IPv6 datagrams from the LNS"
types=$(msg_types "$PCAP")
for m in SCCRP ICRP HELLO StopCCN; do
	assert_contains "$types" "$m" "message types in the capture"
done
stop_clean lacm
stop_clean lnsm

# ---------------------------------------------------------------- 3

step "failover in order: .99 (silent), .98 (port unreachable), then .1"
ns_create lacf
ns_create lnsf
veth_link lacf 10.205.2.2/24 lnsf 10.205.2.1/24,10.205.2.98/24
ip -n "$(ns_name lacf)" neigh replace 10.205.2.99 lladdr 02:00:0a:cd:02:63 dev to-lnsf nud permanent
conf lnsf <<EOF
listen = 10.205.2.1:1701
tun = l2tef

[lns any]
peer = 10.205.2.0/24
local_ip = 10.100.7.1
pool = 10.100.7.2-10.100.7.254
EOF
conf lacf <<EOF
listen = 10.205.2.2:1701

[lac fo]
peer = 10.205.2.99:1701 10.205.2.98:1701
peer = 10.205.2.1:1701
EOF
capture_start lacf to-lnsf capf 60
daemon lnsf lnsf
daemon lacf lacf
# Each dead peer costs its retransmission schedule: sent at 0, again at 1
# and 2, dead at 3 s. Two of them, plus the setup and 4 s of slack.
BOUND=12
t0=$EPOCHREALTIME
assert_eq 3 "$(ctl "$(sock lacf)" dial fo 3 | _jq 'len(j)')" "sessions returned by dial fo 3"
wait_until "$BOUND" agree lacf lnsf 1 3
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
log "failover: 3 sessions established ${took}s after the dial"
assert_range "$took" 5 "$BOUND" "seconds from dial to 3 sessions established"
assert_eq 10.205.2.1:1701 "$(ctl "$(sock lacf)" show tunnels | _jq 'j[0]["peer"]')" "peer of the tunnel that came up"
assert_eq 3 "$(ctl "$(sock lacf)" show tunnels | _jq 'j[0]["sessions"]')" "sessions in that tunnel"
fo=$(grep -Eo 'failover destination=fo .* peer=[0-9.:]+' "$(bg_log lacf)" | sed 's/.*peer=//' | xargs)
assert_eq "10.205.2.98:1701 10.205.2.1:1701" "$fo" "failover log lines, in order"
capture_stop capf
dsts=$(dissect "$PCAP" -Y 'l2tp.avp.message_type == 1' -T fields -e ip.dst | uniq -c | xargs)
log "SCCRQs on the wire, in order (count destination): $dsts"
assert_eq "3 10.205.2.99 3 10.205.2.98 1 10.205.2.1" "$dsts" "SCCRQs by destination, in order"
stop_clean lacf
stop_clean lnsf

pass
