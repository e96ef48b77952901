#!/usr/bin/env bash
# shellcheck disable=SC2015,SC2016 # A && pass || fail is the idiom; single-quoted scripts run in the dyno
# Dynos booted by the local Heroku simulator from a slug built with the buildpack: metrics from web.1 and
# worker.1 reach a fake Datadog intake with dyno tags, l2met log mode, one-off and disabled dynos,
# double sourcing, restart after SIGKILL, nothing lost at shutdown, fds, RSS and boot time.
# shellcheck source=test/buildpack/lib.sh
source "$(dirname "$0")/lib.sh"
t::setup
BUILDPACK=$(t::snapshot)
SLUG="${WORK}/app.tgz"
t::build "${FIXTURES}/app" "$SLUG" >"${WORK}/build.log" 2>&1 || {
  tail -n 30 "${WORK}/build.log"
  t::fail "slug build failed"
  t::finish
  exit 1
}
t::intake_start || {
  t::finish
  exit 1
}

# start_dyno DYNO ENV... [-- COMMAND]: a detached dyno with the agent on a free port; sets ID and PORT_UDP.
start_dyno() {
  local dyno=$1
  shift
  PORT_UDP=$(t::free_udp_port)
  local -a envs=(--env DD_DOGSTATSD_PORT="$PORT_UDP" --env DYNOSTATSD_FLUSH_INTERVAL=1)
  while (($#)) && [[ $1 != -- ]]; do
    envs+=(--env "$1")
    shift
  done
  ID=$("$HEROKU" dyno "$SLUG" --dyno "$dyno" --app-name shop-prod --detach "${envs[@]}" "$@")
}

# footprint DYNO_ID LABEL: RSS, PSS and USS (Private_Clean + Private_Dirty) of each of our processes
# (the supervisor and the agent) from /proc/PID/smaps_rollup, and their sums, as FIGURE lines.
footprint() {
  local out
  # shellcheck disable=SC2016
  out=$("$HEROKU" exec "$1" -- 'for p in /proc/[0-9]*; do
    cmd=$(tr "\0" " " 2>/dev/null <"$p/cmdline")
    [[ $cmd == /app/.dynostatsd/bin/dynostatsd\ * ]] || continue
    awk -v c="${cmd% }" "/^Rss:/ {r=\$2} /^Pss:/ {p=\$2} /^Private_(Clean|Dirty):/ {u+=\$2} END {print r, p, u, c}" "$p/smaps_rollup"
  done')
  local rss=0 pss=0 uss=0 r p u cmd
  while read -r r p u cmd; do
    t::figure "${2}: ${cmd##*/}: RSS ${r} kB, PSS ${p} kB, USS ${u} kB"
    rss=$((rss + r)) pss=$((pss + p)) uss=$((uss + u))
  done <<<"$out"
  t::figure "${2}: all our processes ($(wc -l <<<"$out")): RSS ${rss} kB, PSS ${pss} kB, USS ${uss} kB"
}

log_of() {
  "$HEROKU" logs "$1"
}

ready_count() {
  log_of "$1" | grep -c 'msg=ready'
}

intake_env=(DD_API_KEY=test-api-key-0123456789 "DD_DD_URL=${INTAKE_URL}")

echo "# web.1 -> fake intake"
start_dyno web.1 "${intake_env[@]}"
web=$ID
web_port=$PORT_UDP
t::wait_until 10 bash -c "'$HEROKU' logs '$web' | grep -q 'msg=ready'" && t::pass "agent ready in web.1" || t::fail "no ready line: $(log_of "$web")"
t::wait_until 10 bash -c "'$HEROKU' logs '$web' | grep -q 'fixture: port'" || true
boot_ms=$(log_of "$web" | grep -o 'bound [0-9]* ms after' | grep -o '[0-9]*')
t::figure "profile.d sourcing start -> agent UDP port bound: ${boot_ms:-?} ms"
[[ -n $boot_ms ]] && ((boot_ms < 1000)) && t::pass "agent accepts datagrams ${boot_ms} ms after boot" || t::fail "boot to bound: ${boot_ms:-never}"
t::send "$web" "$web_port" "page.views:1|c" "page.views:1|c" "page.views:1|c|#route:home" "queue.depth:7|g"
t::wait_until 10 bash -c "[[ \$(t::intake_points page.views dyno:web.1 | t::sum) == 3 ]]" 2>/dev/null ||
  t::wait_until 10 bash -c "source '${REPO}/test/buildpack/lib.sh'; INTAKE_RECORD='${INTAKE_RECORD}'; [[ \$(t::intake_points page.views dyno:web.1 | t::sum) == 3 ]]"
t::eq "$(t::intake_points page.views dyno:web.1 | t::sum)" 3 "3 page.views from web.1 reach the intake tagged dyno:web.1"
tags=$(t::intake_tags queue.depth)
t::contains ",${tags}," ",dyno:web.1," "tag dyno:web.1"
t::contains ",${tags}," ",dynotype:web," "tag dynotype:web"
t::contains ",${tags}," ",appname:shop-prod," "tag appname from HEROKU_APP_NAME"
t::not_contains "$(log_of "$web")" "test-api-key-0123456789" "the API key never appears in the dyno log"

echo "# the agent process: one of it, fds, memory"
pids=$(t::agent_pids "$web")
t::eq "$(wc -w <<<"$pids")" 1 "one agent in web.1"
pid=$(echo "$pids" | head -n1)
fds=$("$HEROKU" exec "$web" -- "for f in /proc/${pid}/fd/*; do readlink \"\$f\"; done")
# The dyno metrics keep their cgroup and /proc/<pid> files open (re-read with pread each flush);
# libuv keeps /dev/null open once the loop has a TCP handle (the HTTP client's connection), a
# spare fd for accept()'s EMFILE case.
t::eq "$(grep -vE '^(socket|anon_inode|pipe):|^/(proc|sys/fs/cgroup)(/|$)' <<<"$fds" | sort -u)" /dev/null "only /dev/null (stdin, libuv's spare) is a file among the agent's fds, besides the dyno metrics' /proc and cgroup files"
t::eq "$(readlink_0=$("$HEROKU" exec "$web" -- "readlink /proc/${pid}/fd/0") && echo "$readlink_0")" /dev/null "stdin is /dev/null"
sleep 2
rss=$("$HEROKU" exec "$web" -- "awk '/^VmRSS/ {print \$2}' /proc/${pid}/status")
t::figure "agent RSS in an idle dyno: ${rss} kB"
footprint "$web" "with an API key"
t::eq "$("$HEROKU" ps "$web" | grep -c 'sed -u')" 0 "no sed log prefixer in the dyno (the supervisor prefixes)"

echo "# sourcing .profile.d again inside the dyno"
"$HEROKU" exec "$web" -- 'source /app/.profile.d/dynostatsd.sh; source /app/.profile.d/dynostatsd.sh'
sleep 1
t::eq "$(t::agent_pids "$web" | wc -w)" 1 "still one agent after sourcing twice more"
t::eq "$("$HEROKU" ps "$web" | grep -c '/app/.dynostatsd/bin/dynostatsd supervise')" 1 "still one supervisor"

echo "# SIGKILL the agent"
before=$(ready_count "$web")
t0=$(t::now_ms)
"$HEROKU" exec "$web" -- "kill -KILL ${pid}"
if t::wait_until 2 bash -c "(( \$('$HEROKU' logs '$web' | grep -c 'msg=ready') > ${before} ))"; then
  t::pass "agent back (ready again) $(($(t::now_ms) - t0)) ms after SIGKILL"
  t::figure "agent restart after SIGKILL in a dyno (to ready): $(($(t::now_ms) - t0)) ms"
else
  t::fail "agent not ready within 2 s of SIGKILL"
fi
t::send "$web" "$web_port" "after.restart:4|c"
t::wait_until 10 bash -c "source '${REPO}/test/buildpack/lib.sh'; INTAKE_RECORD='${INTAKE_RECORD}'; [[ \$(t::intake_points after.restart dyno:web.1 | t::sum) == 4 ]]"
t::eq "$(t::intake_points after.restart dyno:web.1 | t::sum)" 4 "the restarted agent forwards"

echo "# shutdown: metrics sent just before SIGTERM are not lost"
t::send "$web" "$web_port" "final.count:5|c" "final.count:6|c"
t0=$(t::now_ms)
"$HEROKU" stop "$web" 2>/dev/null
stop_ms=$(($(t::now_ms) - t0))
t::figure "dyno stop (SIGTERM to all -> all exited): ${stop_ms} ms"
t::eq "$(t::intake_points final.count dyno:web.1 | t::sum)" 11 "11 final.count sent right before SIGTERM arrive"
((stop_ms < 10000)) && t::pass "everything exits well before Heroku's 30 s SIGKILL" || t::fail "stop took ${stop_ms} ms"
t::not_contains "$(log_of "$web")" "R12" "no exit timeout"
t::not_contains "$(log_of "$web" | sed -n '/Stopping all processes with SIGTERM/,$p')" "restart_in" "the supervisor did not restart the agent during shutdown"
t::contains "$(log_of "$web")" "dynostatsd: at=info stage=supervisor msg=stopped agent_status=0" "the agent exited 0 and the supervisor after it"

echo "# worker.1 -> fake intake"
start_dyno worker.1 "${intake_env[@]}"
worker=$ID
t::wait_until 10 bash -c "'$HEROKU' logs '$worker' | grep -q 'msg=ready'" && t::pass "agent ready in worker.1" || t::fail "worker: $(log_of "$worker")"
t::send "$worker" "$PORT_UDP" "jobs.done:2|c"
t::wait_until 10 bash -c "source '${REPO}/test/buildpack/lib.sh'; INTAKE_RECORD='${INTAKE_RECORD}'; [[ \$(t::intake_points jobs.done dyno:worker.1 | t::sum) == 2 ]]"
t::eq "$(t::intake_points jobs.done dyno:worker.1 | t::sum)" 2 "jobs.done from worker.1 tagged dyno:worker.1"
t::contains ",$(t::intake_tags jobs.done)," ",dynotype:worker," "tag dynotype:worker"
"$HEROKU" stop "$worker" 2>/dev/null

echo "# web.1 in log mode (no API key)"
start_dyno web.1
logmode=$ID
t::wait_until 10 bash -c "'$HEROKU' logs '$logmode' | grep -q 'msg=ready'" || t::fail "log mode: no ready line"
t::send "$logmode" "$PORT_UDP" "page.views:1|c" "page.views:1|c"
t::wait_until 10 bash -c "'$HEROKU' logs '$logmode' | grep -q 'count#page.views=2'"
t::contains "$(log_of "$logmode")" "dynostatsd: source=web.1 count#page.views=2" "l2met line with source=web.1 in the dyno log"
sleep 2
footprint "$logmode" "log-only"
t::eq "$("$HEROKU" ps "$logmode" | grep -c '/app/.dynostatsd/bin/dynostatsd ')" 2 "two processes of ours: supervisor and agent"
"$HEROKU" stop "$logmode" 2>/dev/null

echo "# one-off and disabled dynos"
start_dyno run.1 -- sleep 60
oneoff=$ID
sleep 1.5
t::contains "$("$HEROKU" ps "$oneoff")" "sleep 60" "run.1 runs its command"
t::eq "$(t::agent_pids "$oneoff" | wc -w)" 0 "run.1 starts no agent"
t::not_contains "$(log_of "$oneoff")" "dynostatsd" "run.1 log has no dynostatsd line"
"$HEROKU" stop "$oneoff" 2>/dev/null
start_dyno run.2 DYNOSTATSD_ONE_OFF=true -- sleep 60
t::wait_until 10 bash -c "'$HEROKU' logs '$ID' | grep -q 'msg=ready'" && t::pass "DYNOSTATSD_ONE_OFF=true runs the agent in run.2" || t::fail "run.2 with ONE_OFF: $(log_of "$ID")"
"$HEROKU" stop "$ID" 2>/dev/null
start_dyno web.1 DISABLE_DATADOG_AGENT=true
disabled=$ID
sleep 1.5
t::contains "$("$HEROKU" ps "$disabled")" "bin/web" "the disabled web dyno runs its command"
t::eq "$(t::agent_pids "$disabled" | wc -w)" 0 "DISABLE_DATADOG_AGENT: no agent"
t::eq "$("$HEROKU" ps "$disabled" | grep -c 'dynostatsd supervise')" 0 "DISABLE_DATADOG_AGENT: no supervisor"
t::contains "$(log_of "$disabled")" 'msg="agent not started" reason="DISABLE_DATADOG_AGENT is set"' "web dyno says why"
"$HEROKU" stop "$disabled" 2>/dev/null

t::finish
