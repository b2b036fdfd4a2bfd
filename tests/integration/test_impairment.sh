#!/bin/bash
# The control connection under loss, duplication and reordering: a LAC and
# an LNS talk through udp-impair, which drops 30 %, duplicates 10 % and
# reorders 10 % of the control messages (data messages pass untouched),
# with a fixed seed so a failure can be rerun identically.
#
#   ns "lac" 10.201.50.1 ── veth ── 10.201.50.2 ns "mid" 10.201.51.1 ── veth ── 10.201.51.2 ns "lns"
#                                   udp-impair :1701 ─────────────────────────► :1701
#
# "mid" does not route between its veths: the relay is the only path. The
# LAC dials 200 sessions (in tunnels of 20: ten control connections, each
# with its own window and timers, keep the run short); all must reach
# established on both sides. Closing the destination on the LAC must then
# leave nothing on either side once the §5.7 linger is over: no stuck
# tunnel, no stuck session. Both sides' l2tpctl stats are printed
# (retransmissions, duplicates) for the record.
#
# Timers: a constant 1 s retransmission timeout (retransmit_cap = 1) and up
# to 20 retransmissions. A try succeeds when the message and an ack both get
# through (about 0.7 x 0.7); 21 failed tries in a row (~5e-8 per message)
# would be a dead peer, so a run sees none.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=l2tpd_helpers.sh
. "$(dirname "$0")/l2tpd_helpers.sh"

skip_unless_root
need_cmd ip "$PYTHON" timeout
need_bin "$L2TPD" "$L2TPCTL" "$UDP_IMPAIR"

LAC=10.201.50.1 MID_LAC=10.201.50.2 MID_LNS=10.201.51.1 LNS=10.201.51.2
SESSIONS=200 PER_TUNNEL=20
TUNNELS=$((SESSIONS / PER_TUNNEL))

ns_create lac
ns_create mid
ns_create lns
veth_link lac "$LAC/24" mid "$MID_LAC/24"
veth_link mid "$MID_LNS/24" lns "$LNS/24"

lacdir=$(config_dir lac)
lnsdir=$(config_dir lns)
LAC_SOCK=$lacdir/l2tpd.sock
LNS_SOCK=$lnsdir/l2tpd.sock

TIMERS="retransmit_initial = 1
retransmit_cap = 1
retransmit_max = 20
hello_interval = 60"

cat >"$lnsdir/l2tpd.conf" <<EOF
[global]
listen = $LNS:1701
hostname = lns1
control = $LNS_SOCK
tun = l2tpt0
$TIMERS

[lns via-relay]
; the relay's address: it is the LNS's only peer
peer = $MID_LNS/32
local_ip = 10.100.50.1
pool = 10.100.50.2-10.100.51.254
EOF

cat >"$lacdir/l2tpd.conf" <<EOF
[global]
listen = $LAC:1701
hostname = lac1
control = $LAC_SOCK
$TIMERS

[lac lns1]
peer = $MID_LAC:1701
max_sessions_per_tunnel = $PER_TUNNEL
EOF
assert_ok timeout 10 "$L2TPD" -n -c "$lnsdir/l2tpd.conf"
assert_ok timeout 10 "$L2TPD" -n -c "$lacdir/l2tpd.conf"

step "relay in ns mid: --drop 0.3 --dup 0.1 --reorder 0.1 --seed 42 --control-only"
impair_start -n mid relay --listen "$MID_LAC:1701" --forward "$LNS:1701" \
	--drop 0.3 --dup 0.1 --reorder 0.1 --seed 42 --control-only

step "start the LNS and the LAC"
start_bg -n lns -w lns "$L2TPD" -c "$lnsdir/l2tpd.conf"
start_bg -n lac -w lac "$L2TPD" -c "$lacdir/l2tpd.conf"
wait_until 30 ctl "$LNS_SOCK" stats
wait_until 30 ctl "$LAC_SOCK" stats

# all_up: every session has reached established on both sides (the
# cumulative counter), and every tunnel is established. Not "all 200 up at
# once": the LNS runs PPP on each call and rightly drops one whose peer never
# answers LCP (about 30 s), and this [lac] has no PPP behind its calls; under
# 30% loss the last sessions can come up after the first are dropped.
all_up()
{
	counter_ge "$LAC_SOCK" sessions.established "$SESSIONS" &&
		counter_ge "$LNS_SOCK" sessions.established "$SESSIONS" &&
		count_is "$LAC_SOCK" tunnels established "$TUNNELS" &&
		count_is "$LNS_SOCK" tunnels established "$TUNNELS"
}

# progress: print both sides while waiting, every 10 s (for the record).
progress()
{
	log "LAC $(summary "$LAC_SOCK"); LNS $(summary "$LNS_SOCK")"
}

step "dial $SESSIONS sessions through the relay ($TUNNELS tunnels of $PER_TUNNEL)"
t0=$EPOCHREALTIME
assert_eq "$SESSIONS" "$(ctl "$LAC_SOCK" dial lns1 "$SESSIONS" | _jq 'len(j)')" \
	"session ids returned by dial"
for ((i = 0; i < 12; i++)); do
	all_up && break
	sleep 10
	progress
done
wait_until 5 all_up
log "all $SESSIONS sessions and $TUNNELS tunnels established on both sides after" \
	"$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
assert_eq 0 "$(counter "$LAC_SOCK" tunnels.peer_dead)" "tunnels the LAC declared dead"
assert_eq 0 "$(counter "$LNS_SOCK" tunnels.peer_dead)" "tunnels the LNS declared dead"
assert_eq 0 "$(counter "$LAC_SOCK" sessions.failed)" "sessions failed (LAC)"
assert_eq 0 "$(counter "$LNS_SOCK" sessions.failed)" "sessions failed (LNS)"

step "close the destination on the LAC: nothing stuck on either side"
t0=$EPOCHREALTIME
assert_ok ctl "$LAC_SOCK" close destination lns1 >/dev/null
# StopCCN retransmitted through the loss, then the §5.7 linger: one full
# retransmission cycle (about 21 s here) on both sides.
for ((i = 0; i < 8; i++)); do
	empty "$LAC_SOCK" && empty "$LNS_SOCK" && break
	sleep 5
	progress
done
wait_until 10 empty "$LAC_SOCK"
wait_until 10 empty "$LNS_SOCK"
log "both sides empty after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
assert_eq "$TUNNELS" "$(counter "$LNS_SOCK" tunnels.stopccn_received.1)" \
	"StopCCN (clear) received by the LNS, one per tunnel"
assert_eq "[]" "$(ctl "$LNS_SOCK" show destinations | tr -d ' \n')" "destinations left on the LNS"

step "the record: both sides' counters, and the relay's"
show_stats LAC "$LAC_SOCK"
show_stats LNS "$LNS_SOCK"
for side in LAC LNS; do
	sock=LAC_SOCK
	[[ $side == LNS ]] && sock=LNS_SOCK
	log "$side: retransmitted $(counter "${!sock}" transport.retransmitted)," \
		"duplicates $(counter "${!sock}" transport.duplicates)," \
		"out of order $(counter "${!sock}" transport.out_of_order)," \
		"ZLB sent $(counter "${!sock}" transport.zlb_sent)"
done
stop_bg lac 30
assert_eq 0 "$BG_STATUS" "LAC exit status"
stop_bg lns 30
assert_eq 0 "$BG_STATUS" "LNS exit status"
impair_stop relay
log "relay: $(tr -d '\n' <"$IMPAIR_STATS")"
# The impairment really happened, both ways.
for d in upstream downstream; do
	assert_range "$(json_get "$IMPAIR_STATS" "$d.dropped")" 1 999999 "relay $d dropped"
	assert_range "$(json_get "$IMPAIR_STATS" "$d.duplicated")" 1 999999 "relay $d duplicated"
	assert_range "$(json_get "$IMPAIR_STATS" "$d.reordered")" 1 999999 "relay $d reordered"
done

pass
