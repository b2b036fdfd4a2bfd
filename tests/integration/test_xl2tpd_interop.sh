#!/bin/bash
# Interop with a real third-party L2TP peer: xl2tpd from Debian.
#
#   ns "xl" (xl2tpd) 10.201.40.1 ─── veth ─── 10.201.40.2 ns "us" (l2tpd)
#
# (a) xl2tpd as LAC dials our LNS, with tunnel authentication (its
#     "challenge = yes" and our secret). xl2tpd runs the real pppd, which
#     cannot start without kernel PPP: its call ends right after ICCN with a
#     CDN. So we assert on what happens before and at that point: the tunnel
#     is established, our LNS received ICCN and counted the session as set
#     up, then freed it on xl2tpd's CDN. xl2tpd's SIGINT sends a StopCCN
#     (SIGTERM would not): the tunnel goes too.
# (b) our LAC dials xl2tpd as LNS, with authentication. Here xl2tpd's pppd
#     is a stand-in bound over /usr/sbin/pppd inside xl2tpd's private mount
#     namespace (xl2tpd runs pppd from a compiled-in path); it holds the pty
#     open, so the call stays up and we can check it with l2tpctl, then
#     close the session (CDN) and the destination (StopCCN) from our side.
#
# (This relies on the kernel having no PPP, as on the project's test
# machines; with /dev/ppp, pppd would start in (a).)
#
# xl2tpd's "hidden bit = yes" is on in both directions: it adds Random
# Vectors (and hides nothing), which we must accept. Our own hide_avps is
# on too: xl2tpd looks up the tunnel secret only after the whole SCCRQ is
# parsed, so it cannot read a hidden AVP in an SCCRQ ("decrypt_avp:
# Decrypted length is too long") -- which is why we hide nothing in SCCRQ
# and start with SCCCN. Our hiding itself is checked against an
# independent RFC 2661 decoder in test_tunnel_auth.sh.
#
# Both exchanges are captured by tshark in our namespace (udp port 1701)
# and dissected: no malformed packet, no expert error.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=l2tpd_helpers.sh
. "$(dirname "$0")/l2tpd_helpers.sh"

skip_unless_root
need_cmd ip "$PYTHON" timeout tshark xl2tpd unshare mount
need_bin "$L2TPD" "$L2TPCTL"

XL=10.201.40.1 US=10.201.40.2
SECRET=interop-s3cret

ns_create xl
ns_create us
veth_link xl "$XL/24" us "$US/24"

# ---------------------------------------------------------------- xl2tpd

xldir=$(config_dir xl2tpd)
# Tunnel secrets, "them me secret"; xl2tpd looks them up by host name.
printf '* * %s\n' "$SECRET" >"$xldir/l2tp-secrets"
echo noauth >"$xldir/ppp-options"
# The stand-in pppd of (b): xl2tpd passes the pty as the first argument.
cat >"$xldir/pppd-standin" <<'EOF'
#!/bin/sh
exec timeout 120 cat "$1" >/dev/null
EOF
chmod 755 "$xldir/pppd-standin"

cat >"$xldir/xl2tpd.conf" <<EOF
[global]
listen-addr = $XL
port = 1701
debug avp = yes
debug network = yes
debug state = yes
debug tunnel = yes

[lac us]
lns = $US
hostname = xl2tpd-lac
challenge = yes
hidden bit = yes
require authentication = no
pppoptfile = $xldir/ppp-options
length bit = yes

[lns default]
ip range = 10.100.9.2-10.100.9.20
local ip = 10.100.9.1
hostname = xl2tpd-lns
challenge = yes
hidden bit = yes
require authentication = no
pppoptfile = $xldir/ppp-options
length bit = yes
EOF

# xl2tpd_start NAME [standin]: xl2tpd in the foreground in ns xl, with its own
# config, secrets, pid file and control pipe (none of the system's paths).
# With "standin", in a private mount namespace with the stand-in pppd.
xl2tpd_start()
{
	local name=$1 argv=(xl2tpd -D -c "$xldir/xl2tpd.conf" -s "$xldir/l2tp-secrets"
		-p "$xldir/$1.pid" -C "$xldir/$1.ctl")

	rm -f "$xldir/$1.ctl" "$xldir/$1.pid"
	if [[ "${2:-}" == standin ]]; then
		# unshare -m makes the bind mount private: the host's pppd is untouched.
		start_bg -n xl "$name" unshare -m sh -c \
			'mount --bind "$0" /usr/sbin/pppd && exec "$@"' "$xldir/pppd-standin" "${argv[@]}"
	else
		start_bg -n xl "$name" "${argv[@]}"
	fi
	wait_log "$name" "Listening on IP address $XL, port 1701" 10
	wait_until 5 test -p "$xldir/$1.ctl"
}

# xl2tpd_cmd NAME COMMAND: one line to its control pipe, bounded in time.
xl2tpd_cmd()
{
	timeout 5 sh -c 'echo "$1" >"$2"' sh "$2" "$xldir/$1.ctl"
}

# ---------------------------------------------------------------- l2tpd

usdir=$(config_dir l2tpd)
SOCK=$usdir/l2tpd.sock
cat >"$usdir/l2tpd.conf" <<EOF
[global]
listen = $US:1701
hostname = l2tpd-us
control = $SOCK
tun = l2tpt0
hello_interval = 30
retransmit_initial = 1
retransmit_cap = 2
retransmit_max = 3

[lns from-xl2tpd]
peer = $XL/32
peer_hostname = xl2tpd-*
secret = $SECRET
hide_avps = yes
local_ip = 10.100.8.1
pool = 10.100.8.2-10.100.8.20

[lac xl]
peer = $XL:1701
secret = $SECRET
hide_avps = yes
EOF
assert_ok timeout 10 "$L2TPD" -n -c "$usdir/l2tpd.conf"

l2tpd_start()
{
	start_bg -n us "$1" "$L2TPD" -c "$usdir/l2tpd.conf"
	wait_until 10 test -S "$SOCK"
	wait_until 10 ctl "$SOCK" stats
}

# ================================================================ (a)

step "(a) xl2tpd as LAC dials our LNS (challenge on both sides)"
capture_start us to-xl cap_a
l2tpd_start l2tpd_a
xl2tpd_start xl_lac
xl2tpd_cmd xl_lac "c us"

step "(a) the tunnel comes up on both sides"
wait_until 15 count_is "$SOCK" tunnels established 1
wait_log xl_lac "Connection established to $US" 10
tunnels=$(ctl "$SOCK" show tunnels)
assert_eq xl2tpd-lac "$(_jq 'items(j, "tunnels")[0]["peer_hostname"]' <<<"$tunnels")" \
	"peer_hostname of the tunnel"
assert_eq lns "$(_jq 'items(j, "tunnels")[0]["role"]' <<<"$tunnels")" "our role"

step "(a) ICCN received: the session was set up on our LNS"
wait_until 15 counter_ge "$SOCK" sessions.established 1
wait_log xl_lac "Call established with $US" 10
log "xl2tpd: $(grep -m1 -o 'Call established with.*' "$(bg_log xl_lac)")"
assert_range "$(counter "$SOCK" messages_received.ICCN)" 1 1 "ICCN received"
assert_range "$(counter "$SOCK" messages_sent.ICRP)" 1 1 "ICRP sent"

step "(a) xl2tpd's pppd cannot run here: its CDN frees our session, the tunnel stays"
wait_log xl_lac "pppd exited|Connection closed|Terminating pppd" 15
wait_until 15 count_is "$SOCK" sessions "" 0
assert_range "$(counter "$SOCK" messages_received.CDN)" 1 1 "CDN received"
assert_eq 1 "$(count "$SOCK" tunnels established)" "tunnels established after the CDN"
log "our LNS: $(summary "$SOCK")"

step "(a) SIGINT to xl2tpd: its StopCCN closes the tunnel on our side"
kill -INT "$(bg_pid xl_lac)"
wait_bg xl_lac 10
wait_until 15 count_is "$SOCK" tunnels "" 0
assert_range "$(counter "$SOCK" messages_received.StopCCN)" 1 1 "StopCCN received"
show_stats "our LNS (a)" "$SOCK"
stop_bg l2tpd_a
assert_eq 0 "$BG_STATUS" "l2tpd exit status"
capture_stop cap_a
pcap_a=$PCAP
log "(a) on the wire: $(msg_types "$pcap_a")"
assert_dissects_clean "$pcap_a" "(a) xl2tpd LAC -> l2tpd LNS"
assert_range "$(dissect_count "$pcap_a" "ip.src == $XL && l2tp.avp.type == 36")" 1 999999 \
	"(a) messages from xl2tpd with a Random Vector (accepted)"

# ================================================================ (b)

step "(b) our LAC dials xl2tpd as LNS (challenge both ways)"
capture_start us to-xl cap_b
xl2tpd_start xl_lns standin
l2tpd_start l2tpd_b
assert_ok ctl "$SOCK" dial xl 1 >/dev/null

step "(b) tunnel and session established on our side"
wait_until 15 count_is "$SOCK" tunnels established 1
wait_until 15 count_is "$SOCK" sessions established 1
wait_log xl_lns "Connection established to $US" 10
wait_log xl_lns "Call established with $US" 10
sessions=$(ctl "$SOCK" show sessions)
assert_eq lac "$(_jq 'items(j, "sessions")[0]["role"]' <<<"$sessions")" "our session's role"
tunnels=$(ctl "$SOCK" show tunnels)
assert_eq xl2tpd-lns "$(_jq 'items(j, "tunnels")[0]["peer_hostname"]' <<<"$tunnels")" \
	"peer_hostname of the tunnel"
log "our LAC: $(summary "$SOCK")"

step "(b) the call stays up (the stand-in pppd holds it)"
sleep 2
assert_eq 1 "$(count "$SOCK" sessions established)" "sessions established after 2 s"

step "(b) we close the session (CDN), xl2tpd ends the call, the tunnel stays"
sid=$(_jq 'items(j, "sessions")[0]["id"]' <<<"$sessions")
assert_ok ctl "$SOCK" close session "$sid" >/dev/null
wait_log xl_lns "Connection closed to $US, serial" 10
log "xl2tpd: $(grep -m1 -o 'Connection closed to.*serial.*' "$(bg_log xl_lns)")"
wait_until 10 count_is "$SOCK" sessions "" 0
assert_eq 1 "$(count "$SOCK" tunnels established)" "tunnels established after the CDN"
assert_eq 1 "$(counter "$SOCK" sessions.cdn_sent.3)" "CDN sent (result 3, administrative)"

step "(b) we close the destination (StopCCN): xl2tpd sees the tunnel go"
assert_ok ctl "$SOCK" close destination xl >/dev/null
wait_until 15 empty "$SOCK"
wait_log xl_lns "Connection closed to $US, port 1701" 15
log "xl2tpd: $(grep -m1 -o 'Connection closed to.*port 1701.*' "$(bg_log xl_lns)")"
show_stats "our LAC (b)" "$SOCK"
stop_bg l2tpd_b
assert_eq 0 "$BG_STATUS" "l2tpd exit status"
stop_bg xl_lns
capture_stop cap_b
pcap_b=$PCAP
log "(b) on the wire: $(msg_types "$pcap_b")"
assert_dissects_clean "$pcap_b" "(b) l2tpd LAC -> xl2tpd LNS"
assert_range "$(dissect_count "$pcap_b" "ip.src == $XL && l2tp.avp.type == 36")" 1 999999 \
	"(b) messages from xl2tpd with a Random Vector (accepted)"

pass
