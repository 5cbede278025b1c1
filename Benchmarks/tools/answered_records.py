"""Checks an export of the audit store against the trace ids whose answers arrived whole: each
must have a forwarded 200 record. Prints one line (and up to ten missing trace ids); exits 1 when
any is missing.

    answered_records.py ANSWERED_TXT EXPORT_CSV LABEL
"""
import csv
import sys

answered_file, export_file, label = sys.argv[1:4]
answered = [line.strip() for line in open(answered_file) if line.strip()]
records = {}
for row in csv.DictReader(open(export_file)):
    records.setdefault(row["trace_id"], []).append(row)
missing = [t for t in answered if not any(r["outcome"] == "forwarded" and r["status"] == "200" for r in records.get(t, []))]
interrupted = sum(1 for rows in records.values() for r in rows if r["outcome"] == "interrupted")
print(f"{label} answered exchanges: {len(answered)}; records missing: {len(missing)}; "
      f"marked interrupted (in flight when the process died, never answered): {interrupted}")
if missing:
    print("missing:", " ".join(missing[:10]))
sys.exit(1 if missing else 0)
