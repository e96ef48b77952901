#!/usr/bin/env bash
# Helpers shared by scripts/demo.sh and test/buildpack/test_example.sh (sourced, not run): free
# local ports and waiting for a log line. Needs /usr/bin/python3.

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
