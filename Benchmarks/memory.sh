#!/usr/bin/env bash
# Switchboard's resident memory (release build, audit on) against SPEC.md's bars:
#   - 1,000 idle keep-alive mutual-TLS clients, each after one slot search: under 100 MB resident;
#   - a 50 MB provider response streamed to a consumer (read slowly): the process does not grow
#     by anything like 50 MB.
#
#   Benchmarks/memory.sh          # CLIENTS=1000 RATE=20M (curl --limit-rate for the 50 MB read)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CLIENTS=${CLIENTS:-1000}
RATE=${RATE:-20M}
WORK_PREFIX=switchboard-memory
source Benchmarks/tools/common.sh

# A 50 MB JSON answer for the provider to serve when asked for ?payload=50MB.
python3 - "$WORK/www/big.json" <<'PY'
import sys
with open(sys.argv[1], "w") as out:
    out.write('{"resourceType":"Bundle","type":"searchset","entry":[')
    entry = '{"resource":{"resourceType":"Slot","id":"%d","status":"free","start":"2026-11-27T09:00:00+00:00","end":"2026-11-27T09:10:00+00:00"}}'
    size, n = 0, 0
    while size < 50 * 1024 * 1024:
        text = ("," if n else "") + entry % n
        out.write(text)
        size += len(text)
        n += 1
    out.write("]}")
PY
write_switchboard_config 0
"$SWITCHBOARD" serve --config "$WORK/switchboard.yaml" 2>> "$WORK/switchboard.log" &
echo $! > "$WORK/switchboard.pid"
PID=$(cat "$WORK/switchboard.pid")
wait_for_port "$SWITCHBOARD_PORT"
rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }

URL="https://localhost:$SWITCHBOARD_PORT/$BASE/Slot?status=free&start=ge2026-11-27&end=le2026-12-04"
CURL=(curl -sS --cacert "$WORK/consumer-ca.pem" --cert "$WORK/client.pem" --key "$WORK/client.key")
while IFS= read -r header; do CURL+=(-H "$header"); done < <(headers)
for _ in $(seq 20); do "${CURL[@]}" -o /dev/null "$URL"; done
BASELINE=$(rss_mb)
echo "after start-up and 20 slot searches: $BASELINE MB resident"

headers > "$WORK/headers.txt"
# 1,000 clients: each connects with the client certificate, makes one slot search, then idles.
python3 - "$SWITCHBOARD_PORT" "$CLIENTS" "$WORK" "$URL" "$PID" <<'PY' &
import os, socket, ssl, sys, time
port, clients, work, url, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
headers = [line.rstrip("\n") for line in open(os.path.join(work, "headers.txt"))]
target = url.split(str(port), 1)[1]
request = ("GET %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n\r\n" % (target, "\r\n".join(headers))).encode()
context = ssl.create_default_context(cafile=os.path.join(work, "consumer-ca.pem"))
context.load_cert_chain(os.path.join(work, "client.pem"), os.path.join(work, "client.key"))
connections = []
for _ in range(clients):
    raw = socket.create_connection(("127.0.0.1", port))
    tls = context.wrap_socket(raw, server_hostname="localhost")
    tls.sendall(request)
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += tls.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    while len(body) < length:
        body += tls.recv(65536)
    assert head.startswith(b"HTTP/1.1 200"), head[:40]
    connections.append(tls)
print("%d clients connected, each answered 200, now idle" % len(connections), flush=True)
open(os.path.join(work, "clients-ready"), "w").close()
time.sleep(30)
PY
CLIENTS_PID=$!
for _ in $(seq 600); do [ -f "$WORK/clients-ready" ] && break; sleep 0.1; done
sleep 2
OPEN=$(ls /proc/$PID/fd | wc -l)
WITH_CLIENTS=$(rss_mb)
echo "with $CLIENTS idle keep-alive clients: $WITH_CLIENTS MB resident ($OPEN file descriptors open)"
kill $CLIENTS_PID 2>/dev/null || true
wait $CLIENTS_PID 2>/dev/null || true
sleep 1
BEFORE=$(rss_mb)
IDLE=$(python3 -c "print(round($WITH_CLIENTS - $BASELINE, 1))")
echo "  the clients cost +$IDLE MB, $(python3 -c "print(round(($WITH_CLIENTS - $BASELINE) * 1024 / $CLIENTS, 1))") KB each"

# The 50 MB answer, read at $RATE so that the proxy holds it for seconds; peak resident sampled.
"${CURL[@]}" --limit-rate "$RATE" -o "$WORK/big.out" "$URL&payload=50MB" &
CURL_PID=$!
PEAK=$BEFORE
while kill -0 $CURL_PID 2>/dev/null; do
    NOW=$(rss_mb)
    PEAK=$(python3 -c "print(max($PEAK, $NOW))")
    sleep 0.1
done
wait $CURL_PID
SIZE=$(stat -c %s "$WORK/big.out")
[ "$SIZE" = "$(stat -c %s "$WORK/www/big.json")" ] || { echo "the 50 MB answer arrived incomplete ($SIZE bytes)" >&2; exit 1; }
echo "streaming a $((SIZE / 1024 / 1024)) MB answer at $RATE/s: $BEFORE MB before, peak $PEAK MB (+$(python3 -c "print(round($PEAK - $BEFORE, 1))") MB)"
