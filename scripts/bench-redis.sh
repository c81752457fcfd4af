#!/usr/bin/env bash
# Redis backend benchmark: fastex's checks per second against a raw redis-rs EVALSHA loop of
# the same script, 64 concurrent tasks, one run. redis-server is pinned to CPU 1 and the
# client to CPU 0.
#
#   bash scripts/bench-redis.sh              # 3 rounds of 5 s
#   ROUNDS=5 SECONDS_PER_RUN=10 bash scripts/bench-redis.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${REDIS_BENCH_PORT:-6390}
DIR=$(mktemp -d)
cargo build --release -q --example redis_bench
taskset -c 1 redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" >/dev/null &
REDIS_PID=$!
trap 'kill "$REDIS_PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
REDIS_URL="redis://127.0.0.1:$PORT/0" taskset -c 0 target/release/examples/redis_bench
