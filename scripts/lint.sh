#!/usr/bin/env bash
# make lint: clang-format on C++, shellcheck and shfmt on every shell script.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t cpp < <(git ls-files --cached --others --exclude-standard -- '*.cpp' '*.h' | while read -r f; do [[ -f $f ]] && echo "$f"; done)
mapfile -t sh < <(git ls-files --cached --others --exclude-standard -- '*.sh' 'bin/*' '.ci/run' 'test/heroku/heroku' 'test/buildpack/fixtures/*/bin/*' 'test/fixtures/*/bin/*' | while read -r f; do [[ -f $f ]] && echo "$f"; done)

status=0
if ((${#cpp[@]})); then
  clang-format --dry-run --Werror "${cpp[@]}" || status=1
fi
if ((${#sh[@]})); then
  shellcheck -x "${sh[@]}" || status=1
  shfmt -d -i 2 -ci "${sh[@]}" || status=1
fi
if ((status)); then
  echo "lint: failed (fix with: clang-format -i <files>; shfmt -w -i 2 -ci <files>)" >&2
  exit 1
fi
echo "lint: ${#cpp[@]} C++ files, ${#sh[@]} shell scripts clean"
