# Sourced by bench/instructions.sh, bench/cpu-profile.sh and bench/alloc-profile.sh: what the realistic
# express route needs outside the app (a pg table of 200 users, the loopback
# service it calls, the order body) and how each configuration starts the app.
# Sets TABLE, WORK, UPSTREAM_PORT, BODY; removes all of it on exit.
TABLE=palisade_bench_sh_$$
WORK=$(mktemp -d)
DIST=${PALISADE_DIST:-./dist}
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

# configure <configuration>[@<dist>]: sets the arrays PRELOAD (node flags) and ENV (variables) for the
# app. `default@bench/.tmp/before/dist` runs another build (a copy inside the repository, with
# policies/ beside it: docs/performance.md), so two builds are compared in one invocation.
configure() {
  local dist=$DIST
  [[ $1 == *@* ]] && dist=${1#*@}
  [[ $dist == /* || $dist == .* ]] || dist=./$dist # --require takes a bare path for a package name
  APP_ENV=() PRELOAD=() ENV=(PALISADE_LOG=stderr BENCH_PG_TABLE=$TABLE BENCH_UPSTREAM_PORT=$UPSTREAM_PORT)
  case ${1%%@*} in
    bare) ;;
    als) PRELOAD=(--require ./bench/apps/als-floor.js) ;;
    # Not Palisade: the ALS floor and a plain, minimal judge by taint (bench/apps/judge-floor.js).
    judge-floor) PRELOAD=(--require ./bench/apps/judge-floor.js) ;;
    judge-floor-naive) PRELOAD=(--require ./bench/apps/judge-floor.js); ENV+=(JUDGE_FLOOR=naive) ;;
    monitor) PRELOAD=(--require "$dist/lib/register.js"); ENV+=(PALISADE_MODE=monitor) ;;
    default) PRELOAD=(--require "$dist/lib/register.js"); ENV+=(PALISADE_MODE=block PALISADE_POLICY=policies/default.yaml) ;;
    machinery) PRELOAD=(--require "$dist/lib/register.js"); ENV+=(PALISADE_MODE=block PALISADE_POLICY=bench/policies/no-detection.yaml) ;;
    strict) PRELOAD=(--require "$dist/lib/register.js"); ENV+=(PALISADE_MODE=block PALISADE_POLICY=bench/policies/strict-bench.yaml) ;;
    # strict with every package inheriting the app's allows: no verdict depends on the caller, no stack read.
    strict-inherit)
      node -e "process.stdout.write(require('./dist/bench/lib.js').strictInheritText())" >"$WORK/strict-inherit.yaml"
      PRELOAD=(--require "$dist/lib/register.js"); ENV+=(PALISADE_MODE=block PALISADE_POLICY=$WORK/strict-inherit.yaml) ;;
    *) echo "unknown configuration $1" >&2; exit 2 ;;
  esac
}

# started_or_fail <configuration> <app stderr file> <pid>: a Palisade that failed to start (a copied dist
# that cannot find its dependencies or policies/schema.json) leaves a bare app behind, whose figures
# would look like a triumph.
started_or_fail() {
  if [ ${#PRELOAD[@]} -gt 0 ] && [ "${1%%@*}" != als ] && [[ "${1%%@*}" != judge-floor* ]] && ! grep -q '"msg":"palisade [^"]* started' "$2"; then
    echo "$1: Palisade did not start:" >&2
    grep -i palisade "$2" >&2 || true
    kill -TERM "$3" 2>/dev/null
    exit 1
  fi
}

# load <port> <requests>: the route's requests, CONNECTIONS in flight (ROUTE=empty: the empty route; APP=fastify
# or APP=http: that app's empty route, as in the macro bench).
load() {
  if [ "${ROUTE:-realistic}" = empty ] || [ "${APP:-express}" != express ]; then
    npx autocannon -c "${CONNECTIONS:-10}" -t 60 -a "$2" "http://127.0.0.1:$1/empty" >/dev/null 2>&1
  else
    npx autocannon -c "${CONNECTIONS:-10}" -t 60 -a "$2" -m POST -H content-type=application/json -b "$BODY" "http://127.0.0.1:$1/order" >/dev/null 2>&1
  fi
}

# wait_for <file> <text> [tries]: until <file> holds <text>, 0.1 s a try (the app's readiness and profiler lines).
wait_for() {
  for _ in $(seq "${3:-100}"); do grep -q "$2" "$1" && return 0; sleep 0.1; done
  return 0
}

# start_app <configuration> <out> <node flags...>: starts the route's app under `configure`'s PRELOAD and ENV
# (call configure first; extra variables may follow ENV's in APP_ENV), its stdout in <out>.app and stderr in
# <out>.err; sets pid and port, and stops the run if Palisade did not start.
start_app() {
  local c=$1 out=$2
  shift 2
  env "${ENV[@]}" "${APP_ENV[@]}" node "$@" "${PRELOAD[@]}" "bench/apps/${APP:-express}.js" >"$out.app" 2>"$out.err" &
  pid=$!
  wait_for "$out.app" LISTENING
  port=$(grep LISTENING "$out.app" | grep -o '[0-9]*')
  started_or_fail "$c" "$out.err" "$pid"
}
