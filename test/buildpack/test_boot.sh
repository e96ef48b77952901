#!/usr/bin/env bash
# shellcheck disable=SC2015,SC2016 # A && pass || fail is the idiom here; single-quoted scripts run elsewhere
# Boot without a dyno: .profile.d/dynostatsd.sh sourced the way Heroku does, and the real supervisor
# driving a stub agent (restarts, backoff, double start, shutdown, fds, prerun hooks). Fast: no build.
# shellcheck source=test/buildpack/lib.sh
source "$(dirname "$0")/lib.sh"
t::setup

PROFILE="${REPO}/profile.d/dynostatsd.sh"

# new_home MODE: a fake $HOME with the real supervisor and a stub agent (MODE run|crash).
new_home() {
  local home
  home=$(mktemp -d "${WORK}/home.XXXXXX")
  mkdir -p "${home}/.dynostatsd/bin"
  cp "${REPO}/bin/dynostatsd-supervise" "${home}/.dynostatsd/bin/"
  cat >"${home}/.dynostatsd/bin/dynostatsd" <<'STUB'
#!/usr/bin/env bash
echo "stub start pid=$$ args=$* DD_TAGS=${DD_TAGS:-} fds=$(ls /proc/self/fd | tr '\n' ' ')"
[[ $(cat "$HOME/stub-mode" 2>/dev/null) == crash ]] && exit 3
[[ $(cat "$HOME/stub-mode" 2>/dev/null) == bad-config ]] && echo 'at=error stage=config msg="invalid configuration"' && exit 2
trap 'echo "stub got TERM"; sleep 0.5; echo "stub flushed"; exit 0' TERM
while true; do sleep 0.05; done
STUB
  chmod +x "${home}/.dynostatsd/bin/dynostatsd"
  echo "${1:-run}" >"${home}/stub-mode"
  echo "$home"
}

t::not_alive() {
  ! t::alive "$1"
}

# pids_of HOME NAME: PIDs whose command line runs HOME/.dynostatsd/bin/NAME.
pids_of() {
  local p cmd
  for p in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' 2>/dev/null <"${p}/cmdline") || continue
    [[ $cmd == *"${1}/.dynostatsd/bin/${2} "* || $cmd == *"${1}/.dynostatsd/bin/${2}" ]] && echo "${p#/proc/}"
  done
}

count_of() {
  pids_of "$1" "$2" | wc -l
}

# boot HOME ENV...: sources the profile.d script like a dyno's bash, output appended to HOME/log.
boot() {
  local home=$1
  shift
  env -i HOME="$home" PATH="$PATH" "$@" bash -c 'source "$0"' "$PROFILE" >>"${home}/log" 2>&1
}

echo "# sourcing rules, with a recording stand-in for the supervisor"
# shellcheck disable=SC2016
RECORDER='#!/usr/bin/env bash
echo "supervisor started DYNO=$DYNO" >>"$HOME/started"'
rules_home=$(new_home)
printf '%s\n' "$RECORDER" >"${rules_home}/.dynostatsd/bin/dynostatsd-supervise"
started_after() {
  rm -f "${rules_home}/started" "${rules_home}/log"
  env -i HOME="$rules_home" PATH="$PATH" "$@" bash -c 'source "$0"' "$PROFILE" >"${rules_home}/log" 2>&1
  t::wait_until 2 test -f "${rules_home}/started" && echo yes || echo no
}
t::eq "$(started_after DYNO=web.1)" yes "web.1 starts the supervisor"
t::eq "$(cat "${rules_home}/log")" "" "a normal start prints nothing from the sourced script"
t::eq "$(started_after DYNO=worker.3)" yes "worker.3 starts the supervisor"
t::eq "$(started_after DYNO=run.4242)" no "run.4242 (one-off) starts nothing by default"
t::eq "$(cat "${rules_home}/log")" "" "a one-off dyno prints nothing (scripting use stays clean)"
t::eq "$(started_after DYNO=run.1 DYNOSTATSD_ONE_OFF=true)" yes "DYNOSTATSD_ONE_OFF=true starts it in run.1"
t::eq "$(started_after DYNO=web.1 DISABLE_DATADOG_AGENT=1)" no "DISABLE_DATADOG_AGENT disables it"
t::contains "$(cat "${rules_home}/log")" 'reason="DISABLE_DATADOG_AGENT is set"' "a disabled web dyno says why"
t::eq "$(started_after DYNO=worker.1 DISABLE_DATADOG_AGENT=1)" no "disabled on a worker"
t::eq "$(cat "${rules_home}/log")" "" "a disabled worker prints nothing"
t::eq "$(started_after DYNO=web.1 DYNOSTATSD_DISABLE=true)" no "DYNOSTATSD_DISABLE=true disables it"
t::eq "$(started_after DYNO=web.1 DYNOSTATSD_DISABLE=false)" yes "DYNOSTATSD_DISABLE=false does not"
t::eq "$(started_after DYNO=clock.1 DYNOSTATSD_DYNO_TYPES=web,worker)" no "clock.1 not in DYNOSTATSD_DYNO_TYPES"
t::eq "$(started_after DYNO=worker.2 'DYNOSTATSD_DYNO_TYPES=web, worker')" yes "worker.2 in DYNOSTATSD_DYNO_TYPES"
t::eq "$(started_after DYNO=web-12a34b56d-e78f9 DYNOSTATSD_DYNO_TYPES=web)" yes "Fir dyno name maps to type web"
t::eq "$(started_after DYNO=web.1 DYNOSTATSD_DEBUG=1 DYNOSTATSD_DYNO_TYPES=worker)" no "web excluded by types"
t::contains "$(cat "${rules_home}/log")" "process type web is not in DYNOSTATSD_DYNO_TYPES=worker" "says which rule skipped it"
t::eq "$(started_after DYNO=worker.1 DYNOSTATSD_DEBUG=1 DISABLE_DATADOG_AGENT=1 && cat "${rules_home}/log")" \
  'no
dynostatsd: at=info stage=boot msg="agent not started" reason="DISABLE_DATADOG_AGENT is set"' "DYNOSTATSD_DEBUG prints skips on any dyno"

# The sourcing shell's state: variables, functions, options are exactly as before; set -u/-e shells survive.
# shellcheck disable=SC2016
state_check='
snapshot() { declare -p | grep -Ev "^declare -[^ ]* (BASH_|FUNCNAME|PIPESTATUS|EPOCH|SECONDS|RANDOM|SRANDOM|LINENO|_=|BASHPID|COLUMNS|LINES|before=|status=)"; declare -F; set -o; shopt -p; }
set -u
DD_DOGSTATSD_PORT=9999 DD_API_KEY=user-value MY_VAR=kept
before=$(snapshot)
source "$0"
status=$?
after=$(snapshot)
[[ $before == "$after" ]] && echo same || diff <(echo "$before") <(echo "$after")
echo "status=$status"
set -e
source "$0"
echo "still alive under set -e"'
out=$(env -i HOME="$rules_home" PATH="$PATH" DYNO=web.1 bash -c "$state_check" "$PROFILE" 2>&1)
t::eq "$out" "same
status=0
still alive under set -e" "sourcing under set -u leaves variables, functions and options untouched, returns 0"

# Time to return: the dyno's command waits for this.
total=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
  t0=$(t::now_ms)
  env -i HOME="$rules_home" PATH="$PATH" DYNO=web.1 bash -c 'source "$0"' "$PROFILE" >/dev/null 2>&1
  total=$((total + $(t::now_ms) - t0))
done
t::figure "profile.d sourcing incl. bash start: $((total / 10)) ms average of 10"
((total / 10 < 100)) && t::pass "profile.d returns fast ($((total / 10)) ms with bash startup)" || t::fail "profile.d took $((total / 10)) ms"

echo "# the real supervisor with a stub agent"
home=$(new_home run)
boot "$home" DYNO=web.1 &
boot "$home" DYNO=web.1
wait
t::wait_until 3 test -s "${home}/.dynostatsd/run/agent.pid" || t::fail "agent.pid never written"
sleep 0.3
t::eq "$(count_of "$home" dynostatsd-supervise)" 1 "sourcing twice runs one supervisor"
t::eq "$(count_of "$home" dynostatsd)" 1 "sourcing twice runs one agent"
sup=$(pids_of "$home" dynostatsd-supervise)
agent=$(pids_of "$home" dynostatsd)
read -r -a stat <"/proc/${sup}/stat"
t::eq "${stat[5]}" "$sup" "the supervisor leads its own session (setsid)"
t::contains "$(cat "${home}/log")" "dynostatsd: stub start pid=${agent} args=run DD_TAGS= fds=0 1 2 3 " \
  "agent runs 'dynostatsd run', prefixed log lines, only stdio inherited"

t0=$(t::now_ms)
kill -KILL "$agent"
if t::wait_until 2 bash -c "[[ -n \$(cat '${home}/.dynostatsd/run/agent.pid') && \$(cat '${home}/.dynostatsd/run/agent.pid') != ${agent} ]] && kill -0 \$(cat '${home}/.dynostatsd/run/agent.pid')"; then
  t::pass "SIGKILLed agent restarted in $(($(t::now_ms) - t0)) ms"
  t::figure "agent restart after SIGKILL (supervisor, stub agent): $(($(t::now_ms) - t0)) ms"
else
  t::fail "agent not restarted within 2 s"
fi
t::contains "$(cat "${home}/log")" 'dynostatsd: at=warn stage=supervisor msg="agent exited" status=137' "the crash is logged with its status"
t::not_contains "$(cat "${home}/log")" "Killed" "no shell job noise in the dyno log"
t::contains "$(cat "${home}/log")" "restart_in=0.500s" "first restart after 0.5 s"

# Shutdown: SIGTERM reaches the supervisor and the agent at once, like Heroku does.
sup=$(pids_of "$home" dynostatsd-supervise)
agent=$(pids_of "$home" dynostatsd)
kill -TERM "$sup" "$agent"
t::wait_until 5 t::not_alive "$sup" && t::pass "supervisor exits after the agent" || t::fail "supervisor still running 5 s after SIGTERM"
t::contains "$(cat "${home}/log")" "dynostatsd: stub flushed" "the agent's final output after SIGTERM reaches the log"
t::contains "$(cat "${home}/log")" "dynostatsd: at=info stage=supervisor msg=stopped agent_status=0" "supervisor reports the agent's exit"
sleep 0.7
t::eq "$(count_of "$home" dynostatsd)" 0 "no agent restarted after SIGTERM"

echo "# crash loop backoff"
home=$(new_home crash)
boot "$home" DYNO=worker.1
t::wait_until 6 grep -q "restart_in=2.000s" "${home}/log" && t::pass "backoff doubles 0.5 -> 1 -> 2 s" || t::fail "backoff: $(grep -o 'restart_in=[0-9.]*s' "${home}/log" | tr '\n' ' ')"
t::eq "$(grep -o 'restart_in=[0-9.]*s' "${home}/log" | head -n3 | tr '\n' ' ')" "restart_in=0.500s restart_in=1.000s restart_in=2.000s " "backoff sequence"
sup=$(pids_of "$home" dynostatsd-supervise)
t0=$(t::now_ms)
kill -TERM "$sup"
t::wait_until 2 t::not_alive "$sup" && t::pass "SIGTERM during backoff stops at once ($(($(t::now_ms) - t0)) ms)" || t::fail "supervisor ignored SIGTERM while backing off"

echo "# invalid configuration is not retried"
home=$(new_home bad-config)
boot "$home" DYNO=web.1
t::wait_until 3 grep -q "not restarting" "${home}/log" && t::pass "exit 2 stops the supervisor" || t::fail "bad config: $(cat "${home}/log")"
t::eq "$(grep -c 'invalid configuration"' "${home}/log")" 1 "the agent ran once"
t::contains "$(cat "${home}/log")" 'dynostatsd: at=error stage=supervisor msg="agent configuration invalid, not restarting" status=2' "says why it gave up"
t::wait_until 2 bash -c "[[ -z \$(cat '${home}/.dynostatsd/run/supervisor.pid' 2>/dev/null) ]]" || true
t::eq "$(count_of "$home" dynostatsd-supervise)" 0 "no supervisor left"

echo "# prerun hooks"
home=$(new_home run)
mkdir -p "${home}/dynostatsd"
echo 'export DD_TAGS="team:checkout,dyno_size:${DYNO_SIZE:-std}"' >"${home}/dynostatsd/prerun.sh"
boot "$home" DYNO=web.1
t::wait_until 3 grep -q "stub start" "${home}/log"
t::contains "$(cat "${home}/log")" "DD_TAGS=team:checkout,dyno_size:std" "dynostatsd/prerun.sh sets variables for the agent"
t::contains "$(cat "${home}/log")" "msg=prerun file=dynostatsd/prerun.sh" "the prerun hook is logged"
kill -TERM "$(pids_of "$home" dynostatsd-supervise)" "$(pids_of "$home" dynostatsd)" 2>/dev/null
home=$(new_home run)
mkdir -p "${home}/datadog"
echo '[[ $DYNO == web.* ]] && export DISABLE_DATADOG_AGENT=true' >"${home}/datadog/prerun.sh"
boot "$home" DYNO=web.1
t::wait_until 3 grep -q "disabled_by_prerun" "${home}/log" && t::pass "datadog/prerun.sh can disable the agent per dyno" || t::fail "prerun disable: $(cat "${home}/log")"
t::eq "$(count_of "$home" dynostatsd)" 0 "no agent when prerun disabled it"

t::finish
