#!/usr/bin/env bash
# The ONE place that locates the official spec files the tests validate against:
#   datadog-api/series-schemas.json   Datadog's OpenAPI schema fragments (fake intake, e2e tests)
#   otlp-proto/opentelemetry/proto/   the OpenTelemetry .proto files (protoc decoding in tests)
# Prints the directory holding both, first match wins:
#   1. $DYNOSTATSD_SHARED_DIR, when set (then it must be complete: no silent fallback)
#   2. ../shared next to the repository (the project's own checkout layout)
#   3. ~/.cache/dynostatsd/specs, where scripts/fetch-specs.sh puts them
# Otherwise exits 1 naming what is missing and how to get it. CMake (test/CMakeLists.txt) and
# test/e2e/fake_intake.py ask this script; nothing else guesses a path.
# Usage: scripts/specs.sh
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/dynostatsd/specs"
required=(
  datadog-api/series-schemas.json
  otlp-proto/opentelemetry/proto/collector/metrics/v1/metrics_service.proto
  otlp-proto/opentelemetry/proto/metrics/v1/metrics.proto
  otlp-proto/opentelemetry/proto/common/v1/common.proto
  otlp-proto/opentelemetry/proto/resource/v1/resource.proto
)

# specs::missing DIR: the required files DIR lacks, one per line (nothing when complete).
specs::missing() {
  local file
  for file in "${required[@]}"; do
    [[ -f "${1}/${file}" ]] || echo "$file"
  done
}

specs::fail() {
  local where=$1 missing=$2
  {
    echo "specs: the official spec files the tests validate against are missing (${where}):"
    local file
    while read -r file; do echo "  - ${file}"; done <<<"$missing"
    echo "Get them one of these ways:"
    echo "  1. put the project's shared folder next to the repository (../shared), or"
    echo "  2. point DYNOSTATSD_SHARED_DIR at a folder holding datadog-api/ and otlp-proto/, or"
    echo "  3. run: bash scripts/fetch-specs.sh   (downloads them from DataDog/datadog-api-client-python"
    echo "     and open-telemetry/opentelemetry-proto at pinned commits into ${cache}; needs internet)"
    echo "Then re-run cmake (make build) so the tests pick the folder up."
  } >&2
  exit 1
}

main() {
  local dir missing
  if [[ -n ${DYNOSTATSD_SHARED_DIR:-} ]]; then
    missing=$(specs::missing "$DYNOSTATSD_SHARED_DIR")
    [[ -z $missing ]] || specs::fail "DYNOSTATSD_SHARED_DIR=${DYNOSTATSD_SHARED_DIR}" "$missing"
    (cd "$DYNOSTATSD_SHARED_DIR" && pwd)
    return
  fi
  for dir in "${repo}/../shared" "$cache"; do
    if [[ -d $dir && -z $(specs::missing "$dir") ]]; then
      (cd "$dir" && pwd)
      return
    fi
  done
  specs::fail "not in ../shared nor ${cache}, DYNOSTATSD_SHARED_DIR unset" "$(printf '%s\n' "${required[@]}")"
}

main "$@"
