#!/usr/bin/env bash
# Instructions per request of the realistic express route in steady state,
# counted by valgrind (callgrind), which does not depend on what else the
# machine is doing. Each configuration runs WARM requests, then its counters
# are zeroed (callgrind_control -z), then N requests are counted. The warm-up
# matters: the first few thousand requests still pay for JIT compilation,
# and more for a configuration with more code to compile.
#
#   bench/instructions.sh                     # bare, ALS floor, block + default
#   bench/instructions.sh bare strict         # chosen configurations
#   PALISADE_DIST=bench/.tmp/before/dist bench/instructions.sh default   # another build (a copy inside
#                                             # the repository, with policies/ beside it: docs/performance.md)
#   PROFILE_DIR=/tmp/prof bench/instructions.sh default   # keep callgrind files and V8's
#                                             # perf map (node --perf-basic-prof) per run
#   ROUTE=empty bench/instructions.sh bare als default     # the express empty route instead
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
DIST=${PALISADE_DIST:-./dist}
CONFIGS=("$@")
[ ${#CONFIGS[@]} -eq 0 ] && CONFIGS=(bare als default)
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }

TABLE=palisade_instr_$$
WORK=$(mktemp -d)
psql -h 127.0.0.1 -U postgres test -qc "CREATE TABLE $TABLE (id serial PRIMARY KEY, name text, email text, status text, team text);
  INSERT INTO $TABLE (name, email, status, team) SELECT 'user'||g, 'user'||g||'@example.com', 'active', 'platform' FROM generate_series(1, 200) g;
  CREATE INDEX ON $TABLE (email);" >/dev/null
node bench/apps/upstream.js >"$WORK/upstream" &
UPSTREAM=$!
cleanup() {
  kill "$UPSTREAM" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres test -qc "DROP TABLE IF EXISTS $TABLE" >/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 50); do grep -q LISTENING "$WORK/upstream" && break; sleep 0.1; done
UPSTREAM_PORT=$(grep LISTENING "$WORK/upstream" | grep -o '[0-9]*')
BODY=$(node -e "process.stdout.write(require('./dist/bench/fixtures.js').orderBody())")

count() { # config -> "main-thread total" instructions per request, written to $WORK/$1.result
  local preload=() env=() app=bench/apps/express.js
  case $1 in
    bare) ;;
    als) preload=(--require ./bench/apps/als-floor.js) ;;
    monitor) preload=(--require "$DIST/lib/register.js"); env=(PALISADE_MODE=monitor) ;;
    default) preload=(--require "$DIST/lib/register.js"); env=(PALISADE_MODE=block PALISADE_POLICY=policies/default.yaml) ;;
    strict) preload=(--require "$DIST/lib/register.js"); env=(PALISADE_MODE=block PALISADE_POLICY=bench/policies/strict-bench.yaml) ;;
    *) echo "unknown configuration $1" >&2; exit 2 ;;
  esac
  local out="$WORK/$1.cg" flags=()
  # --perf-basic-prof also turns on V8's event log; keep it out of the working tree.
  [ -n "${PROFILE_DIR:-}" ] && flags=(--perf-basic-prof --logfile="$WORK/$1.v8.log" --no-logfile-per-isolate)
  env "${env[@]}" PALISADE_LOG=stderr BENCH_PG_TABLE=$TABLE BENCH_UPSTREAM_PORT=$UPSTREAM_PORT \
    valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out" \
    node "${flags[@]}" "${preload[@]}" "$app" >"$WORK/$1.app" 2>"$WORK/$1.valgrind" &
  local pid=$!
  for _ in $(seq 1200); do grep -q LISTENING "$WORK/$1.app" && break; sleep 0.5; done
  local port
  port=$(grep LISTENING "$WORK/$1.app" | grep -o '[0-9]*')
  # A Palisade that failed to start (a copied dist that cannot find its dependencies or
  # policies/schema.json) leaves a bare app behind, and its counts would look like a triumph.
  if [ ${#preload[@]} -gt 0 ] && [ "$1" != als ] && ! grep -q '"msg":"palisade [^"]* started' "$WORK/$1.valgrind"; then
    echo "$1: Palisade did not start:" >&2
    grep -i palisade "$WORK/$1.valgrind" >&2 || true
    kill -TERM "$pid" 2>/dev/null
    exit 1
  fi
  local load=(npx autocannon -c "$CONNECTIONS" -t 60 -m POST -H content-type=application/json -b "$BODY" "http://127.0.0.1:$port/order")
  [ "${ROUTE:-realistic}" = empty ] && load=(npx autocannon -c "$CONNECTIONS" -t 60 "http://127.0.0.1:$port/empty")
  "${load[@]}" -a "$WARM" >/dev/null 2>&1
  callgrind_control -z "$pid" >/dev/null
  "${load[@]}" -a "$N" >/dev/null 2>&1
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
  echo "$((main / N)) $((total / N))" >"$WORK/$1.result"
  if [ -n "${PROFILE_DIR:-}" ]; then
    mkdir -p "$PROFILE_DIR"
    cp "$out".1-* "$PROFILE_DIR/" && cp "/tmp/perf-$pid.map" "$PROFILE_DIR/$1.map" 2>/dev/null || true
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
  read -r main total <"$WORK/$c.result"
  ratio=
  [ -n "$base" ] && ratio=$(awk -v a="$main" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
  echo "| $c | $main | $total | $ratio |"
done
