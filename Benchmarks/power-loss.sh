#!/usr/bin/env bash
# Power cuts under load, again and again: after each cut the audit store holds only what was
# synced, and still every exchange whose consumer got its whole answer must have its completed
# record, the hash chain must verify, and the store must open.
#
#   Benchmarks/power-loss.sh                  # 20 rounds, release build
#   ROUNDS=5 SWITCHBOARD=.build/debug/switchboard Benchmarks/power-loss.sh
#
# This kernel has no device-mapper (no dm-log-writes or dm-flakey: /dev/mapper is absent), so the
# cut is made by Benchmarks/tools/powercut.c, an LD_PRELOAD layer under `switchboard serve`: for
# every file of the audit store (the SQLite index, its WAL, the journal's segments) it keeps the
# image a power cut would leave, updated only by fsync/fdatasync. Each round drives slot searches
# from 8 keep-alive connections (tools/crash_load.py), kills the process with SIGKILL at a random
# moment 0.5 to 2.5 s into the load, then puts every file's image in its place (unsynced writes
# gone, sizes as last synced, SQLite's -shm removed) — the disk as the power cut left it. The
# next start replays the journal into the index; the round then checks every trace id answered
# so far against an export, and verifies the chain.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ROUNDS=${ROUNDS:-20}
# SYNCHRONOUS=normal runs the negative control: records not synced before answers are released,
# which a cut must be able to lose (the script then reports them missing).
SYNCHRONOUS=${SYNCHRONOUS:-full}
WORK_PREFIX=switchboard-power-loss
source Benchmarks/tools/common.sh

gcc -shared -fPIC -O2 -o "$WORK/powercut.so" Benchmarks/tools/powercut.c -ldl
write_switchboard_config 1
CONFIG="$WORK/switchboard.yaml"
STORE="$WORK/audit"
mkdir -p "$STORE"
sed -i "s|^audit: .*|audit: {store: 'sqlite:$STORE/audit.sqlite', synchronous: $SYNCHRONOUS}|" "$CONFIG"
URL="https://localhost:$SWITCHBOARD_PORT/$BASE$QUERY"
headers > "$WORK/headers.txt"
: > "$WORK/answered.txt"

start() { # [with the power-cut layer]
    if [ "${1:-}" = cut ]; then
        POWERCUT_DIR="$STORE" LD_PRELOAD="$WORK/powercut.so" "$SWITCHBOARD" serve --config "$CONFIG" 2>> "$WORK/switchboard.log" &
    else
        "$SWITCHBOARD" serve --config "$CONFIG" 2>> "$WORK/switchboard.log" &
    fi
    echo $! > "$WORK/switchboard.pid"
    wait_for_port "$SWITCHBOARD_PORT"
}

# The disk as a power cut at this instant leaves it: every file as last synced.
cut_power() {
    kill -9 "$(cat "$WORK/switchboard.pid")"
    wait "$(cat "$WORK/switchboard.pid")" 2>/dev/null || true
    rm -f "$WORK/switchboard.pid"
    local restored=0 lost=0
    while IFS= read -r -d '' image; do
        local file=${image%.durable}
        if [ -e "$file" ]; then
            local size=$(stat -c %s "$file") synced=$(stat -c %s "$image")
            lost=$((lost + $(cmp -l "$file" "$image" 2>/dev/null | wc -l) + (size > synced ? size - synced : 0)))
            cp "$image" "$file"
            restored=$((restored + 1))
        else
            rm -f "$image"
        fi
    done < <(find "$STORE" -name '*.durable' -print0)
    find "$STORE" -name '*-shm' -delete
    echo "$restored files put back as last synced (about $lost bytes of unsynced writes dropped)"
}

check() { # round
    local ok=0
    "$SWITCHBOARD" audit export --config "$CONFIG" --format csv --output "$WORK/export.csv" > /dev/null || ok=1
    python3 Benchmarks/tools/answered_records.py "$WORK/answered.txt" "$WORK/export.csv" "after cut $1:" || ok=1
    "$SWITCHBOARD" audit verify --config "$CONFIG" | sed 's/^/  /' || ok=1
    return $ok
}

failures=0
for round in $(seq "$ROUNDS"); do
    start cut
    python3 Benchmarks/tools/crash_load.py "$URL" "$WORK/headers.txt" "$WORK/client.pem" "$WORK/client.key" "$WORK/consumer-ca.pem" 3 8 \
        > "$WORK/answered-$round.txt" &
    load=$!
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.5, 2.5), 2))')"
    echo "round $round: $(cut_power)"
    wait "$load"
    cat "$WORK/answered-$round.txt" >> "$WORK/answered.txt"
    echo "round $round: $(grep -c . "$WORK/answered-$round.txt" || true) answered before the cut"
    # The store opens and replays its journal; the node marks what was in flight as interrupted.
    start
    kill "$(cat "$WORK/switchboard.pid")"; wait "$(cat "$WORK/switchboard.pid")" || true; rm -f "$WORK/switchboard.pid"
    # That run ended cleanly, its writes synced: the next round's images start from the files as they are.
    find "$STORE" -name '*.durable' -delete
    check "$round" || failures=$((failures + 1))
done
echo "rounds: $ROUNDS; rounds with a record missing or a chain broken: $failures"
exit $((failures > 0))
