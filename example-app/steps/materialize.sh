#!/usr/bin/env bash
# Usage: example-app/steps/materialize.sh N DEST
# Writes step N (1-6) of the example app (WALKTHROUGH.md) into DEST: a copy of the full
# snapshot 01-plain-express/, then the patches 02-*.patch .. NN-*.patch applied in order with
# `git apply` (which works outside any repository). DEST must not exist or be empty.
# Exits non-zero, naming the patch, when one does not apply.
#
#   example-app/steps/materialize.sh 4 /tmp/step4 && cd /tmp/step4 && npm ci && node web.js
set -euo pipefail
shopt -s inherit_errexit nullglob

STEPS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
  echo "materialize: $*" >&2
  exit 1
}

(($# == 2)) || die "usage: $0 N DEST   (N: the step, 1-6)"
[[ $1 =~ ^0?[1-9]$ ]] || die "step must be a number from 1 to 9, got '$1'"
step=$((10#$1))
dest=$2
command -v git >/dev/null || die "needs git (git apply); install it with scripts/deps.sh"

base=("${STEPS}"/01-*/)
((${#base[@]} == 1)) || die "expected exactly one full snapshot ${STEPS}/01-*/"
patches=()
for ((n = 2; n <= step; n++)); do
  found=("${STEPS}/$(printf '%02d' "$n")"-*.patch)
  ((${#found[@]} == 1)) || die "step ${n}: expected exactly one ${STEPS}/$(printf '%02d' "$n")-*.patch"
  patches+=("${found[0]}")
done

if [[ -e $dest ]]; then
  [[ -d $dest && -z $(ls -A "$dest") ]] || die "${dest} exists and is not an empty directory"
fi
mkdir -p "$dest"
cp -R "${base[0]}." "$dest/"

# git apply must not mistake DEST for a path inside an enclosing repository (it would then
# resolve the patch's paths against that repository's root): stop its search at DEST.
dest_abs=$(cd "$dest" && pwd)
unset GIT_DIR GIT_WORK_TREE
export GIT_CEILING_DIRECTORIES=${dest_abs%/*}
for p in "${patches[@]}"; do
  if ! grep -q '^diff --git ' "$p"; then
    continue # a step without file changes (step 2 only adds the buildpack to the Heroku app)
  fi
  (cd "$dest_abs" && git apply --whitespace=error-all "$p") ||
    die "$(basename "$p") does not apply on top of the previous steps in ${dest}"
done
