#!/usr/bin/env bash
# Installs the Debian packages needed to build, test, lint and benchmark dynostatsd.
# Usage: scripts/deps.sh   (as root; otherwise prints the apt-get command to run)
set -euo pipefail

packages=(
  g++ cmake make pkg-config git
  libuv1-dev libcurl4-openssl-dev libssl-dev zlib1g-dev libzstd-dev
  libyaml-cpp-dev libcli11-dev catch2
  clang libclang-rt-14-dev clang-format clang-tidy shellcheck shfmt
  python3 python3-jsonschema netcat-openbsd curl zstd
  python3-statsd python3-aiodogstatsd ruby-statsd ruby
  graphite-carbon python3-whisper openssl
  debootstrap util-linux iproute2 procps
  python3-yaml protobuf-compiler python3-protobuf
  g++-aarch64-linux-gnu qemu-user-static
)
# The example app and the npm clients; without recommends (X11, mesa, a terminal emulator: ~200
# packages more).
node_packages=(nodejs npm)

if [[ $(id -u) -ne 0 ]]; then
  echo "Run as root: apt-get update && apt-get install -y --no-install-recommends ${packages[*]} ${node_packages[*]}"
  exit 1
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v npm >/dev/null || apt-get install -y -qq --no-install-recommends "${node_packages[@]}"
echo "deps: all $((${#packages[@]} + ${#node_packages[@]})) packages present"
