#!/usr/bin/env bash
# Obtains the build dependencies no Heroku image has (yaml-cpp, CLI11) as the stack's OWN distro
# packages, pinned in vendor/manifest, and unpacks them into DEST (never into the system).
# Usage: vendor/fetch.sh DEST
#   DEST/usr/include and DEST/usr/lib/<triplet>/libyaml-cpp.a exist afterwards; DEST/.manifest records
#   what was unpacked, so a second run with the same pins does nothing.
# Like heroku-buildpack-apt, apt-get runs unprivileged with a private state and cache directory and the
# image's own sources list; apt checks each .deb against the signed index, then we check the pinned
# sha256 from the manifest. Env: DYNOSTATSD_DISTRO overrides the distro read from /etc/os-release.
set -euo pipefail
shopt -s inherit_errexit

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
manifest="${DYNOSTATSD_MANIFEST:-${here}/manifest}"

fetch::distro() {
  if [[ -n ${DYNOSTATSD_DISTRO:-} ]]; then
    echo "$DYNOSTATSD_DISTRO"
    return
  fi
  local ID="" VERSION_CODENAME=""
  # shellcheck disable=SC1091
  source /etc/os-release
  echo "${ID}-${VERSION_CODENAME}"
}

# fetch::pins DISTRO ARCH: the manifest lines that apply ("package version sha256 suite"), comments
# dropped; suite is "-" unless the line names another suite of the same distro to fetch it from.
fetch::pins() {
  awk -v d="$1" -v a="$2" '!/^[[:space:]]*#/ && NF >= 5 && $1 == d && $2 == a { print $3, $4, $5, (NF >= 6 ? $6 : "-") }' "$manifest"
}

# fetch::extra_sources DIR PINS: the image's own source parts, plus one line per extra suite the pins
# name (same mirror, same keyring), in DIR.
fetch::extra_sources() {
  local dir=$1 pins=$2 suite
  mkdir -p "$dir"
  cp -a /etc/apt/sources.list.d/. "$dir/" 2>/dev/null || true
  local file uri=""
  for file in /etc/apt/sources.list "$dir"/*.list "$dir"/*.sources; do
    if [[ -f $file && -z $uri ]]; then
      uri=$(awk '/^deb / && !u { u = $2 } /^URIs:/ && !u { u = $2 } END { print u }' "$file")
    fi
  done
  while read -r suite; do
    if [[ -n $suite ]]; then echo "deb ${uri} ${suite} main" >>"${dir}/dynostatsd-extra.list"; fi
  done <<<"$(awk '$4 != "-" { print $4 }' <<<"$pins" | sort -u)"
}

fetch::apt() {
  local state=$1
  shift
  local parts="${state}/sources.list.d"
  apt-get -q \
    -o Debug::NoLocking=1 \
    -o Dir::State="${state}/state" \
    -o Dir::Cache="${state}/cache" \
    -o Dir::Etc::SourceList=/etc/apt/sources.list \
    -o Dir::Etc::SourceParts="$parts" \
    -o APT::Sandbox::User="$(id -un)" \
    "$@"
}

main() {
  local dest=${1:?usage: vendor/fetch.sh DEST}
  local distro arch pins
  distro=$(fetch::distro)
  arch=$(dpkg --print-architecture)
  pins=$(fetch::pins "$distro" "$arch")
  if [[ -z $pins ]]; then
    echo "fetch: no pins for ${distro} ${arch} in vendor/manifest" >&2
    return 3
  fi
  if [[ -f "${dest}/.manifest" && $(cat "${dest}/.manifest") == "$pins" ]]; then
    echo "Using cached yaml-cpp and CLI11 for ${distro} ${arch}"
    return 0
  fi

  local work
  work=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '${work}' '${dest}.partial'" EXIT
  mkdir -p "${work}/state/lists/partial" "${work}/cache/archives/partial" "${work}/debs"
  fetch::extra_sources "${work}/sources.list.d" "$pins"
  echo "Updating a private apt index (${distro} ${arch})"
  if ! fetch::apt "$work" update >"${work}/update.log" 2>&1; then
    cat "${work}/update.log" >&2
    echo "fetch: apt-get update failed" >&2
    return 4
  fi

  local package version want suite got
  rm -rf "${dest}.partial"
  mkdir -p "${dest}.partial"
  while read -r package version want suite; do
    [[ $suite == - ]] || suite=" (from ${suite})"
    if ! (cd "${work}/debs" && fetch::apt "$work" download "${package}=${version}") >"${work}/download.log" 2>&1; then
      cat "${work}/download.log" >&2
      echo "fetch: could not download ${package} ${version} for ${distro} ${arch}" >&2
      return 5
    fi
    local deb
    deb=$(find "${work}/debs" -name "${package}_*.deb" | head -n1)
    got=$(sha256sum "$deb" | cut -d' ' -f1)
    if [[ $want == unverified ]]; then
      echo "${package} ${version} sha256 ${got} (not pinned yet: trusted via apt's signed index)"
    elif [[ $got != "$want" ]]; then
      echo "fetch: sha256 mismatch for ${package} ${version}: expected ${want}, got ${got}" >&2
      return 6
    else
      echo "${package} ${version} sha256 verified${suite/#-/}"
    fi
    dpkg-deb -x "$deb" "${dest}.partial"
  done <<<"$pins"
  echo "$pins" >"${dest}.partial/.manifest"
  rm -rf "$dest"
  mv "${dest}.partial" "$dest"
}

main "$@"
