#!/usr/bin/env bash
# From a bare Debian/Ubuntu machine (no make, no git: e.g. debootstrap minbase or the debian:12
# container) to one where `make demo` and `make test` work. Needs only bash; run it as root from the
# source tree: bash scripts/bootstrap.sh
# Installs make and git, then runs `make deps` (scripts/deps.sh), and says where the spec files the
# tests validate against come from (scripts/specs.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ $(id -u) -ne 0 ]]; then
  echo "bootstrap: run as root (it installs packages), or install them yourself:"
  bash scripts/deps.sh || true
  echo "  (plus: apt-get install -y --no-install-recommends make git)"
  exit 1
fi
if ! command -v make >/dev/null || ! command -v git >/dev/null; then
  echo "bootstrap: installing make and git"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends make git ca-certificates
fi
make deps
if dir=$(bash scripts/specs.sh 2>/dev/null); then
  echo "bootstrap: spec files for the tests: ${dir}"
else
  bash scripts/specs.sh || true # prints what is missing and the three ways to get it
fi
echo "bootstrap: done. Next: make demo   (or: make test)"
