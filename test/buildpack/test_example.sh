#!/usr/bin/env bash
# Usage: test/buildpack/test_example.sh [STEP...]   (as root; e.g. `... 03 05`; default: all steps)
# Every step of example-app/WALKTHROUGH.md is materialized (step 01 plus the patches up to it,
# example-app/steps/materialize.sh), built with the local Heroku simulator (our buildpack, then
# the stand-in Node.js buildpack in test/fixtures/nodejs-buildpack), booted as dynos, driven with
# curl from inside the dyno, and its metrics are checked at a fake intake.
#
# The dyno commands below are single-quoted on purpose: they expand inside the dyno.
# shellcheck disable=SC2016
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HEROKU="${ROOT}/test/heroku/heroku"
STEPS="${ROOT}/example-app/steps"
NODE_BUILDPACK="${ROOT}/test/fixtures/nodejs-buildpack"
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/dynostatsd-example-test.XXXXXX)
export HEROKU_SIM_HOME="${WORK}/sim"
# The build cache outlives the run (like an app's cache on Heroku): the agent compiles once, then
# every step's build restores it (keyed by source hash, stack, arch and compiler).
CACHE=${DYNOSTATSD_EXAMPLE_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/dynostatsd/example-test}
RECORD="${WORK}/intake.jsonl"
FAILURES=0
CHECKS=0
DYNOS=()
INTAKE_PID=""

cleanup() {
  local id
  for id in "${DYNOS[@]}"; do
    "$HEROKU" stop "$id" >/dev/null 2>&1 || true
  done
  [[ -n $INTAKE_PID ]] && kill "$INTAKE_PID" 2>/dev/null
  if ((FAILURES)) || [[ -n ${KEEP:-} ]]; then
    echo "work dir kept for inspection: ${WORK}"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

pass() {
  CHECKS=$((CHECKS + 1))
  echo "ok    $*"
}
fail() {
  CHECKS=$((CHECKS + 1))
  FAILURES=$((FAILURES + 1))
  echo "FAIL  $*"
}
# check DESCRIPTION EXPECTED ACTUAL
check() {
  if [[ $2 == "$3" ]]; then pass "$1 = $2"; else fail "$1: want '$2', got '$3'"; fi
}

# free_port, wait_for_line
# shellcheck source=scripts/lib/local.sh
source "${ROOT}/scripts/lib/local.sh"
# An agent the other buildpack tests compiled from these sources is restored, not compiled again.
share_agent_cache "$TEST_BUILD_CACHE" "$CACHE"

# intake QUERY ARGS...: answers questions about the recorded requests (JSON lines).
#   sum METRIC TAG...        sum of a counter over every point, as a count (value x interval)
#   last METRIC TAG...       the value of the latest point of a gauge
#   points METRIC TAG...     number of points
#   has METRIC TAG...        1 when a series with all TAGs exists, else 0
#   tags METRIC TAG...       the sorted tags of the first series with all TAGs
#   sketch METRIC TAG...     "cnt min max sum" over every sketch point
#   event TITLE              "text|tags" of the first event with TITLE
#   check NAME               "status|message|tags" of the first service check NAME
#   invalid                  number of records that failed decoding or schema validation
#   maxts                    the latest series point timestamp
intake() {
  "$PY" - "$RECORD" "$@" <<'PY'
import json, sys
record, query, args = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = []
with open(record, encoding="utf-8") as f:
    for line in f:
        rows.append(json.loads(line))
ok = [r for r in rows if 200 <= r["status"] < 300]
v2_types = {0: "", 1: "count", 2: "rate", 3: "gauge"}
series = []
for r in ok:
    if r["path"] == "/api/v2/series":
        for s in r["body"]["series"]:
            series.append((s["metric"], v2_types.get(s.get("type", 0)), s.get("interval") or 1, s.get("tags", []),
                           [(p["timestamp"], p["value"]) for p in s["points"]]))
    elif r["path"] == "/api/v1/series":
        for s in r["body"]["series"]:
            series.append((s["metric"], s.get("type"), s.get("interval") or 1, s.get("tags", []),
                           [(p[0], p[1]) for p in s["points"]]))

def matching(metric, tags):
    return [s for s in series if s[0] == metric and all(t in s[3] for t in tags)]

def num(x):
    return ("%d" % x) if float(x).is_integer() else ("%g" % x)

if query == "sum":
    print(num(sum(v * s[2] for s in matching(args[0], args[1:]) for _, v in s[4])))
elif query == "last":
    pts = sorted(p for s in matching(args[0], args[1:]) for p in s[4])
    print(num(pts[-1][1]) if pts else "none")
elif query == "points":
    print(sum(len(s[4]) for s in matching(args[0], args[1:])))
elif query == "has":
    print(1 if matching(args[0], args[1:]) else 0)
elif query == "tags":
    found = matching(args[0], args[1:])
    print(",".join(sorted(found[0][3])) if found else "none")
elif query == "sketch":
    pts = [p for r in ok if r["path"] == "/api/beta/sketches" for s in r["body"]["sketches"]
           if s["metric"] == args[0] and all(t in s["tags"] for t in args[1:]) for p in s["dogsketches"]]
    if not pts:
        print("none")
    else:
        print(num(sum(p["cnt"] for p in pts)), num(min(p["min"] for p in pts)), num(max(p["max"] for p in pts)),
              num(sum(p["sum"] for p in pts)))
elif query == "event":
    events = [r["body"] for r in ok if r["path"] == "/api/v1/events" and r["body"].get("title") == args[0]]
    print("%s|%s" % (events[0].get("text"), ",".join(sorted(events[0].get("tags", [])))) if events else "none")
elif query == "check":
    checks = [c for r in ok if r["path"] == "/api/v1/check_run" for c in r["body"] if c["check"] == args[0]]
    c = checks[0] if checks else None
    print("%s|%s|%s" % (c["status"], c.get("message", ""), ",".join(sorted(c["tags"]))) if c else "none")
elif query == "invalid":
    print(sum(1 for r in rows if r.get("decode_error") or r.get("schema_valid") is False))
elif query == "maxts":
    print(max((p[0] for s in series for p in s[4]), default=0))
PY
}

# wait_intake SECONDS QUERY ARGS... -- EXPECTED: polls until the answer is EXPECTED (or time is up).
wait_intake() {
  local seconds=$1 deadline answer
  shift
  local -a query=()
  while [[ $1 != -- ]]; do
    query+=("$1")
    shift
  done
  shift
  deadline=$((SECONDS + seconds))
  while :; do
    answer=$(intake "${query[@]}")
    [[ $answer == "$1" ]] && break
    ((SECONDS < deadline)) || break
    sleep 0.3
  done
  echo "$answer"
}

# Waits until the agent flushed a bucket that starts after now (so everything sent is in).
settle() {
  local after
  after=$(($(date +%s) + 1))
  local deadline=$((SECONDS + 20))
  until (($(intake maxts) >= after)); do
    ((SECONDS < deadline)) || return 0
    sleep 0.3
  done
}

start_intake() {
  "$PY" "${ROOT}/test/e2e/fake_intake.py" --port-file "${WORK}/intake.url" --record "$RECORD" \
    >"${WORK}/intake.log" 2>&1 &
  INTAKE_PID=$!
  local _
  for _ in $(seq 100); do
    [[ -s ${WORK}/intake.url ]] && break
    sleep 0.1
  done
  INTAKE_URL=$(cat "${WORK}/intake.url")
  : >"$RECORD"
}

# build STEP_DIR SLUG [--no-dynostatsd]
build() {
  local app=$1 slug=$2 log
  log="${WORK}/build-${app##*/}.log"
  local -a packs=(--buildpack "$ROOT" --buildpack "$NODE_BUILDPACK")
  [[ ${3:-} == --no-dynostatsd ]] && packs=(--buildpack "$NODE_BUILDPACK")
  local started=$SECONDS
  if "$HEROKU" build "$app" "${packs[@]}" --app-name example-app --cache "$CACHE" --slug "$slug" >"$log" 2>&1; then
    pass "build $(basename "$app") ($((SECONDS - started)) s)"
  else
    fail "build $(basename "$app"); log:"
    sed 's/^/      /' "$log" | tail -30
    return 1
  fi
}

# boot SLUG NAME DYNO [--port N] [K=V...] [-- COMMAND]: starts a detached dyno, prints nothing.
boot() {
  local slug=$1 name=$2 dyno=$3
  shift 3
  local -a args=(dyno "$slug" --dyno "$dyno" --name "$name" --app-name example-app --detach)
  if [[ ${1:-} == --port ]]; then
    args+=(--port "$2")
    shift 2
  fi
  while (($#)) && [[ $1 != -- ]]; do
    args+=(--env "$1")
    shift
  done
  "$HEROKU" "${args[@]}" "$@" >/dev/null
  DYNOS+=("$name")
}

dyno_log() { echo "${HEROKU_SIM_HOME}/dynos/${1}/log"; }

stop() {
  "$HEROKU" stop "$1" >/dev/null 2>&1 || true
}

# in_dyno NAME COMMAND: runs COMMAND with bash inside the running dyno (its env: $PORT, ...).
in_dyno() {
  "$HEROKU" exec "$1" -- "$2"
}

agent_env() {
  echo "DD_API_KEY=example-test-key" "DD_DD_URL=${INTAKE_URL}" "DYNOSTATSD_FLUSH_INTERVAL=${1:-1}" \
    "DD_DOGSTATSD_PORT=${UDP_PORT}"
}

wait_ready() {
  local name=$1 log
  log=$(dyno_log "$name")
  if wait_for_line "$log" 'listening' 30; then pass "${name}: app listening"; else
    fail "${name}: app did not start"
    tail -20 "$log"
    return 1
  fi
  if wait_for_line "$log" 'msg=ready' 20; then pass "${name}: agent ready"; else
    fail "${name}: agent not ready"
    tail -20 "$log"
    return 1
  fi
}

# app_dir NN: writes step NN of the example app to ${WORK}/steps/NN-name (the name of its
# snapshot or patch) and sets APP to that path; a failed check when a patch does not apply.
app_dir() {
  local -a found=("${STEPS}/${1}"-*)
  APP="${WORK}/steps/$(basename "${found[0]}" .patch)"
  [[ -d $APP ]] && return 0
  if ! "${STEPS}/materialize.sh" "$1" "$APP" >"${WORK}/materialize-${1}.log" 2>&1; then
    fail "${1}: example-app/steps/materialize.sh ${1}: $(tr '\n' ' ' <"${WORK}/materialize-${1}.log")"
    return 1
  fi
}

# l2met_requests LOG: example.http.requests (GET / 200) of web.3 summed over its l2met lines.
l2met_requests() {
  grep -E '^dynostatsd: source=web\.3 tags=method:GET,route:/,status:200 ' "$1" |
    grep -oE 'count#example\.http\.requests=[0-9]+' | awk -F= '{s += $2} END {print s + 0}'
}

# --- the steps --------------------------------------------------------------------------------

step_01() {
  local slug="${WORK}/01.tgz" port
  app_dir 01 || return 0
  build "$APP" "$slug" --no-dynostatsd || return 0
  port=$(free_port tcp)
  boot "$slug" s01-web web.1 --port "$port" -- node web.js
  wait_for_line "$(dyno_log s01-web)" 'listening' 30 || fail "01: app did not start"
  check "01: GET / in the dyno" "hello from web.1" "$(in_dyno s01-web "curl -fsS localhost:\$PORT/")"
  check "01: no agent in the slug" "absent" "$(in_dyno s01-web '[[ -e .dynostatsd ]] && echo present || echo absent')"
  stop s01-web
}

step_02() {
  local slug="${WORK}/02.tgz" try sent=0 arrived=0 got
  app_dir 02 || return 0
  build "$APP" "$slug" || return 0
  # shellcheck disable=SC2046
  boot "$slug" s02-web web.1 $(agent_env) -- node web.js
  wait_ready s02-web || return 0
  # The walkthrough's command, with `-q0`: nc quits once stdin is sent. (`nc -u -w0` may quit
  # before it has read stdin, so nothing is sent: 3 of 50 lost here, 5 of 5 when echo is 50 ms
  # late. That was this test's flake.) Each try carries its own marker tag, so a resend after a
  # lost datagram can never be mistaken for it, and every marker that arrived must count exactly 1.
  for try in 1 2 3; do
    check "02: nc in the dyno (try ${try})" "nc_rc=0" \
      "$(in_dyno s02-web "echo 'deploy.smoke:1|c|#step:2,try:${try}' | nc -u -w1 -q0 127.0.0.1 \$DD_DOGSTATSD_PORT
        echo nc_rc=\$?" 2>&1)"
    sent=$try
    [[ $(wait_intake 8 has deploy.smoke "try:${try}" -- 1) == 1 ]] && break
  done
  settle
  check "02: deploy.smoke from nc in the dyno (try ${sent}) with step:2 and the dyno's tags" 1 \
    "$(intake sum deploy.smoke "try:${sent}" step:2 dyno:web.1 dynotype:web appname:example-app)"
  for ((try = 1; try <= sent; try++)); do
    got=$(intake sum deploy.smoke "try:${try}")
    [[ $got == 0 || $got == 1 ]] || fail "02: deploy.smoke try:${try}: want 0 (lost) or 1, got ${got}"
    arrived=$((arrived + got))
  done
  check "02: deploy.smoke total = datagrams that arrived (${arrived} of ${sent} sent)" "$arrived" \
    "$(intake sum deploy.smoke step:2)"
  ((arrived == sent)) || echo "note  02: $((sent - arrived)) of ${sent} datagrams sent with nc never arrived"
  check "02: agent self-metrics tagged with the dyno" 1 \
    "$(wait_intake 10 has dynostatsd.datagrams.received dyno:web.1 -- 1)"
  stop s02-web
}

step_03() {
  local slug="${WORK}/03.tgz"
  app_dir 03 || return 0
  build "$APP" "$slug" || return 0
  # shellcheck disable=SC2046
  boot "$slug" s03-web web.1 $(agent_env) -- node web.js
  wait_ready s03-web || return 0
  in_dyno s03-web 'for i in 1 2 3 4 5; do curl -fsS -o /dev/null localhost:$PORT/; done
    curl -sS -o /dev/null localhost:$PORT/orders/42'
  settle
  check "03: example.http.requests route:/ 200" 5 \
    "$(wait_intake 10 sum example.http.requests route:/ method:GET status:200 dyno:web.1 -- 5)"
  check "03: example.http.requests route:/orders/:id 404" 1 \
    "$(intake sum example.http.requests route:/orders/:id status:404 dynotype:web)"
  check "03: example.http.response_time.count route:/" 5 "$(intake sum example.http.response_time.count route:/)"
  check "03: example.http.response_time.95percentile sent" 1 "$(intake has example.http.response_time.95percentile route:/)"
  stop s03-web
}

step_04() {
  local slug="${WORK}/04.tgz" port
  app_dir 04 || return 0
  build "$APP" "$slug" || return 0
  port=$(free_port tcp)
  # 5 s buckets: the burst below must land in one bucket for the set to count 2 users.
  # shellcheck disable=SC2046
  boot "$slug" s04-web web.1 --port "$port" $(agent_env 5) -- node web.js
  wait_ready s04-web || return 0
  # The burst starts inside the dyno just after a bucket boundary (buckets are epoch-aligned), so
  # the time `heroku exec` takes to start does not eat into the bucket.
  in_dyno s04-web 'node -e "setTimeout(() => {}, 5050 - (Date.now() % 5000))"
    for u in alice bob alice; do curl -fsS -o /dev/null -H "X-User: $u" localhost:$PORT/; done
    for body in "{\"items\":[\"a\"]}" "{\"items\":[\"ab\"]}" "{\"items\":[\"abc\"]}"; do
      curl -fsS -o /dev/null -H "Content-Type: application/json" -d "$body" localhost:$PORT/orders
    done
    curl -fsS -o /dev/null -X POST localhost:$PORT/orders/1/ship'
  check "04: example.users.unique (alice, bob, alice in one bucket)" 2 \
    "$(wait_intake 15 last example.users.unique dyno:web.1 -- 2)"
  check "04: example.users.unique points" 1 "$(intake points example.users.unique)"
  check "04: example.orders.queue_depth after 3 orders and 1 shipped" 2 \
    "$(wait_intake 15 last example.orders.queue_depth dyno:web.1 -- 2)"
  check "04: example.orders.payload_bytes sketch (cnt min max sum)" "3 15 17 48" \
    "$(wait_intake 10 sketch example.orders.payload_bytes dyno:web.1 -- "3 15 17 48")"
  check "04: boot event" "web.1 is listening on port ${port}|appname:example-app,dyno:web.1,dynotype:web" \
    "$(wait_intake 10 event "example web started" -- "x" | sed 's/,release:[^,|]*//')"
  check "04: service check at boot" "0|listening on ${port}|appname:example-app,dyno:web.1,dynotype:web" \
    "$(wait_intake 10 check example.web.can_serve -- "x" | sed 's/,release:[^,|]*//')"
  stop s04-web
}

step_05() {
  local slug="${WORK}/05.tgz" done_jobs
  app_dir 05 || return 0
  build "$APP" "$slug" || return 0
  # shellcheck disable=SC2046
  boot "$slug" s05-web web.1 $(agent_env)
  UDP_PORT=$(free_port udp)
  # shellcheck disable=SC2046
  boot "$slug" s05-worker worker.1 $(agent_env) JOB_INTERVAL_MS=100
  wait_ready s05-web || return 0
  if wait_for_line "$(dyno_log s05-worker)" 'msg=ready' 20; then
    pass "s05-worker: agent ready"
  else
    fail "s05-worker: agent not ready"
  fi
  wait_for_line "$(dyno_log s05-worker)" 'job=10$' 20 || fail "05: worker did not process 10 jobs"
  stop s05-worker
  done_jobs=$(sed -n 's/.*msg="worker stopped" jobs_done=\([0-9]*\).*/\1/p' "$(dyno_log s05-worker)")
  if [[ -n $done_jobs ]]; then
    pass "05: worker drained on SIGTERM (jobs_done=${done_jobs})"
  else
    fail "05: no 'worker stopped' line"
  fi
  check "05: example.jobs.processed from worker.1 = jobs done before SIGTERM" "$done_jobs" \
    "$(wait_intake 15 sum example.jobs.processed queue:default dyno:worker.1 dynotype:worker -- "$done_jobs")"
  check "05: example.jobs.duration.count = jobs done" "$done_jobs" \
    "$(intake sum example.jobs.duration.count dyno:worker.1)"
  check "05: rss gauge from web.1" 1 "$(wait_intake 10 has example.process.rss_bytes dyno:web.1 dynotype:web -- 1)"
  check "05: rss gauge from worker.1" 1 "$(intake has example.process.rss_bytes dyno:worker.1 dynotype:worker)"
  stop s05-web
}

step_06() {
  local slug="${WORK}/06.tgz" log tags
  app_dir 06 || return 0
  build "$APP" "$slug" || return 0
  # shellcheck disable=SC2046
  boot "$slug" s06-web web.1 $(agent_env) DD_ENV=staging DD_SERVICE=example DD_VERSION=1.0.0 -- node web.js
  wait_ready s06-web || return 0
  in_dyno s06-web 'for i in 1 2 3 4; do curl -fsS -o /dev/null localhost:$PORT/; done'
  check "06: example.http.requests with unified service tags and team:checkout from dynostatsd.yml" 4 \
    "$(wait_intake 15 sum example.http.requests route:/ env:staging service:example version:1.0.0 \
      team:checkout dyno:web.1 -- 4)"
  tags=$(intake tags example.http.requests env:staging)
  check "06: env tag sent by hot-shots and added by the agent appears once" 1 \
    "$(tr ',' '\n' <<<"$tags" | grep -c '^env:staging$')"
  check "06: 99th percentile from dynostatsd.yml" 1 "$(intake has example.http.response_time.99percentile route:/)"
  stop s06-web

  # A one-off dyno starts no agent by default.
  boot "$slug" s06-run run.1 -- 'sleep 2; pgrep -fc "[.]dynostatsd/bin/" || true'
  log=$(dyno_log s06-run)
  wait_for_line "$log" '^[0-9]+$' 20 || true
  check "06: agents in a one-off dyno" 0 "$(grep -E '^[0-9]+$' "$log" | tail -1)"
  stop s06-run

  # Disabled: nothing starts, and the web dyno says why.
  # shellcheck disable=SC2046
  boot "$slug" s06-off web.2 $(agent_env) DISABLE_DATADOG_AGENT=1 -- node web.js
  log=$(dyno_log s06-off)
  wait_for_line "$log" 'listening' 30 || true
  check "06: disabled agent explains itself" 1 "$(grep -c 'agent not started.*DISABLE_DATADOG_AGENT' "$log")"
  stop s06-off

  # No API key: the flush goes to the dyno log as l2met lines. DD_TAGS replaces the file's tags.
  boot "$slug" s06-log web.3 "DYNOSTATSD_FLUSH_INTERVAL=1" "DD_DOGSTATSD_PORT=${UDP_PORT}" \
    "DD_TAGS=region:eu" -- node web.js
  wait_ready s06-log || return 0
  check "06: check-config in the dyno: DD_TAGS wins over dynostatsd.yml" \
    "tags=region:eu source=env|histogram_percentiles=0.95,0.99 source=yaml" \
    "$(in_dyno s06-log 'cd /app && .dynostatsd/bin/dynostatsd check-config' 2>&1 |
      grep -oE '^(tags=[^ ]* source=[a-z]+|histogram_percentiles=[^ ]* source=[a-z]+)' | paste -sd'|')"
  in_dyno s06-log 'for i in 1 2 3; do curl -fsS -o /dev/null localhost:$PORT/; done'
  log=$(dyno_log s06-log)
  # The requests may fall into two 1 s buckets: sum the lines until all 3 are in, then let one
  # more flush pass (its self-metrics line) so that a count too many would show as well.
  local deadline=$((SECONDS + 15)) flushes
  until (($(l2met_requests "$log") >= 3 || SECONDS >= deadline)); do sleep 0.2; done
  flushes=$(grep -c 'count#dynostatsd\.datagrams\.received' "$log")
  until (($(grep -c 'count#dynostatsd\.datagrams\.received' "$log") > flushes || SECONDS >= deadline + 5)); do
    sleep 0.2
  done
  check "06: l2met count#example.http.requests (route:/) summed over the log, no API key" 3 \
    "$(l2met_requests "$log")"
  stop s06-log
}

main() {
  [[ $(id -u) == 0 ]] || {
    echo "FAIL  the local Heroku simulator needs root"
    exit 1
  }
  [[ -x $HEROKU ]] || {
    echo "FAIL  ${HEROKU} is missing"
    exit 1
  }
  local steps=("$@") s started=$SECONDS
  ((${#steps[@]})) || steps=(01 02 03 04 05 06)
  start_intake
  for s in "${steps[@]}"; do
    echo "== step ${s}"
    UDP_PORT=$(free_port udp)
    "step_${s}"
  done
  check "every payload decoded and schema-valid" 0 "$(intake invalid)"
  echo "${CHECKS} checks, $((SECONDS - started)) s"
  echo "$((CHECKS - FAILURES)) passed, ${FAILURES} failed"
  ((FAILURES == 0))
}

main "$@"
