#!/usr/bin/python3
"""The markdown report of bench/dns, from the raw files it leaves.

Usage: dns_report.py DIR   (DIR: build/bench/dns)
Reads meta.txt, commands.txt, PATH.sets.txt and, per path, kind and round,
PATH.KIND.ROUND.tput.txt (dnsperf's summary at full speed) and
PATH.KIND.ROUND.lat.txt (dnsperf -v at a fixed rate: one "> RCODE name
type seconds" line per answer).  Every figure is the median over the
rounds; derived figures are computed per round, then the median is taken,
with the range over the rounds in brackets.
"""
import os
import re
import statistics
import sys

PATHS = [
    ("direct", "direct: dnsperf to the upstream"),
    ("corral", "corral dns (+ corral apply)"),
    ("dnsmasq-cache", "dnsmasq --nftset, cache on"),
    ("dnsmasq-nocache", "dnsmasq --nftset, cache off"),
    ("dnsmasq-nocache-nonftset", "dnsmasq, cache off, no nftset"),
]
KINDS = ("open", "fresh")


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def tput(text):
    """qps, sent, lost, answers that were not NOERROR."""
    if text is None:
        return None

    def num(label):
        m = re.search(r"^\s*" + label + r":\s+([0-9.]+)", text, re.M)
        return float(m.group(1)) if m else None

    qps, sent, lost = num("Queries per second"), num("Queries sent"), num("Queries lost")
    if qps is None or sent is None:
        return None
    m = re.search(r"^\s*Response codes:\s+(.*)$", text, re.M)
    codes = dict((c, int(n)) for c, n in re.findall(r"(\w+) (\d+) \(", m.group(1))) if m else {}
    bad = sum(n for c, n in codes.items() if c != "NOERROR")
    return {"qps": qps, "sent": int(sent), "lost": int(lost or 0), "bad": bad}


def percentile(v, q):
    i = max(0, min(len(v) - 1, int(q * len(v) + 0.999999) - 1))
    return v[i]


def lat(text):
    """p50, p90, p99, mean in microseconds of the NOERROR answers."""
    if text is None:
        return None
    v = sorted(float(line.split()[-1]) * 1e6 for line in text.splitlines()
               if line.startswith("> NOERROR "))
    if not v:
        return None
    return {"p50": percentile(v, 0.5), "p90": percentile(v, 0.9),
            "p99": percentile(v, 0.99), "mean": sum(v) / len(v), "n": len(v)}


def med(values):
    values = [x for x in values if x is not None]
    return statistics.median(values) if values else None


def fmt(x, unit="", digits=0):
    return "–" if x is None else f"{x:.{digits}f}{unit}"


def spread(values, unit="", digits=0):
    values = [x for x in values if x is not None]
    if not values:
        return "–"
    m = fmt(statistics.median(values), unit, digits)
    if len(values) == 1:
        return m
    return f"{m} [{fmt(min(values), '', digits)}…{fmt(max(values), '', digits)}]"


def main():
    d = sys.argv[1]
    meta = {}
    for line in (read(os.path.join(d, "meta.txt")) or "").splitlines():
        k, _, v = line.partition(": ")
        meta[k] = v
    rounds = int(meta.get("rounds", "1"))
    T, L = {}, {}
    for p, _ in PATHS:
        for k in KINDS:
            for r in range(1, rounds + 1):
                base = os.path.join(d, f"{p}.{k}.{r}")
                T[p, k, r] = tput(read(base + ".tput.txt"))
                L[p, k, r] = lat(read(base + ".lat.txt"))

    def qps(p, k, r):
        t = T[p, k, r]
        return t["qps"] if t else None

    def lq(p, k, r, q="p50"):
        x = L[p, k, r]
        return x[q] if x else None

    def per_round(f):
        out = []
        for r in range(1, rounds + 1):
            try:
                out.append(f(r))
            except TypeError:  # a figure is missing
                out.append(None)
        return out

    o = []
    o.append("# DNS benchmark: corral dns, dnsmasq --nftset, the upstream directly")
    o.append("")
    o.append(f"{meta.get('date', '?')}; {meta.get('cpus', '?')} CPUs shared by everything "
             f"(dnsperf, the forwarder, the upstream); kernel {meta.get('kernel', '?')}; "
             f"dnsperf {meta.get('dnsperf', '?').replace('Version ', '')}; dnsmasq {meta.get('dnsmasq', '?')}; "
             f"{meta.get('corral', '?')}; load average {meta.get('load_start', '?')} at the start, "
             f"{meta.get('load_end', '?')} at the end.")
    o.append("")
    o.append(f"{rounds} rounds over all paths; each figure is the median over the rounds "
             "[lowest…highest].  Throughput: dnsperf without a rate limit, "
             f"{meta.get('duration', '?')} s, {meta.get('clients', '?')} clients, "
             f"{meta.get('outstanding', '?')} queries outstanding.  Latency: dnsperf -v at "
             f"{meta.get('lat_qps', '?')} queries/s for {meta.get('lat_seconds', '?')} s, "
             "percentiles of each answer's latency.  *open*: open.bench.test A/AAAA, TTL 3600 "
             "(corral inserts its addresses once, then its privileged side skips the kernel); "
             "*fresh*: a new name for every query, TTL 1 with `ttl-min 0` (corral inserts "
             "every answer; dnsmasq inserts every answer it forwards, whatever the kind).")
    o.append("")
    o.append("| path | queries | throughput (qps) | lost / not NOERROR | p50 (µs) | p90 (µs) | p99 (µs) | mean (µs) |")
    o.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for p, label in PATHS:
        for k in KINDS:
            ts = [T[p, k, r] for r in range(1, rounds + 1) if T[p, k, r]]
            sent = sum(t["sent"] for t in ts)
            lost = sum(t["lost"] for t in ts)
            bad = sum(t["bad"] for t in ts)
            lb = f"{lost} / {bad} of {sent}" if ts else "–"
            cols = [spread(per_round(lambda r: qps(p, k, r)))]
            cols.append(lb)
            for q in ("p50", "p90", "p99", "mean"):
                cols.append(fmt(med(per_round(lambda r: lq(p, k, r, q)))))
            o.append(f"| {label} | {k} | " + " | ".join(cols) + " |")
    o.append("")

    o.append("| result (per round, then the median [range]) | open | fresh | target |")
    o.append("|---|---:|---:|---|")

    def row(label, f, unit="", digits=0, target="", kinds=KINDS):
        cells = []
        for k in KINDS:
            cells.append(spread(per_round(lambda r: f(k, r)), unit, digits) if k in kinds else "–")
        o.append(f"| {label} | " + " | ".join(cells) + f" | {target} |")

    row("corral's added median latency over direct",
        lambda k, r: lq("corral", k, r) - lq("direct", k, r), " µs", target="< 100 µs")
    row("dnsmasq's (cache off) added median latency over direct",
        lambda k, r: lq("dnsmasq-nocache", k, r) - lq("direct", k, r), " µs")
    row("throughput corral / dnsmasq, cache off",
        lambda k, r: qps("corral", k, r) / qps("dnsmasq-nocache", k, r), "", 2, "≥ 1")
    row("throughput corral / dnsmasq, cache on",
        lambda k, r: qps("corral", k, r) / qps("dnsmasq-cache", k, r), "", 2)
    row("corral: upstream answer → insertion acknowledged (median)",
        lambda k, r: (lq("corral", "fresh", r) - lq("corral", "open", r))
        - (lq("direct", "fresh", r) - lq("direct", "open", r)), " µs", kinds=("fresh",))
    row("dnsmasq: the same (median)",
        lambda k, r: lq("dnsmasq-nocache", k, r) - lq("dnsmasq-nocache-nonftset", k, r), " µs")
    row("corral: throughput cost of an insertion, 1/qps(fresh) − 1/qps(open)",
        lambda k, r: 1e6 / qps("corral", "fresh", r) - 1e6 / qps("corral", "open", r),
        " µs", 1, kinds=("fresh",))
    row("dnsmasq: the same, 1/qps(nftset) − 1/qps(no nftset), cache off",
        lambda k, r: 1e6 / qps("dnsmasq-nocache", k, r) - 1e6 / qps("dnsmasq-nocache-nonftset", k, r),
        " µs", 1)
    o.append("")
    o.append("How the insertion time is measured: corral logs no timings, so by difference "
             "of median latencies at the same fixed rate.  For corral, *open* and *fresh* "
             "differ only in whether the privileged side sends a netlink batch (per set: add, "
             "delete, add with the timeout) and waits for the kernel's acknowledgement before "
             "the answer is released: the rest (forwarder, IPC round trip to the privileged "
             "side, upstream socket) is the same.  The skip is per address, not per name, so "
             "fresh names alone would not insert: TTL 1 with `ttl-min 0` makes every answer "
             "insert.  (corral fresh − corral open) − (direct fresh − direct open) takes out "
             "what the upstream does differently for the two names.  For dnsmasq, which "
             "inserts every answer it forwards: cache off with --nftset − cache off without.  "
             "The throughput cost is the same difference in the time per query at saturation "
             "(1e6/qps µs, {} CPUs).".format(meta.get("cpus", "?")))
    o.append("")
    sets = []
    for p in ("corral", "dnsmasq-cache", "dnsmasq-nocache"):
        s = (read(os.path.join(d, f"{p}.sets.txt")) or "").strip()
        sets.append(f"{p}: {s or 'none'}")
    o.append("IPv4 addresses in the sets after the last round (the insertions happened): "
             + "; ".join(sets) + ".")
    o.append("")
    o.append(f"Commands (BOX, WORLD: the test world's namespaces; SERVER PORT: "
             f"{meta.get('upstream', '?')} 53 direct, 127.0.0.1 53 corral, "
             f"127.0.0.1 {meta.get('dm_port', '?')} dnsmasq):")
    o.append("")
    o.append("```")
    o.extend((read(os.path.join(d, "commands.txt")) or "").rstrip("\n").splitlines())
    o.append("```")
    print("\n".join(o))


main()
