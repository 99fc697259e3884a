#!/usr/bin/env bash
# Functions V8 deoptimised while the realistic express route ran WARM requests,
# by count. A function deoptimised again and again (a "deopt loop") runs in
# baseline code between attempts, which no profile names as such: in session 9
# a for-in over body keys sent extraction's addTree into one on Node 24 only
# (133 Maglev compiles in 4 000 requests). A healthy run shows each function a
# handful of times at most, mostly during warm-up.
#
#   bench/deopts.sh                # block + default
#   bench/deopts.sh strict         # another configuration (as in bench/realistic-env.sh)
#   TOP=40 WARM=8000 bench/deopts.sh default
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, db test) and a build (npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."
WARM=${WARM:-4000}
. bench/realistic-env.sh
c=${1:-default}
configure "$c"
start_app "$c" "$WORK/app" --trace-deopt
load "$port" "$WARM"
kill -TERM "$pid"
wait "$pid" || true
echo "deoptimisations by function over $WARM requests ($c, $(node --version)):"
grep -oE 'deoptimizing 0x[0-9a-f]+ <JSFunction [^ >]+' "$WORK/app.app" | awk '{print $4}' | sort | uniq -c | sort -rn | head -"${TOP:-15}" || true
