#!/usr/bin/env bash
# Usage: bash bench/run.sh          (what `make bench` runs; about 6-9 minutes)
#
# Builds dynostatsd and the load generator in Release mode, installs Etsy statsd (the original
# StatsD server, npm package `statsd`) into bench/.peers/ the first time, then runs every scenario
# against both servers several times and prints the table of medians (bench/out/results.md).
#
# Knobs (environment): BENCH_BUILD (build dir, default build-bench), BENCH_REPEATS (default 3),
# BENCH_SCENARIOS (default 1,2,3,4,5; 7 = the 2 ms-burst what-if), BENCH_TARGETS (default dynostatsd,etsy-statsd),
# BENCH_PROFILE=1 (perf-record dynostatsd during scenario 2; report in bench/out/perf.txt),
# BENCH_OUT (default bench/out). Loopback traffic only; every count and duration is bounded.
set -euo pipefail
shopt -s inherit_errexit

cd "$(dirname "$0")/.."
readonly build="${BENCH_BUILD:-build-bench}"
readonly out="${BENCH_OUT:-bench/out}"
readonly python=/usr/bin/python3
readonly etsy_version=0.9.0
readonly peers=bench/.peers

bench::build() {
  echo "-----> Building dynostatsd and loadgen (Release) in ${build}"
  mkdir -p "${out}"
  if ! { cmake -S . -B "${build}" -DCMAKE_BUILD_TYPE=Release &&
    cmake --build "${build}" -j 2 --target dynostatsd loadgen; } >"${out}/build.log" 2>&1; then
    tail -30 "${out}/build.log" >&2
    echo " !     Build failed (full log: ${out}/build.log)" >&2
    return 1
  fi
}

# Etsy statsd from npm, once; the benchmark still runs (ours only) when npm is unavailable.
bench::install_etsy() {
  local stats_js="${peers}/node_modules/statsd/stats.js"
  if [[ ! -f ${stats_js} ]] && command -v npm >/dev/null; then
    echo "-----> Installing Etsy statsd ${etsy_version} into ${peers}" >&2
    mkdir -p "${peers}"
    npm install --prefix "${peers}" --no-audit --no-fund --ignore-scripts --omit=optional \
      "statsd@${etsy_version}" >/dev/null 2>&1 || true
  fi
  if [[ -f ${stats_js} ]] && command -v node >/dev/null; then
    echo "${stats_js}"
  fi
}

bench::profile_report() {
  [[ -f ${out}/perf.data ]] || return 0
  perf report -i "${out}/perf.data" --stdio --no-children --sort dso,symbol --percent-limit 0.5 2>/dev/null |
    grep -v -e '^#' -e '^$' | sed -e 's/  */ /g' -e 's/ - - *$//' | head -60 >"${out}/perf.txt" || true
  echo "-----> Profile of dynostatsd during scenario 2: ${out}/perf.txt"
  head -30 "${out}/perf.txt"
}

main() {
  bench::build
  local etsy targets="${BENCH_TARGETS:-dynostatsd,etsy-statsd}"
  etsy="$(bench::install_etsy | tail -1)"
  if [[ ${etsy} != *stats.js ]]; then
    echo "       Etsy statsd unavailable (npm/node missing or offline): measuring dynostatsd only"
    targets=dynostatsd
    etsy=""
  fi
  local args=(--agent "${build}/agent/dynostatsd" --loadgen "${build}/bench/loadgen" --out "${out}"
    --targets "${targets}" --repeats "${BENCH_REPEATS:-3}" --scenarios "${BENCH_SCENARIOS:-1,2,3,4,5,8}")
  if [[ -n ${etsy} ]]; then
    args+=(--etsy "${etsy}")
  fi
  if [[ ${BENCH_PROFILE:-0} == 1 ]]; then
    args+=(--profile)
  fi
  echo "-----> Running scenarios ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
  "${python}" bench/harness.py "${args[@]}"
  bench::profile_report
  echo "-----> Memory: idle log-only, idle with a key, 10k and 100k contexts (medians of 3)"
  "${python}" bench/measure_memory.py "${build}/agent/dynostatsd" "${build}/bench/loadgen" --runs 3 |
    tee "${out}/memory.txt"
  echo "-----> Results: ${out}/results.md, ${out}/results.json, ${out}/memory.txt (raw runs in ${out}/runs/)"
}

main "$@"
