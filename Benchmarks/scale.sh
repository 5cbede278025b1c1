#!/usr/bin/env bash
# One and two Switchboard nodes on PostgreSQL against one node on SQLite, side by side in one run.
#
#   Benchmarks/scale.sh
#
# Targets, alternated in each round after a warm-up (same provider, certificates, requests and
# load generator as compare.sh):
#   direct      the provider itself (for added latency)
#   sqlite      one node, directory and audit in SQLite (the embedded default)
#   postgres    one node, directory and audit in PostgreSQL (a throwaway cluster on loopback,
#               fsync and synchronous_commit on)
#   postgres-2  two nodes on that database behind HAProxy in TCP mode (round robin; each node
#               terminates mutual TLS itself, as behind a national load balancer)
# Each node runs one event-loop thread. CPU per request counts every process of a target: the
# node(s), the load balancer, and for PostgreSQL targets the database server's processes.
#
# Settings (environment): DURATION=10 ROUNDS=3 WARMUP=3 RATE=1000 RUNS="keepalive-16 fixed-rate"
#   SWITCHBOARD=path/to/switchboard (else a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-3}
RATE=${RATE:-1000}
RUNS=${RUNS:-"keepalive-16 fixed-rate"}
TARGETS="direct sqlite postgres postgres-2"
NODE_A_PORT=18445 NODE_B_PORT=18446 BALANCER_PORT=18447
WORK_PREFIX=switchboard-scale
source Benchmarks/tools/common.sh
source scripts/postgres-scratch
trap 'stop_all; postgres_scratch_stop' EXIT

DATABASE="postgres://switchboard@127.0.0.1:$PG_PORT/bench?sslmode=disable&pool=16"
psql "postgres://switchboard@127.0.0.1:$PG_PORT/postgres?sslmode=disable" -q -c "CREATE DATABASE bench"

write_switchboard_config 1 "$SWITCHBOARD" sqlite "$SWITCHBOARD_PORT" "$MANAGEMENT_PORT"
write_switchboard_config 1 "$SWITCHBOARD" node-a "$NODE_A_PORT" 18455 "$DATABASE"
write_switchboard_config 1 "$SWITCHBOARD" node-b "$NODE_B_PORT" 18456 "$DATABASE"
cat > "$WORK/balancer.cfg" <<HAPROXY
global
    maxconn 4096
    nbthread 1
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend consumers
    bind 127.0.0.1:$BALANCER_PORT
    default_backend nodes
backend nodes
    balance roundrobin
    server node-a 127.0.0.1:$NODE_A_PORT
    server node-b 127.0.0.1:$NODE_B_PORT
HAPROXY
for name in sqlite node-a node-b; do
    "$SWITCHBOARD" serve --config "$WORK/$name.yaml" 2>> "$WORK/$name.log" &
    echo $! > "$WORK/$name.pid"
done
haproxy -db -f "$WORK/balancer.cfg" 2>> "$WORK/balancer.log" &
echo $! > "$WORK/balancer.pid"
for port in $PROVIDER_PORT $SWITCHBOARD_PORT $NODE_A_PORT $NODE_B_PORT $BALANCER_PORT; do wait_for_port "$port"; done

url_of() {
    case $1 in
        direct) echo "$BASE$QUERY" ;;
        sqlite) echo "https://localhost:$SWITCHBOARD_PORT/$BASE$QUERY" ;;
        postgres) echo "https://localhost:$NODE_A_PORT/$BASE$QUERY" ;;
        postgres-2) echo "https://localhost:$BALANCER_PORT/$BASE$QUERY" ;;
    esac
}
pids_of() {
    local postmaster; postmaster=$(head -1 "$PG_SCRATCH/data/postmaster.pid")
    case $1 in
        direct) process_tree "$(cat "$WORK/provider.pid")" ;;
        sqlite) process_tree "$(cat "$WORK/sqlite.pid")" ;;
        postgres) process_tree "$(cat "$WORK/node-a.pid")" "$postmaster" ;;
        postgres-2) process_tree "$(cat "$WORK/node-a.pid")" "$(cat "$WORK/node-b.pid")" "$(cat "$WORK/balancer.pid")" "$postmaster" ;;
    esac
}

: > "$WORK/results.tsv"
measure_rounds 1

python3 Benchmarks/tools/summarise.py "$WORK/results.tsv" "$(getconf CLK_TCK)" "$RATE"
echo
echo "Audit rows in PostgreSQL: $(psql "postgres://switchboard@127.0.0.1:$PG_PORT/bench?sslmode=disable" -Atq -c "SELECT count(*) FROM audit_record"),"\
     "database WAL written: $(psql "postgres://switchboard@127.0.0.1:$PG_PORT/bench?sslmode=disable" -Atq -c "SELECT pg_size_pretty(wal_bytes) FROM pg_stat_wal")"
echo "(raw output in $WORK; client certificate presented through an LD_PRELOAD shim loading it into the load generator's OpenSSL contexts)"
