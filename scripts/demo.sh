#!/usr/bin/env bash
# Usage: scripts/demo.sh   (or `make demo`)
# Writes out the example app's last step (example-app/steps/materialize.sh 6), builds it with the
# dynostatsd buildpack in front of a Node.js buildpack into a simulated Heroku slug, boots a web
# dyno, sends it some traffic and shows what the agent reports without an API key (l2met lines
# in the dyno log), then stops the dyno the way Heroku does (SIGTERM) and shows the final flush.
#
# Settings (environment): DEMO_FLUSH_INTERVAL (default 2 s), DEMO_KEEP=1 keeps the work dir,
# DEMO_DIRECT=1 skips the simulator and runs the agent and the app as plain local processes
# (agent built in DEMO_BUILD, default build-demo/).
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APP_STEP=6
HEROKU="${ROOT}/test/heroku/heroku"
NODE_BUILDPACK="${ROOT}/test/fixtures/nodejs-buildpack"
FLUSH=${DEMO_FLUSH_INTERVAL:-2}
CACHE="${XDG_CACHE_HOME:-${HOME}/.cache}/dynostatsd/demo"
WORK=$(mktemp -d /tmp/dynostatsd-demo.XXXXXX)
LOG="${WORK}/dyno.log"
APP_SRC="${WORK}/app"
PIDS=()
DYNO_ID=""

step() { printf '\n\033[1m-----> %s\033[0m\n' "$*"; }
indent() { sed -u 's/^/       /'; }
fail() {
  printf ' !     %s\n' "$@" >&2
  exit 1
}

cleanup() {
  local pid
  if [[ -n $DYNO_ID ]]; then
    "$HEROKU" stop "$DYNO_ID" >/dev/null 2>&1 || true
  fi
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n ${DEMO_KEEP:-} ]]; then
    echo "(work dir kept: ${WORK})"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

# free_port, wait_for_line
# shellcheck source=scripts/lib/local.sh
source "${ROOT}/scripts/lib/local.sh"

# Sends a small, known workload to the web dyno.
traffic() {
  local base=$1 i
  for i in 1 2 3 4 5; do
    curl -fsS -o /dev/null -H "X-User: user$((i % 3))" "${base}/"
  done
  for i in 1 2 3; do
    curl -fsS -o /dev/null -H 'Content-Type: application/json' -H "X-User: buyer${i}" \
      -d "{\"items\":[\"tea\",\"cup ${i}\"]}" "${base}/orders"
  done
  curl -fsS -o /dev/null "${base}/orders/2"
  curl -fsS -o /dev/null -X POST "${base}/orders/1/ship"
  curl -sS -o /dev/null "${base}/no-such-page" || true
  echo "GET / x5, POST /orders x3, GET /orders/2, POST /orders/1/ship, GET /no-such-page (404)"
}

# Prints the agent's lines from a log excerpt as a user sees them: l2met lines (source=web.1 ...)
# and the agent's own status lines. Counters that idle after the traffic print as 0 every
# interval (the Datadog Agent zero-fills them for 5 minutes); those all-zero lines are counted,
# not shown.
show_report() {
  awk '
    /source=/ {
      zero = 1
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^(count|sample|unique)#/ && $i !~ /=0$/) zero = 0
        if ($i ~ /^(event|check=)/) zero = 0
      }
      if (zero) { hidden++; next }
      print substr($0, 1, 400); next
    }
    /stage=app|at=(warn|error)|msg="SIGTERM/ { print substr($0, 1, 400) }
    END { if (hidden) printf "(%d lines of idle, zero-filled counters not shown)\n", hidden }
  ' "$@" | indent
}

check_prerequisites() {
  local tool
  for tool in node npm curl cmake g++ git; do
    command -v "$tool" >/dev/null || fail "${tool} is missing." "Run: make deps"
  done
}

# --- with the local Heroku simulator (the real path: bin/compile, .profile.d, supervisor) ----

demo_simulator() {
  local slug="${WORK}/slug.tgz" web_port udp_port dyno
  export HEROKU_SIM_HOME="${WORK}/sim"
  mkdir -p "$CACHE"
  step "Building the slug: dynostatsd buildpack, then the Node.js buildpack (example app, step ${APP_STEP})"
  "$HEROKU" build "$APP_SRC" --buildpack "$ROOT" --buildpack "$NODE_BUILDPACK" \
    --app-name dynostatsd-demo --cache "${CACHE}/build-cache" --slug "$slug" 2>&1 | indent

  web_port=$(free_port tcp)
  udp_port=$(free_port udp)
  step "Booting web.1 (PORT=${web_port}, no DD_API_KEY, DYNOSTATSD_FLUSH_INTERVAL=${FLUSH})"
  dyno=$("$HEROKU" dyno "$slug" --dyno web.1 --name demo-web.1 --app-name dynostatsd-demo \
    --port "$web_port" --detach \
    --env "DYNOSTATSD_FLUSH_INTERVAL=${FLUSH}" --env "DD_DOGSTATSD_PORT=${udp_port}" \
    --env "DD_ENV=demo" --env "DD_SERVICE=example" --env "DD_VERSION=1.0.0")
  DYNO_ID=$dyno
  LOG="${HEROKU_SIM_HOME}/dynos/${dyno}/log"
  wait_for_line "$LOG" 'listening' 30 || fail "web.1 did not start; its log:" "$(cat "$LOG")"
  wait_for_line "$LOG" 'msg=ready' 15 || fail "the agent did not report ready; dyno log:" "$(cat "$LOG")"
  grep -E 'listening|msg=ready|stage=boot' "$LOG" | cut -c1-200 | indent

  step "Sending traffic to web.1"
  traffic "http://127.0.0.1:${web_port}" | indent
  step "Waiting for the next flush"
  wait_for_line "$LOG" 'source=web\.1.*example\.http\.requests' $((FLUSH * 3 + 10)) ||
    fail "no l2met line with example.http.requests; dyno log:" "$(tail -40 "$LOG")"
  sleep "$FLUSH"
  step "What the agent printed (the dyno log, l2met form)"
  show_report "$LOG"

  step "Inside the dyno (heroku exec ${dyno} -- ps)"
  "$HEROKU" ps "$dyno" 2>&1 | indent || true

  step "Stopping web.1 (SIGTERM to every process, like heroku ps:stop)"
  cp "$LOG" "${WORK}/log.before-stop"
  "$HEROKU" stop "$dyno" 2>&1 | indent
  DYNO_ID=""
  diff "${WORK}/log.before-stop" "$LOG" | sed -n 's/^> //p' >"${WORK}/log.after-stop" || true
  show_report "${WORK}/log.after-stop"
}

# --- without the simulator: the agent binary and the app as plain local processes ------------

demo_direct() {
  local build=${DEMO_BUILD:-${ROOT}/build-demo} app=$APP_SRC web_port udp_port agent_pid app_pid
  step "Building the agent (cmake, Release) into ${build#"${ROOT}"/}"
  cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release -DDYNOSTATSD_TESTS=OFF \
    -DDYNOSTATSD_BENCH=OFF >/dev/null
  cmake --build "$build" -j 2 --target dynostatsd 2>&1 | tail -2 | indent
  step "Installing the example app's packages (npm ci)"
  (cd "$app" && npm ci --omit=dev --no-audit --no-fund --loglevel=error 2>&1 | indent)

  web_port=$(free_port tcp)
  udp_port=$(free_port udp)
  step "Starting the agent as web.1 would (no DD_API_KEY, flush every ${FLUSH} s) and the app"
  (
    cd "$app"
    exec env DYNO=web.1 HEROKU_APP_NAME=dynostatsd-demo DYNOSTATSD_FLUSH_INTERVAL="$FLUSH" \
      DD_DOGSTATSD_PORT="$udp_port" DD_ENV=demo DD_SERVICE=example DD_VERSION=1.0.0 \
      "${build}/agent/dynostatsd" run
  ) >>"$LOG" 2>&1 &
  agent_pid=$!
  PIDS+=("$agent_pid")
  wait_for_line "$LOG" 'msg=ready' 15 || fail "the agent did not report ready:" "$(cat "$LOG")"
  (cd "$app" && exec env DYNO=web.1 PORT="$web_port" DD_DOGSTATSD_PORT="$udp_port" \
    DD_ENV=demo DD_SERVICE=example DD_VERSION=1.0.0 node web.js) >>"$LOG" 2>&1 &
  app_pid=$!
  PIDS+=("$app_pid")
  wait_for_line "$LOG" 'listening' 15 || fail "the app did not start:" "$(cat "$LOG")"
  grep -E 'listening|msg=ready' "$LOG" | indent

  step "Sending traffic to web.1"
  traffic "http://127.0.0.1:${web_port}" | indent
  step "Waiting for the next flush"
  wait_for_line "$LOG" 'source=web\.1.*example\.http\.requests' $((FLUSH * 3 + 10)) ||
    fail "no l2met line with example.http.requests; log:" "$(tail -40 "$LOG")"
  sleep "$FLUSH"
  step "What the agent printed (l2met form)"
  show_report "$LOG"

  step "Stopping (SIGTERM to the app and the agent at once, like a dyno shutdown)"
  cp "$LOG" "${WORK}/log.before-stop"
  kill -TERM "$app_pid" "$agent_pid"
  wait "$app_pid" "$agent_pid" 2>/dev/null || true
  PIDS=()
  diff "${WORK}/log.before-stop" "$LOG" | sed -n 's/^> //p' >"${WORK}/log.after-stop" || true
  show_report "${WORK}/log.after-stop"
}

main() {
  local started=$SECONDS
  check_prerequisites
  step "Writing out the example app, step ${APP_STEP} (example-app/steps/materialize.sh ${APP_STEP} DEST)"
  "${ROOT}/example-app/steps/materialize.sh" "$APP_STEP" "$APP_SRC" ||
    fail "example-app/steps/materialize.sh ${APP_STEP} failed (see above)"
  (cd "$APP_SRC" && printf '%s\n' *) | paste -sd' ' | indent
  if [[ -x $HEROKU && $(id -u) == 0 && -z ${DEMO_DIRECT:-} ]]; then
    demo_simulator
  else
    [[ -z ${DEMO_DIRECT:-} ]] && echo "(the local Heroku simulator needs root: running the agent and the app directly)"
    demo_direct
  fi
  step "Done in $((SECONDS - started)) s. With DD_API_KEY set, the same series go to Datadog instead."
}

main "$@"
