#!/usr/bin/env bash
# Downloads the official spec files the tests validate against, from their official repositories at
# pinned commits, into DEST (default ~/.cache/dynostatsd/specs, where scripts/specs.sh looks):
#   DEST/datadog-api/series-schemas.json  the OpenAPI fragments for the payloads dynostatsd sends,
#       extracted (YAML -> JSON, verbatim) from DataDog/datadog-api-client-python's
#       .generator/schemas/v{1,2}/openapi.yaml, in the layout test/e2e/fake_intake.py reads
#   DEST/otlp-proto/...                   open-telemetry/opentelemetry-proto's metrics .proto files
#   DEST/datadog-api/agent_payload.proto  DataDog/agent-payload's protobuf definitions (reference)
# Needs internet (raw.githubusercontent.com), curl, python3 and python3-yaml (make deps installs them).
# Usage: bash scripts/fetch-specs.sh [DEST]
set -euo pipefail

dest=${1:-"${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/dynostatsd/specs"}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
raw=https://raw.githubusercontent.com
# The commits the project's own copies were taken from (recorded in series-schemas.json "source").
dd_repo=DataDog/datadog-api-client-python
dd_v1=6d8f356e4a3fdf83307c9db00e7a081d56a47ea5
dd_v2=0378139ec6ab769c1f9ffc46f8e4d02b780bd3ff
payload_repo=DataDog/agent-payload
payload_commit=9e27b06757db73581484382d8c0772b3e7f1e009
otlp_repo=open-telemetry/opentelemetry-proto
otlp_commit=ac2c4b5d1f3a6079de62f9afec860158ecc8af09
otlp_files=(
  LICENSE
  opentelemetry/proto/collector/metrics/v1/metrics_service.proto
  opentelemetry/proto/metrics/v1/metrics.proto
  opentelemetry/proto/common/v1/common.proto
  opentelemetry/proto/resource/v1/resource.proto
)

get() { # get REPO COMMIT PATH OUT
  mkdir -p "$(dirname "$4")"
  echo "fetch-specs: ${1}@${2:0:12}:${3}"
  if ! curl -fsSL --retry 2 -o "$4" "${raw}/${1}/${2}/${3}"; then
    echo "fetch-specs: could not download ${raw}/${1}/${2}/${3} (no internet access?)" >&2
    exit 1
  fi
}

/usr/bin/python3 -c 'import yaml' 2>/dev/null || {
  echo "fetch-specs: python3-yaml is missing (make deps, or apt-get install python3-yaml)" >&2
  exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
get "$dd_repo" "$dd_v1" .generator/schemas/v1/openapi.yaml "${work}/v1.yaml"
get "$dd_repo" "$dd_v2" .generator/schemas/v2/openapi.yaml "${work}/v2.yaml"
get "$payload_repo" "$payload_commit" proto/metrics/agent_payload.proto "${work}/out/datadog-api/agent_payload.proto"
for file in "${otlp_files[@]}"; do
  get "$otlp_repo" "$otlp_commit" "$file" "${work}/out/otlp-proto/${file}"
done
/usr/bin/python3 "${here}/lib/extract_schemas.py" "${work}/v1.yaml" "$dd_v1" "${work}/v2.yaml" "$dd_v2" \
  >"${work}/out/datadog-api/series-schemas.json"
mkdir -p "$(dirname "$dest")"
rm -rf "${dest}.partial"
mv "${work}/out" "${dest}.partial"
rm -rf "$dest"
mv "${dest}.partial" "$dest"
echo "fetch-specs: done: ${dest} (scripts/specs.sh finds it; re-run cmake)"
