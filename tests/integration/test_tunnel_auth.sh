#!/bin/bash
# Tunnel authentication (RFC 2661 §5.1.1) and AVP hiding (§4.3) between two
# l2tpd, a LAC and an LNS:
#
#   ns "lac" 10.201.20.1 ─── veth ─── 10.201.20.2 ns "lns"
#
# Each case starts both daemons afresh with its secrets, dials one session
# from the LAC, and reads the exchange in a tshark capture taken in the LNS
# namespace:
#   none       no secret: tunnel and session up; no Challenge on the wire
#   secret     the same secret: up; Challenge and Challenge Response both ways
#   hidden     the same secret and hide_avps=yes: up; hidden AVPs (H bit)
#              on the wire, each message with one carrying a Random Vector
#              first; and an independent decoder (Python, from the RFC)
#              unhides them into the ids the peer then uses
#   wrong      different secrets: the LAC finds the LNS's response wrong and
#              clears the tunnel with StopCCN result 4; nothing established
#   lac-only   only the LAC has a secret: the LNS cannot answer its
#              challenge, logs the authentication failure and sends
#              StopCCN result 4, which the LAC acknowledges (to the tunnel
#              id the StopCCN assigns); nothing established
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=l2tpd_helpers.sh
. "$(dirname "$0")/l2tpd_helpers.sh"

skip_unless_root
need_cmd ip "$PYTHON" timeout tshark
need_bin "$L2TPD" "$L2TPCTL"

LAC=10.201.20.1 LNS=10.201.20.2

ns_create lac
ns_create lns
veth_link lac "$LAC/24" lns "$LNS/24"

lacdir=$(config_dir lac)
lnsdir=$(config_dir lns)
LAC_SOCK=$lacdir/l2tpd.sock
LNS_SOCK=$lnsdir/l2tpd.sock

# write_configs LAC_SECRET LNS_SECRET HIDE: "" = no secret line at all.
write_configs()
{
	local lac_secret=$1 lns_secret=$2 hide=$3

	cat >"$lnsdir/l2tpd.conf" <<-EOF
		[global]
		listen = $LNS:1701
		hostname = lns1
		control = $LNS_SOCK
		tun = l2tpt0
		retransmit_initial = 1
		retransmit_cap = 2
		retransmit_max = 3

		[lns lacs]
		peer = $LAC/32
		peer_hostname = lac*
		${lns_secret:+secret = $lns_secret}
		${lns_secret:+hide_avps = $hide}
		local_ip = 10.100.20.1
		pool = 10.100.20.2-10.100.20.100
	EOF
	cat >"$lacdir/l2tpd.conf" <<-EOF
		[global]
		listen = $LAC:1701
		hostname = lac1
		control = $LAC_SOCK
		retransmit_initial = 1
		retransmit_cap = 2
		retransmit_max = 3

		[lac lns1]
		peer = $LNS:1701
		${lac_secret:+secret = $lac_secret}
		${lac_secret:+hide_avps = $hide}
	EOF
	assert_ok timeout 10 "$L2TPD" -n -c "$lnsdir/l2tpd.conf"
	assert_ok timeout 10 "$L2TPD" -n -c "$lacdir/l2tpd.conf"
}

# start_case NAME LAC_SECRET LNS_SECRET HIDE: configs, capture, both daemons,
# and one session dialled from the LAC.
start_case()
{
	local name=$1

	write_configs "$2" "$3" "$4"
	capture_start lns to-lac "cap_$name"
	start_bg -n lns "lns_$name" "$L2TPD" -c "$lnsdir/l2tpd.conf"
	start_bg -n lac "lac_$name" "$L2TPD" -c "$lacdir/l2tpd.conf"
	wait_until 10 ctl "$LNS_SOCK" stats
	wait_until 10 ctl "$LAC_SOCK" stats
	assert_ok ctl "$LAC_SOCK" dial lns1 1 >/dev/null
}

# stop_case NAME: both daemons (clean exit), then the capture; its file is
# then in $PCAP (set by capture_stop).
stop_case()
{
	local name=$1

	stop_bg "lac_$name"
	assert_eq 0 "$BG_STATUS" "LAC exit status ($name)"
	stop_bg "lns_$name"
	assert_eq 0 "$BG_STATUS" "LNS exit status ($name)"
	capture_stop "cap_$name"
}

# established_both: one tunnel and one session established on each side.
established_both()
{
	count_is "$LAC_SOCK" tunnels established 1 && count_is "$LNS_SOCK" tunnels established 1 &&
		count_is "$LAC_SOCK" sessions established 1 &&
		count_is "$LNS_SOCK" sessions established 1
}

# assert_up NAME AUTHENTICATED HIDDEN: the case's tunnel and session came
# up on both sides, each tunnel showing (show tunnel ID) whether it was
# authenticated and hides its AVPs.
assert_up()
{
	local sock tid detail

	wait_until 15 established_both
	log "$1: LAC $(summary "$LAC_SOCK"); LNS $(summary "$LNS_SOCK")"
	for sock in "$LAC_SOCK" "$LNS_SOCK"; do
		tid=$(ctl "$sock" show tunnels | _jq 'j[0]["id"]')
		detail=$(ctl "$sock" show tunnel "$tid")
		assert_eq "$2" "$(_jq 'str(j["authenticated"]).lower()' <<<"$detail")" \
			"$1: tunnel $tid authenticated"
		assert_eq "$3" "$(_jq 'str(j["hide_avps"]).lower()' <<<"$detail")" \
			"$1: tunnel $tid hide_avps"
		assert_eq 0 "$(counter "$sock" tunnels.auth_failures)" "$1: auth failures"
	done
}

# assert_refused NAME: nothing was ever established, on either side, and
# both have freed the tunnel. The LAC's dial does not retry by itself.
assert_refused()
{
	wait_until 20 empty "$LAC_SOCK"
	wait_until 20 empty "$LNS_SOCK"
	assert_eq 0 "$(counter "$LAC_SOCK" tunnels.established)" "$1: tunnels ever established (LAC)"
	assert_eq 0 "$(counter "$LNS_SOCK" tunnels.established)" "$1: tunnels ever established (LNS)"
	assert_eq 0 "$(counter "$LAC_SOCK" sessions.established)" "$1: sessions ever established (LAC)"
	assert_eq 0 "$(counter "$LNS_SOCK" sessions.established)" "$1: sessions ever established (LNS)"
}

# frames PCAP FILTER: how many frames match.
frames()
{
	dissect_count "$@"
}

# An independent reading of the hidden AVPs: decode each control message
# from the raw UDP payload, unhide every hidden AVP as RFC 2661 §4.3 says
# (MD5 of the attribute type, the secret and the Random Vector, then chained
# over 16-octet blocks), and check what the Assigned Tunnel and Session IDs
# carry against the ids the peer then puts in its headers. Both daemons
# share one codec, so they would agree with each other even on a wrong
# hiding; this would not.
cat >"$TEST_TMP/unhide.py" <<'EOF'
# Read "src<TAB>udp payload hex" lines (one per frame), decode every L2TP
# control message ourselves, unhide hidden AVPs per RFC 2661 §4.3 with the
# secret, and check what they carry against the headers the peer then uses.
import hashlib, struct, sys

secret = sys.argv[1].encode()
frames = []
for line in sys.stdin:
    src, hexpayload = line.rstrip("\n").split("\t")
    frames.append((src, bytes.fromhex(hexpayload.replace(":", ""))))

def unhide(avp_type, rv, data):
    out, prev = bytearray(), None
    for i in range(0, len(data), 16):
        if prev is None:
            key = hashlib.md5(struct.pack("!H", avp_type) + secret + rv).digest()
        else:
            key = hashlib.md5(secret + prev).digest()
        chunk = data[i:i + 16]
        out += bytes(a ^ b for a, b in zip(chunk, key))
        prev = chunk
    orig_len = struct.unpack("!H", out[:2])[0]
    if orig_len > len(out) - 2:
        raise ValueError(f"type {avp_type}: original length {orig_len} > {len(out) - 2}")
    return bytes(out[2:2 + orig_len])

problems, hidden_count, assigned = [], 0, []   # (src, what, value)
headers = []                                    # (src, tunnel, session)
for n, (src, p) in enumerate(frames, 1):
    flags, = struct.unpack("!H", p[:2])
    if not flags & 0x8000:
        continue
    off = 2
    length = len(p)
    if flags & 0x4000:
        length, = struct.unpack("!H", p[off:off + 2]); off += 2
    tid, sid = struct.unpack("!HH", p[off:off + 4]); off += 4
    if flags & 0x0800:
        off += 4
    if flags & 0x0200:
        osz, = struct.unpack("!H", p[off:off + 2]); off += 2 + osz
    headers.append((n, src, tid, sid))
    rv = None
    while off < length:
        h, vendor, atype = struct.unpack("!HHH", p[off:off + 6])
        alen = h & 0x03ff
        value = p[off + 6:off + alen]
        off += alen
        if vendor:
            continue
        if atype == 36:
            rv = value
            continue
        if h & 0x4000:
            hidden_count += 1
            if rv is None:
                problems.append(f"frame {n}: hidden AVP {atype} with no Random Vector before it")
                continue
            try:
                value = unhide(atype, rv, value)
            except ValueError as e:
                problems.append(f"frame {n}: {e}")
                continue
        if atype == 9:
            assigned.append((n, src, "tunnel", struct.unpack("!H", value)[0] if len(value) == 2 else None))
        if atype == 14:
            assigned.append((n, src, "session", struct.unpack("!H", value)[0] if len(value) == 2 else None))
# Every Assigned Tunnel/Session ID a side sent must be the id the other side
# then puts in its headers.
for n, src, what, v in assigned:
    used = {(t if what == "tunnel" else s) for (m, s2, t, s) in headers if s2 != src and m > n}
    if v is None or v not in used:
        problems.append(f"frame {n}: Assigned {what} ID {v} from {src} never used by the peer (saw {sorted(used)})")
print(f"hidden={hidden_count} assigned_checked={len(assigned)}")
for p in problems:
    print("PROBLEM:", p)
sys.exit(1 if problems else 0)
EOF

# ---------------------------------------------------------------- none

step "no secret: tunnel and session come up, no Challenge on the wire"
start_case none "" "" no
assert_up none false false
stop_case none
pcap=$PCAP
log "none: $(msg_types "$pcap")"
assert_dissects_clean "$pcap" none
assert_eq 0 "$(frames "$pcap" 'l2tp.avp.type == 11')" "none: frames with a Challenge AVP"
assert_eq 0 "$(frames "$pcap" 'l2tp.avp.hidden == 1')" "none: frames with a hidden AVP"

# ---------------------------------------------------------------- secret

step "secret on both sides: tunnel and session come up, challenged both ways"
start_case secret s3cret s3cret no
assert_up secret true false
stop_case secret
pcap=$PCAP
log "secret: $(msg_types "$pcap")"
assert_dissects_clean "$pcap" secret
# SCCRQ and SCCRP carry a Challenge; SCCRP and SCCCN a Challenge Response.
assert_eq 1 "$(frames "$pcap" 'l2tp.avp.message_type == 1 && l2tp.avp.type == 11')" \
	"secret: SCCRQ with a Challenge"
assert_eq 1 "$(frames "$pcap" 'l2tp.avp.message_type == 2 && l2tp.avp.type == 11 && l2tp.avp.type == 13')" \
	"secret: SCCRP with a Challenge and a Challenge Response"
assert_eq 1 "$(frames "$pcap" 'l2tp.avp.message_type == 3 && l2tp.avp.type == 13')" \
	"secret: SCCCN with a Challenge Response"
assert_eq 0 "$(frames "$pcap" 'l2tp.avp.hidden == 1')" "secret: frames with a hidden AVP"

# ---------------------------------------------------------------- hidden

step "secret and hide_avps=yes: tunnel and session come up, AVPs hidden on the wire"
start_case hidden s3cret s3cret yes
assert_up hidden true true
stop_case hidden
pcap=$PCAP
log "hidden: $(msg_types "$pcap")"
assert_dissects_clean "$pcap" hidden
hidden_from_lac=$(frames "$pcap" "ip.src == $LAC && l2tp.avp.hidden == 1")
hidden_from_lns=$(frames "$pcap" "ip.src == $LNS && l2tp.avp.hidden == 1")
log "hidden: frames with hidden AVPs: $hidden_from_lac from the LAC, $hidden_from_lns from the LNS"
assert_range "$hidden_from_lac" 1 9999 "hidden: frames with hidden AVPs from the LAC"
assert_range "$hidden_from_lns" 1 9999 "hidden: frames with hidden AVPs from the LNS"
# §4.3: a Random Vector precedes the hidden AVPs of a message.
assert_eq 0 "$(frames "$pcap" 'l2tp.avp.hidden == 1 && !(l2tp.avp.type == 36)')" \
	"hidden: frames with a hidden AVP but no Random Vector"
assert_range "$(frames "$pcap" 'l2tp.avp.type == 36')" 2 9999 "hidden: frames with a Random Vector"
# The Random Vector comes before the first hidden AVP in every such frame.
order=$(dissect "$pcap" -Y 'l2tp.avp.hidden == 1' -T fields -E occurrence=a -E aggregator=, \
	-e frame.number -e l2tp.avp.hidden -e l2tp.avp.type | "$PYTHON" -c '
import sys
bad = []
for line in sys.stdin:
    f = line.rstrip("\n").split("\t")
    hidden = [int(x) for x in f[1].split(",")]
    types = f[2].split(",")
    # l2tp.avp.type is absent for hidden AVPs (tshark does not decode them), so
    # walk the visible types: the Random Vector must be among those before the
    # first hidden AVP.
    first_hidden = hidden.index(1)
    if "36" not in types[:first_hidden]:
        bad.append(f[0])
print(" ".join(bad))')
assert_eq "" "$order" "hidden: frames whose first hidden AVP comes before any Random Vector"
unhidden=$(dissect "$pcap" -Y l2tp -T fields -e ip.src -e udp.payload |
	"$PYTHON" "$TEST_TMP/unhide.py" s3cret) || fail "hidden: RFC 2661 unhiding: $unhidden"
log "hidden: unhidden independently (RFC 2661 §4.3): $unhidden"
_CHECKS=$((_CHECKS + 1))

# ---------------------------------------------------------------- wrong

step "different secrets: refused with StopCCN result 4, nothing established"
start_case wrong s3cret not-the-s3cret no
wait_until 15 counter_ge "$LAC_SOCK" tunnels.auth_failures 1
wait_log lac_wrong "tunnel authentication failed .*reason=bad challenge response" 5
log "LAC: $(grep -m1 'authentication failed' "$(bg_log lac_wrong)")"
wait_until 15 counter_ge "$LNS_SOCK" tunnels.stopccn_received.4 1
wait_log lns_wrong "tunnel closed by peer .*result=4" 5
log "LNS: $(grep -m1 'closed by peer' "$(bg_log lns_wrong)")"
assert_refused wrong
stop_case wrong
pcap=$PCAP
log "wrong: $(msg_types "$pcap")"
assert_dissects_clean "$pcap" wrong
assert_eq 1 "$(frames "$pcap" "ip.src == $LAC && l2tp.avp.message_type == 4 && l2tp.result_code == 4")" \
	"wrong: StopCCN with result code 4 from the LAC"
assert_eq 0 "$(frames "$pcap" 'l2tp.avp.message_type == 3')" "wrong: SCCCN frames"
assert_eq 0 "$(frames "$pcap" 'l2tp.avp.message_type == 10')" "wrong: ICRQ frames"

# ---------------------------------------------------------------- lac-only

step "secret on the LAC only: the LNS cannot answer, logs it, StopCCN result 4"
start_case laconly s3cret "" no
wait_until 15 counter_ge "$LNS_SOCK" tunnels.auth_failures 1
wait_log lns_laconly "tunnel authentication failed .*reason=peer sent a challenge but no secret" 5
log "LNS: $(grep -m1 'authentication failed' "$(bg_log lns_laconly)")"
wait_until 15 counter_ge "$LAC_SOCK" tunnels.stopccn_received.4 1
assert_refused lac-only
stop_case laconly
pcap=$PCAP
log "lac-only: $(msg_types "$pcap")"
assert_dissects_clean "$pcap" lac-only
assert_range "$(frames "$pcap" "ip.src == $LNS && l2tp.avp.message_type == 4 && l2tp.result_code == 4")" \
	1 99 "lac-only: StopCCN with result code 4 from the LNS"
# The LNS's StopCCN carries its Assigned Tunnel ID (§4.4.3: "permitting the
# peer to identify the appropriate tunnel even if a StopCCN is sent before
# an Assigned Tunnel ID AVP is received"): the LAC's ZLB acknowledging it
# goes to that tunnel id, not to 0, so the LNS sends its StopCCN once.
assert_eq 0 "$(frames "$pcap" "ip.src == $LAC && l2tp.tunnel == 0 && !l2tp.avp.message_type")" \
	"lac-only: ZLBs from the LAC addressed to tunnel id 0"
assert_eq 1 "$(frames "$pcap" "ip.src == $LNS && l2tp.avp.message_type == 4")" \
	"lac-only: StopCCNs from the LNS (retransmitted if never acknowledged)"
assert_eq 0 "$(frames "$pcap" 'l2tp.avp.message_type == 3')" "lac-only: SCCCN frames"

pass
