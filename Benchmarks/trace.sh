#!/usr/bin/env bash
# Where an exchange's time goes, from the proxy's own traces: `switchboard serve` (release build,
# audit at its default durability) exports an OpenTelemetry span per exchange, per admission
# phase, for the provider's request (`forward`) and for the record's completion (`audit`) to a
# collector on loopback (tools/otlp_receiver.py) while h2load sends slot searches at a fixed rate
# over 16 keep-alive connections; tools/span_summary.py then prints each span's duration, when it
# starts and ends after its exchange began, and the gaps between them (the gap before `forward`
# is the open record's write; before `audit`, the end of the answer's relay).
#
#   Benchmarks/trace.sh                                  # 1,000 requests/s for 10 s
#   RATE=2000 DURATION=20 SWITCHBOARD=path/to/switchboard Benchmarks/trace.sh
#   KEY=rsa Benchmarks/trace.sh                          # RSA-2048 certificates
#
# Settings (environment): RATE=1000 DURATION=10 WARMUP=3 SAMPLE=0.2 (the share of exchanges
# traced) WORKERS=1 (event-loop threads). Tracing costs the loop some time itself: compare runs
# of this script with each other, not with compare.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RATE=${RATE:-1000} DURATION=${DURATION:-10} WARMUP=${WARMUP:-3} SAMPLE=${SAMPLE:-0.2} WORKERS=${WORKERS:-1}
COLLECTOR_PORT=${COLLECTOR_PORT:-14318}
WORK_PREFIX=switchboard-trace
source Benchmarks/tools/common.sh

write_switchboard_config "$WORKERS"
cat >> "$WORK/switchboard.yaml" <<YAML
tracing: {exporter: otlp, protocol: http/json, endpoint: 'http://127.0.0.1:$COLLECTOR_PORT/v1/traces', sampleRatio: $SAMPLE, exportIntervalMilliseconds: 1000}
YAML
python3 Benchmarks/tools/otlp_receiver.py "$COLLECTOR_PORT" "$WORK/spans.jsonl" &
echo $! > "$WORK/collector.pid"
"$SWITCHBOARD" serve --config "$WORK/switchboard.yaml" 2>> "$WORK/switchboard.log" &
echo $! > "$WORK/switchboard.pid"
wait_for_port "$PROVIDER_PORT"
wait_for_port "$COLLECTOR_PORT"
wait_for_port "$SWITCHBOARD_PORT"

url_of() { echo "https://localhost:$SWITCHBOARD_PORT/$BASE$QUERY"; }
load fixed-rate switchboard "$WARMUP" "$WORK/warmup.txt"
# Spans of the warm-up still being exported are dropped with it.
sleep 1.5
: > "$WORK/spans.jsonl"
load fixed-rate switchboard "$DURATION" "$WORK/load.txt"
# The last spans leave at the next export intervals: wait until none has arrived for two of them.
previous=-1
for _ in $(seq 15); do
    sleep 1
    count=$(wc -l < "$WORK/spans.jsonl")
    [ "$count" -eq "$previous" ] && break
    previous=$count
done

echo "certificates: $KEY; $RATE requests/s over 16 keep-alive connections for $DURATION s; ${WORKERS} event-loop thread(s)"
grep -E "^requests:|^ +min|^time for request" "$WORK/load.txt"
python3 Benchmarks/tools/span_summary.py "$WORK/spans.jsonl"
echo "(raw output in $WORK)"
