#!/usr/bin/env bash
# shellcheck disable=SC2015,SC2016 # A && pass || fail is the idiom here; single-quoted scripts run elsewhere
# Boot without a dyno: .profile.d/dynostatsd.sh sourced the way Heroku does, and the real
# `dynostatsd supervise` (the binary of this tree) driving a stub agent (DYNOSTATSD_AGENT): boot rules,
# restarts, backoff, double start, shutdown, fds, prerun hooks, the log prefixer. Fast: no slug build.
# shellcheck source=test/buildpack/lib.sh
source "$(dirname "$0")/lib.sh"
t::setup
[[ -x $AGENT_BIN ]] || {
  t::fail "no agent binary at ${AGENT_BIN} (cmake --build build --target dynostatsd, or set DYNOSTATSD_BIN)"
  t::finish
  exit 1
}

PROFILE="${REPO}/profile.d/dynostatsd.sh"

# new_home MODE: a fake $HOME with the real binary as .dynostatsd/bin/dynostatsd and a stub agent
# (.dynostatsd/bin/stub-agent) in MODE run|crash|bad-config|record|flood.
new_home() {
  local home
  home=$(mktemp -d "${WORK}/home.XXXXXX")
  mkdir -p "${home}/.dynostatsd/bin"
  cp "$AGENT_BIN" "${home}/.dynostatsd/bin/dynostatsd"
  cat >"${home}/.dynostatsd/bin/stub-agent" <<'STUB'
#!/usr/bin/env bash
mode=$(cat "$HOME/stub-mode" 2>/dev/null)
[[ $mode == record ]] && echo "agent started DYNO=$DYNO args=$*" >>"$HOME/started" && exec sleep 60
echo "stub start pid=$$ args=$* DD_TAGS=${DD_TAGS:-} fds=$(ls /proc/self/fd | tr '\n' ' ')"
[[ $mode == crash ]] && exit 3
[[ $mode == bad-config ]] && echo 'at=error stage=config msg="invalid configuration"' && exit 2
trap 'echo "stub got TERM"; sleep 0.5; echo "stub flushed"; exit 0' TERM
if [[ $mode == flood ]]; then
  line=$(printf '%0999d' 0)
  for _ in {1..20000}; do echo "$line"; done
  touch "$HOME/flood-done"
  until [[ -f $HOME/resume ]]; do sleep 0.05; done
  echo "after flood"
fi
while true; do sleep 0.05; done
STUB
  chmod +x "${home}/.dynostatsd/bin/stub-agent"
  echo "${1:-run}" >"${home}/stub-mode"
  echo "$home"
}

t::not_alive() {
  ! t::alive "$1"
}

# pids_of HOME supervise|agent: PIDs of the supervisor (`dynostatsd supervise`) or the stub agent.
pids_of() {
  local p cmd pattern
  case $2 in
    supervise) pattern="${1}/.dynostatsd/bin/dynostatsd supervise" ;;
    agent) pattern="${1}/.dynostatsd/bin/stub-agent run" ;;
  esac
  for p in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' 2>/dev/null <"${p}/cmdline") || continue
    [[ $cmd == *"${pattern}"* ]] && t::alive "${p#/proc/}" && echo "${p#/proc/}"
  done
}

count_of() {
  pids_of "$1" "$2" | wc -l
}

# boot HOME ENV...: sources the profile.d script like a dyno's bash, output appended to HOME/log.
boot() {
  local home=$1
  shift
  env -i HOME="$home" PATH="$PATH" DYNOSTATSD_AGENT="${home}/.dynostatsd/bin/stub-agent" "$@" \
    bash -c 'source "$0"' "$PROFILE" >>"${home}/log" 2>&1
}

# stop_supervisor HOME: SIGTERM to the supervisor, waits until it is gone.
stop_supervisor() {
  local sup
  sup=$(cat "${1}/.dynostatsd/run/supervisor.pid" 2>/dev/null) || return 0
  kill -TERM "$sup" 2>/dev/null
  t::wait_until 5 t::not_alive "$sup"
}

echo "# boot rules (decided by the binary), with a recording stub agent"
rules_home=$(new_home record)
# started_after ENV...: yes when the agent started; the output of the boot is kept in boot.log.
started_after() {
  rm -f "${rules_home}/started" "${rules_home}/log"
  boot "$rules_home" "$@"
  local result=no
  t::wait_until 1 test -f "${rules_home}/started" && result=yes
  cp "${rules_home}/log" "${rules_home}/boot.log"
  stop_supervisor "$rules_home"
  echo "$result"
}
t::eq "$(started_after DYNO=web.1)" yes "web.1 starts the agent"
t::eq "$(cat "${rules_home}/boot.log")" "" "a normal start prints nothing from the sourced script"
t::contains "$(cat "${rules_home}/started" 2>/dev/null)" "args=run" "the agent is started as \`run\`"
t::eq "$(started_after DYNO=worker.3)" yes "worker.3 starts the agent"
t::eq "$(started_after DYNO=run.4242)" no "run.4242 (one-off) starts nothing by default"
t::eq "$(cat "${rules_home}/boot.log")" "" "a one-off dyno prints nothing (scripting use stays clean)"
t::eq "$(started_after DYNO=run-12a34b56d-e78f9)" no "Fir one-off run-12a34b56d-e78f9 starts nothing"
t::eq "$(started_after DYNO=run.1 DYNOSTATSD_ONE_OFF=true)" yes "DYNOSTATSD_ONE_OFF=true starts it in run.1"
t::eq "$(started_after DYNO=run.1 DYNOSTATSD_ONE_OFF=Yes)" yes "DYNOSTATSD_ONE_OFF=Yes (any case) too"
t::eq "$(started_after DYNO=web.1 DISABLE_DATADOG_AGENT=1)" no "DISABLE_DATADOG_AGENT disables it"
t::contains "$(cat "${rules_home}/boot.log")" 'reason="DISABLE_DATADOG_AGENT is set"' "a disabled web dyno says why"
t::eq "$(started_after DYNO=worker.1 DISABLE_DATADOG_AGENT=1)" no "disabled on a worker"
t::eq "$(cat "${rules_home}/boot.log")" "" "a disabled worker prints nothing"
t::eq "$(started_after DYNO=web.1 DYNOSTATSD_DISABLE=true)" no "DYNOSTATSD_DISABLE=true disables it"
t::eq "$(started_after DYNO=web.1 DYNOSTATSD_DISABLE=True)" no "DYNOSTATSD_DISABLE=True disables it"
t::eq "$(started_after DYNO=web.1 DYNOSTATSD_DISABLE=false)" yes "DYNOSTATSD_DISABLE=false does not"
t::eq "$(started_after DYNO=web.1 DYNOSTATSD_DISABLE=Off)" yes "DYNOSTATSD_DISABLE=Off does not"
t::eq "$(started_after DYNO=clock.1 DYNOSTATSD_DYNO_TYPES=web,worker)" no "clock.1 not in DYNOSTATSD_DYNO_TYPES"
t::eq "$(started_after DYNO=worker.2 'DYNOSTATSD_DYNO_TYPES=web, worker')" yes "worker.2 in DYNOSTATSD_DYNO_TYPES"
t::eq "$(started_after DYNO=web-12a34b56d-e78f9 DYNOSTATSD_DYNO_TYPES=web)" yes "Fir dyno name maps to type web"
t::eq "$(started_after DYNO=image-resizer-7d9f8b6c5-x2b4q DYNOSTATSD_DYNO_TYPES=image-resizer)" yes \
  "Fir image-resizer-7d9f8b6c5-x2b4q is type image-resizer (the agent's dynotype tag)"
t::eq "$(started_after DYNO=web.1 DYNOSTATSD_DEBUG=1 DYNOSTATSD_DYNO_TYPES=worker)" no "web excluded by types"
t::contains "$(cat "${rules_home}/boot.log")" "process type web is not in DYNOSTATSD_DYNO_TYPES=worker" "says which rule skipped it"
t::eq "$(started_after DYNO=worker.1 DYNOSTATSD_DEBUG=1 DISABLE_DATADOG_AGENT=1 && cat "${rules_home}/boot.log")" \
  'no
dynostatsd: at=info stage=boot msg="agent not started" reason="DISABLE_DATADOG_AGENT is set"' "DYNOSTATSD_DEBUG prints skips on any dyno"

echo "# one dyno-type rule, one boolean rule: the binary's, and the build-time copy agrees"
t::eq "$("$AGENT_BIN" dyno-type image-resizer-7d9f8b6c5-x2b4q) $("$AGENT_BIN" dyno-type web.1) $("$AGENT_BIN" dyno-type run.1234) $("$AGENT_BIN" dyno-type web-12a34b56d-e78f9) $(DYNO=run-12a34b56d-e78f9 "$AGENT_BIN" dyno-type)" \
  "image-resizer web run web run" "dynostatsd dyno-type: Cedar, Fir, one-offs"
# shellcheck source=lib/env.sh
source "${REPO}/lib/env.sh"
mismatch=""
for value in true True TRUE yes Yes YES on On ON 1 " true " false False no off OFF 0 "" maybe 2 enabled; do
  env::is_true "$value" && shell=1 || shell=0
  "$AGENT_BIN" is-true "$value" && binary=1 || binary=0
  [[ $shell == "$binary" ]] || mismatch+="[${value}] shell=${shell} binary=${binary} "
done
t::eq "$mismatch" "" "env::is_true (build time) and dynostatsd is-true answer alike on every value"

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
# To a file, not $(...): the detached supervisor keeps the dyno log (this stdout) open.
env -i HOME="$rules_home" PATH="$PATH" DYNOSTATSD_AGENT="${rules_home}/.dynostatsd/bin/stub-agent" DYNO=web.1 \
  bash -c "$state_check" "$PROFILE" >"${WORK}/state.out" 2>&1
stop_supervisor "$rules_home"
out=$(grep -v "stage=supervisor msg=stopped" "${WORK}/state.out")
t::eq "$out" "same
status=0
still alive under set -e" "sourcing under set -u leaves variables, functions and options untouched, returns 0"
out=$(env -i HOME="${WORK}/no-such-home" PATH="$PATH" DYNO=web.1 bash -c 'set -eu; source "$0"; echo alive' "$PROFILE" 2>&1)
t::eq "$out" "alive" "a slug without the agent (DYNOSTATSD_SKIP_BUILD): sourcing is silent and returns 0"

# Time to return: the dyno's command waits for this (the first call starts the supervisor, the rest
# find it running).
total=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
  t0=$(t::now_ms)
  env -i HOME="$rules_home" PATH="$PATH" DYNOSTATSD_AGENT="${rules_home}/.dynostatsd/bin/stub-agent" DYNO=web.1 \
    bash -c 'source "$0"' "$PROFILE" >/dev/null 2>&1
  total=$((total + $(t::now_ms) - t0))
done
stop_supervisor "$rules_home"
t::figure "profile.d sourcing incl. bash start and dynostatsd supervise: $((total / 10)) ms average of 10"
((total / 10 < 100)) && t::pass "profile.d returns fast ($((total / 10)) ms with bash startup)" || t::fail "profile.d took $((total / 10)) ms"

echo "# dynostatsd supervise with a stub agent"
home=$(new_home run)
boot "$home" DYNO=web.1 &
boot "$home" DYNO=web.1
wait
t::wait_until 3 test -s "${home}/.dynostatsd/run/agent.pid" || t::fail "agent.pid never written"
sleep 0.3
t::eq "$(count_of "$home" supervise)" 1 "sourcing twice runs one supervisor"
t::eq "$(count_of "$home" agent)" 1 "sourcing twice runs one agent"
sup=$(pids_of "$home" supervise)
agent=$(pids_of "$home" agent)
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
sup=$(pids_of "$home" supervise)
agent=$(pids_of "$home" agent)
kill -TERM "$sup" "$agent"
t::wait_until 5 t::not_alive "$sup" && t::pass "supervisor exits after the agent" || t::fail "supervisor still running 5 s after SIGTERM"
t::contains "$(cat "${home}/log")" "dynostatsd: stub flushed" "the agent's final output after SIGTERM reaches the log"
t::contains "$(cat "${home}/log")" "dynostatsd: at=info stage=supervisor msg=stopped agent_status=0" "supervisor reports the agent's exit"
sleep 0.7
t::eq "$(count_of "$home" agent)" 0 "no agent restarted after SIGTERM"

echo "# crash loop backoff"
home=$(new_home crash)
boot "$home" DYNO=worker.1
t::wait_until 6 grep -q "restart_in=2.000s" "${home}/log" && t::pass "backoff doubles 0.5 -> 1 -> 2 s" || t::fail "backoff: $(grep -o 'restart_in=[0-9.]*s' "${home}/log" | tr '\n' ' ')"
t::eq "$(grep -o 'restart_in=[0-9.]*s' "${home}/log" | head -n3 | tr '\n' ' ')" "restart_in=0.500s restart_in=1.000s restart_in=2.000s " "backoff sequence"
sup=$(pids_of "$home" supervise)
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
t::eq "$(count_of "$home" supervise)" 0 "no supervisor left"

echo "# prerun hooks"
home=$(new_home run)
mkdir -p "${home}/dynostatsd"
echo 'export DD_TAGS="team:checkout,dyno_size:${DYNO_SIZE:-std}"' >"${home}/dynostatsd/prerun.sh"
boot "$home" DYNO=web.1
t::wait_until 3 grep -q "stub start" "${home}/log"
t::contains "$(cat "${home}/log")" "DD_TAGS=team:checkout,dyno_size:std" "dynostatsd/prerun.sh sets variables for the agent"
t::contains "$(cat "${home}/log")" "msg=prerun file=dynostatsd/prerun.sh" "the prerun hook is logged"
kill -TERM "$(pids_of "$home" supervise)" "$(pids_of "$home" agent)" 2>/dev/null
home=$(new_home run)
mkdir -p "${home}/datadog"
echo '[[ $DYNO == web.* ]] && export DISABLE_DATADOG_AGENT=true' >"${home}/datadog/prerun.sh"
boot "$home" DYNO=web.1
t::wait_until 3 grep -q "disabled_by_prerun" "${home}/log" && t::pass "datadog/prerun.sh can disable the agent per dyno" || t::fail "prerun disable: $(cat "${home}/log")"
t::eq "$(count_of "$home" agent)" 0 "no agent when prerun disabled it"

echo "# the log prefixer: DYNOSTATSD_LOG_PREFIX, and a blocked dyno log never blocks the agent"
home=$(new_home run)
boot "$home" DYNO=web.1 "DYNOSTATSD_LOG_PREFIX=[metrics] "
t::wait_until 3 grep -q "stub start" "${home}/log"
t::contains "$(cat "${home}/log")" "[metrics] stub start pid=" "DYNOSTATSD_LOG_PREFIX replaces the prefix"
stop_supervisor "$home"
home=$(new_home run)
boot "$home" DYNO=web.1 DYNOSTATSD_LOG_PREFIX=
t::wait_until 3 grep -q "stub start" "${home}/log"
t::eq "$(grep -c '^stub start pid=' "${home}/log")" 1 "an empty DYNOSTATSD_LOG_PREFIX: lines unprefixed"
agent=$(pids_of "$home" agent)
t::eq "$(readlink "/proc/${agent}/fd/1")" "${home}/log" "and the agent writes to the dyno log itself (no prefixer)"
stop_supervisor "$home"

# A dyno log that is a regular file opened without O_APPEND (`>log`), written by the app's shell too:
# every line stays whole (the supervisor shares the file offset instead of writing at its own).
home=$(new_home run)
env -i HOME="$home" PATH="$PATH" DYNOSTATSD_AGENT="${home}/.dynostatsd/bin/stub-agent" DYNO=web.1 \
  bash -c 'source "$0"; for i in {1..40}; do echo "app line $i"; sleep 0.02; done' "$PROFILE" >"${home}/file-log" 2>&1
t::wait_until 3 grep -q "stub start" "${home}/file-log"
stop_supervisor "$home"
t::eq "$(grep -cvE '^(app line [0-9]+|dynostatsd: .*)$' "${home}/file-log") $(grep -c '^app line' "${home}/file-log")" "0 40" \
  "a shared log file (no O_APPEND): no line of the app or ours is overwritten"
t::contains "$(cat "${home}/file-log")" "dynostatsd: at=info stage=supervisor msg=stopped" "our last line is there too"

home=$(new_home flood)
mkfifo "${home}/dyno-log"
exec 7<>"${home}/dyno-log" # holds the log open but never reads: a stalled log drain
env -i HOME="$home" PATH="$PATH" DYNOSTATSD_AGENT="${home}/.dynostatsd/bin/stub-agent" DYNO=web.1 \
  bash -c 'source "$0"' "$PROFILE" >"${home}/dyno-log" 2>&1
if t::wait_until 20 test -f "${home}/flood-done"; then
  t::pass "the agent wrote 20 MB of lines while nobody read the dyno log"
else
  t::fail "the agent blocked on a stalled dyno log"
fi
sup=$(pids_of "$home" supervise)
t::check "the supervisor stays alive with the log stalled" t::alive "$sup"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/${sup}/status")
t::figure "supervisor RSS with a stalled log after 20 MB of agent output: ${rss} kB"
((rss < 4096)) && t::pass "its memory stays bounded (${rss} kB)" || t::fail "supervisor RSS ${rss} kB"
timeout 10 sed '/after flood/q' "${home}/dyno-log" >"${home}/drained" 2>/dev/null &
reader=$!
t::wait_until 5 grep -q "log lines dropped" "${home}/drained"
touch "${home}/resume" # the agent writes again only now, after the log drained
wait "$reader"
t::contains "$(cat "${home}/drained")" 'msg="log lines dropped" reason=log_blocked count=' "once the log drains it says how many lines were dropped"
t::contains "$(cat "${home}/drained")" "dynostatsd: after flood" "and later lines flow again"
exec 7>&-
stop_supervisor "$home"

t::finish
