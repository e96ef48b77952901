#!/usr/bin/env bash
# What runs at dyno boot: the profile.d script, sourced by the dyno's shell, which calls
# `dynostatsd supervise` (the boot rules, the supervisor and the log prefixer live in the binary).

# boot::install BUILDPACK_DIR BUILD_DIR
boot::install() {
  local buildpack_dir=$1 build_dir=$2
  mkdir -p "${build_dir}/.profile.d" "${build_dir}/.dynostatsd/bin"
  install -m 0644 "${buildpack_dir}/profile.d/dynostatsd.sh" "${build_dir}/.profile.d/dynostatsd.sh"
}
