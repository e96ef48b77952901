#!/usr/bin/env bash
# make test-arm64: the agent cross-compiled for arm64 (Fir dynos run on ARM Graviton; heroku-24/26
# have arm64 images), its unit tests and end-to-end tests run under qemu-aarch64-static.
#   compiler: Debian's g++-aarch64-linux-gnu (native speed; no emulated compiler)
#   sysroot:  an arm64 Debian bookworm root, debootstrapped once per machine and only unpacked
#             (test/stack/roots.sh, kind "sysroot": libuv, libcurl, OpenSSL, zlib, zstd, yaml-cpp,
#             CLI11, Catch2 as arm64 packages); it is also qemu's -L prefix, so the arm64 binaries load
#             the arm64 libc, libuv and (dlopen) libcurl from it. No binfmt_misc registration needed.
# ctest runs the unit tests through CMAKE_CROSSCOMPILING_EMULATOR, the e2e tests (host python3, real
# sockets, the fake intake) through a wrapper that execs qemu. Left out, and why: e2e_test_memory,
# which measures the RSS and ELF linkage of the process it starts: under qemu that process is the
# emulator, not the agent.
# Env: ARM64_BUILD (build directory, default build-arm64), JOBS (default 2).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
for tool in aarch64-linux-gnu-g++ qemu-aarch64-static debootstrap; do
  command -v "$tool" >/dev/null || {
    echo "test-arm64: ${tool} missing (make deps installs g++-aarch64-linux-gnu, qemu-user-static, debootstrap)" >&2
    exit 1
  }
done
[[ $(id -u) == 0 ]] || {
  echo "test-arm64: needs root once per machine (debootstrap of the arm64 sysroot)" >&2
  exit 1
}
export STACK_SUITE=bookworm STACK_ARCH=arm64
# shellcheck source=test/stack/roots.sh
source "${repo}/test/stack/roots.sh"
started=$SECONDS
sysroot=$(stack::ensure_root sysroot)
echo "FIGURE arm64 sysroot ready in $((SECONDS - started)) s (${sysroot})"
export DYNOSTATSD_SYSROOT=$sysroot

build=${ARM64_BUILD:-build-arm64}
wrapper="${repo}/${build}/dynostatsd-qemu"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
started=$SECONDS
cmake -S . -B "$build" -DCMAKE_TOOLCHAIN_FILE="${repo}/test/arm64/toolchain.cmake" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDYNOSTATSD_BENCH=OFF -DDYNOSTATSD_E2E_BIN="$wrapper" >/dev/null
cmake --build "$build" -j "${JOBS:-2}"
echo "FIGURE arm64 cross build (agent + unit tests): $((SECONDS - started)) s"

agent="${repo}/${build}/agent/dynostatsd"
machine=$(readelf -h "$agent" | awk -F: '/Machine:/ { gsub(/^ +/, "", $2); print $2 }')
[[ $machine == AArch64 ]] || {
  echo "test-arm64: ${agent} is built for [${machine}], not AArch64" >&2
  exit 1
}
printf '#!/bin/sh\n# The arm64 agent under user-mode emulation, its libraries from the arm64 sysroot.\nexec qemu-aarch64-static -L %q %q "$@"\n' \
  "$sysroot" "$agent" >"$wrapper"
chmod +x "$wrapper"
echo "agent: ${machine}, $("$wrapper" --version 2>&1 | head -n1)"

started=$SECONDS
# Emulated, the agent runs several times slower: the tests' wall-clock bounds are scaled (agentlib.py).
export DYNOSTATSD_TIME_SCALE=10
echo "test-arm64: e2e_test_memory is not run: it measures the process it starts, which here is qemu"
ctest --test-dir "$build" --output-on-failure -j 2 -L 'unit|e2e' -E '^e2e_test_memory$'
echo "FIGURE arm64 unit + e2e tests under qemu: $((SECONDS - started)) s"
