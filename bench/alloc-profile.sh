#!/usr/bin/env bash
# What the realistic express route allocates per request, and whose code
# allocates it, in the app under load: V8's sampling heap profiler (objects
# already collected included), over N requests after WARM, one configuration
# after another; KB per request by owner (Palisade's own files, each package,
# Node's code), each configuration beside the first. On Node 24 V8 sizes the
# young generation by what the app allocates (docs/performance.md, RSS).
#
#   bench/alloc-profile.sh                  # bare and block + default
#   bench/alloc-profile.sh bare default strict monitor
#   bench/alloc-profile.sh default@bench/.tmp/before/dist default   # two builds
#   BENCH_HEAP_BY=function bench/alloc-profile.sh bare default     # by allocating function, not by file
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, db test) and a build
# (npm run build). About 15 s per configuration with the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
WARM=${WARM:-2000}
N=${N:-5000}
CONFIGS=("$@")
[ ${#CONFIGS[@]} -eq 0 ] && CONFIGS=(bare default)

. bench/realistic-env.sh

PROFILES=()
i=0
for c in "${CONFIGS[@]}"; do
  i=$((i + 1))
  configure "$c"
  prof="$WORK/$i.heap.json"
  APP_ENV=(BENCH_HEAP_PROFILE="$prof")
  start_app "$c" "$WORK/$i" --require ./bench/apps/heap-sampler.js
  load "$port" "$WARM"
  kill -USR2 "$pid"
  wait_for "$WORK/$i.app" SAMPLING 50
  load "$port" "$N"
  kill -USR2 "$pid"
  wait_for "$WORK/$i.app" 'PROFILE WRITTEN'
  kill -TERM "$pid"
  wait "$pid" || true
  PROFILES+=("$c=$prof")
done
node - "$N" "${PROFILES[@]}" <<'JS'
const fs = require('node:fs');
const [n, ...pairs] = process.argv.slice(2);
const runs = pairs.map((p) => { const i = p.lastIndexOf('='); return [p.slice(0, i), JSON.parse(fs.readFileSync(p.slice(i + 1), 'utf8'))]; });
const kb = (b) => (b / Number(n) / 1024).toFixed(1);
const sum = (o, f = () => true) => Object.entries(o).filter(([k]) => f(k)).reduce((a, [, v]) => a + v, 0);
const own = (k) => /^dist\/(lib|hooks)\//.test(k);
console.log(`| KB allocated per request | ${runs.map(([c]) => c).join(' | ')} |`);
console.log(`| --- |${runs.map(() => ' ---: |').join('')}`);
console.log(`| all | ${runs.map(([, o]) => kb(sum(o))).join(' | ')} |`);
console.log(`| in Palisade's own files | ${runs.map(([, o]) => kb(sum(o, own))).join(' | ')} |`);
const keys = [...new Set(runs.flatMap(([, o]) => Object.keys(o)))];
const rows = keys.map((k) => [k, runs.map(([, o]) => o[k] ?? 0)]).filter(([, v]) => Math.max(...v) / Number(n) / 1024 >= 0.3);
rows.sort((a, b) => Math.max(...b[1]) - Math.max(...a[1]));
for (const [k, v] of rows) console.log(`| ${k} | ${v.map(kb).join(' | ')} |`);
JS
