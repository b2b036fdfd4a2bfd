#!/usr/bin/python3
"""Send L2TP control datagrams that never get answered, for the flood tests.

    l2tp_flood.py sccrq DST PORT --count N [--first-tid T] [--interval S]
                  [--host NAME] [--linger S] [--max-seconds S]
    l2tp_flood.py malformed DST PORT --count N [--interval S] [--host NAME]

sccrq: N well-formed SCCRQs (RFC 2661 §6.1: Message Type, Protocol Version,
Host Name, Framing Capabilities, Assigned Tunnel ID), each with its own
Assigned Tunnel ID, all from ONE socket (one source port), paced by
--interval, never acknowledging anything. Replies are read as they come and
sorted by the tunnel they are addressed to (our Assigned Tunnel ID): a
tunnel whose first reply is an SCCRP was accepted, one that only ever got a
StopCCN was refused. Prints one JSON object.

malformed: N broken datagrams, round robin over the kinds in KINDS, each
kind broken in exactly one way, so that the receiver drops each for one
known reason. Prints the number sent of each kind as JSON.

Bounded: --max-seconds stops everything (default 60).
"""
import argparse
import json
import select
import socket
import struct
import sys
import time

# Header flags (§3.1): T, L, S set, Ver 2.
CTRL_FLAGS = 0xC802
MSG_SCCRQ, MSG_SCCRP, MSG_STOPCCN = 1, 2, 4
AVP_MANDATORY, AVP_HIDDEN = 0x8000, 0x4000


def avp(typ, value, flags=AVP_MANDATORY, length=None):
    """One AVP (§4.1): M/H bits and Length in the first 16 bits."""
    n = 6 + len(value) if length is None else length
    return struct.pack("!HHH", flags | n, 0, typ) + value


def control(avps, tunnel=0, session=0, ns=0, nr=0, flags=CTRL_FLAGS, length=None):
    body = b"".join(avps)
    n = 12 + len(body) if length is None else length
    return struct.pack("!HHHHHH", flags, n, tunnel, session, ns, nr) + body


def sccrq_avps(tid, host):
    return [
        avp(0, struct.pack("!H", MSG_SCCRQ)),       # Message Type
        avp(2, struct.pack("!BB", 1, 0)),           # Protocol Version 1.0
        avp(7, host.encode()),                      # Host Name
        avp(3, struct.pack("!I", 3)),               # Framing Capabilities
        avp(9, struct.pack("!H", tid)),             # Assigned Tunnel ID
    ]


def sccrq(tid, host):
    return control(sccrq_avps(tid, host))


# Each kind: (name, the reason the receiver should give, builder).
def _truncated(i, host):
    return struct.pack("!HH", CTRL_FLAGS, 12)[: 2 + i % 3]  # 2..4 octets


def _version(v):
    def build(i, host):
        return control(sccrq_avps(60000 + i, host), flags=(CTRL_FLAGS & ~0xF) | v)
    return build


def _length_beyond(i, host):
    d = sccrq(60000 + i, host)
    return d[:2] + struct.pack("!H", len(d) + 1 + i % 50) + d[4:]


def _avp_short(i, host):
    a = sccrq_avps(60000 + i, host)
    # An AVP whose Length (3..5) is below its own 6-octet header.
    bad = struct.pack("!HHH", AVP_MANDATORY | (3 + i % 3), 0, 9) + b"\0\0"
    return control(a[:3] + [bad] + a[3:])


def _hidden_no_vector(i, host):
    a = sccrq_avps(60000 + i, host)
    # Assigned Tunnel ID (may be hidden) with H set and no Random Vector
    # before it; the value is what a hidden one would look like (2 octets of
    # original length, the value, padding).
    a[4] = avp(9, struct.pack("!HH", 2, 60000 + i) + b"\0" * 12,
               flags=AVP_MANDATORY | AVP_HIDDEN)
    return control(a)


KINDS = [
    ("short", _truncated),
    ("version1", _version(1)),
    ("version3", _version(3)),
    ("length", _length_beyond),
    ("avp_length", _avp_short),
    ("hidden_no_vector", _hidden_no_vector),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("sccrq", "malformed"))
    ap.add_argument("dst")
    ap.add_argument("port", type=int)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--first-tid", type=int, default=1000)
    ap.add_argument("--interval", type=float, default=0.01)
    ap.add_argument("--host", default="flood")
    ap.add_argument("--linger", type=float, default=1.0)
    ap.add_argument("--max-seconds", type=float, default=60)
    o = ap.parse_args()

    fam = socket.AF_INET6 if ":" in o.dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", 0))
    s.setblocking(False)
    dst = (o.dst, o.port)
    t_end = time.monotonic() + o.max_seconds
    first = {}      # our tunnel id -> type of the first reply
    types = {}      # reply message type -> datagrams
    replies = 0

    def drain(until):
        nonlocal replies
        while True:
            left = until - time.monotonic()
            r, _, _ = select.select([s], [], [], max(0.0, left))
            if not r:
                if left <= 0:
                    return
                continue
            try:
                d, _ = s.recvfrom(2048)
            except BlockingIOError:
                continue
            replies += 1
            if len(d) < 12 or not d[0] & 0x80:
                continue
            tid = struct.unpack("!H", d[4:6])[0]
            mt = None
            if len(d) >= 20 and struct.unpack("!H", d[16:18])[0] == 0:
                mt = struct.unpack("!H", d[18:20])[0]
            name = {MSG_SCCRP: "SCCRP", MSG_STOPCCN: "StopCCN"}.get(mt, "ZLB" if mt is None else f"type{mt}")
            types[name] = types.get(name, 0) + 1
            first.setdefault(tid, name)

    sent = {}
    t0 = time.monotonic()
    for i in range(o.count):
        if time.monotonic() > t_end:
            break
        if o.mode == "sccrq":
            s.sendto(sccrq(o.first_tid + i, o.host), dst)
            sent["sccrq"] = sent.get("sccrq", 0) + 1
        else:
            name, build = KINDS[i % len(KINDS)]
            s.sendto(build(i, o.host), dst)
            sent[name] = sent.get(name, 0) + 1
        drain(min(t0 + (i + 1) * o.interval, t_end))
    drain(min(time.monotonic() + o.linger, t_end))

    out = {"sent": sent, "seconds": round(time.monotonic() - t0, 3),
           "replies": replies, "reply_types": types}
    if o.mode == "sccrq":
        out["accepted"] = sum(1 for v in first.values() if v == "SCCRP")
        out["refused"] = sum(1 for v in first.values() if v == "StopCCN")
        out["unanswered"] = o.count - len(first)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
