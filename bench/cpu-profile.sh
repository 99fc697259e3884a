#!/usr/bin/env bash
# Where the realistic express route's main-thread time goes, by function, in
# the app under load: V8's sampling CPU profiler (every 50 µs) over N requests
# after WARM, one configuration after another, then µs per request by file
# and by function, each configuration against the first. This is what showed
# session 7 that Palisade's own functions account for its cost over the ALS
# floor (micro benchmarks of the same functions read a third as much: in the
# app they run between the app's own work, on cold caches). The profiler
# costs time itself, so compare configurations of one invocation, not its
# absolute figures with the macro bench.
#
#   bench/cpu-profile.sh                      # bare, ALS floor, block + default
#   bench/cpu-profile.sh als default als default   # repeat a configuration to see the noise
#   PROFILE_DIR=/tmp/cpu bench/cpu-profile.sh bare strict   # keep the .cpuprofile files (Chrome DevTools opens them)
#   TOP=60 FILTER='dist/(lib|hooks)' bench/cpu-profile.sh als default   # the functions to list
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, db test) and a build
# (npm run build). About 30 s per configuration with the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
WARM=${WARM:-3000}
N=${N:-10000}
CONFIGS=("$@")
[ ${#CONFIGS[@]} -eq 0 ] && CONFIGS=(bare als default)

. bench/realistic-env.sh

PROFILES=()
i=0
for c in "${CONFIGS[@]}"; do
  i=$((i + 1))
  configure "$c"
  prof="$WORK/$i.cpuprofile"
  env "${ENV[@]}" BENCH_CPU_PROFILE="$prof" node --require ./bench/apps/cpu-profiler.js "${PRELOAD[@]}" bench/apps/express.js \
    >"$WORK/$i.app" 2>"$WORK/$i.err" &
  pid=$!
  for _ in $(seq 100); do grep -q LISTENING "$WORK/$i.app" && break; sleep 0.1; done
  port=$(grep LISTENING "$WORK/$i.app" | grep -o '[0-9]*')
  started_or_fail "$c" "$WORK/$i.err" "$pid"
  load "$port" "$WARM"
  kill -USR2 "$pid"
  for _ in $(seq 50); do grep -q PROFILING "$WORK/$i.app" && break; sleep 0.1; done
  load "$port" "$N"
  kill -USR2 "$pid"
  for _ in $(seq 100); do grep -q 'PROFILE WRITTEN' "$WORK/$i.app" && break; sleep 0.1; done
  kill -TERM "$pid"
  wait "$pid" || true
  PROFILES+=("$c=$prof")
  if [ -n "${PROFILE_DIR:-}" ]; then mkdir -p "$PROFILE_DIR" && cp "$prof" "$PROFILE_DIR/$i-${c//\//_}.cpuprofile"; fi
done
node dist/bench/cpu-profile.js "$N" "${TOP:-40}" "${FILTER:-dist/(lib|hooks)}" "${PROFILES[@]}"
