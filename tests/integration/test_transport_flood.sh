#!/bin/bash
# Floods: SCCRQs that are never answered, and malformed datagrams.
#
#   ns lacx 10.205.3.2 (flooder: l2tp_flood.py; later a real l2tpd LAC)
#        ── veth ── 10.205.3.1 ns lnsx (l2tpd LNS, max_half_open = 20)
#
#  1. 500 well-formed SCCRQs, each with its own Assigned Tunnel ID, from one
#     source port, 10 ms apart, never acknowledging anything. The LNS never
#     holds more than 20 tunnels that are not established (sampled through
#     `l2tpctl --json show tunnels` and the `tunnels.half_open` gauge while
#     the flood runs; the bound must also be reached), its RSS stays within
#     a bound, and every SCCRQ is either accepted (SCCRP) or refused
#     (StopCCN), the refusals counted in `tunnels.half_open_refused`.
#     The accepted ones time out on the retransmission schedule (1 s, cap
#     1 s, 2 retries) and leave nothing behind.
#  2. 200 malformed datagrams, round robin over: truncated header, Ver 1,
#     Ver 3, Length beyond the datagram, an AVP Length below 6, a hidden AVP
#     without a Random Vector. Each `dropped` counter of its reason grows by
#     exactly the number of that kind sent; nothing else happens.
#  3. The LNS is alive and serves a real l2tpd LAC: a tunnel and 2 sessions
#     come up; both daemons exit 0 on SIGTERM.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=l2tpd_helpers.sh
. "$(dirname "$0")/l2tpd_helpers.sh"

skip_unless_root
need_cmd ip timeout "$PYTHON"
need_bin "$L2TPD" "$L2TPCTL"

FLOOD=$_LIB_DIR/l2tp_flood.py
LAC=10.205.3.2 LNS=10.205.3.1
HALF_OPEN=20 N_SCCRQ=500 N_BAD=200
SECRET=flood-test-secret

# RSS growth allowed during the flood (kB): 20 half-open tunnels and 480
# refusals that allocate nothing. ASan's quarantine keeps freed memory
# resident, so its build gets more room.
if binary_is_sanitized "$L2TPD"; then
	RSS_GROWTH_KB=32768
else
	RSS_GROWTH_KB=4096
fi

ns_create lacx
ns_create lnsx
veth_link lacx "$LAC/24" lnsx "$LNS/24"
lnsdir=$(config_dir lns)
lacdir=$(config_dir lac)
LNS_SOCK=$lnsdir/l2tpd.sock
LAC_SOCK=$lacdir/l2tpd.sock

# A secret, so that a hidden AVP without a Random Vector is dropped for
# that reason (without one it would be "no shared secret").
cat >"$lnsdir/l2tpd.conf" <<EOF
[global]
listen = $LNS:1701
hostname = lnsx
control = $LNS_SOCK
tun = l2tex
max_half_open = $HALF_OPEN
retransmit_initial = 1
retransmit_cap = 1
retransmit_max = 2

[lns any]
peer = 10.205.3.0/24
secret = $SECRET
local_ip = 10.100.8.1
pool = 10.100.8.2-10.100.8.254
EOF
cat >"$lacdir/l2tpd.conf" <<EOF
[global]
listen = $LAC:1701
hostname = lacx
control = $LAC_SOCK
retransmit_initial = 1
retransmit_cap = 1
retransmit_max = 2

[lac up]
peer = $LNS:1701
secret = $SECRET
EOF
assert_ok timeout 10 "$L2TPD" -n -c "$lnsdir/l2tpd.conf"
assert_ok timeout 10 "$L2TPD" -n -c "$lacdir/l2tpd.conf"

rss_kb()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# ---------------------------------------------------------------- 1

step "$N_SCCRQ SCCRQs from one port, never answered (max_half_open = $HALF_OPEN)"
start_bg -n lnsx -w lns "$L2TPD" -c "$lnsdir/l2tpd.conf"
wait_until 30 ctl "$LNS_SOCK" stats
pid=$(bg_pid lns)
sleep 0.5
rss0=$(rss_kb "$pid")
refused0=$(counter "$LNS_SOCK" tunnels.half_open_refused)
start_bg -n lacx flood "$PYTHON" "$FLOOD" sccrq "$LNS" 1701 --count "$N_SCCRQ" \
	--first-tid 1000 --interval 0.01 --linger 1 --max-seconds 40
max_ne=0 max_gauge=0 max_rss=$rss0 samples=0
# Sample while the flood runs (bounded: it stops itself after 40 s).
for ((i = 0; i < 600; i++)); do
	bg_alive flood || break
	ne=$(ctl "$LNS_SOCK" show tunnels | _jq 'sum(1 for t in j if t["state"] != "established")')
	gauge=$(counter "$LNS_SOCK" tunnels.half_open)
	rss=$(rss_kb "$pid")
	((ne > max_ne)) && max_ne=$ne
	((gauge > max_gauge)) && max_gauge=$gauge
	((rss > max_rss)) && max_rss=$rss
	samples=$((samples + 1))
done
wait_bg flood 10
assert_eq 0 "$BG_STATUS" "flooder exit status"
out=$(tail -n 1 "$(bg_log flood)")
log "flooder: $out"
log "LNS while flooded ($samples samples): at most $max_ne tunnels not established" \
	"(half_open gauge at most $max_gauge), RSS $rss0 -> max $max_rss kB"
accepted=$(_jq 'j["accepted"]' <<<"$out")
refused=$(_jq 'j["refused"]' <<<"$out")
assert_eq "$N_SCCRQ" "$(_jq 'j["sent"]["sccrq"]' <<<"$out")" "SCCRQs sent"
assert_eq 0 "$(_jq 'j["unanswered"]' <<<"$out")" "SCCRQs with neither SCCRP nor StopCCN"
assert_eq "$N_SCCRQ" $((accepted + refused)) "accepted + refused"
assert_range "$samples" 10 100000 "samples taken during the flood"
assert_eq "$HALF_OPEN" "$max_ne" "most tunnels not established at once (the bound, reached)"
assert_range "$max_gauge" 1 "$HALF_OPEN" "most half-open tunnels (gauge)"
assert_range "$((max_rss - rss0))" -100000 "$RSS_GROWTH_KB" "RSS growth during the flood (kB)"
# Paced at 10 ms for 5 s, with half-open tunnels living ~3 s: the slots
# turn over once or twice, so most SCCRQs are refused.
assert_range "$accepted" "$HALF_OPEN" $((HALF_OPEN * 4)) "SCCRQs accepted"
assert_eq "$refused" $(($(counter "$LNS_SOCK" tunnels.half_open_refused) - refused0)) \
	"tunnels.half_open_refused vs StopCCNs received by the flooder"
assert_eq "$refused" "$(counter "$LNS_SOCK" tunnels.refused)" "tunnels.refused"
assert_eq "$refused" "$(counter "$LNS_SOCK" tunnels.stopccn_sent.2)" "StopCCN (general error) sent"

step "the half-open tunnels time out on the retransmission schedule"
wait_until 10 empty "$LNS_SOCK"
# Each accepted SCCRQ: an SCCRP sent 1 + retransmit_max times, then the
# flooder is declared dead.
assert_eq $((accepted * 3)) "$(_jq 'j["reply_types"]["SCCRP"]' <<<"$out")" "SCCRPs received by the flooder"
assert_eq "$accepted" "$(counter "$LNS_SOCK" tunnels.peer_dead)" "tunnels.peer_dead"
assert_eq 0 "$(counter "$LNS_SOCK" tunnels.half_open)" "half-open tunnels left"
assert_eq 0 "$(counter "$LNS_SOCK" tunnels.established)" "tunnels ever established"
show_stats LNS "$LNS_SOCK"

# ---------------------------------------------------------------- 2

step "$N_BAD malformed datagrams"
declare -A reason=(
	[short]="datagram shorter than its header"
	[version1]="L2F packet (version 1)"
	[version3]="L2TPv3 packet (version 3)"
	[length]="Length field disagrees with the datagram"
	[avp_length]="AVP Length below 6"
	[hidden_no_vector]="hidden AVP without a preceding Random Vector"
)
declare -A before
for k in "${!reason[@]}"; do
	before[$k]=$(counter "$LNS_SOCK" "dropped.${reason[$k]}")
done
unknown0=$(counter "$LNS_SOCK" dropped.unknown_tunnel)
refused0=$(counter "$LNS_SOCK" tunnels.refused)
out=$(ns_exec lacx timeout 30 "$PYTHON" "$FLOOD" malformed "$LNS" 1701 --count "$N_BAD" \
	--interval 0.002 --linger 0.5 --max-seconds 20)
log "flooder: $out"
assert_eq 0 "$(_jq 'j["replies"]' <<<"$out")" "replies to malformed datagrams"
total=0
for k in "${!reason[@]}"; do
	n=$(_jq 'j["sent"].get(a[0], 0)' "$k" <<<"$out")
	total=$((total + n))
	assert_range "$n" 1 "$N_BAD" "$k datagrams sent"
	assert_eq "$n" $(($(counter "$LNS_SOCK" "dropped.${reason[$k]}") - ${before[$k]})) \
		"dropped: ${reason[$k]}"
done
assert_eq "$N_BAD" "$total" "malformed datagrams sent"
assert_eq "$unknown0" "$(counter "$LNS_SOCK" dropped.unknown_tunnel)" "dropped.unknown_tunnel unchanged"
assert_eq "$refused0" "$(counter "$LNS_SOCK" tunnels.refused)" "tunnels.refused unchanged"
assert_ok empty "$LNS_SOCK"

# ---------------------------------------------------------------- 3

step "still alive: a real LAC brings up a tunnel and 2 sessions"
assert_ok bg_alive lns
start_bg -n lacx lac "$L2TPD" -c "$lacdir/l2tpd.conf"
wait_until 30 ctl "$LAC_SOCK" stats
assert_eq 2 "$(ctl "$LAC_SOCK" dial up 2 | _jq 'len(j)')" "sessions returned by dial up 2"
wait_until 15 count_is "$LNS_SOCK" sessions established 2
wait_until 5 count_is "$LAC_SOCK" sessions established 2
assert_eq 1 "$(count "$LNS_SOCK" tunnels established)" "tunnels established on the LNS"
log "after the floods: $(summary "$LNS_SOCK") on the LNS"
for n in lac lns; do
	stop_bg "$n" 20
	assert_eq 0 "$BG_STATUS" "$n exit status"
	_check
	if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$(bg_log "$n")"; then
		fail "$n: sanitizer report in its log"
	fi
done

pass
