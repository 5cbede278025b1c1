#!/usr/bin/env bash
# Builds the libFuzzer target with AddressSanitizer and runs it for a bounded time over the seed
# corpus (kept and grown in var/fuzz-corpus). Not part of CI: run it by hand and record the figures.
#
#   Fuzz/run.sh [SECONDS]        # default 600
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_TO_RUN=${1:-600}
swift build -c debug -Xswiftc -sanitize=fuzzer,address --product SwitchboardFuzz 2>&1 | grep -E "error|Compiling SwitchboardFuzz|Build complete" || true
BINARY=$(swift build -c debug -Xswiftc -sanitize=fuzzer,address --show-bin-path)/SwitchboardFuzz
CORPUS=../var/fuzz-corpus
mkdir -p "$CORPUS" ../var/fuzz-findings
cp -n Seeds/* "$CORPUS"/
"$BINARY" -max_total_time="$SECONDS_TO_RUN" -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix=../var/fuzz-findings/ "$CORPUS" 2>&1 | tail -25
