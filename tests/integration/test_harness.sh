#!/bin/bash
# Self-test of lib.sh and udp-impair, before the daemon tests lean on them.
#
#   A (probe) ── 10.201.1.0/24, fd00:201:1::/64 ── R (udp-impair) ── 10.201.2.0/24, fd00:201:2::/64 ── B (echo)
#
# R forwards nothing itself (no ip_forward, no routes across): the relay is
# the only path from A to B. A sends numbered datagrams to the relay, B echoes
# them, and A records what comes back, so every impairment is seen round
# trip, i.e. applied twice.
#
# L2TPT_FAIL_AT_STEP=N or L2TPT_FAIL_AT_CHECK=N (see lib.sh) make it fail on
# purpose, to check the cleanup: L2TPT_FAIL_AT_CHECK=2 fails while a relay,
# the echo server and a probe are running.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

skip_unless_root
need_cmd ip timeout "$PYTHON"
need_bin "$UDP_IMPAIR"

A4=10.201.1.1 R4A=10.201.1.2 R4B=10.201.2.1 B4=10.201.2.2
A6=fd00:201:1::1 R6A=fd00:201:1::2 R6B=fd00:201:2::1 B6=fd00:201:2::2
ECHO_PORT=7000 RELAY_PORT=1701

# A UDP echo server, dual-stack, bounded in time, and counting.
cat >"$TEST_TMP/echo.py" <<'EOF'
import signal, socket, sys, time
def big_buffers(sock):
    # Loss must come from the relay's seed only, never from a full buffer:
    # SO_RCVBUFFORCE (33) goes past rmem_max, which root may do.
    try:
        sock.setsockopt(socket.SOL_SOCKET, 33, 1 << 22)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
port, max_s = int(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
big_buffers(s)
s.bind(("::", port))
s.settimeout(0.2)
n = 0
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
print(f"echo: listening on [::]:{port}", flush=True)
end = time.monotonic() + max_s
while not stop and time.monotonic() < end:
    try:
        data, peer = s.recvfrom(65535)
    except socket.timeout:
        continue
    s.sendto(data, peer)
    n += 1
print(f"echo: echoed {n}", flush=True)
EOF

# The probe: sends COUNT numbered datagrams in paced bursts, collects the
# echoes until none came for LINGER ms, writes the sequence numbers received
# (in arrival order) to OUT and a JSON summary to stdout.
# Datagram: byte 0 = 0xc8 (L2TP control: T, L, S set) or 0x40 (data: T
# clear), byte 1 = version 2, then the sequence number, then padding.
cat >"$TEST_TMP/probe.py" <<'EOF'
import json, select, socket, struct, sys, time
def big_buffers(sock):
    # Loss must come from the relay's seed only, never from a full buffer:
    # SO_RCVBUFFORCE (33) goes past rmem_max, which root may do.
    try:
        sock.setsockopt(socket.SOL_SOCKET, 33, 1 << 22)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
host, port, count, pattern, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
gap = float(sys.argv[6]) / 1000 if len(sys.argv) > 6 else 0.002
burst = int(sys.argv[7]) if len(sys.argv) > 7 else 20
LINGER, MAX_WAIT = 0.5, 10.0

def is_control(seq):
    return pattern == "control" or (pattern == "alternate" and seq % 2 == 0)

def packet(seq):
    return struct.pack("!BBI", 0xc8 if is_control(seq) else 0x40, 2, seq) + bytes(26)

fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
big_buffers(s)
s.setblocking(False)
sent_at, got, rtts, corrupt = {}, [], [], 0

def drain():
    global corrupt
    while True:
        try:
            data = s.recv(65535)
        except BlockingIOError:
            return
        seq = struct.unpack("!I", data[2:6])[0] if len(data) >= 6 else -1
        if seq not in sent_at or data != packet(seq):
            corrupt += 1
            continue
        got.append(seq)
        rtts.append((time.monotonic() - sent_at[seq]) * 1000)

for seq in range(count):
    sent_at[seq] = time.monotonic()
    s.sendto(packet(seq), (host, port))
    if seq % burst == burst - 1:
        time.sleep(gap)
        drain()
deadline = time.monotonic() + MAX_WAIT
while time.monotonic() < deadline:
    if not select.select([s], [], [], LINGER)[0]:
        break
    drain()

with open(out, "w") as f:
    f.write("".join(f"{q}\n" for q in got))
seen, dups, ooo, top = set(), 0, 0, -1
for q in got:
    if q in seen:
        dups += 1
    seen.add(q)
    if q < top:
        ooo += 1
    top = max(top, q)
ctl = sum(1 for q in got if is_control(q))
print(json.dumps({
    "sent": count, "received": len(got), "unique": len(seen), "duplicates": dups,
    "out_of_order": ooo, "corrupt": corrupt, "in_order": got == sorted(got),
    "received_control": ctl, "received_data": len(got) - ctl,
    "loss": 1 - len(seen) / count if count else 0,
    "rtt_min_ms": min(rtts, default=0), "rtt_max_ms": max(rtts, default=0),
}))
EOF

# probe NAME HOST COUNT PATTERN [GAP_MS BURST]: run the probe in A; its
# summary goes to $TEST_TMP/NAME.json, the sequence to $TEST_TMP/NAME.seq.
probe()
{
	local name=$1 host=$2
	shift 2
	ns_exec A timeout 60 "$PYTHON" "$TEST_TMP/probe.py" "$host" "$RELAY_PORT" "$1" "$2" \
		"$TEST_TMP/$name.seq" "${@:3}" >"$TEST_TMP/$name.json"
	log "$name: $(cat "$TEST_TMP/$name.json")"
}

# p NAME KEY: a field of probe NAME's summary. s KEY.PATH: of the relay's stats.
p()
{
	json_get "$TEST_TMP/$1.json" "$2"
}

s()
{
	json_get "$IMPAIR_STATS" "$1"
}

relay4()
{
	local name=$1
	shift
	impair_start -n R "$name" --listen "$R4A:$RELAY_PORT" --forward "$B4:$ECHO_PORT" "$@"
}

relay6()
{
	local name=$1
	shift
	impair_start -n R "$name" --listen "[$R6A]:$RELAY_PORT" --forward "[$B6]:$ECHO_PORT" "$@"
}

# Every probe's echoes match the relay's counters end to end: B echoed what
# the relay forwarded up, and A got what the relay forwarded down.
check_end_to_end()
{
	local received=$1

	assert_eq "$(s upstream.forwarded)" "$(s downstream.received)" "B echoed all the relay sent it"
	assert_eq "$(s downstream.forwarded)" "$received" "A received all the relay sent back"
}

step "topology: A <-> R <-> B, IPv4 and IPv6"
ns_create A
ns_create R
ns_create B
veth_link A "$A4/24,$A6/64" R "$R4A/24,$R6A/64"
veth_link R "$R4B/24,$R6B/64" B "$B4/24,$B6/64"
# The relay is the only way across: A has no route to B.
assert_fails ns_exec A ip route get "$B4"
start_bg -n B echo timeout 120 "$PYTHON" "$TEST_TMP/echo.py" "$ECHO_PORT" 100
wait_log echo "listening"

step "no impairment, two clients at once: everything echoed, in order"
relay4 relay_clean
start_bg -n A probe2 timeout 60 "$PYTHON" "$TEST_TMP/probe.py" "$R4A" "$RELAY_PORT" 500 control \
	"$TEST_TMP/probe2.seq"
probe clean "$R4A" 2000 control
wait_bg probe2
assert_eq 0 "$BG_STATUS" "second probe's exit status"
impair_stop relay_clean
for k in received unique; do
	assert_eq 2000 "$(p clean $k)" "clean: $k"
done
assert_eq true "$(p clean in_order)" "clean: in order"
assert_eq 0 "$(p clean corrupt)" "clean: corrupt echoes"
assert_eq 500 "$(wc -l <"$TEST_TMP/probe2.seq")" "second client: echoes received"
assert_eq 2 "$(s clients)" "relay: clients"
assert_eq 2500 "$(s upstream.received)" "relay: upstream received"
assert_eq 2500 "$(s upstream.forwarded)" "relay: upstream forwarded"
assert_eq 2500 "$(s downstream.forwarded)" "relay: downstream forwarded"
assert_eq 0 "$(s upstream.dropped)" "relay: upstream dropped"

step "--drop 0.3 --seed 7: plausible loss, the same seed gives the same packets"
for run in 1 2; do
	relay4 "relay_drop$run" --drop 0.3 --seed 7
	probe "drop$run" "$R4A" 2000 control
	impair_stop "relay_drop$run"
	check_end_to_end "$(p "drop$run" received)"
	# Dropped both ways: survival 0.7 * 0.7 = 0.49.
	assert_range "$(p "drop$run" loss)" 0.35 0.65 "drop run $run: round-trip loss"
	assert_eq 0 "$(p "drop$run" duplicates)" "drop run $run: duplicates"
	assert_eq true "$(p "drop$run" in_order)" "drop run $run: in order"
done
assert_ok cmp -s "$TEST_TMP/drop1.seq" "$TEST_TMP/drop2.seq"
relay4 relay_drop_other --drop 0.3 --seed 8
probe drop_other "$R4A" 2000 control
impair_stop relay_drop_other
assert_fails cmp -s "$TEST_TMP/drop1.seq" "$TEST_TMP/drop_other.seq"

step "--dup 0.2 --reorder 0.2 over IPv6: duplicates and reordering, no loss"
relay6 relay_dupre --dup 0.2 --reorder 0.2 --seed 3
probe dupre "$R6A" 2000 control
impair_stop relay_dupre
check_end_to_end "$(p dupre received)"
assert_eq 2000 "$(p dupre unique)" "dup/reorder: every datagram came back"
assert_range "$(p dupre duplicates)" 500 1300 "dup/reorder: duplicates (expect ~880)"
assert_range "$(p dupre out_of_order)" 100 2000 "dup/reorder: out-of-order arrivals"
assert_eq 0 "$(p dupre corrupt)" "dup/reorder: corrupt echoes"
assert_range "$(s upstream.duplicated)" 300 500 "relay: upstream duplicated (expect ~400)"
assert_range "$(s upstream.reordered)" 300 500 "relay: upstream reordered (expect ~400)"

step "--control-only --drop 1: control packets all lost, data untouched"
relay4 relay_ctl --control-only --drop 1 --dup 1 --reorder 1
probe ctl "$R4A" 2000 alternate
impair_stop relay_ctl
check_end_to_end "$(p ctl received)"
assert_eq 0 "$(p ctl received_control)" "control-only: control packets back"
assert_eq 1000 "$(p ctl received_data)" "control-only: data packets back"
assert_eq true "$(p ctl in_order)" "control-only: data in order"
assert_eq 1000 "$(s upstream.passed)" "relay: upstream passed"
assert_eq 1000 "$(s upstream.dropped)" "relay: upstream dropped"
assert_eq 1000 "$(s downstream.passed)" "relay: downstream passed"

step "--delay-ms 100, then --reorder 1 (held until the timer): round trip >= 200 ms"
relay6 relay_delay --delay-ms 100
probe delay "$R6A" 20 control 20 1
impair_stop relay_delay
assert_eq 20 "$(p delay received)" "delay: received"
assert_range "$(p delay rtt_min_ms)" 190 2000 "delay: shortest round trip (ms)"
# Every packet held and nothing to overtake it: the hold timer releases
# each one, in order.
relay4 relay_hold --reorder 1 --reorder-delay-ms 100
probe hold "$R4A" 20 control 20 1
impair_stop relay_hold
assert_eq 20 "$(p hold received)" "hold: received"
assert_eq true "$(p hold in_order)" "hold: in order"
assert_range "$(p hold rtt_min_ms)" 190 2000 "hold: shortest round trip (ms)"
assert_eq 20 "$(s upstream.reordered)" "relay: upstream held"

step "the relay exits by itself after --max-seconds"
relay4 relay_max --max-seconds 1
wait_bg relay_max 10
assert_eq 0 "$BG_STATUS" "relay exit status after --max-seconds"
assert_contains "$(cat "$(bg_log relay_max)")" "max-seconds reached" "relay log"

stop_bg echo
assert_contains "$(cat "$(bg_log echo)")" "echo: echoed" "echo server log"
pass
