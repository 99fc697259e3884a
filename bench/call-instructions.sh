#!/usr/bin/env bash
# Instructions per call of one SQL driver or fs entry point made by the app in a loop, counted by valgrind
# (callgrind) on the main thread after a warm-up, bare and under Palisade with a policy whose SQL and fs verdicts
# depend on the caller (bench/policies/app-calls.yaml): what package attribution costs per call, and how much of it
# is V8's stack work (safepoint lookups, deoptimisation data, frame summaries, call sites).
#
#   bench/call-instructions.sh better-sqlite3                      # bare and ./dist
#   bench/call-instructions.sh mysql2-pool dist bench/.tmp/before/dist   # two builds (a copy as for instructions.sh)
#
# CALL: mysql2-pool (MariaDB at 127.0.0.1:3306), pg-pool (PostgreSQL at 127.0.0.1:5432), better-sqlite3 (in
# memory), fs-readfilesync, fs-statsync, fs-promises (fs.promises.readFile), of bench/apps/data/receipt.txt.
# "bare" as a build name runs without Palisade. Configurations run two at a time (more on two cores
# distorts the counts). Needs valgrind and a build (npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."
CALL=$1
shift
BUILDS=("$@")
[ ${#BUILDS[@]} -eq 0 ] && BUILDS=(bare dist)
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
case $CALL in better-sqlite3 | fs-readfilesync | fs-statsync) WARM=${WARM:-20000} N=${N:-20000} ;; *) WARM=${WARM:-3000} N=${N:-2000} ;; esac
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
: >"$WORK/empty.map"

count() { # build -> "<build> <instructions per call> <of it V8's stack work>" in $WORK/<id>.result
  local id=${1//\//_} preload=()
  [ "$1" != bare ] && preload=(--require "./${1#./}/lib/register.js")
  CALL=$CALL WARM=$WARM N=$N PALISADE_POLICY=bench/policies/app-calls.yaml PALISADE_LOG=/dev/null \
    valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$WORK/$id.cg" \
    node "${preload[@]}" bench/apps/calls.js >"$WORK/$id.out" 2>"$WORK/$id.err" &
  local pid=$!
  until grep -q ZERO "$WORK/$id.out" 2>/dev/null; do sleep 0.5; kill -0 "$pid" 2>/dev/null || { cat "$WORK/$id.err" >&2; exit 1; }; done
  callgrind_control -z "$pid" >/dev/null 2>&1
  until grep -q DUMP "$WORK/$id.out" 2>/dev/null; do sleep 0.5; done
  callgrind_control -d "$pid" >/dev/null 2>&1
  wait "$pid" || true
  node dist/bench/cg-functions.js "$WORK/$id.cg.1-01" "$WORK/empty.map" "$N" 1000000 | node -e '
    const re = /Translat|Safepoint|StackTrace|Summar|CallSite|Deoptim|FrameSummary|StackFrame|CaptureSimple|JavaScriptFrame/;
    let stack = 0, total = 0;
    for (const l of require("fs").readFileSync(0, "utf8").split("\n")) {
      const m = /^\s*(-?\d+)\s+(.*)$/.exec(l);
      if (m) { total += +m[1]; if (re.test(m[2])) stack += +m[1]; }
    }
    console.log(total, stack);' >"$WORK/$id.result"
}

echo "| build | instructions per call ($CALL), main thread | of it V8's stack work |"
echo "| --- | --- | --- |"
for ((i = 0; i < ${#BUILDS[@]}; i += 2)); do
  PIDS=()
  for b in "${BUILDS[@]:i:2}"; do count "$b" & PIDS+=($!); done
  wait "${PIDS[@]}"
  for b in "${BUILDS[@]:i:2}"; do read -r total stack <"$WORK/${b//\//_}.result"; echo "| $b | $total | $stack |"; done
done
