#!/usr/bin/env bash
# kill -9 under load, again and again: every exchange whose consumer got its whole answer must
# have its completed record, whatever the journal was doing when the process died.
#
#   Benchmarks/crash-loop.sh                 # 20 rounds
#   ROUNDS=5 Benchmarks/crash-loop.sh
#
# Each round starts `switchboard serve` (release build, the audit journal at its default
# durability), drives slot searches from 8 keep-alive connections (tools/crash_load.py, each
# with its own Ssp-TraceID), and kills the process with SIGKILL at a random moment between 0.5
# and 2.5 s into the load, while journal groups are being written and synced. The next start
# replays the journal into the index. At the end every answered trace id is looked up in an
# export of the audit store, and the hash chain is verified.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ROUNDS=${ROUNDS:-20}
WORK_PREFIX=switchboard-crash-loop
source Benchmarks/tools/common.sh

write_switchboard_config 1
CONFIG="$WORK/switchboard.yaml"
URL="https://localhost:$SWITCHBOARD_PORT/$BASE$QUERY"
headers > "$WORK/headers.txt"
: > "$WORK/answered.txt"
for round in $(seq "$ROUNDS"); do
    "$SWITCHBOARD" serve --config "$CONFIG" 2>> "$WORK/switchboard.log" &
    echo $! > "$WORK/switchboard.pid"
    wait_for_port "$SWITCHBOARD_PORT"
    python3 Benchmarks/tools/crash_load.py "$URL" "$WORK/headers.txt" "$WORK/client.pem" "$WORK/client.key" "$WORK/consumer-ca.pem" 3 8 \
        > "$WORK/answered-$round.txt" &
    load=$!
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.5, 2.5), 2))')"
    kill -9 "$(cat "$WORK/switchboard.pid")"
    wait "$(cat "$WORK/switchboard.pid")" 2>/dev/null || true
    rm -f "$WORK/switchboard.pid"
    wait "$load"
    cat "$WORK/answered-$round.txt" >> "$WORK/answered.txt"
    echo "round $round: $(grep -c . "$WORK/answered-$round.txt" || true) answered before the kill"
done

# One more start replays the journal and marks what was left open as interrupted.
"$SWITCHBOARD" serve --config "$CONFIG" 2>> "$WORK/switchboard.log" &
echo $! > "$WORK/switchboard.pid"
wait_for_port "$SWITCHBOARD_PORT"
kill "$(cat "$WORK/switchboard.pid")"; wait "$(cat "$WORK/switchboard.pid")" || true; rm -f "$WORK/switchboard.pid"

"$SWITCHBOARD" audit export --config "$CONFIG" --format csv --output "$WORK/export.csv" > /dev/null
python3 Benchmarks/tools/answered_records.py "$WORK/answered.txt" "$WORK/export.csv" "rounds: $ROUNDS;"
"$SWITCHBOARD" audit verify --config "$CONFIG"
