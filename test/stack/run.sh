#!/usr/bin/env bash
# shellcheck disable=SC2015,SC2016 # A && pass || fail is the idiom; single-quoted scripts run in the dyno
# make test-stack: the buildpack against Heroku-like images instead of this machine, in every stand-in:
#   bullseye (heroku-22's older toolchain), bookworm (heroku-24), trixie (heroku-26's newer one).
# Usage: test/stack/run.sh [SUITE...]   (default: bullseye bookworm trixie; one root pair per suite)
#   build root: Debian minbase + only what a Heroku build image has for us (g++, cmake, make, pkg-config,
#               libuv/libcurl/libssl/zlib/libzstd -dev, ca-certificates, apt) - NO yaml-cpp, NO CLI11
#   run root:   Debian minbase + the run image's libraries (libuv1, libcurl4, libssl3, zlib1g, libzstd1,
#               libstdc++6) and bash, coreutils, procps - no compiler
# The slug is built chrooted in the build root and booted chrooted in the run root by the local Heroku
# simulator; metrics must reach a fake intake on this machine's loopback. Roots are created once per
# machine with debootstrap into /var/cache/dynostatsd-stack (DYNOSTATSD_STACK_CACHE).
here=$(cd "$(dirname "$0")" && pwd)
if (($# != 1)); then
  (($#)) || set -- bullseye bookworm trixie
  failed=()
  for suite in "$@"; do
    echo "=== stack ${suite}"
    started=$SECONDS
    bash "$0" "$suite" || failed+=("$suite")
    echo "FIGURE stack ${suite}: $((SECONDS - started)) s (roots, cold and cached build, boot, forward, SIGTERM)"
  done
  ((${#failed[@]} == 0)) && echo "stack: every suite passed ($*)" && exit 0
  echo "stack: FAILED in ${failed[*]}"
  exit 1
fi
export STACK_SUITE=$1
# shellcheck source=test/buildpack/lib.sh
source "${here}/../buildpack/lib.sh"
# shellcheck source=test/stack/roots.sh
source "${here}/roots.sh"
t::setup
for tool in debootstrap unshare nsenter chroot; do
  command -v "$tool" >/dev/null || {
    echo "FAIL - ${tool} missing (make deps installs it)"
    exit 1
  }
done

echo "# stack roots"
t0=$(t::now_ms)
build_root=$(stack::ensure_root build) || {
  t::fail "could not create the build root"
  t::finish
  exit 1
}
run_root=$(stack::ensure_root run) || {
  t::fail "could not create the run root"
  t::finish
  exit 1
}
t::figure "stack roots ready in $(($(t::now_ms) - t0)) ms (${build_root}, ${run_root})"
t::check "build root has g++" test -x "${build_root}/usr/bin/g++"
cxx_version=$(chroot "$build_root" g++ -dumpfullversion)
t::figure "${STACK_SUITE}: g++ ${cxx_version}, $(chroot "$build_root" cmake --version | head -n1)," \
  "$(chroot "$build_root" dpkg-query -W -f='libcurl ${Version}, ' libcurl4-openssl-dev)$(chroot "$build_root" dpkg-query -W -f='libuv ${Version}' libuv1-dev)"
t::check "build root has NO yaml-cpp headers" test ! -e "${build_root}/usr/include/yaml-cpp"
t::check "build root has NO CLI11 headers" test ! -e "${build_root}/usr/include/CLI"
t::eq "$(find "${build_root}/usr/lib" -name 'libyaml-cpp*' | wc -l)" 0 "build root has NO libyaml-cpp"
t::check "run root has NO g++" test ! -e "${run_root}/usr/bin/g++"
t::check "run root has NO c++ headers" test ! -e "${run_root}/usr/include/c++"
t::eq "$(find "${run_root}/usr/lib" -name 'libyaml-cpp*' | wc -l)" 0 "run root has NO libyaml-cpp"

echo "# build inside the build root"
BUILDPACK=$(t::snapshot)
cache="${WORK}/cache"
slug="${WORK}/slug.tgz"
t0=$(t::now_ms)
out=$("$HEROKU" build "${FIXTURES}/app" --buildpack "$BUILDPACK" --root "$build_root" --cache "$cache" \
  --slug "$slug" --env DYNOSTATSD_BUILD_JOBS=2 2>&1)
status=$?
t::eq "$status" 0 "slug builds in the stack-faithful build root"
((status == 0)) || echo "$out" | tail -n 40
t::figure "cold build in the build root: $(($(t::now_ms) - t0)) ms"
t::contains "$out" "Compiling the agent (g++ ${cxx_version}" "compiled with the root's own g++"
yaml_pin=$(awk -v d="debian-${STACK_SUITE}" -v a="$(dpkg --print-architecture)" \
  '$1 == d && $2 == a && $3 == "libyaml-cpp-dev" { print $4 }' "${REPO}/vendor/manifest")
t::contains "$out" "libyaml-cpp-dev ${yaml_pin} sha256 verified" "yaml-cpp fetched by the buildpack itself (pinned)"
t0=$(t::now_ms)
out=$("$HEROKU" build "${FIXTURES}/app" --buildpack "$BUILDPACK" --root "$build_root" --cache "$cache" \
  --slug "$slug" --env DYNOSTATSD_BUILD_JOBS=2 2>&1)
t::contains "$out" "Using the cached agent" "second build in the root uses the cache"
t::figure "cached build in the build root: $(($(t::now_ms) - t0)) ms"
t::eq "$(find "${build_root}/tmp" -maxdepth 1 -name 'build_*' | wc -l)" 0 "the build root is left clean"

echo "# boot in the run root"
t::intake_start || {
  t::finish
  exit 1
}
port=$(t::free_udp_port)
id=$("$HEROKU" dyno "$slug" --root "$run_root" --dyno web.1 --app-name stack-app --detach \
  --env DD_DOGSTATSD_PORT="$port" --env DYNOSTATSD_FLUSH_INTERVAL=1 \
  --env DD_API_KEY=stack-test-key --env "DD_DD_URL=${INTAKE_URL}")
t::wait_until 10 bash -c "'$HEROKU' logs '$id' | grep -q 'msg=ready'" && t::pass "agent ready in the run root" || t::fail "no ready line: $("$HEROKU" logs "$id")"
t::eq "$("$HEROKU" exec "$id" -- 'ldd /app/.dynostatsd/bin/dynostatsd | grep -c "not found"')" 0 "every library resolves in the run root"
t::eq "$("$HEROKU" exec "$id" -- 'command -v g++ cc gcc | wc -l')" 0 "no compiler in the dyno"
t::figure "${STACK_SUITE} run root: $(chroot "$run_root" dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' 'libcurl4*' | awk '$1 == "ii" { print $2, $3 }')"
t::send "$id" "$port" "stack.ok:2|c" "stack.ok:3|c"
t::wait_until 10 bash -c "source '${REPO}/test/buildpack/lib.sh'; INTAKE_RECORD='${INTAKE_RECORD}'; [[ \$(t::intake_points stack.ok dyno:web.1 | t::sum) == 5 ]]"
t::eq "$(t::intake_points stack.ok dyno:web.1 | t::sum)" 5 "datagrams from the run-root dyno reach the intake tagged dyno:web.1"
pid=$(t::agent_pids "$id" | head -n1)
t::figure "agent RSS in the run root (idle): $("$HEROKU" exec "$id" -- "awk '/^VmRSS/ {print \$2}' /proc/${pid}/status") kB"
# https:// goes through the native client where libssl.so.3 exists, else through libcurl (bullseye:
# libssl1.1 only); either way the key validation reaches the network (nothing listens on port 9).
out=$("$HEROKU" exec "$id" -- "DD_API_KEY=stack-test-key DD_DD_URL=https://127.0.0.1:9 DD_DOGSTATSD_PORT=$(t::free_udp_port) DYNOSTATSD_SHUTDOWN_DEADLINE=0 timeout 3 /app/.dynostatsd/bin/dynostatsd run 2>&1 | grep stage=forward")
if compgen -G "${run_root}/usr/lib/*/libssl.so.3" >/dev/null; then
  t::contains "$out" "http_client=native" "https:// through the native client (libssl.so.3 in the run root)"
else
  t::contains "$out" "http_client=curl reason=libssl_unavailable" "https:// through libcurl (no libssl.so.3 in the run root)"
fi
t::contains "$out" "reason=connect" "the https:// key validation reached the network"
t::send "$id" "$port" "stack.final:1|c"
"$HEROKU" stop "$id" 2>/dev/null
t::eq "$(t::intake_points stack.final dyno:web.1 | t::sum)" 1 "the metric sent right before SIGTERM arrives"

t::finish
