"""Where an exchange's time goes, from the spans Benchmarks/trace.sh gathered: for each span name,
its duration and where it starts and ends after its exchange began (p50 and p90), in the order
the spans start, and the gaps between them.

    python3 span_summary.py SPANS.jsonl
"""
import json
import sys
from collections import defaultdict


def quantile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(path):
    traces = defaultdict(list)
    with open(path) as lines:
        for line in lines:
            span = json.loads(line)
            traces[span["traceId"]].append(span)
    durations, starts, ends = defaultdict(list), defaultdict(list), defaultdict(list)
    exchanges = 0
    for spans in traces.values():
        roots = [span for span in spans if span["name"] == "exchange"]
        if not roots:
            continue
        exchanges += 1
        origin = int(roots[0]["startTimeUnixNano"])
        for span in spans:
            start, end = int(span["startTimeUnixNano"]), int(span["endTimeUnixNano"])
            durations[span["name"]].append((end - start) / 1e6)
            starts[span["name"]].append((start - origin) / 1e6)
            ends[span["name"]].append((end - origin) / 1e6)
    if not exchanges:
        sys.exit(f"no exchange spans in {path}: was tracing on and the collector reached?")
    print(f"{exchanges} exchanges traced; milliseconds, p50 (p90); start and end are after the exchange began")
    print(f"| span | duration | starts | ends | gap before it (p50 start - previous p50 end) |")
    print("|---|---:|---:|---:|---:|")
    previous_end = 0.0
    for name in sorted(durations, key=lambda name: (quantile(starts[name], 0.5), name != "exchange")):
        start50, end50 = quantile(starts[name], 0.5), quantile(ends[name], 0.5)
        gap = "" if name == "exchange" else f"{start50 - previous_end:.3f}"
        print(f"| {name} | {quantile(durations[name], 0.5):.3f} ({quantile(durations[name], 0.9):.3f}) "
              f"| {start50:.3f} ({quantile(starts[name], 0.9):.3f}) | {end50:.3f} ({quantile(ends[name], 0.9):.3f}) | {gap} |")
        if name != "exchange":
            previous_end = end50


if __name__ == "__main__":
    main(sys.argv[1])
