#!/bin/sh
# Every C++ file of the project is as clang-format (the repo's .clang-format) writes
# it: `clang-format-16 --dry-run -Werror` on each tracked .cc/.h (tests/fuzz/corpus and
# crashes-found hold inputs, not code). Fix with: clang-format-16 -i FILE.
# Run from the source root; exits 1 naming each file that is not formatted.
set -u
cd "${1:-.}" || exit 2
cf=$(command -v clang-format-16 || command -v clang-format) || { echo "format: clang-format-16 is not installed (tools/setup installs it)"; exit 1; }
files=$(git ls-files '*.cc' '*.h' 2>/dev/null || find services tools tests -name '*.cc' -o -name '*.h')
bad=0
n=0
for f in $files; do
  n=$((n + 1))
  if ! "$cf" --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f"
    bad=$((bad + 1))
  fi
done
echo "format: $n files checked, $bad not formatted"
[ $bad = 0 ]
