#!/usr/bin/env bash
# ctest fuzz.short: builds the libFuzzer targets with clang (tests/fuzz/CMakeLists.txt)
# into BUILD_DIR if needed, runs each for a few seconds from its seeds, and prints per
# target the inputs tried and whether it crashed. Fails when one did.
#   tests/fuzz/run_short.sh BUILD_DIR [target...]
# MOT_FUZZ_SECONDS: seconds per target (default 10). What the targets find goes to a
# temporary directory (the repository stays as it is); each target's log and a
# crashing input are kept in BUILD_DIR/crashes. Long runs with a growing corpus:
# tools/fuzz.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/fuzz/fuzz.sh
source "$here/fuzz.sh"

dir=${1:?usage: run_short.sh BUILD_DIR [target...]}
shift
seconds=${MOT_FUZZ_SECONDS:-10}

fuzz_build "$dir"
targets=("$@")
((${#targets[@]})) || mapfile -t targets < <(fuzz_targets "$dir")

work=$(mktemp -d "${TMPDIR:-/tmp}/motmesh-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
crashes="$dir/crashes"
mkdir -p "$crashes"

echo "fuzz: ${#targets[@]} targets, $seconds s each"
fuzz_summary_header
failed_targets=()
for t in "${targets[@]}"; do
  fuzz_seed_dir "$t" "$work/seeds/$t"
  fuzz_run "$dir" "$t" "$seconds" "$work/corpus/$t" "$work/seeds/$t" "$crashes" || failed_targets+=("$t")
done
echo "fuzz: $fuzz_inputs_total inputs tried in all"
for t in "${failed_targets[@]}"; do
  echo "fuzz: $t crashed (log and input in $crashes):"
  fuzz_crash_details "$crashes/$t.log"
done
echo "fuzz: ${fuzz_passed:-0} passed, ${fuzz_failed:-0} failed"
[ "${fuzz_failed:-0}" = 0 ]
