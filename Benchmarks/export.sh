#!/usr/bin/env bash
# A whole-period export of a million audit records: its time and the exporting process's peak
# resident memory, for each format. The export streams (one header, then page after page), so
# the peak should not grow with the number of records.
#
#   Benchmarks/export.sh                      # ndjson, fhir-ndjson, csv, fhir; then one consumer's records
#   FORMATS="ndjson csv" Benchmarks/export.sh
#
# The million records (30 days, 20 providers, ~1.5 KB each) are the ones the package benchmark
# `Audit: query 1,000,000 records …` writes once to /tmp and reuses; this script makes them
# through it when they are missing (a few minutes the first time). `switchboard audit export`
# (release build) then reads them from a copy, with the journal off so the SQLite file is the
# whole store.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
FORMATS=${FORMATS:-"ndjson fhir-ndjson csv fhir"}
MILLION=/tmp/switchboard-bench-audit-1m-v2.sqlite

if [ ! -e "$MILLION.complete" ]; then
    echo "writing the million-record store (once) through the package benchmark" >&2
    (cd Benchmarks && swift package --disable-sandbox benchmark --target AuditBenchmarks \
        --filter "Audit: query 1,000,000 records by trace id" > /dev/null)
fi
[ -e "$MILLION.complete" ] || { echo "the package benchmark did not leave $MILLION; run it by hand to see why" >&2; exit 1; }
if [ -z "${SWITCHBOARD:-}" ]; then
    swift build -c release --product switchboard 2>&1 | tail -1
    SWITCHBOARD="$ROOT/.build/release/switchboard"
fi
command -v /usr/bin/time > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time > /dev/null; }

WORK=$(mktemp -d /tmp/switchboard-export.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp "$MILLION" "$WORK/audit.sqlite"
cat > "$WORK/switchboard.yaml" <<YAML
node: {id: bench-export}
audit: {store: 'sqlite:$WORK/audit.sqlite', journal: false}
YAML

printf '%-24s %10s %10s %12s %12s\n' export records seconds "peak RSS MB" "output MB"
export_one() { # label format [filters...]
    local label=$1 format=$2; shift 2
    /usr/bin/time -f '%e %M' -o "$WORK/time.txt" \
        "$SWITCHBOARD" audit export --config "$WORK/switchboard.yaml" --format "$format" --output "$WORK/export.out" "$@" 2> "$WORK/export.log"
    read -r seconds kilobytes < "$WORK/time.txt"
    records=$(grep -o 'exported [0-9]*' "$WORK/export.log" | awk '{print $2}')
    awk -v f="$label" -v r="$records" -v s="$seconds" -v k="$kilobytes" -v b="$(stat -c %s "$WORK/export.out")" \
        'BEGIN { printf "%-24s %10s %10s %12.1f %12.1f\n", f, r, s, k / 1024, b / 1048576 }'
    rm -f "$WORK/export.out"
}
for format in $FORMATS; do export_one "$format, all" "$format"; done
# One consumer's records (2 % of the store): the peak should be the same as for all of them.
export_one "ndjson, one consumer" ndjson --from-asid 200000000007
