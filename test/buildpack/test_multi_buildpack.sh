#!/usr/bin/env bash
# shellcheck disable=SC2015 # A && pass || fail is the idiom here
# Multi-buildpack: dynostatsd first, then a stand-in language buildpack (its own .profile.d script and
# `export` file), then a probe that records what later buildpacks see. Both boot scripts work in one dyno.
# shellcheck source=test/buildpack/lib.sh
source "$(dirname "$0")/lib.sh"
t::setup
BUILDPACK=$(t::snapshot)
app="${WORK}/app"
mkdir -p "$app"
printf '%s\n' "web: hello && sleep infinity" "clock: sleep infinity" >"${app}/Procfile"
mkdir -p "${app}/docs" && echo "big" >"${app}/docs/manual.pdf"
printf '%s\n' "# not in the slug" "docs" >"${app}/.slugignore"
printf '%s\n' "# heroku config -s" "NODE_ENV='production'" "export DYNOSTATSD_BUILD_JOBS=2" >"${WORK}/config.env"

out=$("$HEROKU" build "$app" --buildpack "$BUILDPACK" --buildpack "${FIXTURES}/lang-buildpack" \
  --buildpack "${FIXTURES}/probe-buildpack" --cache "$SHARED_CACHE" --slug "${WORK}/slug.tgz" \
  --env-file "${WORK}/config.env" 2>&1)
t::eq "$?" 0 "three-buildpack build succeeds"
t::contains "$out" "-----> dynostatsd app detected" "ours runs first"
t::contains "$out" "-----> Stand-in Lang app detected" "then the language buildpack"
first=$(grep -n 'dynostatsd app detected' <<<"$out" | cut -d: -f1)
second=$(grep -n 'Stand-in Lang app detected' <<<"$out" | cut -d: -f1)
((first < second)) && t::pass "buildpacks run in list order" || t::fail "order: dynostatsd at ${first}, lang at ${second}"

slug="${WORK}/slug"
mkdir -p "$slug" && tar -xzf "${WORK}/slug.tgz" -C "$slug"
probe=$(cat "${slug}/.probe-env")
t::contains "$probe" "LANG_FIXTURE_BUILD=exported" "the language buildpack's export file reaches the next buildpack"
t::contains "$probe" "hello=/tmp/build_" "its PATH (build-dir paths) too"
t::contains "$probe" "STACK=debian-bookworm" "STACK is set during compile"
t::contains "$probe" "HOME=/app" "HOME=/app during compile"
t::contains "$probe" "ENV_FILES=DYNOSTATSD_BUILD_JOBS NODE_ENV " "config vars (from --env-file) arrive as ENV_DIR files"
t::check ".slugignore'd paths are not in the slug" test ! -e "${slug}/docs"
t::check "both .profile.d scripts are in the slug" test -f "${slug}/.profile.d/lang.sh" -a -f "${slug}/.profile.d/dynostatsd.sh"
t::eq "$(cat "${WORK}/slug.release.yml")" "---" "the last buildpack's release is the one recorded"

port=$(t::free_udp_port)
id=$("$HEROKU" dyno "${WORK}/slug.tgz" --dyno web.1 --detach --env DD_DOGSTATSD_PORT="$port" --env DYNOSTATSD_FLUSH_INTERVAL=1)
t::wait_until 10 bash -c "'$HEROKU' logs '$id' | grep -q 'msg=ready'" && t::pass "our agent is ready next to the language runtime" || t::fail "no ready line: $("$HEROKU" logs "$id")"
t::wait_until 5 bash -c "'$HEROKU' logs '$id' | grep -q 'hello from lang'"
t::contains "$("$HEROKU" logs "$id")" "hello from lang (LANG_FIXTURE=ready)" "the web process finds the language runtime through its profile.d script"
t::send "$id" "$port" "multi.ok:1|c"
t::wait_until 5 bash -c "'$HEROKU' logs '$id' | grep -q 'count#multi.ok=1'"
t::contains "$("$HEROKU" logs "$id")" "dynostatsd: source=web.1 count#multi.ok=1" "metrics flow in the multi-buildpack dyno"
"$HEROKU" stop "$id" 2>/dev/null

id=$("$HEROKU" dyno "${WORK}/slug.tgz" --dyno clock.1 --detach --env DD_DOGSTATSD_PORT="$port")
t::wait_until 10 bash -c "'$HEROKU' logs '$id' | grep -q 'msg=ready'" && t::pass "Procfile type clock.1 gets an agent" || t::fail "clock.1: $("$HEROKU" logs "$id")"
"$HEROKU" stop "$id" 2>/dev/null

t::finish
