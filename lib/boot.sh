#!/usr/bin/env bash
# What runs at dyno boot: the profile.d script (sourced by the dyno's shell) and the supervisor it starts.

# boot::install BUILDPACK_DIR BUILD_DIR
boot::install() {
  local buildpack_dir=$1 build_dir=$2
  mkdir -p "${build_dir}/.profile.d" "${build_dir}/.dynostatsd/bin"
  install -m 0755 "${buildpack_dir}/bin/dynostatsd-supervise" "${build_dir}/.dynostatsd/bin/dynostatsd-supervise"
  install -m 0644 "${buildpack_dir}/profile.d/dynostatsd.sh" "${build_dir}/.profile.d/dynostatsd.sh"
}
