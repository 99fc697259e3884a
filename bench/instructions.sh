#!/usr/bin/env bash
# Instructions per request of the realistic express route, counted by valgrind
# (callgrind), which does not depend on what else the machine is doing. Two
# runs per configuration, N1 and N2 requests after start-up; the difference
# divided by N2 - N1 is the per-request figure, start-up and warm-up cancel out.
#
#   bench/instructions.sh                      # bare and block + default
#   PALISADE_DIST=/path/to/other/dist bench/instructions.sh default   # another build, same minute
#
# Needs valgrind, PostgreSQL at 127.0.0.1:5432 (user postgres, db test) and a
# build (npm run build). About 1–2 minutes per run on 2 vCPUs.
set -euo pipefail
cd "$(dirname "$0")/.."
N1=${N1:-400}
N2=${N2:-1200}
DIST=${PALISADE_DIST:-./dist}
CONFIGS=("$@")
[ ${#CONFIGS[@]} -eq 0 ] && CONFIGS=(bare default)

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

count() { # config requests -> instructions
  local preload=() env=()
  case $1 in
    bare) ;;
    default) preload=(--require "$DIST/lib/register.js"); env=(PALISADE_MODE=block PALISADE_POLICY=policies/default.yaml) ;;
    strict) preload=(--require "$DIST/lib/register.js"); env=(PALISADE_MODE=block PALISADE_POLICY=bench/policies/strict-bench.yaml) ;;
    *) echo "unknown configuration $1" >&2; exit 2 ;;
  esac
  env "${env[@]}" PALISADE_LOG=stderr BENCH_PG_TABLE=$TABLE BENCH_UPSTREAM_PORT=$UPSTREAM_PORT \
    valgrind --tool=callgrind --callgrind-out-file=/dev/null node "${preload[@]}" bench/apps/express.js >"$WORK/app" 2>"$WORK/valgrind" &
  local app=$!
  for _ in $(seq 1200); do grep -q LISTENING "$WORK/app" && break; sleep 0.5; done
  local port
  port=$(grep LISTENING "$WORK/app" | grep -o '[0-9]*')
  npx autocannon -c 2 -a "$2" -t 60 -m POST -H content-type=application/json -b "$BODY" "http://127.0.0.1:$port/order" >/dev/null 2>&1
  kill -TERM "$app"
  wait "$app" || true
  grep -o 'Collected : [0-9]*' "$WORK/valgrind" | grep -o '[0-9]*'
}

echo "| config | instructions per request (${N1} → ${N2} requests) |"
echo "| --- | --- |"
for c in "${CONFIGS[@]}"; do
  a=$(count "$c" "$N1")
  b=$(count "$c" "$N2")
  echo "| $c | $(( (b - a) / (N2 - N1) )) |"
done
