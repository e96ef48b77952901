#!/usr/bin/env bash
# Build output in Heroku's conventions: every line the user sees during bin/compile goes through here.
#   output::step "Compiling the agent"        -> "-----> Compiling the agent"
#   output::indent "Done in 41 s"             -> "       Done in 41 s"
#   some_command | output::indent             -> each line indented, unbuffered
#   output::warning "..." / output::error "What failed" "Why" "Fix one" "Fix two"  -> " !     " blocks on stderr

output::step() {
  echo "-----> $*"
}

# output::indent [TEXT...]: indents its arguments, or stdin line by line when called without any.
output::indent() {
  if (($#)); then
    echo "       $*"
  else
    local line
    while IFS= read -r line || [[ -n $line ]]; do
      echo "       ${line}"
    done
  fi
}

output::warning() {
  {
    echo
    local line
    for line in "$@"; do
      if [[ -n $line ]]; then echo " !     ${line}"; else echo " !"; fi
    done
    echo
  } >&2
}

# output::error WHAT WHY [FIX...]: what failed, why, then numbered fixes.
output::error() {
  local what=$1 why=${2:-} n=1 fix
  shift 2 || shift $#
  {
    echo
    echo " !     ${what}"
    [[ -n $why ]] && echo " !     ${why}"
    if (($#)); then
      echo " !"
      echo " !     How to fix it:"
      for fix in "$@"; do
        echo " !       ${n}. ${fix}"
        n=$((n + 1))
      done
    fi
    echo
  } >&2
}
