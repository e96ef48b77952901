#!/usr/bin/env bash
# The agent binary: compiled from agent/ with the stack's own g++ and cmake, or restored from CACHE_DIR
# when nothing that affects it changed (sources, STACK, architecture, compiler, cmake).

# agent::cache_key BUILDPACK_DIR STACK CXX: 16 hex digits naming one exact build.
agent::cache_key() {
  local buildpack_dir=$1 stack=$2 cxx=$3 sources
  sources=$(cd "$buildpack_dir" &&
    find CMakeLists.txt agent vendor lib/agent.sh lib/deps.sh -type f -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum)
  printf '%s\n' "sources=${sources%% *}" "stack=${stack}" "arch=$(env::arch)" \
    "cxx=$("$cxx" --version | head -n1)" "cmake=$(cmake --version | head -n1)" |
    sha256sum | cut -c1-16
}

# agent::restore CACHE_DIR KEY DEST: copies the cached binary for KEY to DEST; fails if there is none.
agent::restore() {
  local cached="${1}/dynostatsd/agent"
  [[ -f "${cached}/key" && $(cat "${cached}/key") == "$2" && -x "${cached}/dynostatsd" ]] || return 1
  install -m 0755 "${cached}/dynostatsd" "$3"
}

# agent::compile BUILDPACK_DIR CACHE_DIR KEY DEPS_PREFIX CXX JOBS DEST
agent::compile() {
  local buildpack_dir=$1 cache_dir=$2 key=$3 deps_prefix=$4 cxx=$5 jobs=$6 dest=$7
  local obj log started
  obj=$(mktemp -d "${TMPDIR:-/tmp}/dynostatsd-obj.XXXXXX")
  log="${obj}/build.log"
  started=$SECONDS
  output::step "Compiling the agent (${cxx} $("$cxx" -dumpfullversion 2>/dev/null || "$cxx" -dumpversion), cmake $(cmake --version | head -n1 | cut -d" " -f3), Release, ${jobs} jobs)"
  output::indent "The first build on a stack takes a minute or two; later builds reuse the cached agent."
  # -ffile-prefix-map keeps the buildpack's and the object tree's paths out of the binary;
  # no RPATH: every shared library comes from the stack's standard directories.
  if ! {
    cmake -S "$buildpack_dir" -B "$obj" \
      -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_COMPILER="$(command -v "$cxx")" \
      -DCMAKE_CXX_FLAGS="-ffile-prefix-map=${buildpack_dir}=dynostatsd -ffile-prefix-map=${obj}=obj" \
      -DCMAKE_EXE_LINKER_FLAGS="-s" \
      -DCMAKE_SKIP_RPATH=ON \
      -DDYNOSTATSD_TESTS=OFF -DDYNOSTATSD_BENCH=OFF \
      -DDYNOSTATSD_DEPS_PREFIX="$deps_prefix" &&
      cmake --build "$obj" --target dynostatsd -j "$jobs"
  } >"$log" 2>&1; then
    tail -n 40 "$log" | output::indent >&2
    output::error "The agent failed to compile." \
      "The compiler output above shows the first errors (the stack's g++ may be older than ours)." \
      "Retry the build once; if it fails again, report it with the lines above and your STACK." \
      "To deploy without the agent meanwhile: heroku config:set DYNOSTATSD_SKIP_BUILD=true"
    rm -rf "$obj"
    return 1
  fi
  install -m 0755 "${obj}/agent/dynostatsd" "$dest"
  output::indent "Done in $((SECONDS - started)) s"

  # Keep the binary and what it was built from: the next build with the same key reuses it, and
  # build-info/ shows which headers and flags went in (tests prove no system yaml-cpp/CLI11 was used).
  local cached="${cache_dir}/dynostatsd/agent"
  rm -rf "$cached"
  mkdir -p "${cached}/build-info"
  install -m 0755 "$dest" "${cached}/dynostatsd"
  cp "${obj}/compile_commands.json" "${cached}/build-info/" 2>/dev/null || true
  find "$obj" -name '*.o.d' -exec cat {} + 2>/dev/null | tr -s ' \\\n' '\n' | grep -E '\.(h|hpp|hh|tcc)$|/include/' |
    LC_ALL=C sort -u >"${cached}/build-info/headers.txt" || true
  echo "$key" >"${cached}/key"
  rm -rf "$obj"
}

# agent::check_config AGENT ENV_DIR BUILD_DIR: runs `dynostatsd check-config` with the app's DD_*/
# DYNOSTATSD_* config vars and its dynostatsd.yml, and warns (never fails the build) when the agent
# would refuse to start at boot. The agent masks the API key in everything it prints.
agent::check_config() {
  local agent=$1 env_dir=$2 build_dir=$3 out status=0
  out=$(
    cd "$build_dir" || exit 0
    for file in "${env_dir}"/*; do
      name=${file##*/}
      [[ -f $file && $name =~ ^(DD_[A-Z0-9_]+|DYNOSTATSD_[A-Z0-9_]+|HEROKU_APP_NAME)$ ]] || continue
      export "${name}=$(cat "$file")"
    done
    "$agent" check-config 2>&1 >/dev/null
  ) || status=$?
  if ((status == 2)); then
    output::warning "The agent will not start with this configuration:" "$out" "" \
      "Fix the setting named above (heroku config:set NAME=value, or dynostatsd.yml);" \
      "changing a config var restarts the dynos, no rebuild needed."
  fi
  return 0
}
