"""The tamper of docs/auditor-guide.md's signed checkpoints, as someone with write access to the
audit database but not the checkpoint key would make it: change one answer's status, then
recompute that row's hash and every later one, so that the hash chain is consistent again.
`switchboard audit verify` alone then passes; with --public-key it names the rewrite.

    rehash_chain.py AUDIT_SQLITE RECORD_NUMBER
"""
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1]); target = int(sys.argv[2])
cols = [r[1] for r in db.execute("PRAGMA table_info(audit_record)")]
content = [c for c in cols if c not in ("seq", "node", "node_seq", "prev_hash", "hash")]
def canon(v):
    if v is None: return b"-"
    if isinstance(v, int): return b"i:" + str(v).encode()
    t = v.encode(); return str(len(t)).encode() + b":" + t
def digest(prev, node, seq, values):
    c = prev.encode() + canon(node) + b"|" + canon(seq)
    for i, v in enumerate(values):
        if i >= 40 and v is None: continue
        c += b"|" + canon(v)
    return hashlib.sha256(c).hexdigest()
db.execute("DROP TRIGGER IF EXISTS audit_record_no_update")
rows = db.execute(f"SELECT node, node_seq, prev_hash, {', '.join(content)} FROM audit_record ORDER BY node_seq").fetchall()
prev = None
for node, seq, stored_prev, *values in rows:
    if seq == target:
        values[content.index("status")] = 500
        db.execute("UPDATE audit_record SET status = 500 WHERE node = ? AND node_seq = ?", (node, seq))
    if seq >= target:
        h = digest(prev, node, seq, values)
        db.execute("UPDATE audit_record SET prev_hash = ?, hash = ? WHERE node = ? AND node_seq = ?", (prev, h, node, seq))
        prev = h
    else:
        prev = db.execute("SELECT hash FROM audit_record WHERE node = ? AND node_seq = ?", (node, seq)).fetchone()[0]
db.commit()
print(f"record {target} now says status 500; records {target}–{rows[-1][1]} rehashed")
