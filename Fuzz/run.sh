#!/usr/bin/env bash
# Builds the libFuzzer target with AddressSanitizer and runs it for a bounded time over the seed
# corpus (kept and grown in var/fuzz-corpus). Not part of CI: run it by hand and record the figures.
#
#   Fuzz/run.sh [SECONDS]       # default 600
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_TO_RUN=${1:-600}
# gold fails on this binary's debug information; the toolchain's lld links it.
LLD="$(dirname "$(readlink -f "$(command -v swift)")")/ld.lld"
mkdir -p ../var
cat > ../var/fuzz-toolset.json <<JSON
{"schemaVersion": "1.0", "swiftCompiler": {"extraCLIOptions": ["-sanitize=fuzzer,address", "-use-ld=lld"]}, "linker": {"path": "$LLD"}}
JSON
swift build -c debug --toolset ../var/fuzz-toolset.json --product SwitchboardFuzz 2>&1 | grep -E "error|Build of product" || true
BINARY=$(swift build -c debug --toolset ../var/fuzz-toolset.json --show-bin-path)/SwitchboardFuzz
CORPUS=../var/fuzz-corpus
mkdir -p "$CORPUS" ../var/fuzz-findings
cp -n Seeds/* "$CORPUS"/
# The Swift crash backtracer is itself flagged by ASan; libFuzzer's own report is enough.
export SWIFT_BACKTRACE=enable=no
started=$(date +%s)
"$BINARY" -max_total_time="$SECONDS_TO_RUN" -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix=../var/fuzz-findings/ "$CORPUS" 2>&1 | grep -E "^#[0-9]+ *(DONE|pulse)|stat::|ERROR|SUMMARY|Test unit written|INITED" | tail -25
echo "ran $(( $(date +%s) - started )) s; corpus $(ls "$CORPUS" | wc -l) inputs; findings: $(ls ../var/fuzz-findings | wc -l)"
