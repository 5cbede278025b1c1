#!/usr/bin/env bash
# Switchboard against nginx and HAProxy doing the same job, side by side in one run.
#
#   Benchmarks/compare.sh
#
# Every target gets the same provider, certificates, load generator and requests:
#   direct       the provider itself (nginx serving the published GP Connect slot Bundle, minified)
#   nginx        nginx as a reverse proxy: TLS with client-certificate verification, re-encrypted
#                forwarding to the provider (verified) over upstream keep-alive, X-Forwarded-For,
#                X-Request-ID and Forwarded added, an access log written per request
#   haproxy      HAProxy configured the same way (access log to a file through its stdout)
#   switchboard  switchboard serve (release build) with the SSP checks, the directory, and its
#                audit store on with its default durability (WAL, synchronous=FULL, group commit)
#   floor        Benchmarks/FloorProxy: nginx's job and nothing more, on the stack Switchboard is
#                built on (SwiftNIO, swift-nio-ssl, NIO's HTTP/1 codecs, per-loop upstream
#                keep-alive); what any proxy on this stack costs before SSP checks and audit
#
# Runs, each target in turn (A B C D A B C D …) for ROUNDS rounds after a warm-up:
#   keepalive-16, keepalive-64   closed loop, wrk -t1, 16 / 64 keep-alive connections
#   new-connection               wrk -t1 -c16 with `Connection: close`: a full mutual-TLS
#                                handshake per request (requests/s = handshakes/s)
#   fixed-rate                   h2load --h1, RATE requests/s spread over 16 connections: latency
#                                without the queueing of a saturated closed loop
# for each worker configuration in WORKERS: 1 = one worker each (nginx worker_processes 1,
# HAProxy nbthread 1, Switchboard proxy.eventLoopThreads 1); 2 = one per core. Nothing is pinned.
#
# CPU per request comes from /proc (utime + stime of every process of the target) over the run.
# wrk and h2load cannot present a client certificate themselves: tools/client-cert-preload.so,
# loaded with LD_PRELOAD, loads it into every OpenSSL client context they make. Client-certificate
# verification stays on in every target.
#
# Settings (environment): DURATION=10 ROUNDS=3 WARMUP=3 RATE=2000 WORKERS="1 2" KEY=ecdsa (or rsa: RSA-2048)
#   RUNS="keepalive-16 keepalive-64 new-connection fixed-rate"
#   TARGETS="direct nginx haproxy switchboard"   SWITCHBOARD=path/to/switchboard (else a release build)
#   BASELINE=path/to/an/earlier/switchboard   adds target `baseline`: that build, set up the same
#   way (an earlier build without proxy.eventLoopThreads runs one event loop per core)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-3}
RATE=${RATE:-2000}
WORKERS=${WORKERS:-"1 2"}
RUNS=${RUNS:-"keepalive-16 keepalive-64 new-connection fixed-rate"}
TARGETS_SET=${TARGETS:+yes}
TARGETS=${TARGETS:-"direct nginx haproxy switchboard floor"}
NGINX_PORT=18441 HAPROXY_PORT=18442 BASELINE_PORT=18444 BASELINE_MANAGEMENT_PORT=18454 FLOOR_PORT=18445
if [ -n "${BASELINE:-}" ] && [ -z "${TARGETS_SET:-}" ]; then TARGETS="$TARGETS baseline"; fi
WORK_PREFIX=switchboard-compare
source Benchmarks/tools/common.sh
case " $TARGETS " in *" floor "*)
    (cd Benchmarks && swift build -c release --product FloorProxy 2>&1 | tail -1)
    FLOOR="$ROOT/Benchmarks/.build/release/FloorProxy" ;;
esac

start_proxies() { # workers
    local workers=$1
    cat > "$WORK/nginx.conf" <<NGINX
worker_processes $workers;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
    log_format exchange '\$remote_addr [\$time_iso8601] "\$request" \$status \$body_bytes_sent \$request_time \$request_id "\$ssl_client_s_dn"';
    access_log $WORK/nginx-access.log exchange;
    keepalive_requests 10000000;
    upstream provider { server 127.0.0.1:$PROVIDER_PORT; keepalive 128; }
    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        ssl_certificate $WORK/proxy.pem;
        ssl_certificate_key $WORK/proxy.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_client_certificate $WORK/consumer-ca.pem;
        ssl_verify_client on;
        location / {
            proxy_pass https://provider;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host localhost:$PROVIDER_PORT;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Request-ID \$request_id;
            proxy_set_header Forwarded "for=\$remote_addr;proto=https";
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate $WORK/provider-ca.pem;
            proxy_ssl_name localhost;
            proxy_ssl_server_name on;
            proxy_ssl_session_reuse on;
            add_header X-Request-ID \$request_id;
        }
    }
}
NGINX
    cat > "$WORK/haproxy.cfg" <<HAPROXY
global
    nbthread $workers
    maxconn 8000
    log stdout format raw local0
    ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 60s
    timeout server 30s
    http-reuse always
frontend consumers
    bind 127.0.0.1:$HAPROXY_PORT ssl crt $WORK/proxy-bundle.pem ca-file $WORK/consumer-ca.pem verify required
    option forwardfor
    unique-id-format %[uuid()]
    http-request set-header X-Request-ID %[unique-id]
    http-request set-header Forwarded "for=%[src];proto=https"
    http-response set-header X-Request-ID %[unique-id]
    default_backend provider
backend provider
    http-request set-header Host localhost:$PROVIDER_PORT
    server provider 127.0.0.1:$PROVIDER_PORT ssl verify required ca-file $WORK/provider-ca.pem verifyhost localhost sni str(localhost)
HAPROXY
    write_switchboard_config "$workers"
    if [ -n "${BASELINE:-}" ]; then write_switchboard_config "$workers" "$BASELINE" baseline $BASELINE_PORT $BASELINE_MANAGEMENT_PORT; fi
    case " $TARGETS " in *" nginx "*) nginx -c "$WORK/nginx.conf" -p "$WORK" ;; esac
    case " $TARGETS " in *" haproxy "*)
        haproxy -db -f "$WORK/haproxy.cfg" >> "$WORK/haproxy-access.log" 2>> "$WORK/haproxy-error.log" &
        echo $! > "$WORK/haproxy.pid" ;;
    esac
    case " $TARGETS " in *" switchboard "*)
        "$SWITCHBOARD" serve --config "$WORK/switchboard.yaml" 2>> "$WORK/switchboard.log" &
        echo $! > "$WORK/switchboard.pid" ;;
    esac
    case " $TARGETS " in *" floor "*)
        "$FLOOR" $FLOOR_PORT "$WORK/proxy.pem" "$WORK/proxy.key" "$WORK/consumer-ca.pem" "$PROVIDER_PORT" "$WORK/provider-ca.pem" "$workers" 2>> "$WORK/floor.log" &
        echo $! > "$WORK/floor.pid" ;;
    esac
    case " $TARGETS " in *" baseline "*)
        "$BASELINE" serve --config "$WORK/baseline.yaml" 2>> "$WORK/baseline.log" &
        echo $! > "$WORK/baseline.pid" ;;
    esac
    wait_for_port "$PROVIDER_PORT"
    for target in $TARGETS; do
        case $target in
            nginx) wait_for_port "$NGINX_PORT" ;; haproxy) wait_for_port "$HAPROXY_PORT" ;;
            switchboard) wait_for_port "$SWITCHBOARD_PORT" ;; baseline) wait_for_port "$BASELINE_PORT" ;;
            floor) wait_for_port "$FLOOR_PORT" ;;
        esac
    done
}

stop_proxies() {
    for name in nginx haproxy switchboard baseline floor; do
        [ -f "$WORK/$name.pid" ] || continue
        local pid; pid=$(cat "$WORK/$name.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$WORK/$name.pid"
    done
    rm -f "$WORK"/*audit.sqlite*
}

url_of() {
    case $1 in
        direct) echo "$BASE$QUERY" ;;
        nginx) echo "https://localhost:$NGINX_PORT/A81001/STU3/1/gpconnect$QUERY" ;;
        haproxy) echo "https://localhost:$HAPROXY_PORT/A81001/STU3/1/gpconnect$QUERY" ;;
        switchboard) echo "https://localhost:$SWITCHBOARD_PORT/$BASE$QUERY" ;;
        baseline) echo "https://localhost:$BASELINE_PORT/$BASE$QUERY" ;;
        floor) echo "https://localhost:$FLOOR_PORT/A81001/STU3/1/gpconnect$QUERY" ;;
    esac
}
# Every process of a target (for CPU time): the provider for direct, else the proxy's processes.
pids_of() {
    local name=$1; [ "$name" = direct ] && name=provider
    process_tree "$(cat "$WORK/$name.pid")"
}
: > "$WORK/results.tsv"
for workers in $WORKERS; do
    start_proxies "$workers"
    measure_rounds "$workers"
    stop_proxies
done

echo "certificates: $KEY"
python3 Benchmarks/tools/summarise.py "$WORK/results.tsv" "$(getconf CLK_TCK)" "$RATE"
echo "(raw output in $WORK; client certificate presented through an LD_PRELOAD shim loading it into the load generator's OpenSSL contexts)"
