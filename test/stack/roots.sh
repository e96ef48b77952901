#!/usr/bin/env bash
# Builds (once per machine) the Debian roots the stack tests run in:
#   build root:   what a Heroku build image gives us (compiler, cmake, -dev libs, apt), NO yaml-cpp/CLI11
#   run root:     what a Heroku run image gives us (runtime libraries, bash, coreutils, procps), no compiler
#   sysroot root: a FOREIGN-architecture tree (STACK_ARCH=arm64) for cross-compiling and for qemu-aarch64's
#                 -L: the -dev packages and runtime libraries unpacked, never executed (no binfmt needed)
# Each Ubuntu stack is stood in for by a Debian release whose build inputs are no newer than the stack's:
#   bullseye (g++ 10, cmake 3.18, libcurl 7.74, libuv 1.40) <= heroku-22 (g++ 11, cmake 3.22, 7.81, 1.43)
#   bookworm (g++ 12, cmake 3.25, libcurl 7.88, libuv 1.44)  ~  heroku-24 (g++ 13, cmake 3.28, 8.5, 1.48)
#   trixie   (g++ 14, cmake 3.31, libcurl 8.14, libuv 1.50)  ~  heroku-26's newer toolchain (g++ 15)
# Usage: source test/stack/roots.sh; stack::ensure_root build|run|sysroot   (prints the root's path)
# Roots live in DYNOSTATSD_STACK_CACHE (default /var/cache/dynostatsd-stack), keyed by suite,
# architecture and package list.

STACK_SUITE="${STACK_SUITE:-bookworm}"
STACK_ARCH="${STACK_ARCH:-$(dpkg --print-architecture)}"
STACK_CACHE="${DYNOSTATSD_STACK_CACHE:-/var/cache/dynostatsd-stack}"
STACK_BUILD_PACKAGES="g++,cmake,make,pkg-config,libuv1-dev,libcurl4-openssl-dev,libssl-dev,zlib1g-dev,libzstd-dev,ca-certificates,apt,gpgv,debian-archive-keyring"
# The -dev packages a cross build of the agent and its tests links against (plus libcurl4 for dlopen).
STACK_SYSROOT_PACKAGES="libc6-dev,libstdc++-12-dev,libuv1-dev,libcurl4-openssl-dev,libcurl4,libssl-dev,zlib1g-dev,libzstd-dev,libyaml-cpp-dev,libcli11-dev,catch2"

# stack::run_packages SUITE: the run image's libraries under that release's package names.
stack::run_packages() {
  local uv=libuv1 curl=libcurl4 ssl=libssl3
  case $1 in
    bullseye) ssl=libssl1.1 ;;
    bookworm) ;;
    *) uv=libuv1t64 curl=libcurl4t64 ssl=libssl3t64 ;; # trixie and later: the 64-bit time_t renames
  esac
  echo "${uv},${curl},${ssl},zlib1g,libzstd1,libstdc++6,bash,coreutils,procps,util-linux"
}

# The mirror apt uses on this machine (deb822 or one-line sources), so debootstrap reaches the same one.
stack::mirror() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1)
  if [[ -z $uri ]]; then
    uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | grep debian | head -n1)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# stack::relink ROOT: absolute symlinks inside an unpacked root (libz.so -> /lib/...) point into
# the root instead of at this machine's files; a linker or qemu -L would follow them out of it.
stack::relink() {
  local root=$1 link target candidate
  while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    for candidate in "${root}${target}" "${root}/usr${target}"; do
      if [[ -e $candidate ]]; then
        ln -sfr "$candidate" "$link"
        break
      fi
    done
  done < <(find "$root" -xdev -type l -lname '/*' -print0)
}

# stack::ensure_root KIND: creates the root if missing or built from another package list.
stack::ensure_root() {
  local kind=$1 packages root key log started foreign=()
  case $kind in
    build) packages=$STACK_BUILD_PACKAGES ;;
    run) packages=$(stack::run_packages "$STACK_SUITE") ;;
    sysroot) packages=$STACK_SYSROOT_PACKAGES ;;
    *)
      echo "stack: unknown root kind ${kind}" >&2
      return 1
      ;;
  esac
  root="${STACK_CACHE}/${STACK_SUITE}-${kind}"
  [[ $STACK_ARCH == "$(dpkg --print-architecture)" ]] || root="${STACK_CACHE}/${STACK_SUITE}-${STACK_ARCH}-${kind}"
  key="${STACK_SUITE} ${STACK_ARCH} minbase ${packages}"
  [[ $kind == sysroot ]] && key+=" relinked"
  if [[ -f "${root}/.dynostatsd-root" && $(cat "${root}/.dynostatsd-root") == "$key" ]]; then
    echo "$root"
    return 0
  fi
  # A sysroot is only unpacked (first stage), so it works without binfmt_misc for the foreign arch.
  [[ $kind == sysroot ]] && foreign=(--foreign)
  mkdir -p "$STACK_CACHE"
  rm -rf "$root" "${root}.partial"
  log="${root}.log"
  started=$SECONDS
  echo "stack: creating ${kind} root ${root} (debootstrap ${STACK_SUITE} ${STACK_ARCH}, once per machine)" >&2
  if ! debootstrap --variant=minbase --arch="$STACK_ARCH" "${foreign[@]}" --include="$packages" \
    "$STACK_SUITE" "${root}.partial" "$(stack::mirror)" >"$log" 2>&1; then
    echo "stack: debootstrap failed, see ${log}" >&2
    tail -n 20 "$log" >&2
    return 1
  fi
  if [[ $kind == sysroot ]]; then
    # Unpack every downloaded package (the second stage would, but it runs target binaries).
    local deb
    for deb in "${root}.partial"/var/cache/apt/archives/*.deb; do
      dpkg-deb -x "$deb" "${root}.partial" || return 1
    done
    stack::relink "${root}.partial"
  fi
  # apt inside the build root needs the same sources list the machine uses.
  if [[ $kind == build ]]; then
    echo "deb $(stack::mirror) ${STACK_SUITE} main" >"${root}.partial/etc/apt/sources.list"
  fi
  echo "$key" >"${root}.partial/.dynostatsd-root"
  mv "${root}.partial" "$root"
  echo "stack: ${kind} root ${root} created in $((SECONDS - started)) s" >&2
  echo "$root"
}
