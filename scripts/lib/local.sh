#!/usr/bin/env bash
# Helpers shared by scripts/demo.sh and the buildpack tests (sourced, not run): free local ports,
# waiting for a log line, sharing a compiled agent between build caches. Needs /usr/bin/python3.

# free_port tcp|udp: a 127.0.0.1 port nobody is bound to right now (never a fixed 8125, which a
# real agent on this machine may hold).
free_port() {
  /usr/bin/python3 -c '
import socket, sys
kind = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, kind); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

# wait_for_line FILE REGEX SECONDS: returns once FILE has a line matching the extended REGEX;
# returns 1 after SECONDS.
wait_for_line() {
  local file=$1 regex=$2 seconds=$3 deadline
  deadline=$((SECONDS + seconds))
  until grep -qE -- "$regex" "$file" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# The build cache the buildpack tests share (test/buildpack/lib.sh: SHARED_CACHE).
# shellcheck disable=SC2034 # used by the files that source this one
TEST_BUILD_CACHE=${DYNOSTATSD_TEST_CACHE:-/var/tmp/dynostatsd-buildpack-test-cache}

# share_agent_cache FROM TO: copies the agent bin/compile keyed into build cache FROM
# (dynostatsd/agent/{key,dynostatsd}) into build cache TO, unless TO holds one with the same key:
# the example's own cache (npm too) then restores the agent the buildpack tests compiled. bin/compile
# still checks the key, so an entry built from other sources is never used.
share_agent_cache() {
  local from="${1}/dynostatsd/agent" to="${2}/dynostatsd/agent"
  [[ -f "${from}/key" && -x "${from}/dynostatsd" ]] || return 0
  [[ -f "${to}/key" && $(cat "${to}/key") == $(cat "${from}/key") ]] && return 0
  mkdir -p "$to" && cp -a "${from}/." "${to}/"
}
