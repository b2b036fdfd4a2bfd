#!/usr/bin/python3
"""The figures of scripts/bench.sh (make bench), side by side.

  bench_report.py oneline REPORT.json    one line about one l2tp-bench run
  bench_report.py dataplane OUTPUT.txt   build/dataplane_bench's table as JSON
  bench_report.py summary DIR            the table of every run in DIR (printed),
                                         and DIR/summary.json: the runs' reports
                                         merged, the table and the targets

DIR holds what bench.sh wrote: bench-config.json (settings, exit status of
each run), LABEL.json (l2tp-bench's report; labels l2tpd, l2tpns, ceiling,
scale, and LABEL-sat for the saturation runs), LABEL.extra.json (what the
script measured beside it: the authentication backend, RADIUS CPU, the
LNS's own counts), ceiling.lns.json (l2tp-bench --lns's counters) and
dataplane.json. Standard library only.
"""
import json
import os
import sys

LNSES = ("l2tpd", "l2tpns", "ceiling")
TITLES = {"l2tpd": "l2tpd", "l2tpns": "l2tpns", "ceiling": "l2tp-bench --lns"}

# The targets of the benchmark issue.
SETUP_VS_L2TPNS = 10.0
BYTES_PER_SESSION = 1024
SCALE_SESSIONS = 1000000
DATA_VS_BASELINE = 0.90
DATA_VS_L2TPNS = 2.0


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def get(d, path):
    """d["a"]["b"] for "a.b", or None anywhere along the way."""
    for k in path.split("."):
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return d


def num(v, digits=0):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        if digits == 0:
            return f"{v:,.0f}"
        return f"{v:,.{digits}f}"
    return str(v)


def ratio(a, b):
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or b == 0:
        return None
    return a / b


def pct(part, whole):
    if part is None or not whole:
        return None
    return 100.0 * part / whole


# ------------------------------------------------------------ oneline

def oneline(path):
    r = load(path)
    if r is None:
        return f"no report in {path}"
    s = r.get("setup") or {}
    t = s.get("time_to_establish_ms") or {}
    out = (f"established {num(s.get('established'))}/{num(s.get('attempted'))} "
           f"at {num(s.get('rate_per_s'))}/s, median {num(t.get('median'), 1)} ms, "
           f"p99 {num(t.get('p99'), 1)} ms, failed {num(s.get('failed'))}")
    p = r.get("lns_process")
    if p:
        out += (f"; LNS {num(p.get('rss_per_session_bytes'))} B and "
                f"{num(p.get('cpu_per_session_us'), 1)} us CPU per session")
    tr = r.get("traffic")
    if tr:
        up, down = tr.get("up") or {}, tr.get("down") or {}
        out += (f"; up {num(up.get('pps'))} pps loss {num(up.get('loss'))}, "
                f"down {num(down.get('pps'))} pps loss {num(down.get('loss'))}")
    td = r.get("teardown") or {}
    out += f"; teardown {num(td.get('rate_per_s'))}/s"
    return out


# ------------------------------------------------------------ dataplane

def dataplane(path):
    """Rows of dataplane_bench's table: dir size forwarder tun-io Mpps ratio offered ..."""
    rows = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) < 7 or w[0] not in ("udp>tun", "tun>udp"):
                continue
            try:
                rows.append({"dir": w[0], "size": int(w[1]), "forwarder": w[2],
                             "tun_io": w[3], "mpps": float(w[4]),
                             "offered_mpps": float(w[6]),
                             "note": " ".join(w[13:]) if len(w) > 13 else ""})
            except ValueError:
                continue
    pairs = []
    for r in rows:
        if r["forwarder"] != "l2tpd":
            continue
        base = [b for b in rows if b["forwarder"] == "baseline" and b["dir"] == r["dir"]
                and b["size"] == r["size"]]
        if base:
            b = base[0]
            pairs.append({"dir": r["dir"], "size": r["size"], "tun_io": r["tun_io"],
                          "baseline_mpps": b["mpps"], "l2tpd_mpps": r["mpps"],
                          "ratio": ratio(r["mpps"], b["mpps"])})
    return {"rows": rows, "pairs": pairs}


# ------------------------------------------------------------ summary

class Table:
    def __init__(self, heads, widths):
        self.heads, self.widths, self.lines = heads, widths, []
        self.rows = []   # (section, label, cells) for the JSON

    def _fmt(self, cells):
        out = []
        for i, (c, w) in enumerate(zip(cells, self.widths)):
            out.append(f"{c:<{w}}" if i == 0 else f"{c:>{w}}")
        return "  ".join(out).rstrip()

    def header(self):
        self.lines.append(self._fmt(self.heads))
        self.lines.append("  ".join("-" * w for w in self.widths))

    def section(self, title):
        self.lines.append("")
        self.lines.append(title)
        self.section_title = title

    def row(self, label, cells):
        cells = [c if isinstance(c, str) else num(c) for c in cells]
        self.lines.append(self._fmt(["  " + label] + cells))
        self.rows.append({"section": getattr(self, "section_title", ""), "row": label,
                          "cells": cells})

    def text(self):
        return "\n".join(self.lines)


def summary(d):
    cfg_all = load(os.path.join(d, "bench-config.json")) or {}
    cfg = cfg_all.get("config", {})
    status = cfg_all.get("status", {})
    runs = {}
    for name in os.listdir(d):
        if name.endswith(".json") and name not in ("summary.json", "bench-config.json"):
            runs[name[:-5]] = load(os.path.join(d, name))
    R = {k: runs.get(k) for k in LNSES}
    X = {k: runs.get(k + ".extra") or {} for k in LNSES}
    S = {k: runs.get(k + "-sat") for k in LNSES}
    SX = {k: runs.get(k + "-sat.extra") or {} for k in LNSES}

    def per_lns(fn):
        vals = [fn(k) for k in LNSES]
        return vals + [ratio(vals[0], vals[1])]

    def cells(vals, digits=0, rdigits=2, with_ratio=True):
        out = [num(v, digits) for v in vals[:3]]
        rv = vals[3] if with_ratio else None
        out.append("-" if rv is None else f"{rv:.{rdigits}f}x")
        return out

    def not_run(k):
        st = status.get(k)
        if R[k] is not None:
            return None
        return "not run" if st is None else f"failed ({st})"

    n = cfg.get("BENCH_SESSIONS")
    host = cfg_all.get("host") or {}
    t = Table(["", "l2tpd", "l2tpns", "l2tp-bench --lns", "l2tpd/l2tpns"],
              [46, 18, 18, 18, 12])
    out = []
    out.append(f"l2tpd benchmark ({cfg.get('BENCH_PROFILE', '?')}): "
               f"{num(n)} sessions over {num(cfg.get('BENCH_TUNNELS'))} tunnels, "
               f"auth {cfg.get('BENCH_AUTH')}, window {num(cfg.get('BENCH_WINDOW'))}, "
               f"rate {num(cfg.get('BENCH_RATE'))}/s (0: window only), "
               f"proxy {num(cfg.get('BENCH_PROXY'))}%, held {num(cfg.get('BENCH_HOLD'))} s, "
               f"{num(cfg.get('BENCH_TRAFFIC'))} s of traffic at {num(cfg.get('BENCH_PPS'))} pps "
               f"({cfg.get('BENCH_SIZE')} B); "
               f"{host.get('cpus', '?')} CPUs shared by the LAC, the LNS and the sink")
    out.append(f"l2tpd {host.get('l2tpd', '?')}, l2tpns {host.get('l2tpns', '?')}, "
               f"FreeRADIUS {host.get('freeradius', '?')}, kernel {host.get('kernel', '?')}")
    t.header()

    t.section("Setup")
    t.row("authentication backend", [(SHORT_AUTH[k] if R[k] else not_run(k)) for k in LNSES]
          + [""])
    t.row("first session established after (s)",
          cells(per_lns(lambda k: first_established(os.path.join(d, k + ".tsv")) if R[k] else None),
                1))
    t.row("session limit (l2tpd: max_sessions)",
          [num(X[k].get("session_limit")) if k != "ceiling" else "none" for k in LNSES] + [""])
    t.row("sessions established", cells(per_lns(lambda k: get(R[k], "setup.established"))))
    t.row("setup rate (sessions/s)", cells(per_lns(lambda k: get(R[k], "setup.rate_per_s"))))
    t.row("time to establish, median (ms)",
          cells(per_lns(lambda k: get(R[k], "setup.time_to_establish_ms.median")), 1))
    t.row("time to establish, p99 (ms)",
          cells(per_lns(lambda k: get(R[k], "setup.time_to_establish_ms.p99")), 1))

    def failures(k):
        s = get(R[k], "setup")
        if not s:
            return "-"
        f = s.get("failed", 0)
        causes = [f"{c} {v}" for c, v in (s.get("failures") or {}).items() if v]
        return f"{f}" + (f" ({', '.join(causes)})" if causes else "")
    t.row("failures", [failures(k) for k in LNSES] + [""])
    t.row("control retransmissions (ours)",
          cells(per_lns(lambda k: get(R[k], "setup.control_retransmissions")), with_ratio=False))
    t.row("LNS RSS idle / all up (MiB)",
          [f"{num(mib(get(R[k], 'lns_process.rss_idle_kib')), 1)} / "
           f"{num(mib(get(R[k], 'lns_process.rss_established_kib')), 1)}" for k in LNSES] + [""])
    t.row("LNS RSS per session (bytes)",
          cells(per_lns(lambda k: get(R[k], "lns_process.rss_per_session_bytes"))))
    t.row("LNS CPU per session (us)",
          cells(per_lns(lambda k: get(R[k], "lns_process.cpu_per_session_us")), 1))

    def radius_us(k):
        v = X[k].get("radius_cpu_setup_s")
        e = get(R[k], "setup.established")
        return None if v is None or not e else v * 1e6 / e
    if any(X[k].get("radius_cpu_setup_s") is not None for k in LNSES):
        t.row("  + RADIUS server CPU per session (us)",
              [num(radius_us(k), 1) if X[k].get("radius_cpu_setup_s") is not None else "none"
               for k in LNSES] + [""])
    t.row("LNS CPU while holding (% of one core)",
          cells(per_lns(lambda k: get(R[k], "lns_process.cpu_hold_percent")), 1))
    t.row("held at once (bench) / LNS's own count",
          [f"{num(get(R[k], 'held.concurrent_max'))} / {num(X[k].get('held_by_lns'))}"
           for k in LNSES] + [""])
    t.row("dropped by the LNS while held",
          cells(per_lns(lambda k: get(R[k], "held.dropped_by_lns")), with_ratio=False))
    if cfg.get("BENCH_PROXY"):
        def proxy(k):
            p = get(R[k], "proxy")
            if not p or not p.get("sessions"):
                return "-"
            taken = p.get("lcp_configure_packets") == 0 and p.get("auth_packets") == 0
            return (f"{p.get('established')}/{p.get('sessions')} "
                    + ("taken" if taken else "renegotiated"))
        t.row("proxy LCP+auth (established/sent)", [proxy(k) for k in LNSES] + [""])

    t.section(f"Traffic: {num(cfg.get('BENCH_TRAFFIC'))} s, {num(cfg.get('BENCH_PPS'))} pps "
              f"offered up, {cfg.get('BENCH_SIZE')} B, reflected by the sink")
    t.row("up: pps received by the sink",
          cells(per_lns(lambda k: get(R[k], "traffic.up.pps"))))

    def loss(k, way):
        tr = get(R[k], "traffic")
        if not tr:
            return "-"
        if not tr.get("sink_stats"):
            return "no stats"
        l = get(tr, way + ".loss")
        base = get(tr, "up.sent") if way == "up" else get(tr, "down.sink_sent")
        p = pct(l, base)
        return f"{num(l)} ({p:.2f}%)" if p is not None else num(l)
    t.row("up: loss (packets)", [loss(k, "up") for k in LNSES] + [""])
    t.row("down: pps received by the subscribers",
          cells(per_lns(lambda k: get(R[k], "traffic.down.pps"))))
    t.row("down: loss (packets)", [loss(k, "down") for k in LNSES] + [""])
    t.row("down: other IP packets (fragments, ICMP)",
          cells(per_lns(lambda k: get(R[k], "traffic.down.other")), with_ratio=False))
    t.row("LNS CPU during traffic (% of one core)",
          cells(per_lns(lambda k: traffic_cpu_pct(X[k])), 1))
    t.row("LNS CPU per packet forwarded (ns)",
          cells(per_lns(lambda k: ns_per_packet(R[k], X[k]))))
    if any(S.values()):
        t.section(f"Saturation: {num(cfg.get('BENCH_SAT_SESSIONS'))} sessions, "
                  f"{num(cfg.get('BENCH_SAT_SECONDS'))} s, "
                  f"{num(cfg.get('BENCH_SAT_PPS'))} pps offered (more than anything here carries)")
        t.row("up: pps sent by the bench",
              cells(per_lns(lambda k: ratio(get(S[k], "traffic.up.sent"),
                                            get(S[k], "traffic.seconds")))))
        t.row("up: pps received by the sink",
              cells(per_lns(lambda k: get(S[k], "traffic.up.pps"))))
        t.row("down: pps received by the subscribers",
              cells(per_lns(lambda k: get(S[k], "traffic.down.pps"))))
        t.row("LNS CPU during traffic (% of one core)",
              cells(per_lns(lambda k: traffic_cpu_pct(SX[k])), 1))
        t.row("LNS CPU per packet forwarded (ns)",
              cells(per_lns(lambda k: ns_per_packet_sat(S[k], SX[k]))))

    t.section("Teardown and the bench itself")
    t.row("teardown rate (sessions/s)", cells(per_lns(lambda k: get(R[k], "teardown.rate_per_s"))))
    t.row("bench CPU during setup (% of one core)",
          cells(per_lns(lambda k: get(R[k], "self.cpu_setup_percent")), 1))
    t.row("bench CPU over its run (% of one core)",
          cells(per_lns(lambda k: get(R[k], "self.cpu_percent_of_one_core")), 1))
    out.append(t.text())

    # Data plane
    dp = runs.get("dataplane")
    out.append("")
    out.append("Data plane: build/dataplane_bench, l2tpd's fast path beside a no-protocol "
               "forwarder on the same sockets, batches and TUN I/O")
    if dp and dp.get("pairs"):
        out.append(f"  {'direction':<10}{'size':>6}  {'baseline Mpps':>14}  "
                   f"{'l2tpd Mpps':>11}  {'l2tpd/baseline':>14}")
        for p in dp["pairs"]:
            out.append(f"  {p['dir']:<10}{p['size']:>6}  {p['baseline_mpps']:>14.3f}  "
                       f"{p['l2tpd_mpps']:>11.3f}  {num(p['ratio'], 2) + 'x':>14}")
    else:
        st = status.get("dataplane")
        out.append("  not run" if st is None else f"  failed (status {st})")

    # Scale
    sc = runs.get("scale")
    scx = runs.get("scale.extra") or {}
    out.append("")
    ns = cfg.get("BENCH_SCALE_SESSIONS")
    out.append(f"Scale: l2tpd alone, {num(ns)} sessions over {num(scx.get('tunnels'))} tunnels, "
               f"held {num(cfg.get('BENCH_SCALE_HOLD'))} s; the LNS's lcp_echo_interval and "
               f"hello_interval {num(scx.get('lcp_echo_interval_s'))} s")
    if sc:
        lp = sc.get("lns_process") or {}
        rows = [
            ("sessions established", num(get(sc, "setup.established"))),
            ("held at once (bench) / LNS's own count",
             f"{num(get(sc, 'held.concurrent_max'))} / {num(scx.get('held_by_lns'))}"),
            ("still up at the end of the hold", num(get(sc, "held.at_end"))),
            ("dropped by the LNS while held", num(get(sc, "held.dropped_by_lns"))),
            ("failures", failures_of(sc)),
            ("setup rate (sessions/s)", num(get(sc, "setup.rate_per_s"))),
            ("time to establish, median / p99 (ms)",
             f"{num(get(sc, 'setup.time_to_establish_ms.median'), 1)} / "
             f"{num(get(sc, 'setup.time_to_establish_ms.p99'), 1)}"),
            ("LNS RSS idle / all established (MiB)",
             f"{num(mib(lp.get('rss_idle_kib')), 1)} / {num(mib(lp.get('rss_established_kib')), 1)}"),
            ("LNS RSS per session above idle (bytes)", num(lp.get("rss_per_session_bytes"))),
            ("LNS CPU per session at setup (us)", num(lp.get("cpu_per_session_us"), 1)),
            ("LNS CPU while holding (% of one core)", num(lp.get("cpu_hold_percent"), 1)),
            ("LCP echoes answered / HELLOs received",
             f"{num(get(sc, 'held.lcp_echo_answered'))} / {num(get(sc, 'held.hello_received'))}"),
            ("teardown rate (sessions/s)", num(get(sc, "teardown.rate_per_s"))),
            ("bench: CPU during setup (% of one core), RSS (MiB)",
             f"{num(get(sc, 'self.cpu_setup_percent'), 1)}, {num(mib(get(sc, 'self.rss_kib')), 1)}"),
        ]
        for label, v in rows:
            out.append(f"  {label:<52}{v:>24}")
        if get(sc, "held.lcp_echo_answered") and not get(sc, "held.hello_received"):
            out.append("  (no HELLO: l2tpd sends one after a silent hello_interval, and takes every")
            out.append("  data message, LCP echoes included, for activity on the tunnel)")
    else:
        st = status.get("scale")
        out.append("  not run" if st is None else f"  failed (status {st}), no report")

    # Targets
    targets = []

    def target(name, value, met, how):
        targets.append({"target": name, "value": value, "met": met, "how": how})

    r_setup = ratio(get(R["l2tpd"], "setup.rate_per_s"), get(R["l2tpns"], "setup.rate_per_s"))
    how = "l2tpd's setup rate / l2tpns's, same sessions, tunnels, window and auth"
    ours, ceiling = get(R["l2tpd"], "setup.rate_per_s"), get(R["ceiling"], "setup.rate_per_s")
    if ours and ceiling and ours >= 0.9 * ceiling:
        how += ("; l2tpd ran at l2tp-bench's own ceiling (l2tp-bench --lns column), "
                "so this is a lower bound")
    target(f"setup rate >= {SETUP_VS_L2TPNS:g}x l2tpns",
           None if r_setup is None else round(r_setup, 3),
           None if r_setup is None else r_setup >= SETUP_VS_L2TPNS, how)
    bps = get(sc, "lns_process.rss_per_session_bytes")
    src = "scale run"
    if bps is None:
        bps, src = get(R["l2tpd"], "lns_process.rss_per_session_bytes"), "main run"
    target(f"<= {BYTES_PER_SESSION} bytes per session", None if bps is None else round(bps),
           None if bps is None else bps <= BYTES_PER_SESSION,
           f"l2tpd's RSS above idle / sessions established ({src})")
    held = get(sc, "held.concurrent_max")
    if ns is not None and ns < SCALE_SESSIONS:
        target(f"{SCALE_SESSIONS:,} concurrent sessions", held, None,
               f"not tried: BENCH_SCALE_SESSIONS={ns}")
    else:
        target(f"{SCALE_SESSIONS:,} concurrent sessions", held,
               None if held is None else held >= SCALE_SESSIONS,
               "sessions l2tpd held at once in the scale run")
    worst = None
    if dp and dp.get("pairs"):
        worst = min(p["ratio"] for p in dp["pairs"] if p["ratio"] is not None)
    target(f"data plane >= {DATA_VS_BASELINE:.0%} of the baseline forwarder",
           None if worst is None else round(worst, 3),
           None if worst is None else worst >= DATA_VS_BASELINE,
           "the lowest l2tpd/baseline of dataplane_bench's directions and sizes")
    # Packets per CPU second of the whole LNS process, both directions at
    # the same offered rate: what one core of each would carry. The
    # saturation runs are printed too, but there the LAC and the LNS share
    # two cores and the bench's own ceiling is not far.
    dr = ratio(ns_per_packet_sat(S["l2tpns"], SX["l2tpns"]),
               ns_per_packet_sat(S["l2tpd"], SX["l2tpd"]))
    how = ("packets forwarded per CPU second of the LNS process, l2tpd / l2tpns, "
           "in the saturation runs")
    if dr is None:
        dr = ratio(ns_per_packet(R["l2tpns"], X["l2tpns"]), ns_per_packet(R["l2tpd"], X["l2tpd"]))
        how = ("packets forwarded per CPU second of the LNS process, l2tpd / l2tpns, "
               "at the offered rate (no saturation run)")
    target(f"data >= {DATA_VS_L2TPNS:g}x l2tpns", None if dr is None else round(dr, 3),
           None if dr is None else dr >= DATA_VS_L2TPNS, how)

    out.append("")
    out.append("Targets")
    for tg in targets:
        verdict = {True: "met", False: "MISSED", None: "n/a"}[tg["met"]]
        v = "-" if tg["value"] is None else (f"{tg['value']:,}" if isinstance(tg["value"], int)
                                             else f"{tg['value']}")
        out.append(f"  {tg['target']:<46}{v:>14}  {verdict:<7} {tg['how']}")

    failed = {k: v for k, v in status.items() if v}
    if failed:
        out.append("")
        out.append("Runs that failed (their logs are in logs/): "
                   + ", ".join(f"{k} (status {v})" for k, v in failed.items()))
    notes = [
        "Notes:",
        "  Authentication: l2tpd from a local users file; l2tpns only through RADIUS (FreeRADIUS",
        "  with its worker threads, no debug log, on the LNS's loopback); l2tp-bench --lns",
        "  accepts every credential. l2tpns runs with allow_duplicate_users (every",
        "  subscriber is the same user) and debug 2, l2tpd with log_level warn.",
        "  CPU per session: the LNS process's CPU time during setup / sessions established.",
        "  CPU per packet: its CPU time while traffic ran / packets up and down in that time.",
        "  RSS per session: (RSS when all are up - RSS before the first) / sessions.",
        "  Ratios are l2tpd/l2tpns: above 1 is better for rates and pps, below 1 for times,",
        "  memory and CPU.",
    ]
    if n and n < 10000:
        notes.append(f"  RSS per session over {n:,} sessions includes each LNS's first allocations;")
        notes.append("  the scale run's figure is the one per session.")
    short = [f"{TITLES[k]} {get(R[k], 'setup.duration_s'):.2f} s" for k in LNSES
             if (get(R[k], "setup.duration_s") or 99) < 2]
    if short:
        notes.append("  Setup lasted under 2 s (" + ", ".join(short) + "): rates over so short")
        notes.append("  a time are set by fixed delays (retransmission and acknowledgement")
        notes.append("  timers: a ZLB acknowledgement waits up to 20 ms in l2tpd), not by")
        notes.append("  throughput.")
    out.extend(notes)
    text = "\n".join(out)

    merged = {"config": cfg, "host": cfg_all.get("host"), "status": status,
              "runs": {k: v for k, v in sorted(runs.items())},
              "table": {"rows": t.rows}, "targets": targets, "text": text}
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump(merged, f, indent=1)
    return text


SHORT_AUTH = {"l2tpd": "users file", "l2tpns": "RADIUS", "ceiling": "none"}


def first_established(tsv):
    """Seconds from the bench's start to its first established session."""
    try:
        with open(tsv) as f:
            for line in f:
                w = line.split()
                if len(w) >= 2 and not line.startswith("#") and int(w[1]) > 0:
                    return float(w[0])
    except (OSError, ValueError):
        pass
    return None


def traffic_cpu_pct(x):
    cpu, wall = x.get("traffic_lns_cpu_s"), x.get("traffic_wall_s")
    return None if cpu is None or not wall else 100.0 * cpu / wall


def ns_per_packet(r, x):
    """The LNS's CPU time per packet it forwarded while traffic ran (both
    directions, at the rates the bench measured)."""
    cpu, wall = x.get("traffic_lns_cpu_s"), x.get("traffic_wall_s")
    up, down = get(r, "traffic.up.pps"), get(r, "traffic.down.pps")
    if cpu is None or not wall or not up:
        return None
    return cpu * 1e9 / (wall * (up + (down or 0)))


def ns_per_packet_sat(r, x):
    """The same when more is offered than gets through: the packets the LNS
    surely forwarded are those the sink received (up) and those the
    subscribers received (down); some lost on the way down may have cost it
    too, so this is an upper bound."""
    cpu, wall = x.get("traffic_lns_cpu_s"), x.get("traffic_wall_s")
    secs = get(r, "traffic.seconds")
    up, down = get(r, "traffic.up.sink_received"), get(r, "traffic.down.received")
    if cpu is None or not wall or not secs or up is None:
        return None
    return cpu * 1e9 / (wall * (up + (down or 0)) / secs)


def mib(kib):
    return None if kib is None else kib / 1024.0


def failures_of(r):
    s = get(r, "setup")
    if not s:
        return "-"
    causes = [f"{c} {v}" for c, v in (s.get("failures") or {}).items() if v]
    return f"{s.get('failed', 0)}" + (f" ({', '.join(causes)})" if causes else "")


def main(argv):
    if len(argv) != 3 or argv[1] not in ("oneline", "dataplane", "summary"):
        sys.stderr.write(__doc__)
        return 2
    if argv[1] == "oneline":
        print(oneline(argv[2]))
    elif argv[1] == "dataplane":
        print(json.dumps(dataplane(argv[2]), indent=1))
    else:
        print(summary(argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
