#!/bin/sh
# Have tshark, a dissector written independently of ours, read one of each
# message we build (tests/wire/wire_pcap.c) and agree with what we meant.
#
#   tshark_check.sh PATH/TO/wire_pcap
#
# Checks, per frame, against the expectations wire_pcap writes beside the
# pcap: no malformed packet (_ws.malformed), no expert error or warning
# (_ws.expert.severity); the header (l2tp.type, l2tp.length, l2tp.tunnel,
# l2tp.session); the message type (l2tp.avp.message_type, and the short name
# in the Info column); the AVPs in order, each with its type (l2tp.avp.type,
# or for a hidden AVP, whose value tshark 4.0 does not decode, the type
# named by its subtree label), l2tp.avp.mandatory, l2tp.avp.hidden,
# l2tp.avp.length, and that the AVPs fill the message exactly; a ZLB
# (l2tp.zero_length_body_message) and a data message whose PPP payload
# starts where we put it. Then that the file covers every message type and
# every AVP type 0..39 but 20, plus 46. Reads the file only: no capture.
set -eu

wire_pcap=${1:?usage: tshark_check.sh PATH/TO/wire_pcap}

# A missing tshark is a failure, not a skip: scripts/deps.sh installs it.
if ! command -v tshark >/dev/null 2>&1; then
	echo "tshark_check: FAIL: tshark is not installed (scripts/deps.sh installs it)" >&2
	exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "tshark_check: FAIL: python3 is not installed" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/l2tpd-tshark.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

# A private, empty configuration: a developer's own preferences, Decode As
# rules or disabled protocols must not change what tshark reports.
WIRESHARK_CONFIG_DIR=$tmp/config
export WIRESHARK_CONFIG_DIR
mkdir "$WIRESHARK_CONFIG_DIR"

if ! "$wire_pcap" "$tmp/wire.pcap" "$tmp/wire.expect" >/dev/null; then
	echo "tshark_check: FAIL: $wire_pcap could not build or write the messages" >&2
	exit 1
fi

# -n: no name lookups. 1701 is L2TP by default; say so anyway. Checksum
# validation is off by default: turn it on, so a wrong IPv4 or UDP checksum
# in our pcap writer is an expert error too. tshark warns on stderr when run
# as root; keep stderr aside and show it only on failure.
run_tshark() {
	if ! tshark -n -r "$tmp/wire.pcap" -d udp.port==1701,l2tp -o ip.check_checksum:TRUE \
		-o udp.check_checksum:TRUE "$@" 2>"$tmp/tshark.err"; then
		echo "tshark_check: FAIL: tshark $* exited non-zero:" >&2
		cat "$tmp/tshark.err" >&2
		exit 1
	fi
}
run_tshark -T pdml >"$tmp/wire.pdml"
run_tshark -T fields -E separator=/t -e frame.number -e _ws.col.Info >"$tmp/info.tsv"
# tshark's own names for AVP types: how it labels a hidden AVP's subtree.
if ! tshark -G values >"$tmp/values.tsv" 2>"$tmp/tshark.err"; then
	echo "tshark_check: FAIL: tshark -G values:" >&2
	cat "$tmp/tshark.err" >&2
	exit 1
fi

python3 - "$tmp/wire.expect" "$tmp/wire.pdml" "$tmp/info.tsv" "$tmp/values.tsv" <<'EOF'
import re
import sys
import xml.etree.ElementTree as ET

expect_path, pdml_path, info_path, values_path = sys.argv[1:5]
SEV_WARN = 0x00600000  # expert severities: Chat < Note < Warn < Error
SEV_NAMES = {0x00800000: "error", 0x00600000: "warning"}
WANT_TYPES = set(range(0, 40)) - {20} | {46}
failures = []


def fail(frame, what):
    failures.append("frame %s: %s" % (frame, what))


def parse_expect(line):
    f = line.split()
    e = {"frame": int(f[0]), "name": f[1], "kind": f[2]}
    for kv in f[3:]:
        k, v = kv.split("=", 1)
        e[k] = v
    for k in ("type", "tid", "sid", "len", "payload"):
        e[k] = int(e[k])
    raw, e["avps"] = e["avps"], []
    for a in ([] if raw == "-" else raw.split(",")):
        t, m, h, rng = a.split(":")
        lo, hi = rng.split("-")
        e["avps"].append({"type": int(t), "m": int(m), "h": int(h),
                          "min": int(lo), "max": int(hi)})
    return e


with open(expect_path) as fh:
    expected = [parse_expect(l) for l in fh if l.strip()]

avp_names = {}
with open(values_path) as fh:
    for l in fh:
        f = l.rstrip("\n").split("\t")
        if len(f) == 4 and f[0] == "V" and f[1] == "l2tp.avp.type":
            avp_names.setdefault(f[3], int(f[2]))

info = {}
with open(info_path) as fh:
    for l in fh:
        f = l.rstrip("\n").split("\t")
        if len(f) >= 2 and f[0].isdigit():
            info[int(f[0])] = f[1]


def fields(elem, name):
    return [e for e in elem.iter("field") if e.get("name") == name]


def first_int(elem, name):
    f = fields(elem, name)
    return int(f[0].get("show"), 0) if f else None


def child_int(elem, name):
    for c in elem:
        if c.get("name") == name:
            return int(c.get("show"), 0)
    return None


packets = ET.parse(pdml_path).getroot().findall("packet")
if len(packets) != len(expected):
    fail("-", "tshark read %d frames, wire_pcap wrote %d" % (len(packets), len(expected)))

seen_types = set()
seen_msgs = {"plain": set(), "hidden": set()}
n_avps = n_hidden = n_malformed = n_expert = 0

for pkt, e in zip(packets, expected):
    fr = "%d (%s%s)" % (e["frame"], e["name"], ", hidden set" if e["set"] == "hidden" else "")
    if first_int(pkt, "frame.number") != e["frame"]:
        fail(fr, "frame numbers out of step with the expectations")
    for el in pkt.iter():
        if (el.get("name") or "").startswith("_ws.malformed") and el.tag == "proto":
            n_malformed += 1
            fail(fr, "tshark: malformed packet")
            break
    for ex in fields(pkt, "_ws.expert"):
        sev = child_int(ex, "_ws.expert.severity") or 0
        if sev >= SEV_WARN:
            n_expert += 1
            fail(fr, "tshark expert %s: %s" % (SEV_NAMES.get(sev, hex(sev)), ex.get("showname")))

    l2tp = [p for p in pkt.findall("proto") if p.get("name") == "l2tp"]
    if len(l2tp) != 1:
        fail(fr, "tshark found %d L2TP layers, want 1" % len(l2tp))
        continue
    l2tp = l2tp[0]
    hdr = {n: child_int(l2tp, "l2tp." + n) for n in ("length", "tunnel", "session")}
    ttype = first_int(l2tp, "l2tp.type")
    want_t = 0 if e["kind"] == "data" else 1
    if ttype != want_t:
        fail(fr, "l2tp.type (T bit) is %s, want %d" % (ttype, want_t))
    for n, k in (("length", "len"), ("tunnel", "tid"), ("session", "sid")):
        if hdr[n] != e[k]:
            fail(fr, "l2tp.%s is %s, want %d" % (n, hdr[n], e[k]))
    l2tp_pos, l2tp_size = int(l2tp.get("pos")), int(l2tp.get("size"))
    if l2tp_size != e["len"] - e["payload"]:
        fail(fr, "tshark's L2TP layer is %d octets, want %d" % (l2tp_size, e["len"] - e["payload"]))

    if e["kind"] == "data":
        ppp = [p for p in pkt.findall("proto") if p.get("name") == "ppp"]
        lcp = [p for p in pkt.findall("proto") if p.get("name") == "lcp"]
        if not ppp or not lcp:
            fail(fr, "no PPP LCP payload dissected")
        elif int(ppp[0].get("pos")) != l2tp_pos + e["len"] - e["payload"]:
            fail(fr, "PPP payload at offset %d of the message, want %d"
                 % (int(ppp[0].get("pos")) - l2tp_pos, e["len"] - e["payload"]))
        elif int(ppp[0].get("size")) + int(lcp[0].get("size")) != e["payload"]:
            fail(fr, "PPP payload is %d octets, want %d"
                 % (int(ppp[0].get("size")) + int(lcp[0].get("size")), e["payload"]))
        continue

    # Control: the Info column names the message ("Control Message - SCCRQ").
    m = re.match(r"Control Message - (\S+)", info.get(e["frame"], ""))
    if not m or m.group(1).lower() != e["name"].lower():
        fail(fr, "Info column %r does not name %s" % (info.get(e["frame"]), e["name"]))
    avps = [c for c in l2tp if c.tag == "field" and c.get("name") == ""
            and (c.get("show") or "").endswith(" AVP")]
    if e["kind"] == "zlb":
        if not fields(l2tp, "l2tp.zero_length_body_message"):
            fail(fr, "tshark does not call it a Zero Length Body message")
    else:
        mt = first_int(l2tp, "l2tp.avp.message_type")
        if mt != e["type"]:
            fail(fr, "l2tp.avp.message_type is %s, want %d" % (mt, e["type"]))
        seen_msgs[e["set"]].add(e["name"])
    if len(avps) != len(e["avps"]):
        fail(fr, "tshark found %d AVPs, we built %d" % (len(avps), len(e["avps"])))
    total = 12
    for i, (got, want) in enumerate(zip(avps, e["avps"])):
        label = got.get("show")[:-len(" AVP")]
        at = "AVP #%d (type %d, %s)" % (i, want["type"], label)
        by_label = avp_names.get(label)
        by_field = child_int(got, "l2tp.avp.type")
        if by_label != want["type"]:
            fail(fr, "%s: tshark labels it type %s" % (at, by_label))
        if by_field is not None and by_field != want["type"]:
            fail(fr, "%s: l2tp.avp.type is %d" % (at, by_field))
        vendor = child_int(got, "l2tp.avp.vendor_id")
        if vendor not in (None, 0):
            fail(fr, "%s: l2tp.avp.vendor_id is %d, want 0" % (at, vendor))
        flags = {k: child_int(got, "l2tp.avp." + k) for k in ("mandatory", "hidden", "length")}
        if flags["mandatory"] != want["m"]:
            fail(fr, "%s: tshark reads M bit %s, we built %d" % (at, flags["mandatory"], want["m"]))
        if flags["hidden"] != want["h"]:
            fail(fr, "%s: tshark reads H bit %s, we built %d" % (at, flags["hidden"], want["h"]))
        ln = flags["length"]
        if ln is None or not want["min"] <= ln <= want["max"]:
            rng = "%d" % want["min"]
            if want["max"] != want["min"]:
                rng += "..%d" % want["max"]
            fail(fr, "%s: tshark reads Length %s, we built %s" % (at, ln, rng))
        elif int(got.get("size")) != ln:
            fail(fr, "%s: tshark's AVP spans %s octets, its Length says %d"
                 % (at, got.get("size"), ln))
        total += ln or 0
        seen_types.add(want["type"] if by_label == want["type"] else -1)
        n_avps += 1
        n_hidden += flags["hidden"] == 1
    if total != e["len"]:
        fail(fr, "the AVPs tshark found add up to %d octets with the header, message is %d"
             % (total, e["len"]))

for s in ("plain", "hidden"):
    missing = {"SCCRQ", "SCCRP", "SCCCN", "StopCCN", "HELLO", "OCRQ", "OCRP", "OCCN",
               "ICRQ", "ICRP", "ICCN", "CDN", "WEN", "SLI"} - seen_msgs[s]
    if missing:
        fail("-", "%s set lacks %s" % (s, " ".join(sorted(missing))))
missing = WANT_TYPES - seen_types
if missing:
    fail("-", "AVP types never seen: %s" % " ".join(map(str, sorted(missing))))

for f in failures:
    print("tshark_check: FAIL: " + f)
print("tshark_check: %d frames, %d AVPs (%d hidden) of %d types, %d malformed, "
      "%d expert errors/warnings, %d mismatches: %s"
      % (len(packets), n_avps, n_hidden, len(seen_types & WANT_TYPES), n_malformed,
         n_expert, len(failures), "FAIL" if failures else "OK"))
sys.exit(1 if failures else 0)
EOF
