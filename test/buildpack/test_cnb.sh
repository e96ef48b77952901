#!/usr/bin/env bash
# shellcheck disable=SC2015,SC2016 # A && pass || fail is the idiom; single-quoted scripts run in the container
# The Cloud Native Buildpack (Heroku Fir) through the local lifecycle stand-in test/cnb/cnb: buildpack.toml,
# detect in both APIs, build (agent launch+cache layer, exec.d), cached rebuild, launch of a web process
# with a Fir dyno name (metrics reach the fake intake tagged dyno:web-... dynotype:web), exec.d run again
# for a second process (one agent), SIGTERM final flush, Fir one-off and process-type rules.
# shellcheck source=test/buildpack/lib.sh
source "$(dirname "$0")/lib.sh"
t::setup
BUILDPACK=$(t::snapshot)
CNB="${REPO}/test/cnb/cnb"
BP_LAYERS=dynostatsd_dynostatsd # the buildpack id with / as _
FIR_WEB=web-12a34b56d-e78f9

echo "# buildpack.toml and bin/detect (classic and CNB)"
descriptor=$(
  "$PYTHON" - "${BUILDPACK}/buildpack.toml" <<'PY'
import sys, tomllib
d = tomllib.load(open(sys.argv[1], "rb"))
api = tuple(int(x) for x in d["api"].split("."))
print("api_ok" if api >= (0, 10) else "api_old", d["buildpack"]["id"], d["buildpack"]["version"])
for t in d["targets"]:
    print(t["os"], t["arch"], ",".join(x["name"] + "-" + x["version"] for x in t["distros"]))
PY
)
t::eq "$descriptor" "api_ok dynostatsd/dynostatsd 0.1.0
linux amd64 ubuntu-22.04,ubuntu-24.04,ubuntu-26.04
linux arm64 ubuntu-24.04,ubuntu-26.04" "buildpack.toml: API >= 0.10, id, version, amd64 and arm64 targets as Heroku's CNBs"
empty=$(mktemp -d "${WORK}/empty.XXXXXX")
out=$("${BUILDPACK}/bin/detect" "$empty")
t::eq "$?:${out}" "0:dynostatsd" "classic detect: BUILD_DIR argument, prints the name, exit 0"
mkdir -p "${WORK}/platform/env"
out=$(cd "$empty" && env -i PATH="$PATH" CNB_PLATFORM_DIR="${WORK}/platform" CNB_BUILD_PLAN_PATH="${WORK}/plan.toml" \
  CNB_BUILDPACK_DIR="$BUILDPACK" "${BUILDPACK}/bin/detect" "${WORK}/platform" "${WORK}/plan.toml")
t::eq "$?:${out}" "0:" "CNB detect: positional platform/plan (not an app dir), CNB_* set, passes with exit 0"

echo "# build (no agent layer yet)"
image="${WORK}/image"
cache="${WORK}/cnb-cache"
# The cache-only layer (fetched deps, keyed agent copy) persists across runs like SHARED_CACHE, so
# only the first run on a machine compiles; the agent layer itself always starts absent.
CNB_BUILD_CACHE="${SHARED_CACHE}-cnb/build-cache"
if [[ -d $CNB_BUILD_CACHE ]]; then
  mkdir -p "${cache}/${BP_LAYERS}"
  cp -a "$CNB_BUILD_CACHE" "${cache}/${BP_LAYERS}/build-cache"
  cp -a "${CNB_BUILD_CACHE}.toml" "${cache}/${BP_LAYERS}/build-cache.toml"
fi
build() {
  "$CNB" build "${FIXTURES}/cnb-app" --buildpack "$BUILDPACK" --buildpack "${FIXTURES}/cnb-procfile" \
    --image "$image" --cache "$cache" --arch "$(dpkg --print-architecture)" --distro ubuntu:24.04 \
    --env DYNOSTATSD_BUILD_JOBS=2 "$@" 2>&1
}
t0=$(t::now_ms)
out=$(build --env DD_API_KEY=secret-cnb-key-123)
status=$?
t::eq "$status" 0 "CNB build succeeds (dynostatsd first, then the Procfile stand-in)"
[[ $status == 0 ]] || echo "$out" | tail -n 40
t::contains "$out" "-----> dynostatsd: DogStatsD agent for heroku-24 (" "names the target stack"
if [[ $out == *"-----> Compiling the agent (g++ "* ]]; then
  t::pass "compiles with the build image's g++ (same lib/agent.sh step)"
  t::figure "CNB cold build (2 jobs): $(($(t::now_ms) - t0)) ms"
else
  t::contains "$out" "-----> Using the cached agent (sources, stack and compiler unchanged; key " \
    "or restores the keyed agent from the cache-only layer (compiled by an earlier run)"
fi
mkdir -p "${SHARED_CACHE}-cnb"
rm -rf "$CNB_BUILD_CACHE" "${CNB_BUILD_CACHE}.toml"
cp -a "${cache}/${BP_LAYERS}/build-cache" "$CNB_BUILD_CACHE" 2>/dev/null
cp -a "${cache}/${BP_LAYERS}/build-cache.toml" "${CNB_BUILD_CACHE}.toml" 2>/dev/null
t::not_contains "$out" "secret-cnb-key-123" "never prints a config var's value"
layer="${image}/layers/${BP_LAYERS}/agent"
types=$("$PYTHON" -c 'import sys, tomllib; d = tomllib.load(open(sys.argv[1], "rb")); t = d["types"]; print(t.get("launch"), t.get("cache"), t.get("build"), len(d["metadata"]["cache_key"]))' "${layer}.toml" 2>&1)
t::eq "$types" "True True False 16" "agent layer: launch + cache, not build, keyed (16 hex digits)"
t::check "the layer has the agent" test -x "${layer}/bin/dynostatsd"
t::check "and the exec.d program" test -x "${layer}/exec.d/dynostatsd"
t::check "the cache-only layer is not in the image" test ! -e "${image}/layers/${BP_LAYERS}/build-cache"
t::contains "$("${layer}/bin/dynostatsd" version)" "0.1.0" "the layer's agent runs"
t::contains "$(cat "${image}/layers/config/metadata.json")" '"web"' "the Procfile stand-in declared the web process"

echo "# cached rebuild"
cp "${layer}/bin/dynostatsd" "${WORK}/agent.first"
t0=$(t::now_ms)
out=$(build)
t::eq "$?" 0 "rebuild succeeds"
t::contains "$out" "-----> Using the cached agent layer (sources, stack and compiler unchanged; key " "rebuild says it reused the layer"
t::not_contains "$out" "Compiling the agent" "rebuild does not compile"
t::check "the same binary" cmp -s "${WORK}/agent.first" "${layer}/bin/dynostatsd"
t::figure "CNB cached rebuild: $(($(t::now_ms) - t0)) ms"

t::intake_start || {
  t::finish
  exit 1
}

# pids_in ID supervise|run: PIDs of our processes in the container.
pids_in() {
  "$HEROKU" exec "$1" -- 'for p in /proc/[0-9]*; do
    [[ $(tr "\0" " " 2>/dev/null <"$p/cmdline") == */agent/bin/dynostatsd\ '"$2"'* ]] && echo "${p#/proc/}"
  done; true'
}

echo "# launch: web process, DYNO=${FIR_WEB}"
port=$(t::free_udp_port)
t0=$(t::now_ms)
id=$("$CNB" launch "$image" --process web --detach --env DYNO="$FIR_WEB" --env PORT=5000 \
  --env DD_API_KEY=test-api-key-0123456789 --env DD_DD_URL="$INTAKE_URL" --env DD_DOGSTATSD_PORT="$port" \
  --env DYNOSTATSD_FLUSH_INTERVAL=1)
if t::wait_until 10 bash -c "'$HEROKU' logs '$id' | grep -q 'web up'"; then
  t::pass "the launcher reaches the process: exec.d returned and fd 3 hit EOF ($(($(t::now_ms) - t0)) ms)"
else
  t::fail "web process never started (exec.d holding fd 3?): $("$HEROKU" logs "$id")"
fi
t::contains "$("$HEROKU" logs "$id")" "PROCFILE_FIXTURE=ready from exec.d FIXTURE_LAYER_ENV=from env.launch" \
  "exec.d TOML on fd 3 and env.launch files reach the process (the stand-in applies both)"
t::wait_until 10 bash -c "'$HEROKU' logs '$id' | grep -q 'msg=ready'" && t::pass "agent ready in ${FIR_WEB}" || t::fail "no ready line: $("$HEROKU" logs "$id")"
t::eq "$(pids_in "$id" run | wc -w) $(pids_in "$id" supervise | wc -w)" "1 1" "one agent, one supervisor"
t::send "$id" "$port" "page.views:1|c" "page.views:2|c" "queue.depth:7|g"
t::wait_until 10 bash -c "source '${REPO}/test/buildpack/lib.sh'; INTAKE_RECORD='${INTAKE_RECORD}'; [[ \$(t::intake_points page.views dyno:${FIR_WEB} | t::sum) == 3 ]]"
t::eq "$(t::intake_points page.views "dyno:${FIR_WEB}" | t::sum)" 3 "metrics reach the intake tagged dyno:${FIR_WEB}"
t::contains ",$(t::intake_tags queue.depth)," ",dynotype:web," "tagged dynotype:web"

echo "# exec.d again: a second process in the same container"
# The container's own copy of the launcher (its private /tmp hides a clone that lives under /tmp).
out=$("$HEROKU" exec "$id" -- "/tmp/.cnb-launcher launcher --process worker -- bash -c 'echo second process up'" 2>&1)
t::contains "$out" "second process up" "the launcher runs exec.d again and starts the second process"
"$HEROKU" exec "$id" -- "/layers/${BP_LAYERS}/agent/exec.d/dynostatsd 3>/dev/null; /layers/${BP_LAYERS}/agent/exec.d/dynostatsd 3>/dev/null"
sleep 0.5
t::eq "$(pids_in "$id" run | wc -w) $(pids_in "$id" supervise | wc -w)" "1 1" "still one agent and one supervisor"

echo "# SIGTERM: the final flush"
t::send "$id" "$port" "final.count:5|c" "final.count:6|c"
"$HEROKU" stop "$id" 2>/dev/null
t::eq "$(t::intake_points final.count "dyno:${FIR_WEB}" | t::sum)" 11 "11 final.count sent right before SIGTERM arrive"
t::contains "$("$HEROKU" logs "$id")" "dynostatsd: at=info stage=supervisor msg=stopped agent_status=0" "agent flushed and exited 0, then the supervisor"
t::not_contains "$("$HEROKU" logs "$id")" "restart_in" "no restart during shutdown"

echo "# boot rules with Fir names"
oneoff=$("$CNB" launch "$image" --detach --env DYNO=run-5b6c7d8e9-x7k2p --env DD_DOGSTATSD_PORT="$port" -- bash -c 'echo one-off up; exec sleep 30')
t::wait_until 10 bash -c "'$HEROKU' logs '$oneoff' | grep -q 'one-off up'" || t::fail "one-off never ran: $("$HEROKU" logs "$oneoff")"
sleep 0.5
t::eq "$(pids_in "$oneoff" run | wc -w) $(pids_in "$oneoff" supervise | wc -w)" "0 0" "a Fir one-off run-... dyno starts no agent"
t::not_contains "$("$HEROKU" logs "$oneoff")" "dynostatsd" "and prints nothing"
"$HEROKU" stop "$oneoff" 2>/dev/null
resizer=$("$CNB" launch "$image" --process worker --detach --env DYNO=image-resizer-7d9f8b6c5-x2b4q \
  --env DYNOSTATSD_DYNO_TYPES=image-resizer --env DD_DOGSTATSD_PORT="$(t::free_udp_port)")
t::wait_until 10 bash -c "'$HEROKU' logs '$resizer' | grep -q 'msg=ready'" && t::pass "DYNOSTATSD_DYNO_TYPES=image-resizer starts the agent in image-resizer-7d9f8b6c5-x2b4q" || t::fail "image-resizer: $("$HEROKU" logs "$resizer")"
"$HEROKU" stop "$resizer" 2>/dev/null
disabled=$("$CNB" launch "$image" --process web --detach --env DYNO="$FIR_WEB" --env DYNOSTATSD_DISABLE=True)
t::wait_until 10 bash -c "'$HEROKU' logs '$disabled' | grep -q 'web up'"
t::contains "$("$HEROKU" logs "$disabled")" 'msg="agent not started" reason="DYNOSTATSD_DISABLE is set"' "DYNOSTATSD_DISABLE=True: no agent, and the web dyno says why"
t::eq "$(pids_in "$disabled" supervise | wc -w)" 0 "no supervisor"
"$HEROKU" stop "$disabled" 2>/dev/null

t::finish
