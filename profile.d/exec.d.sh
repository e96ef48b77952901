#!/usr/bin/env bash
# dynostatsd's CNB exec.d program (installed as <layers>/agent/exec.d/dynostatsd): the launcher runs it
# before EVERY process it starts in the container, in the launch environment, cwd = the app, with fd 3
# open for `NAME = "value"` TOML lines, and waits until fd 3 reaches EOF and this program exits. We set
# no variable; fd 3 is closed for `dynostatsd supervise`, which applies the boot rules (one-off dynos,
# DYNOSTATSD_DISABLE, DYNOSTATSD_DYNO_TYPES), takes the per-container lock (a second process in the
# same container starts no second agent), detaches, and returns in milliseconds.
set -eu
layer=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec "${layer}/bin/dynostatsd" supervise --app-dir "$PWD" --run-dir "${DYNOSTATSD_RUN_DIR:-/tmp/dynostatsd}" </dev/null 3>&-
