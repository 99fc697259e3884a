#!/usr/bin/env bash
# Where the realistic express route's main-thread time goes, by function, in
# the app under load, over N requests after WARM, one configuration after
# another; then µs per request by file and by function, each configuration
# against the first. Micro benchmarks of Palisade's per-request work read a
# quarter of what it costs in the app, where it runs between the app's own
# work on cold caches; this measures it there.
#
# Two samplers:
#  - PROFILER=v8 (default): V8's CPU profiler, every 50 µs. Builtins and IC
#    handlers are charged to the JS function that called them, so it answers
#    "which Palisade function"; its busy total moves ±30–40 µs between runs.
#  - PROFILER=perf: Linux perf, cpu-clock at 4 kHz on the main thread, with
#    V8's code map (--perf-basic-prof). It counts CPU time only (kernel
#    included), and V8's builtins, IC handlers and runtime show as themselves
#    (file `node`), so it answers "what does the engine do for it". Its
#    totals move between runs too (tens of µs on a shared VM); per-function
#    figures are the steady ones. Needs perf and permission to use it (root,
#    or kernel.perf_event_paranoid ≤ 1).
#  - PROFILER=perf CALLGRAPH=1: perf with call stacks, each sample charged
#    to the first JS function on its stack (the builtins, inline caches and
#    runtime it called count as its own). It answers "whose code got slower":
#    Palisade's functions, or the app's and Node's beside them.
#
#   bench/cpu-profile.sh                      # bare, ALS floor, block + default
#   bench/cpu-profile.sh als default als default   # repeat a configuration to see the noise
#   bench/cpu-profile.sh default@bench/.tmp/before/dist default   # two builds (docs/performance.md)
#   PROFILER=perf bench/cpu-profile.sh bare als default
#   PROFILER=perf CALLGRAPH=1 bench/cpu-profile.sh als default als default
#   PROFILE_DIR=/tmp/cpu bench/cpu-profile.sh bare strict   # keep the .cpuprofile files (Chrome DevTools opens them)
#   TOP=60 FILTER='dist/(lib|hooks)' bench/cpu-profile.sh als default   # the functions to list
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, db test) and a build
# (npm run build). About 30 s per configuration with the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
WARM=${WARM:-3000}
N=${N:-10000}
PROFILER=${PROFILER:-v8}
PERF_HZ=4000
CONFIGS=("$@")
[ ${#CONFIGS[@]} -eq 0 ] && CONFIGS=(bare als default)
case $PROFILER in
  v8) ;;
  perf) command -v perf >/dev/null || { echo "perf is not installed" >&2; exit 2; } ;;
  *) echo "PROFILER is v8 or perf" >&2; exit 2 ;;
esac

. bench/realistic-env.sh

PROFILES=()
i=0
for c in "${CONFIGS[@]}"; do
  i=$((i + 1))
  configure "$c"
  if [ "$PROFILER" = v8 ]; then
    prof="$WORK/$i.cpuprofile"
    flags=(--require ./bench/apps/cpu-profiler.js)
  elif [ -n "${CALLGRAPH:-}" ]; then
    prof="$WORK/$i.perf.stacks"
    flags=(--perf-basic-prof --logfile="$WORK/$i.v8.log" --no-logfile-per-isolate)
  else
    prof="$WORK/$i.perf.txt"
    # --perf-basic-prof also turns on V8's event log; keep it out of the working tree.
    flags=(--perf-basic-prof --logfile="$WORK/$i.v8.log" --no-logfile-per-isolate)
  fi
  APP_ENV=(BENCH_CPU_PROFILE="$prof")
  start_app "$c" "$WORK/$i" "${flags[@]}"
  load "$port" "$WARM"
  if [ "$PROFILER" = v8 ]; then
    kill -USR2 "$pid"
    wait_for "$WORK/$i.app" PROFILING 50
    load "$port" "$N"
    kill -USR2 "$pid"
    wait_for "$WORK/$i.app" 'PROFILE WRITTEN'
  else
    # -t: the main thread only (its thread id is the process id).
    perf record -q ${CALLGRAPH:+-g} -e cpu-clock -F "$PERF_HZ" -t "$pid" -o "$WORK/$i.perf" 2>/dev/null &
    rec=$!
    sleep 0.5
    load "$port" "$N"
    kill -INT "$rec"
    wait "$rec" || true
    if [ -n "${CALLGRAPH:-}" ]; then
      perf script -i "$WORK/$i.perf" -F ip,sym 2>/dev/null >"$prof"
    else
      perf report -i "$WORK/$i.perf" --stdio --sort dso,sym -q -n 2>/dev/null >"$prof"
    fi
  fi
  kill -TERM "$pid"
  wait "$pid" || true
  rm -f "/tmp/perf-$pid.map"
  PROFILES+=("$c=$prof")
  if [ -n "${PROFILE_DIR:-}" ]; then mkdir -p "$PROFILE_DIR" && cp "$prof" "$PROFILE_DIR/$i-${c//\//_}${prof#"$WORK/$i"}"; fi
done
BENCH_PERF_HZ=$PERF_HZ node dist/bench/cpu-profile.js "$N" "${TOP:-40}" "${FILTER:-dist/(lib|hooks)}" "${PROFILES[@]}"
