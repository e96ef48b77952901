#!/usr/bin/env bash
# shellcheck disable=SC2015 # A && pass || fail is the idiom here
# bin/detect, bin/release, bin/compile: fresh build then cached rebuild, what lands in the slug (and what
# must not: build paths, RPATH, the build machine's yaml-cpp/CLI11), build-time errors.
# shellcheck source=test/buildpack/lib.sh
source "$(dirname "$0")/lib.sh"
t::setup
BUILDPACK=$(t::snapshot)
APP="${FIXTURES}/app"

echo "# detect and release"
empty=$(mktemp -d "${WORK}/empty.XXXXXX")
out=$("${BUILDPACK}/bin/detect" "$empty")
t::eq "$?:${out}" "0:dynostatsd" "detect passes on an empty app and prints the name"
t::eq "$("${BUILDPACK}/bin/release" "$empty")" "---" "release declares no process types"

echo "# fresh build (empty cache)"
cache="${WORK}/cache"
t0=$(t::now_ms)
out=$("$HEROKU" build "$APP" --buildpack "$BUILDPACK" --cache "$cache" --slug "${WORK}/slug.tgz" \
  --env DYNOSTATSD_BUILD_JOBS=2 --env DD_API_KEY=secret-build-key-123 2>&1)
status=$?
cold_ms=$(($(t::now_ms) - t0))
t::eq "$status" 0 "fresh build succeeds"
[[ $status == 0 ]] || echo "$out" | tail -n 40
t::contains "$out" "-----> Fetching yaml-cpp and CLI11 (pinned in vendor/manifest)" "fetches pinned deps"
t::contains "$out" "libyaml-cpp-dev 0.7.0+dfsg-8+b1 sha256 verified" "yaml-cpp .deb checksum verified"
t::contains "$out" "-----> Compiling the agent (g++ " "compiles with the stack's g++"
t::not_contains "$out" "secret-build-key-123" "the build never prints a config var's value"
t::figure "cold compile (whole build, 2 jobs): ${cold_ms} ms"

slug="${WORK}/slug"
mkdir -p "$slug" && tar -xzf "${WORK}/slug.tgz" -C "$slug"
agent="${slug}/.dynostatsd/bin/dynostatsd"
t::check "slug has the agent binary" test -x "$agent"
t::check "no separate supervisor script (dynostatsd supervise is in the binary)" test ! -e "${slug}/.dynostatsd/bin/dynostatsd-supervise"
t::check "slug has .profile.d/dynostatsd.sh" test -f "${slug}/.profile.d/dynostatsd.sh"
t::contains "$("$agent" version 2>&1)" "0.1.0" "the built agent runs"
t::contains "$("$agent" supervise --help 2>&1)" "--foreground" "and has the supervise command"

echo "# cached rebuild"
t0=$(t::now_ms)
out=$("$HEROKU" build "$APP" --buildpack "$BUILDPACK" --cache "$cache" --slug "${WORK}/slug2.tgz" \
  --env DYNOSTATSD_BUILD_JOBS=2 2>&1)
status=$?
warm_ms=$(($(t::now_ms) - t0))
t::eq "$status" 0 "cached rebuild succeeds"
t::contains "$out" "-----> Using the cached agent (sources, stack and compiler unchanged; key " "rebuild says it used the cache"
t::not_contains "$out" "Compiling the agent" "rebuild does not compile"
t::figure "cached compile (whole build incl. slug packing): ${warm_ms} ms"
compile_ms=$(grep -o 'compile dynostatsd took [0-9]*' <<<"$out" | grep -o '[0-9]*$')
t::figure "cached bin/compile alone: ${compile_ms} ms"
((compile_ms < 5000)) && t::pass "cached bin/compile takes seconds (${compile_ms} ms)" || t::fail "cached bin/compile took ${compile_ms} ms"
mkdir -p "${WORK}/slug2" && tar -xzf "${WORK}/slug2.tgz" -C "${WORK}/slug2"
t::check "cached binary is identical" cmp -s "$agent" "${WORK}/slug2/.dynostatsd/bin/dynostatsd"

echo "# what is in the binary and the slug"
dynamic=$(readelf -d "$agent")
t::not_contains "$dynamic" "RPATH" "no RPATH"
t::not_contains "$dynamic" "RUNPATH" "no RUNPATH"
t::not_contains "$dynamic" "yaml-cpp" "yaml-cpp is linked statically (no NEEDED libyaml-cpp)"
t::contains "$dynamic" "[libuv.so.1]" "links the stack's libuv.so.1 dynamically"
# libcurl, libssl, zlib and zstd are opened with dlopen() only when the agent needs them (an agent
# without an HTTP sink maps none): not linked, named in the binary, present on the stack.
for lib in libcurl.so.4 libssl.so.3 libz.so.1 libzstd.so.1; do
  t::not_contains "$dynamic" "${lib%%.so*}" "${lib%%.so*} is not linked (dlopen'ed when needed)"
  t::contains "$(strings "$agent")" "${lib}" "the agent dlopens the stack's ${lib}"
  t::contains "$(ldconfig -p)" "${lib} " "the stack has ${lib}"
done
t::not_contains "$dynamic" "libstdc++" "libstdc++ is linked statically"
t::not_contains "$(ldd "$agent")" "not found" "every shared library resolves"
t::not_contains "$(readelf -S "$agent")" ".symtab" "binary is stripped"
leaks=$(grep -rlaE '/tmp/(build_|buildpacks_|env_|cache_)|dynostatsd-obj' "$slug" || true)
t::eq "$leaks" "" "no build path in any slug file (binary strings, scripts)"
t::not_contains "$(strings "$agent")" "${WORK}" "no test path in the binary"

echo "# yaml-cpp and CLI11 came from the fetched packages, never from this machine's /usr/include"
info="${cache}/dynostatsd/agent/build-info"
deps="${cache}/dynostatsd/deps/"
headers=$(cat "${info}/headers.txt")
t::contains "$headers" "${deps}debian-bookworm-amd64/usr/include/yaml-cpp/" "yaml-cpp headers from the fetched package"
t::contains "$headers" "${deps}debian-bookworm-amd64/usr/include/CLI/" "CLI11 headers from the fetched package"
t::eq "$(grep -cE '^/usr/include/(yaml-cpp|CLI)/' <<<"$headers")" 0 "no header from /usr/include/yaml-cpp or /usr/include/CLI"
t::contains "$(cat "${info}/compile_commands.json")" "-isystem ${deps}debian-bookworm-amd64/usr/include" "compile flags point at the fetched prefix"

echo "# slug growth"
growth=$(tar -czf - -C "$slug" .dynostatsd .profile.d/dynostatsd.sh | wc -c)
t::figure "slug growth: ${growth} bytes compressed, $(du -sb "${slug}/.dynostatsd" | cut -f1) bytes unpacked"
((growth < 3 * 1024 * 1024)) && t::pass "slug grows by less than 3 MB" || t::fail "slug grows by ${growth} bytes"

echo "# switches and errors"
out=$("$HEROKU" build "$APP" --buildpack "$BUILDPACK" --cache "$cache" --slug "${WORK}/badcfg.tgz" \
  --env DD_DOGSTATSD_PORT=99999 --env DD_API_KEY=secret-build-key-123 2>&1)
t::eq "$?" 0 "an invalid agent setting does not fail the build"
t::contains "$out" " !     The agent will not start with this configuration:" "but the build warns"
t::contains "$out" 'var=DD_DOGSTATSD_PORT error="must be an integer in 0..65535, got 99999"' "naming the setting"
t::not_contains "$out" "secret-build-key-123" "without printing the API key"
out=$("$HEROKU" build "$APP" --buildpack "$BUILDPACK" --cache "${WORK}/cache-skip" --slug "${WORK}/skip.tgz" \
  --env DYNOSTATSD_SKIP_BUILD=true 2>&1)
t::contains "$out" "DYNOSTATSD_SKIP_BUILD is set: the agent is not built and will not start." "DYNOSTATSD_SKIP_BUILD warns"
t::eq "$(tar -tzf "${WORK}/skip.tgz" | grep -c 'bin/dynostatsd$')" 0 "DYNOSTATSD_SKIP_BUILD ships no agent"

mkdir -p "${WORK}/b" "${WORK}/c"
out=$(DYNOSTATSD_DISTRO=ubuntu-bogus STACK=heroku-99 "${BUILDPACK}/bin/compile" "${WORK}/b" "${WORK}/c" "" 2>&1)
status=$?
t::eq "$status" 1 "an unpinned distro fails the build"
t::contains "$out" " !     No pinned yaml-cpp/CLI11 packages for this stack (heroku-99, amd64)." "says what failed"
t::contains "$out" " !       1. Use a supported stack" "gives numbered fixes"

# vendor/fetch.sh on its own: an unpinned line prints the sha256 to pin; a wrong pin fails.
grep -v '^debian-bookworm' "${BUILDPACK}/vendor/manifest" >"${WORK}/manifest"
echo "debian-bookworm amd64 libcli11-dev 2.1.2+ds-1 unverified" >>"${WORK}/manifest"
out=$(DYNOSTATSD_MANIFEST="${WORK}/manifest" "${BUILDPACK}/vendor/fetch.sh" "${WORK}/deps-unverified" 2>&1)
t::eq "$?" 0 "an unverified pin still fetches (apt checked the signed index)"
t::contains "$out" "libcli11-dev 2.1.2+ds-1 sha256 f1f6ee9ec053e0e0bcec47345e241b6a8ee006321248b4329e9ce88d2b4b64a8 (not pinned yet" "and prints the sha256 to pin"
t::check "its headers are unpacked" test -f "${WORK}/deps-unverified/usr/include/CLI/CLI.hpp"
sed -i 's/unverified$/0000000000000000000000000000000000000000000000000000000000000000/' "${WORK}/manifest"
out=$(DYNOSTATSD_MANIFEST="${WORK}/manifest" "${BUILDPACK}/vendor/fetch.sh" "${WORK}/deps-bad" 2>&1)
t::eq "$?" 6 "a checksum mismatch fails"
t::contains "$out" "sha256 mismatch for libcli11-dev 2.1.2+ds-1" "and says which package"
t::check "nothing is unpacked after a mismatch" test ! -e "${WORK}/deps-bad" -a ! -e "${WORK}/deps-bad.partial"

# Hand the compiled agent to the other test files (they share a cache) so the suite compiles once.
mkdir -p "${SHARED_CACHE}/dynostatsd"
rm -rf "${SHARED_CACHE}/dynostatsd/agent" "${SHARED_CACHE}/dynostatsd/deps"
cp -a "${cache}/dynostatsd/agent" "${cache}/dynostatsd/deps" "${SHARED_CACHE}/dynostatsd/"

t::finish
