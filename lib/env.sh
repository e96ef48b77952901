#!/usr/bin/env bash
# Config vars during the build: Heroku passes them as files in ENV_DIR (one file per variable),
# not in the environment. We read only the few the build itself needs, and never print values.

# env::get ENV_DIR NAME [DEFAULT]: the config var's value, or DEFAULT when it is not set.
env::get() {
  local env_dir=$1 name=$2 default=${3:-}
  if [[ -n $env_dir && -f "${env_dir}/${name}" ]]; then
    cat "${env_dir}/${name}"
  else
    echo "$default"
  fi
}

# env::is_true VALUE: true for 1/true/yes/on (any case, surrounding blanks ignored). The rule is the
# agent's config::isTrue (`dynostatsd is-true VALUE`); this copy exists only because the build-time
# switches (DYNOSTATSD_SKIP_BUILD, DYNOSTATSD_CLEAR_CACHE) are read before the binary is built.
# test/buildpack/test_boot.sh checks that both answer alike on the same table.
env::is_true() {
  local value=${1,,}
  value=${value#"${value%%[![:space:]]*}"}
  value=${value%"${value##*[![:space:]]}"}
  [[ $value =~ ^(1|true|yes|on)$ ]]
}

# env::stack_arch: the dpkg architecture (amd64, arm64) - never hard-code x86_64.
env::arch() {
  dpkg --print-architecture 2>/dev/null || uname -m
}
