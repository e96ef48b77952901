#!/usr/bin/env bash
# Builds (once per machine) the two Debian roots the stack test runs in:
#   build root: what a Heroku build image gives us (compiler, cmake, -dev libs, apt), NO yaml-cpp/CLI11
#   run root:   what a Heroku run image gives us (runtime libraries, bash, coreutils, procps), no compiler
# Usage: source test/stack/roots.sh; stack::ensure_root build|run   (prints the root's path)
# Roots live in DYNOSTATSD_STACK_CACHE (default /var/cache/dynostatsd-stack), keyed by their package list.

STACK_SUITE="${STACK_SUITE:-bookworm}"
STACK_CACHE="${DYNOSTATSD_STACK_CACHE:-/var/cache/dynostatsd-stack}"
STACK_BUILD_PACKAGES="g++,cmake,make,pkg-config,libuv1-dev,libcurl4-openssl-dev,libssl-dev,zlib1g-dev,libzstd-dev,ca-certificates,apt,gpgv,debian-archive-keyring"
STACK_RUN_PACKAGES="libuv1,libcurl4,libssl3,zlib1g,libzstd1,libstdc++6,bash,coreutils,procps,util-linux"

# The mirror apt uses on this machine (deb822 or one-line sources), so debootstrap reaches the same one.
stack::mirror() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1)
  if [[ -z $uri ]]; then
    uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | grep debian | head -n1)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# stack::ensure_root KIND: creates the root if missing or built from another package list.
stack::ensure_root() {
  local kind=$1 packages root key
  case $kind in
    build) packages=$STACK_BUILD_PACKAGES ;;
    run) packages=$STACK_RUN_PACKAGES ;;
    *)
      echo "stack: unknown root kind ${kind}" >&2
      return 1
      ;;
  esac
  root="${STACK_CACHE}/${STACK_SUITE}-${kind}"
  key="${STACK_SUITE} minbase ${packages}"
  if [[ -f "${root}/.dynostatsd-root" && $(cat "${root}/.dynostatsd-root") == "$key" ]]; then
    echo "$root"
    return 0
  fi
  mkdir -p "$STACK_CACHE"
  rm -rf "$root" "${root}.partial"
  echo "stack: creating ${kind} root ${root} (debootstrap ${STACK_SUITE}, once per machine)" >&2
  if ! debootstrap --variant=minbase --include="$packages" "$STACK_SUITE" "${root}.partial" "$(stack::mirror)" >"${STACK_CACHE}/${kind}.log" 2>&1; then
    echo "stack: debootstrap failed, see ${STACK_CACHE}/${kind}.log" >&2
    tail -n 20 "${STACK_CACHE}/${kind}.log" >&2
    return 1
  fi
  # apt inside the build root needs the same sources list the machine uses.
  if [[ $kind == build ]]; then
    echo "deb $(stack::mirror) ${STACK_SUITE} main" >"${root}.partial/etc/apt/sources.list"
  fi
  echo "$key" >"${root}.partial/.dynostatsd-root"
  mv "${root}.partial" "$root"
  echo "$root"
}
