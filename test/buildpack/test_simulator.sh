#!/usr/bin/env bash
# shellcheck disable=SC2015,SC2016 # A && pass || fail is the idiom; single-quoted scripts run in the dyno
# The local Heroku simulator itself (test/heroku/heroku), on a tiny slug without any buildpack: the
# dyno environment, .profile.d then .profile then the command, private /tmp, PID namespace, Procfile
# lookup, SIGTERM to every process and SIGKILL (R12) after the timeout. Fast: no compile.
# shellcheck source=test/buildpack/lib.sh
source "$(dirname "$0")/lib.sh"
t::setup

app="${WORK}/app"
mkdir -p "${app}/.profile.d"
echo 'export FROM_PROFILE_D="${FROM_PROFILE_D:-default}"; echo "profile.d sourced" >/tmp/order' >"${app}/.profile.d/a.sh"
echo 'export FROM_PROFILE="profile saw ${FROM_PROFILE_D}"; echo ".profile sourced" >>/tmp/order' >"${app}/.profile"
cat >"${app}/Procfile" <<'PROCFILE'
web: echo "env HOME=$HOME DYNO=$DYNO PORT=${PORT:-none} PWD=$(pwd) FROM_PROFILE_D=$FROM_PROFILE_D FROM_PROFILE=$FROM_PROFILE SECRET=$SECRET"; cat /tmp/order; echo "tmp=$(ls /tmp | tr '\n' ' ')"; echo "pid=$$ procs=$(ls -d /proc/[0-9]* | wc -l)"
worker: echo "worker PORT=${PORT:-none}"
stubborn: trap '' TERM; echo stubborn up; while :; do sleep 0.1; done
PROCFILE
slug="${WORK}/slug.tgz"
tar -czf "$slug" -C "$app" .

echo "# a web dyno in the foreground"
out=$("$HEROKU" dyno "$slug" --dyno web.1 --port 5123 --env FROM_PROFILE_D=config --env SECRET=s3 2>&1)
t::eq "$?" 0 "the dyno's exit status is the command's"
t::contains "$out" "env HOME=/app DYNO=web.1 PORT=5123 PWD=/app FROM_PROFILE_D=config FROM_PROFILE=profile saw config SECRET=s3" \
  "HOME, DYNO, PORT, cwd, config vars; config vars win over profile.d defaults; .profile after .profile.d"
t::contains "$out" "profile.d sourced
.profile sourced" ".profile.d/*.sh before .profile"
t::contains "$out" "tmp=order " "the dyno has its own /tmp"
procs=$(grep -o 'procs=[0-9][0-9]*' <<<"$out" | cut -d= -f2)
((procs > 0 && procs < 12)) && t::pass "the dyno sees only its own processes (${procs}: PID namespace)" || t::fail "dyno sees ${procs} processes"
t::contains "$out" 'heroku[web.1]: Starting process with command `echo' "Procfile command used for the process type"
t::contains "$out" "heroku[web.1]: Process exited with status 0" "exit is logged like Heroku"
t::check "the host /tmp is untouched" test ! -e /tmp/order

out=$("$HEROKU" dyno "$slug" --dyno worker.1 2>&1)
t::contains "$out" "worker PORT=none" "no PORT on a worker dyno"
out=$("$HEROKU" dyno "$slug" --dyno run.1 -- 'echo "one-off $DYNO"; exit 3' 2>&1)
t::eq "$?" 3 "a one-off command's status comes back"
t::contains "$out" "one-off run.1" "an explicit command replaces the Procfile"
t::eq "$(echo 'echo from stdin' | "$HEROKU" dyno "$slug" --dyno run.2 -- bash 2>&1 | grep -c 'from stdin')" 1 "stdin reaches a foreground dyno (heroku run bash)"

echo "# stopping: SIGTERM to every process, SIGKILL after the timeout"
id=$("$HEROKU" dyno "$slug" --dyno stubborn.1 --timeout 2 --detach)
t::wait_until 5 bash -c "'$HEROKU' logs '$id' | grep -q 'stubborn up'"
t::contains "$("$HEROKU" list)" "${id}" "heroku list shows the dyno"
t0=$(t::now_ms)
"$HEROKU" stop "$id" 2>/dev/null
ms=$(($(t::now_ms) - t0))
((ms >= 1900 && ms < 6000)) && t::pass "a process ignoring SIGTERM is killed after the 2 s timeout (${ms} ms)" || t::fail "stop took ${ms} ms"
log=$("$HEROKU" logs "$id")
t::contains "$log" "heroku[stubborn.1]: Stopping all processes with SIGTERM" "SIGTERM is logged"
t::contains "$log" "heroku[stubborn.1]: Error R12 (Exit timeout) -> At least one process failed to exit within 2 seconds of SIGTERM" "R12 like Heroku"
t::contains "$("$HEROKU" list | grep "$id")" "down (exit 143)" "heroku list shows it down, killed"

t::finish
