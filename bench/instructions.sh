#!/usr/bin/env bash
# Instructions per request of the realistic express route in steady state,
# counted by valgrind (callgrind), which does not depend on what else the
# machine is doing. Each configuration runs WARM requests, then its counters
# are zeroed (callgrind_control -z), then N requests are counted. The warm-up
# matters: the first few thousand requests still pay for JIT compilation,
# and more for a configuration with more code to compile.
#
#   bench/instructions.sh                     # bare, ALS floor, block + default
#   bench/instructions.sh bare strict         # chosen configurations (bare, als, monitor, default,
#                                             # machinery, strict, strict-inherit, judge-floor,
#                                             # judge-floor-naive: bench/realistic-env.sh)
#   bench/instructions.sh default default@bench/.tmp/before/dist   # and another build (a copy inside
#                                             # the repository, with policies/ beside it: docs/performance.md)
#   PROFILE_DIR=/tmp/prof bench/instructions.sh default   # keep callgrind files and V8's
#                                             # perf map (node --perf-basic-prof) per run
#   ROUTE=empty bench/instructions.sh bare als default     # the express empty route instead
#   APP=http bench/instructions.sh bare als default        # plain node:http's (or APP=fastify's) empty route
#   CONNECTIONS=2 bench/instructions.sh bare default       # requests in flight at once (default 10,
#                                             # as in the macro bench; 2 gave the same ratios in session 6)
#
# Configurations run in parallel (valgrind runs one thread at a time; the
# counts do not depend on timing). Needs valgrind, PostgreSQL at
# 127.0.0.1:5432 (user postgres, db test) and a build (npm run build). About
# 5 minutes on 2 vCPUs with the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
WARM=${WARM:-3000}
N=${N:-1000}
CONNECTIONS=${CONNECTIONS:-10}
CONFIGS=("$@")
[ ${#CONFIGS[@]} -eq 0 ] && CONFIGS=(bare als default)
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }

. bench/realistic-env.sh

count() { # config -> "main-thread total" instructions per request, written to $WORK/<config>.result
  configure "$1"
  local id=${1//\//_}
  local out="$WORK/$id.cg" flags=()
  # --perf-basic-prof also turns on V8's event log; keep it out of the working tree.
  [ -n "${PROFILE_DIR:-}" ] && flags=(--perf-basic-prof --logfile="$WORK/$id.v8.log" --no-logfile-per-isolate)
  env "${ENV[@]}" valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out" \
    node "${flags[@]}" "${PRELOAD[@]}" "bench/apps/${APP:-express}.js" >"$WORK/$id.app" 2>"$WORK/$id.valgrind" &
  local pid=$!
  for _ in $(seq 1200); do grep -q LISTENING "$WORK/$id.app" && break; sleep 0.5; done
  local port
  port=$(grep LISTENING "$WORK/$id.app" | grep -o '[0-9]*')
  started_or_fail "$1" "$WORK/$id.valgrind" "$pid"
  load "$port" "$WARM"
  callgrind_control -z "$pid" >/dev/null
  load "$port" "$N"
  callgrind_control -d "$pid" >/dev/null
  sleep 1
  kill -TERM "$pid"
  wait "$pid" || true
  # The dump after zeroing is the one numbered .1 (per thread: -01 is the main thread).
  local main=0 total=0 f v
  for f in "$out".1-*; do
    v=$(grep -m1 '^summary:' "$f" | grep -o '[0-9]*' || echo 0)
    total=$((total + v))
    case $f in *-01) main=$v ;; esac
  done
  echo "$((main / N)) $((total / N))" >"$WORK/$id.result"
  if [ -n "${PROFILE_DIR:-}" ]; then
    mkdir -p "$PROFILE_DIR"
    cp "$out".1-* "$PROFILE_DIR/" && cp "/tmp/perf-$pid.map" "$PROFILE_DIR/$id.map" 2>/dev/null || true
  fi
  rm -f "/tmp/perf-$pid.map"
}

PIDS=()
for c in "${CONFIGS[@]}"; do
  count "$c" &
  PIDS+=($!)
done
wait "${PIDS[@]}"
echo "| configuration | instructions per request, main thread | all threads (GC, compiler) | main thread vs bare |"
echo "| --- | --- | --- | --- |"
base=
[ -f "$WORK/bare.result" ] && base=$(cut -d' ' -f1 "$WORK/bare.result")
for c in "${CONFIGS[@]}"; do
  read -r main total <"$WORK/${c//\//_}.result"
  ratio=
  [ -n "$base" ] && ratio=$(awk -v a="$main" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
  echo "| $c | $main | $total | $ratio |"
done
