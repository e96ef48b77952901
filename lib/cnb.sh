#!/usr/bin/env bash
# The Cloud Native Buildpack's layers (buildpack API 0.10): `agent` (launch + cache: the binary and the
# exec.d program, keyed like the classic cache) and `build-cache` (cache only: the fetched build
# dependencies and the keyed copy of the agent, the classic CACHE_DIR layout).

# cnb::stack: the name the cache key and messages use for the run image: heroku-22/24/26 for
# Ubuntu 22.04/24.04/26.04 (as on Cedar), else <distro>-<version>.
cnb::stack() {
  local name=${CNB_TARGET_DISTRO_NAME:-unknown} version=${CNB_TARGET_DISTRO_VERSION:-unknown}
  case "${name}-${version}" in
    ubuntu-22.04) echo heroku-22 ;;
    ubuntu-24.04) echo heroku-24 ;;
    ubuntu-26.04) echo heroku-26 ;;
    *) echo "${name}-${version}" ;;
  esac
}

# cnb::layer_key LAYER: the cache_key recorded in LAYER.toml's [metadata] (empty when none). The
# lifecycle restores LAYER.toml (and, for a cache layer, its contents) before bin/build runs.
cnb::layer_key() {
  local toml="${1}.toml" line
  [[ -f $toml ]] || return 0
  while IFS= read -r line; do
    if [[ $line =~ ^cache_key[[:space:]]*=[[:space:]]*\"([0-9a-f]+)\"$ ]]; then
      echo "${BASH_REMATCH[1]}"
      return 0
    fi
  done <"$toml"
}

# cnb::write_layer_toml LAYER KEY
cnb::write_layer_toml() {
  printf '%s\n' "[types]" "launch = true" "build = false" "cache = true" "" "[metadata]" "cache_key = \"${2}\"" >"${1}.toml"
}

# cnb::write_cache_toml DIR: a cache-only layer (not in the image, restored on the next build).
cnb::write_cache_toml() {
  printf '%s\n' "[types]" "launch = false" "build = false" "cache = true" >"${1}.toml"
}

# cnb::install_exec_d BUILDPACK_DIR LAYER: the program the launcher runs before every process.
cnb::install_exec_d() {
  mkdir -p "${2}/exec.d"
  install -m 0755 "${1}/profile.d/exec.d.sh" "${2}/exec.d/dynostatsd"
}
