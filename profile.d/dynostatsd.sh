# shellcheck shell=bash
# dynostatsd: starts the DogStatsD agent at dyno boot. Heroku SOURCES this file into the shell that then
# runs the dyno's command, so it never exits, never sets shell options, defines nothing that outlives
# it, changes no variable, and returns in milliseconds. Everything else is `dynostatsd supervise`: the
# boot rules (one-off dynos, DYNOSTATSD_DISABLE, DISABLE_DATADOG_AGENT, DYNOSTATSD_DYNO_TYPES), the
# double-start guard, detaching from this shell, prerun hooks, restarts and shutdown (README "Boot").
if [[ -x "${HOME:-/app}/.dynostatsd/bin/dynostatsd" ]]; then
  "${HOME:-/app}/.dynostatsd/bin/dynostatsd" supervise </dev/null || :
elif [[ -n ${DYNOSTATSD_DEBUG:-} ]]; then
  echo "dynostatsd: at=info stage=boot msg=\"agent not started\" reason=\"agent not in the slug (built with DYNOSTATSD_SKIP_BUILD?)\""
fi
