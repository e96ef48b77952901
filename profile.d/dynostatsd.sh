# shellcheck shell=bash
# dynostatsd: starts the DogStatsD agent at dyno boot. Heroku SOURCES this file into the shell that then
# runs the dyno's command, so it never exits, never sets shell options, defines nothing that outlives
# it, changes no variable, and returns in milliseconds: the supervisor is started detached (setsid)
# and does the rest (prerun hooks, start, restarts, shutdown).
#
# Skips (reason printed on web dynos, or on any dyno with DYNOSTATSD_DEBUG set):
#   DISABLE_DATADOG_AGENT set, or DYNOSTATSD_DISABLE set (and not 0/false/no/off)
#   one-off dynos (run.N) unless DYNOSTATSD_ONE_OFF=true
#   a process type not listed in DYNOSTATSD_DYNO_TYPES (e.g. "web,worker"), when that is set

__dynostatsd_boot() {
  local home=${HOME:-/app} dyno=${DYNO:-} type reason=""
  local bin="${home}/.dynostatsd/bin"
  # Cedar names dynos web.1 / run.4242; Fir names them web-12a34b56d-e78f9.
  type=${dyno%%.*}
  [[ $dyno == *.* ]] || type=${dyno%%-*}

  if [[ -n ${DISABLE_DATADOG_AGENT:-} ]]; then
    reason="DISABLE_DATADOG_AGENT is set"
  elif [[ -n ${DYNOSTATSD_DISABLE:-} && ! ${DYNOSTATSD_DISABLE,,} =~ ^(0|false|no|off)$ ]]; then
    reason="DYNOSTATSD_DISABLE is set"
  elif [[ $type == run && ! ${DYNOSTATSD_ONE_OFF:-false} =~ ^(1|true|TRUE|True|yes|on)$ ]]; then
    reason="one-off dyno (set DYNOSTATSD_ONE_OFF=true to run the agent in one-off dynos)"
  elif [[ -n ${DYNOSTATSD_DYNO_TYPES:-} && ",${DYNOSTATSD_DYNO_TYPES// /}," != *",${type},"* ]]; then
    reason="process type ${type:-unknown} is not in DYNOSTATSD_DYNO_TYPES=${DYNOSTATSD_DYNO_TYPES}"
  elif [[ ! -x "${bin}/dynostatsd" || ! -x "${bin}/dynostatsd-supervise" ]]; then
    reason="agent not in the slug (built with DYNOSTATSD_SKIP_BUILD?)"
  fi

  if [[ -n $reason ]]; then
    if [[ $type == web || -n ${DYNOSTATSD_DEBUG:-} ]]; then
      echo "dynostatsd: at=info stage=boot msg=\"agent not started\" reason=\"${reason}\""
    fi
    return 0
  fi
  # setsid -f: own session and process group, so the dyno's shell never waits for it or signals it.
  if command -v setsid >/dev/null; then
    setsid -f "${bin}/dynostatsd-supervise" </dev/null
  else
    ("${bin}/dynostatsd-supervise" </dev/null &)
  fi
  return 0
}
__dynostatsd_boot
unset -f __dynostatsd_boot
