#!/usr/bin/env python3
"""Prints the table of Benchmarks/compare.sh from its results.tsv.

Each row of results.tsv: workers, run, target, round, CPU ticks of the target's processes, and
the load generator's output file (wrk text, or h2load text plus a per-request .log).
"""
import os
import re
import statistics
import sys
from collections import defaultdict

results_path, clock_ticks, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
TARGETS = ["direct", "nginx", "haproxy", "floor", "baseline", "switchboard", "sqlite", "postgres", "postgres-2"]


def milliseconds(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def read_wrk(path):
    text = open(path).read()
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors = (int(bad.group(1)) if bad else 0) + (sum(int(n) for n in socket.groups()) if socket else 0)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "p50": milliseconds(re.search(r"\s50%\s+(\S+)", text).group(1)),
        "p99": milliseconds(re.search(r"\s99%\s+(\S+)", text).group(1)),
        "requests": requests,
        "errors": errors,
    }


def read_h2load(path):
    text = open(path).read()
    durations = []
    statuses = defaultdict(int)
    for line in open(path + ".log"):
        parts = line.split()
        if len(parts) >= 3:
            statuses[parts[1]] += 1
            durations.append(int(parts[2]) / 1000.0)
    durations.sort()
    if not durations:
        raise SystemExit(f"no requests logged in {path}.log:\n{text}")
    done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", text)
    seconds = re.search(r"finished in ([\d.]+)(m?s)", text)
    elapsed = float(seconds.group(1)) / (1000.0 if seconds.group(2) == "ms" else 1.0)
    return {
        "rps": len(durations) / elapsed,
        "p50": durations[int(0.50 * (len(durations) - 1))],
        "p99": durations[int(0.99 * (len(durations) - 1))],
        "requests": len(durations),
        "errors": sum(n for status, n in statuses.items() if not status.startswith("2")) + (int(done.group(3)) + int(done.group(4)) if done else 0),
    }


rows = defaultdict(list)
for line in open(results_path):
    workers, run, target, round_, ticks, path = line.rstrip("\n").split("\t")
    figures = read_h2load(path) if run == "fixed-rate" else read_wrk(path)
    figures["cpu_us"] = int(ticks) / clock_ticks / max(figures["requests"], 1) * 1e6
    rows[(workers, run, target)].append(figures)

print()
print("Medians over rounds (targets alternated in each round). CPU: utime + stime of the target's processes per request")
print("(for direct, the provider's). Added: over direct, same run.")
for workers in sorted({key[0] for key in rows}):
    label = "one worker each (nginx worker_processes 1, HAProxy nbthread 1, Switchboard 1 event-loop thread per node)" if workers == "1" \
        else f"{workers} workers each"
    print(f"\n## {label}\n")
    for run in ["keepalive-16", "keepalive-64", "new-connection", "fixed-rate"]:
        present = [t for t in TARGETS if (workers, run, t) in rows]
        if not present:
            continue
        title = {"keepalive-16": "16 keep-alive connections, closed loop", "keepalive-64": "64 keep-alive connections, closed loop",
                 "new-connection": "a new mutual-TLS connection per request (16 at a time)",
                 "fixed-rate": f"fixed rate {rate} requests/s over 16 keep-alive connections"}[run]
        print(f"### {title}\n")
        print(f"| target | req/s | p50 ms | p99 ms | added p50 | added p99 | CPU µs/req | errors |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        median = {}
        for target in present:
            runs = rows[(workers, run, target)]
            median[target] = {key: statistics.median(r[key] for r in runs) for key in ["rps", "p50", "p99", "cpu_us"]}
            median[target]["errors"] = sum(r["errors"] for r in runs)
        for target in present:
            m = median[target]
            added = ("", "")
            if "direct" in median and target != "direct":
                added = (f"{m['p50'] - median['direct']['p50']:+.2f}", f"{m['p99'] - median['direct']['p99']:+.2f}")
            print(f"| {target} | {m['rps']:.0f} | {m['p50']:.2f} | {m['p99']:.2f} | {added[0]} | {added[1]} | {m['cpu_us']:.0f} | {m['errors']} |")
        def ratios(pairs):
            """One line of `name / name: throughput ×…, CPU per request ×…` for each pair present."""
            parts = [f"{label}: throughput ×{median[x]['rps'] / median[y]['rps']:.2f}, CPU per request ×{median[x]['cpu_us'] / median[y]['cpu_us']:.2f}"
                     for label, x, y in pairs if x in median and y in median]
            if parts:
                print("; ".join(parts))
        print()
        ratios([("Switchboard / nginx", "switchboard", "nginx"), ("Switchboard / HAProxy", "switchboard", "haproxy")])
        ratios([("floor (NIO + swift-nio-ssl, no SSP or audit) / nginx", "floor", "nginx"), ("Switchboard / floor", "switchboard", "floor")])
        for target in ["postgres", "postgres-2"]:
            if target in median and "sqlite" in median:
                p, q = median[target], median["sqlite"]
                print(f"{target} / sqlite: throughput ×{p['rps'] / q['rps']:.2f}, CPU per request ×{p['cpu_us'] / q['cpu_us']:.2f}, "
                      f"p50 {p['p50'] - q['p50']:+.2f} ms")
        if "switchboard" in median and "baseline" in median:
            s, b = median["switchboard"], median["baseline"]
            print(f"Switchboard / baseline build: throughput ×{s['rps'] / b['rps']:.2f}, CPU per request ×{s['cpu_us'] / b['cpu_us']:.2f}")
        print()
