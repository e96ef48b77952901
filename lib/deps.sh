#!/usr/bin/env bash
# Build dependencies that the stack image lacks (yaml-cpp, CLI11): fetched by vendor/fetch.sh as the
# stack's own distro packages into CACHE_DIR, so the compile never sees the build machine's copies.

# deps::fetch BUILDPACK_DIR CACHE_DIR STACK: sets DEPS_PREFIX (the prefix to hand to CMake).
deps::fetch() {
  local buildpack_dir=$1 cache_dir=$2 stack=$3 dest
  dest="${cache_dir}/dynostatsd/deps/${stack}-$(env::arch)"
  output::step "Fetching yaml-cpp and CLI11 (pinned in vendor/manifest)"
  local status=0
  "${buildpack_dir}/vendor/fetch.sh" "$dest" 2>&1 | output::indent || status=${PIPESTATUS[0]}
  if ((status == 3)); then
    output::error "No pinned yaml-cpp/CLI11 packages for this stack (${stack}, $(env::arch))." \
      "vendor/manifest lists the exact distro packages per distro and architecture; this one is missing." \
      "Use a supported stack: heroku-22, heroku-24, heroku-26 (locally: Debian bullseye, bookworm, trixie)." \
      "Or add lines for this distro to vendor/manifest and open a pull request."
    return 1
  elif ((status != 0)); then
    output::error "Could not fetch the build dependencies (yaml-cpp, CLI11)." \
      "apt-get could not download or verify a pinned package (see the lines above)." \
      "Retry the build: the package mirror may have been briefly unreachable." \
      "If a checksum mismatched, the mirror serves a different file than the one pinned in vendor/manifest: report it."
    return 1
  fi
  # shellcheck disable=SC2034 # read by bin/compile
  DEPS_PREFIX="${dest}/usr"
}
