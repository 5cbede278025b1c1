# Shared by the scripts in Benchmarks/: tools, a release build, certificates, the provider and
# the routing tables of one consumer and one practice. Source it with ROOT set to the repository
# and WORK_PREFIX naming the scratch folder.
PROVIDER_PORT=${PROVIDER_PORT:-19443} SWITCHBOARD_PORT=${SWITCHBOARD_PORT:-18443} MANAGEMENT_PORT=${MANAGEMENT_PORT:-18453}
WORK=$(mktemp -d "/tmp/${WORK_PREFIX:-switchboard-bench}.XXXXXX")
chmod 755 "$WORK"

stop_all() {
    local pids=()
    for pidfile in "$WORK"/*.pid; do pids+=("$(cat "$pidfile" 2>/dev/null)") || true; done
    for pid in "${pids[@]}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
}
trap stop_all EXIT

# Tools, from Debian packages.
need=()
for tool in nginx:nginx wrk:wrk h2load:nghttp2-client haproxy:haproxy openssl:openssl gcc:gcc python3:python3; do
    command -v "${tool%%:*}" >/dev/null || need+=("${tool##*:}")
done
if ((${#need[@]})); then
    echo "installing ${need[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
./scripts/install-dependencies
if [ -z "${SWITCHBOARD:-}" ]; then
    swift build -c release --product switchboard 2>&1 | tail -1
    SWITCHBOARD="$ROOT/.build/release/switchboard"
fi
gcc -shared -fPIC -O2 -o "$WORK/client-cert-preload.so" Benchmarks/tools/client-cert-preload.c -ldl

# Certificates: a consumer CA (the proxies' server certificate and the client certificate) and
# a provider CA. KEY=ecdsa (the default): ECDSA P-256 throughout, as a modern deployment would
# use; KEY=rsa: RSA-2048 throughout, as Spine's certificates are.
KEY=${KEY:-ecdsa}
case "$KEY" in
    ecdsa) NEWKEY=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1) ;;
    rsa) NEWKEY=(-newkey rsa:2048) ;;
    *) echo "KEY must be ecdsa or rsa, not '$KEY'" >&2; exit 2 ;;
esac
pki() { # name ca subject-alt-name extended-usage
    openssl req -new "${NEWKEY[@]}" -nodes -keyout "$WORK/$1.key" -subj "/CN=$3" -out "$WORK/$1.csr" 2>/dev/null
    printf "subjectAltName=DNS:%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n" "$3" "$4" > "$WORK/$1.ext"
    openssl x509 -req -in "$WORK/$1.csr" -CA "$WORK/$2.pem" -CAkey "$WORK/$2.key" -CAcreateserial -days 2 -sha256 -extfile "$WORK/$1.ext" -out "$WORK/$1.pem" 2>/dev/null
}
for ca in consumer-ca provider-ca; do
    openssl req -x509 -new "${NEWKEY[@]}" -nodes -keyout "$WORK/$ca.key" -subj "/CN=$ca" -days 2 -out "$WORK/$ca.pem" 2>/dev/null
done
pki proxy consumer-ca localhost serverAuth
pki client consumer-ca bench-111.thirdparty.nhs.uk clientAuth
pki provider provider-ca localhost serverAuth
cat "$WORK/proxy.pem" "$WORK/proxy.key" > "$WORK/proxy-bundle.pem"

# The provider: nginx, one worker, a one-day slot-search Bundle for any path (made by the GP
# practice simulator's code, for a fixed day so every run serves the same bytes).
mkdir -p "$WORK/www" "$WORK/samples"
"$SWITCHBOARD" samples --folder "$WORK/samples" --slot-days 1 --from 2026-12-01 \
    --service-root "https://localhost:$PROVIDER_PORT/A81001/STU3/1/gpconnect" >/dev/null
cp "$WORK/samples/slot-search.json" "$WORK/www/slot.json"
cat > "$WORK/provider.conf" <<NGINX
worker_processes 1;
pid $WORK/provider.pid;
error_log $WORK/provider-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 10000000;
    map \$arg_payload \$answer { default /slot.json; 50MB /big.json; }
    server {
        listen 127.0.0.1:$PROVIDER_PORT ssl;
        ssl_certificate $WORK/provider.pem;
        ssl_certificate_key $WORK/provider.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {
            default_type application/fhir+json;
            add_header Cache-Control no-store;
            root $WORK/www;
            try_files \$answer =404;
        }
    }
}
NGINX
nginx -c "$WORK/provider.conf" -p "$WORK"

# The directory: one 111 consumer, one practice whose endpoint is the provider.
BASE="https://localhost:$PROVIDER_PORT/A81001/STU3/1/gpconnect"
SLOT=urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1
mkdir -p "$WORK/tables/organisations"
cp RoutingTables/interactions.yaml "$WORK/tables/"
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


# switchboard.yaml for the release build under test: audit durable (the default), errors logged.
# (The eventLoopThreads check lets grep read everything: with -q it would stop early, the binary
# would die of SIGPIPE, pipefail would call the setting unknown, and every build would run with
# one event loop per core.)
write_switchboard_config() { # event-loop threads (0: one per core) [binary name port management-port store-url]
    local binary=${2:-$SWITCHBOARD} name=${3:-switchboard} port=${4:-$SWITCHBOARD_PORT} management=${5:-$MANAGEMENT_PORT}
    local directory_store=${6:-sqlite:$WORK/$name-directory.sqlite} audit_store=${6:-sqlite:$WORK/$name-audit.sqlite}
    cat > "$WORK/$name.yaml" <<YAML
node: {id: bench-$name}
directory:
  store: '$directory_store'
  routingTables: $WORK/tables
  endpointPolicy: {allowLoopback: true}
proxy:
$(if "$binary" config 2>/dev/null | grep eventLoopThreads > /dev/null; then echo "  eventLoopThreads: $1"; fi)
  listen: {host: 127.0.0.1, port: $port}
  tls: {certificate: $WORK/proxy.pem, privateKey: $WORK/proxy.key, clientCA: $WORK/consumer-ca.pem}
  upstream: {caBundle: $WORK/provider-ca.pem}
audit: {store: '$audit_store'}
management: {port: $management, certificate: $WORK/proxy.pem, privateKey: $WORK/proxy.key, tokensFile: $WORK/$name-tokens.json}
logging: {level: error}
YAML
    "$binary" routes import --config "$WORK/$name.yaml" > /dev/null
}

# The SSP headers and GP Connect JWT of a slot search, one per line.
headers() {
    local jwt; jwt=$(python3 Benchmarks/tools/jwt.py "$BASE")
    printf '%s\n' "Ssp-TraceID: 9ad8bd02-1b6b-4b7c-9a51-3c1a5a3b1c8e" "Ssp-From: 200000000359" "Ssp-To: 918999198001" \
        "Ssp-InteractionID: $SLOT" "Authorization: Bearer $jwt" "Accept: application/fhir+json"
}

# Waits until something accepts connections on a loopback port.
wait_for_port() {
    for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done
    echo "nothing listening on $1" >&2; return 1
}

# The given processes and their children (a target's CPU time is theirs).
process_tree() { for pid in "$@"; do echo "$pid" $(pgrep -P "$pid" || true); done; }
cpu_ticks() { local total=0; for pid in "$@"; do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0))); done; echo $total; }

QUERY="/Slot?status=free&start=ge2026-11-27&end=le2026-12-04&_include=Slot:schedule"

# Drives a target: load RUN TARGET SECONDS OUTPUT (url_of TARGET gives its URL).
load() {
    local run=$1 url; url=$(url_of "$2")
    local args=()
    while IFS= read -r header; do args+=(-H "$header"); done < <(headers)
    export CLIENT_CERT="$WORK/client.pem" CLIENT_KEY="$WORK/client.key"
    case $run in
        keepalive-*) LD_PRELOAD="$WORK/client-cert-preload.so" wrk -t1 -c"${run#keepalive-}" -d"$3s" --latency "${args[@]}" "$url" > "$4" ;;
        new-connection) LD_PRELOAD="$WORK/client-cert-preload.so" wrk -t1 -c16 -d"$3s" --latency "${args[@]}" -H "Connection: close" "$url" > "$4" ;;
        fixed-rate) LD_PRELOAD="$WORK/client-cert-preload.so" h2load --h1 -t1 -c16 --rps=$((RATE / 16)) -D "$3" --log-file="$4.log" "${args[@]}" "$url" > "$4" ;;
    esac
}

# The measured runs: a warm-up, then for each run in RUNS, ROUNDS rounds with the TARGETS
# alternated in each; one line per measurement appended to $WORK/results.tsv (workers, run,
# target, round, CPU ticks of the target's processes, load output). pids_of and url_of name a
# target's processes and URL.
measure_rounds() { # workers
    for target in $TARGETS; do load keepalive-16 "$target" "$WARMUP" /dev/null; done
    for run in $RUNS; do
        for round in $(seq "$ROUNDS"); do
            for target in $TARGETS; do
                local out="$WORK/$1-$run-$target-$round.txt" pids before after
                pids=$(pids_of "$target")
                before=$(cpu_ticks $pids)
                load "$run" "$target" "$DURATION" "$out"
                after=$(cpu_ticks $pids)
                printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$run" "$target" "$round" "$((after - before))" "$out" >> "$WORK/results.tsv"
                echo "  workers=$1 $run round $round $target done" >&2
            done
        done
    done
}
