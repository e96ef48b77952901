#!/usr/bin/env bash
# Helpers for the buildpack tests (sourced by test/buildpack/test_*.sh): assertions that print a
# clear FAIL line, a snapshot of the buildpack, the local Heroku simulator, the fake intake.
# Every test file ends with t::finish, which prints "N passed, N failed" and sets the exit status.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HEROKU="${REPO}/test/heroku/heroku"
# shellcheck disable=SC2034 # used by the test files
FIXTURES="${REPO}/test/buildpack/fixtures"
PYTHON=/usr/bin/python3
# The agent binary of this tree (ctest passes DYNOSTATSD_BIN), for tests that need it without a slug build.
# shellcheck disable=SC2034 # used by the test files
AGENT_BIN=${DYNOSTATSD_BIN:-${REPO}/build/agent/dynostatsd}
# Builds share one cache across test files, so only test_compile (run first: test/CMakeLists.txt)
# compiles the agent; it hands its fresh build on at its end.
# shellcheck source=scripts/lib/local.sh
source "${REPO}/scripts/lib/local.sh"
SHARED_CACHE=$TEST_BUILD_CACHE
T_PASSED=0
T_FAILED=0

t::pass() {
  T_PASSED=$((T_PASSED + 1))
  echo "ok   - $*"
}

t::fail() {
  T_FAILED=$((T_FAILED + 1))
  echo "FAIL - $*"
}

# t::check NAME COMMAND...: passes when COMMAND succeeds.
t::check() {
  local name=$1
  shift
  if "$@"; then t::pass "$name"; else t::fail "$name (command failed: $*)"; fi
}

t::eq() {
  if [[ $1 == "$2" ]]; then t::pass "$3"; else t::fail "$3: expected [$2], got [$1]"; fi
}

t::contains() {
  if [[ $1 == *"$2"* ]]; then t::pass "$3"; else t::fail "$3: [$2] not found in: ${1:0:2000}"; fi
}

t::not_contains() {
  if [[ $1 != *"$2"* ]]; then t::pass "$3"; else t::fail "$3: [$2] unexpectedly found"; fi
}

t::figure() {
  echo "FIGURE $*"
}

t::finish() {
  echo "${T_PASSED} passed, ${T_FAILED} failed"
  ((T_FAILED == 0))
}

# t::wait_until TIMEOUT_S COMMAND...: polls COMMAND every 50 ms; fails after the timeout.
t::wait_until() {
  local deadline=$((${EPOCHREALTIME/./} + ${1} * 1000000))
  shift
  until "$@" 2>/dev/null; do
    ((${EPOCHREALTIME/./} > deadline)) && return 1
    sleep 0.05
  done
}

# t::alive PID: running and not a zombie (orphans of setsid'd processes may wait a while to be reaped).
t::alive() {
  local rest
  read -r rest 2>/dev/null <"/proc/${1}/stat" || return 1
  rest=${rest##*) }
  [[ ${rest:0:1} != Z ]]
}

t::now_ms() {
  echo $((${EPOCHREALTIME/./} / 1000))
}

t::setup() {
  [[ $(id -u) == 0 ]] || {
    echo "SKIP: needs root (namespaces)"
    exit 0
  }
  WORK=$(mktemp -d /tmp/dynostatsd-bptest.XXXXXX)
  export HEROKU_SIM_HOME="${WORK}/sim"
  T_INTAKE_PID=""
  trap t::cleanup EXIT
}

t::cleanup() {
  local d
  for d in "${HEROKU_SIM_HOME}"/dynos/*/; do
    [[ -f "${d}pid" ]] && kill -0 "$(cat "${d}pid")" 2>/dev/null && "$HEROKU" stop "$(basename "$d")" >/dev/null 2>&1
  done
  [[ -n $T_INTAKE_PID ]] && kill "$T_INTAKE_PID" 2>/dev/null
  rm -rf "$WORK"
}

# t::snapshot: a copy of the buildpack as it would be pushed: the committed agent (HEAD, so other work
# in progress in this tree cannot break the build) plus the working tree's buildpack files.
t::snapshot() {
  local dest="${WORK}/buildpack"
  mkdir -p "$dest"
  git -C "$REPO" archive HEAD | tar -xf - -C "$dest"
  (cd "$REPO" && tar -cf - bin lib profile.d vendor) | tar -xf - -C "$dest"
  echo "$dest"
}

# t::free_udp_port: a UDP port nobody on this machine is bound to (agents of parallel tests differ).
t::free_udp_port() {
  local port
  while true; do
    port=$((30000 + RANDOM % 20000))
    grep -qi ":$(printf '%04X' "$port") " /proc/net/udp /proc/net/udp6 2>/dev/null || break
  done
  echo "$port"
}

# t::intake_start: the fake Datadog intake on a free port; sets INTAKE_URL and INTAKE_RECORD.
t::intake_start() {
  INTAKE_RECORD="${WORK}/intake.jsonl"
  : >"$INTAKE_RECORD"
  "$PYTHON" "${REPO}/test/e2e/fake_intake.py" --port-file "${WORK}/intake.port" --record "$INTAKE_RECORD" \
    >"${WORK}/intake.log" 2>&1 &
  T_INTAKE_PID=$!
  t::wait_until 10 test -s "${WORK}/intake.port" || {
    t::fail "fake intake did not start: $(cat "${WORK}/intake.log")"
    return 1
  }
  INTAKE_URL=$(cat "${WORK}/intake.port")
  [[ $INTAKE_URL == http* ]] || INTAKE_URL="http://127.0.0.1:${INTAKE_URL}"
}

# t::intake_points METRIC [TAG]: "value" lines of every v2/v1 series point for METRIC (with TAG).
t::intake_points() {
  "$PYTHON" - "$INTAKE_RECORD" "$1" "${2:-}" <<'PY'
import json, sys
path, metric, tag = sys.argv[1], sys.argv[2], sys.argv[3]
for line in open(path):
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    body = rec.get("body")
    if not isinstance(body, dict):
        continue
    for s in body.get("series", []):
        if s.get("metric") != metric:
            continue
        tags = s.get("tags") or []
        if tag and tag not in tags:
            continue
        for p in s.get("points", []):
            v = p.get("value") if isinstance(p, dict) else p[1]
            print(v)
PY
}

# t::intake_tags METRIC: the tag list of METRIC's first series, comma-joined.
t::intake_tags() {
  "$PYTHON" - "$INTAKE_RECORD" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        body = json.loads(line).get("body")
    except ValueError:
        continue
    if isinstance(body, dict):
        for s in body.get("series", []):
            if s.get("metric") == sys.argv[2]:
                print(",".join(sorted(s.get("tags") or [])))
                sys.exit(0)
PY
}

# t::sum LINES: the sum of numbers, one per line, printed as an integer when whole.
t::sum() {
  awk '{ s += $1 } END { if (s == int(s)) printf "%d\n", s; else print s }'
}

# t::build APP_DIR SLUG [heroku build options...]: builds with the snapshot buildpack first.
t::build() {
  local app=$1 slug=$2
  shift 2
  "$HEROKU" build "$app" --buildpack "$BUILDPACK" --slug "$slug" --cache "$SHARED_CACHE" \
    --env DYNOSTATSD_BUILD_JOBS=2 "$@"
}

# t::agent_pids DYNO_ID: PIDs (inside the dyno) of running agents.
t::agent_pids() {
  # shellcheck disable=SC2016
  "$HEROKU" exec "$1" -- 'for p in /proc/[0-9]*; do
    [[ $(tr "\0" " " 2>/dev/null <"$p/cmdline") == */.dynostatsd/bin/dynostatsd\ run* ]] && echo "${p#/proc/}"
  done; true'
}

# t::send DYNO_ID PORT PAYLOAD...: datagrams sent from inside the dyno with bash's /dev/udp.
t::send() {
  local id=$1 port=$2
  shift 2
  local script="" p
  for p in "$@"; do
    script+="printf '%s' '${p}' >/dev/udp/127.0.0.1/${port}; "
  done
  "$HEROKU" exec "$id" -- "$script"
}
