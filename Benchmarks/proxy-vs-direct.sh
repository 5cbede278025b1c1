#!/usr/bin/env bash
# Throughput and added latency of Switchboard against calling the provider directly, measured
# side by side in one run (targets alternated), with 16 keep-alive mutual-TLS clients.
#
#   Benchmarks/proxy-vs-direct.sh            # DURATION=10 CONNECTIONS=16 ROUNDS=2 by default
#
# Targets: the provider directly; Switchboard with its durable audit store (the default);
# the same Switchboard with audit.store=off, to show what auditing costs.
#
# The provider is nginx serving the published GP Connect slot-search Bundle over HTTPS. The load
# generator is wrk; it presents the client certificate through tools/client-cert-preload.so.
# Switchboard runs its release build with its default durability. Everything is on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-16}
ROUNDS=${ROUNDS:-2}
PROXY_PORT=${PROXY_PORT:-18443}
PROVIDER_PORT=${PROVIDER_PORT:-19443}
UNAUDITED_PORT=${UNAUDITED_PORT:-18444}
MANAGEMENT_PORT=${MANAGEMENT_PORT:-18445}
WORK=$(mktemp -d /tmp/switchboard-bench.XXXXXX)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true; }
trap cleanup EXIT

missing=()
for tool in nginx wrk openssl gcc; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]/gcc/gcc}" >/dev/null
fi
./scripts/install-dependencies
swift build -c release --product switchboard 2>&1 | tail -1
SWITCHBOARD="$ROOT/.build/release/switchboard"
gcc -shared -fPIC -O2 -o "$WORK/client-cert-preload.so" Benchmarks/tools/client-cert-preload.c -ldl

# Certificates: a consumer CA (proxy server and client certificates) and a provider CA.
pki() { # name ca subject-alt-name extended-usage
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$WORK/$1.key" -subj "/CN=$3" -out "$WORK/$1.csr" 2>/dev/null
    printf "subjectAltName=DNS:%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n" "$3" "$4" > "$WORK/$1.ext"
    openssl x509 -req -in "$WORK/$1.csr" -CA "$WORK/$2.pem" -CAkey "$WORK/$2.key" -CAcreateserial -days 2 -sha256 -extfile "$WORK/$1.ext" -out "$WORK/$1.pem" 2>/dev/null
}
for ca in consumer-ca provider-ca; do
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$WORK/$ca.key" -subj "/CN=$ca" -days 2 -out "$WORK/$ca.pem" 2>/dev/null
done
pki proxy consumer-ca localhost serverAuth
pki client consumer-ca bench-111.thirdparty.nhs.uk clientAuth
pki provider provider-ca localhost serverAuth

# The provider: nginx, one worker, the slot-search Bundle for any path.
mkdir -p "$WORK/www"
chmod 711 "$WORK"; chmod 755 "$WORK/www"
cp ../shared/fixtures/gpconnect/search_for_free_slots_response_example.json "$WORK/www/slot.json"
cat > "$WORK/provider.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/provider-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 10000000;
    server {
        listen 127.0.0.1:$PROVIDER_PORT ssl;
        ssl_certificate $WORK/provider.pem;
        ssl_certificate_key $WORK/provider.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / { default_type application/fhir+json; add_header Cache-Control no-store; root $WORK/www; try_files /slot.json =404; }
    }
}
NGINX
nginx -c "$WORK/provider.conf" -p "$WORK"

# The directory: one 111 consumer, one practice whose endpoint is the provider.
BASE="https://localhost:$PROVIDER_PORT/A81001/STU3/1/gpconnect"
mkdir -p "$WORK/tables/organisations"
cp RoutingTables/interactions.yaml "$WORK/tables/"
SLOT=urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1
cat > "$WORK/tables/organisations/RYE.yaml" <<YAML
organisation: {ods: RYE, name: Benchmark 111, kind: urgent-care}
systems:
- {asid: '200000000359', name: Benchmark consumer, partyKey: RYE-0000901, certificateFQDN: bench-111.thirdparty.nhs.uk, sends: [$SLOT]}
YAML
cat > "$WORK/tables/organisations/A81001.yaml" <<YAML
organisation: {ods: A81001, name: Benchmark practice, kind: gp-practice}
systems:
- {asid: '918999198001', name: Benchmark provider, partyKey: A81001-0000801, receives: [$SLOT]}
endpoints:
- {cpaId: S20001A100001, partyKey: A81001-0000801, address: '$BASE', interactions: [$SLOT]}
YAML
printf "agreements:\n- {id: bench, consumer: any, provider: any, interactions: any}\n" > "$WORK/tables/sharing-agreements.yaml"
cat > "$WORK/switchboard.yaml" <<YAML
node: {id: bench-1}
directory:
  store: sqlite:$WORK/directory.sqlite
  routingTables: $WORK/tables
  endpointPolicy: {allowLoopback: true}
proxy:
  listen: {host: 127.0.0.1, port: $PROXY_PORT}
  tls: {certificate: $WORK/proxy.pem, privateKey: $WORK/proxy.key, clientCA: $WORK/consumer-ca.pem}
  upstream: {caBundle: $WORK/provider-ca.pem}
management: {port: $MANAGEMENT_PORT, certificate: $WORK/proxy.pem, privateKey: $WORK/proxy.key, tokensFile: $WORK/tokens.json}
logging: {level: error}
YAML
cat >> "$WORK/switchboard.yaml" <<YAML
audit: {store: 'sqlite:$WORK/audit.sqlite'}
YAML
"$SWITCHBOARD" routes import --config "$WORK/switchboard.yaml" >/dev/null
"$SWITCHBOARD" serve --config "$WORK/switchboard.yaml" 2>"$WORK/switchboard.log" &
PIDS+=($!)
SWITCHBOARD_PID=$!
# The same proxy with its audit store off, to show what durable auditing costs.
SWITCHBOARD_PROXY_LISTEN_PORT=$UNAUDITED_PORT SWITCHBOARD_MANAGEMENT_PORT=$((MANAGEMENT_PORT + 1)) SWITCHBOARD_AUDIT_STORE=off SWITCHBOARD_NODE_ID=bench-unaudited \
    "$SWITCHBOARD" serve --config "$WORK/switchboard.yaml" 2>"$WORK/switchboard-unaudited.log" &
PIDS+=($!)
UNAUDITED_PID=$!
for port in $PROXY_PORT $UNAUDITED_PORT; do
    for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
    (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null || { echo "Switchboard did not start:" >&2; cat "$WORK"/switchboard*.log >&2; exit 1; }
done

QUERY="/Slot?status=free&start=ge2026-11-27&end=le2026-12-04&_include=Slot:schedule"
run() { # label url
    local jwt; jwt=$(python3 Benchmarks/tools/jwt.py "$BASE")
    CLIENT_CERT="$WORK/client.pem" CLIENT_KEY="$WORK/client.key" LD_PRELOAD="$WORK/client-cert-preload.so" \
    wrk -t1 -c"$CONNECTIONS" -d"${3:-$DURATION}s" --latency \
        -H "Ssp-TraceID: 9ad8bd02-1b6b-4b7c-9a51-3c1a5a3b1c8e" -H "Ssp-From: 200000000359" -H "Ssp-To: 918999198001" \
        -H "Ssp-InteractionID: $SLOT" -H "Authorization: Bearer $jwt" -H "Accept: application/fhir+json" "$2"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

echo "warm-up…"
run direct "$BASE$QUERY" 3 >/dev/null
run switchboard "https://localhost:$PROXY_PORT/$BASE$QUERY" 3 >/dev/null
run unaudited "https://localhost:$UNAUDITED_PORT/$BASE$QUERY" 3 >/dev/null
: > "$WORK/results.txt"
for round in $(seq "$ROUNDS"); do
    for target in direct switchboard unaudited; do
        case $target in
            direct) url="$BASE$QUERY"; pid=$SWITCHBOARD_PID ;;
            switchboard) url="https://localhost:$PROXY_PORT/$BASE$QUERY"; pid=$SWITCHBOARD_PID ;;
            unaudited) url="https://localhost:$UNAUDITED_PORT/$BASE$QUERY"; pid=$UNAUDITED_PID ;;
        esac
        before=$(cpu_ticks $pid)
        out=$(run "$target" "$url")
        after=$(cpu_ticks $pid)
        echo "$out" > "$WORK/$target-$round.txt"
        echo "$target $round $((after - before)) $WORK/$target-$round.txt" >> "$WORK/results.txt"
    done
done
python3 - "$WORK/results.txt" "$(getconf CLK_TCK)" "$CONNECTIONS" "$DURATION" <<'PY'
import re, statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
tick = 1.0 / int(sys.argv[2])
def ms(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
results = {}
print(f"\n{sys.argv[3]} keep-alive mutual-TLS connections, {sys.argv[4]} s per run, targets alternated\n")
print(f"{'target':<12} {'round':>5} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'CPU µs/req':>11}")
for target, round_, ticks, path in rows:
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    total = int(re.search(r"(\d+) requests in", text).group(1))
    p50 = ms(re.search(r"\s50%\s+(\S+)", text).group(1))
    p99 = ms(re.search(r"\s99%\s+(\S+)", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if errors: print(f"!! {target} round {round_}: {errors.group(1)} non-2xx responses: figures are not valid")
    socket = re.search(r"Socket errors: .*", text)
    cpu = int(ticks) * tick / total * 1e6 if target != "direct" else float("nan")
    results.setdefault(target, []).append((rps, p50, p99))
    print(f"{target:<12} {round_:>5} {rps:>10.0f} {p50:>8.2f} {p99:>8.2f} {int(errors.group(1)) if errors else 0:>7} {cpu:>11.0f}" + (f"  {socket.group(0)}" if socket else ""))
d = [statistics.median(x) for x in zip(*results["direct"])]
s = [statistics.median(x) for x in zip(*results["switchboard"])]
u = [statistics.median(x) for x in zip(*results["unaudited"])]
print(f"\nmedians: direct {d[0]:.0f} req/s; Switchboard {s[0]:.0f} req/s (ratio {s[0] / d[0]:.2f}); with audit off {u[0]:.0f} req/s (ratio {u[0] / d[0]:.2f})")
print(f"added latency through Switchboard (audit durable): p50 +{s[1] - d[1]:.2f} ms, p99 +{s[2] - d[2]:.2f} ms")
print(f"added latency through Switchboard (audit off):     p50 +{u[1] - d[1]:.2f} ms, p99 +{u[2] - d[2]:.2f} ms")
print("(closed loop: latency includes queueing at saturation)")
PY
echo "(raw wrk output in $WORK; client certificate presented by an LD_PRELOAD shim loading it into wrk's OpenSSL context)"
