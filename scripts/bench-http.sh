#!/usr/bin/env bash
# HTTP load benchmark: a bare axum handler against the same handler under #[rate_limit]
# (memory, and Redis when redis-server is installed) and under tower_governor, measured by
# one wrk client in one run. The server is pinned to CPU 0 and wrk to CPU 1 so the two do
# not steal each other's core; rounds are interleaved so drift hits every target alike.
#
#   bash scripts/bench-http.sh            # 3 rounds of 10 s per target
#   ROUNDS=5 SECONDS_PER_RUN=15 bash scripts/bench-http.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CONNECTIONS=${CONNECTIONS:-32}
BASE=${BENCH_PORT:-8100}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

cargo build --release -q --example bench_server
REDIS_PID=""
cleanup() {
  [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null || true
}
trap cleanup EXIT

targets=(bare fastex_gcra tower_governor fastex_sliding_window)
if command -v redis-server >/dev/null; then
  REDIS_PORT=$((BASE + 50))
  taskset -c 1 redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
  REDIS_PID=$!
  sleep 0.5
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  targets+=(fastex_redis)
fi

BENCH_PORT=$BASE taskset -c 0 target/release/examples/bench_server &
SERVER_PID=$!
for _ in $(seq 50); do curl -s "http://127.0.0.1:$BASE/" >/dev/null 2>&1 && break; sleep 0.1; done

declare -A results
for round in $(seq "$ROUNDS"); do
  for index in "${!targets[@]}"; do
    port=$((BASE + index))
    rps=$(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$port/" \
      | awk '/Requests\/sec/ {print $2}')
    non2xx=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
    [ "$non2xx" = "200" ] || { echo "target ${targets[$index]} answered $non2xx" >&2; exit 1; }
    results[${targets[$index]}]+="$rps "
    echo "round $round ${targets[$index]}: $rps req/s"
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
bare=$(echo "${results[bare]}" | median)
governor=$(echo "${results[tower_governor]}" | median)
echo
echo "| target | median req/s | vs bare | vs tower_governor |"
echo "| --- | ---: | ---: | ---: |"
for target in "${targets[@]}"; do
  m=$(echo "${results[$target]}" | median)
  awk -v t="$target" -v m="$m" -v b="$bare" -v g="$governor" \
    'BEGIN {printf "| %s | %.0f | %.3f | %.3f |\n", t, m, m / b, m / g}'
done
