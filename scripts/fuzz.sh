#!/usr/bin/env bash
# Usage: scripts/fuzz.sh [seconds]   (default 30, per target)
# Builds the DogStatsD parser fuzz target (test/fuzz/parse_fuzz.cpp + agent/parse/*.cpp only) with
# clang-14 libFuzzer, ASan and UBSan into build-fuzz/, then fuzzes for that many seconds starting
# from the seeds in test/fuzz/corpus/. New inputs go to build-fuzz/corpus/; a crash leaves its
# input in build-fuzz/crash-* and makes this script exit non-zero.
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
mkdir -p "$out/corpus"
echo "fuzz: building $out/parse_fuzz with $cxx"
"$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Iagent test/fuzz/parse_fuzz.cpp agent/parse/*.cpp -o "$out/parse_fuzz"

echo "fuzz: running for ${seconds}s"
status=0
UBSAN_OPTIONS=print_stacktrace=1 "$out/parse_fuzz" \
  -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -dict=test/fuzz/dogstatsd.dict -artifact_prefix="$out/" -print_final_stats=1 \
  "$out/corpus" test/fuzz/corpus || status=$?
if ((status != 0)); then
  echo "fuzz: FAILED (exit $status); reproduce with: $out/parse_fuzz $out/crash-<id>" >&2
  exit "$status"
fi
echo "fuzz: no crash in ${seconds}s"

# The cgroup/procfs parsers of the dyno metrics (agent/dyno/cgroup_text.cpp), seeded with the
# fixture trees' files.
echo "fuzz: building $out/cgroup_text_fuzz with $cxx"
mkdir -p "$out/cgroup-corpus"
"$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Iagent test/fuzz/cgroup_text_fuzz.cpp agent/dyno/cgroup_text.cpp -o "$out/cgroup_text_fuzz"
status=0
UBSAN_OPTIONS=print_stacktrace=1 "$out/cgroup_text_fuzz" \
  -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$out/cgroup-" -print_final_stats=1 \
  "$out/cgroup-corpus" test/fixtures/cgroup || status=$?
if ((status != 0)); then
  echo "fuzz: FAILED (exit $status); reproduce with: $out/cgroup_text_fuzz $out/cgroup-crash-<id>" >&2
  exit "$status"
fi
echo "fuzz: cgroup_text: no crash in ${seconds}s"
