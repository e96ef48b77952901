#!/usr/bin/env bash
# Usage: scripts/fuzz.sh [seconds]   (default 30, per target)
# Builds the libFuzzer targets with clang-14 libFuzzer, ASan and UBSan into build-fuzz/, then
# fuzzes each for that many seconds starting from its seeds:
#   parse_fuzz  the DogStatsD parser (test/fuzz/parse_fuzz.cpp + agent/parse/*.cpp), seeds test/fuzz/corpus/
#   drain_fuzz  drain mode's HTTP request parser and Logplex frame/syslog/line parsers
#               (test/fuzz/drain_fuzz.cpp), seeds test/fuzz/drain_corpus/
#   cgroup_text_fuzz  the dyno metrics cgroup/procfs parsers (agent/dyno/cgroup_text.cpp), seeds test/fixtures/cgroup/
# New inputs go to build-fuzz/<target>-corpus/; a crash leaves its input in
# build-fuzz/<target>-crash-* and makes this script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-30}"
if ! [[ $seconds =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh [seconds]" >&2
  exit 2
fi
cxx="$(command -v clang++-14 || command -v clang++ || true)"
if [[ -z $cxx ]]; then
  echo "fuzz: clang++-14 not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 2
fi

out=build-fuzz
mkdir -p "$out"

# fuzz::run NAME SEEDS DICT SOURCES...
fuzz::run() {
  local name="$1" seeds="$2" dict="$3"
  shift 3
  mkdir -p "$out/$name-corpus"
  echo "fuzz: building $out/$name with $cxx"
  "$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Iagent "$@" -o "$out/$name"
  echo "fuzz: running $name for ${seconds}s"
  local status=0
  local args=(-max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048
    -artifact_prefix="$out/$name-" -print_final_stats=1)
  if [[ -n $dict ]]; then args+=(-dict="$dict"); fi
  UBSAN_OPTIONS=print_stacktrace=1 "$out/$name" "${args[@]}" "$out/$name-corpus" "$seeds" || status=$?
  if ((status != 0)); then
    echo "fuzz: $name FAILED (exit $status); reproduce with: $out/$name $out/$name-crash-<id>" >&2
    exit "$status"
  fi
  echo "fuzz: $name: no crash in ${seconds}s"
}

fuzz::run parse_fuzz test/fuzz/corpus test/fuzz/dogstatsd.dict test/fuzz/parse_fuzz.cpp agent/parse/*.cpp
fuzz::run drain_fuzz test/fuzz/drain_corpus "" test/fuzz/drain_fuzz.cpp agent/drain/logplex_body.cpp \
  agent/drain/line_deriver.cpp agent/drain/http_request_parser.cpp agent/enrich/enricher.cpp
fuzz::run cgroup_text_fuzz test/fixtures/cgroup "" test/fuzz/cgroup_text_fuzz.cpp agent/dyno/cgroup_text.cpp
