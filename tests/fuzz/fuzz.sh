# Shared by tests/fuzz/run_short.sh (ctest fuzz.short) and tools/fuzz: build the
# clang fuzz project, lay out a target's seeds, run a target and summarise the run.
# Sourced, not run. Environment:
#   MOT_FUZZ_CC, MOT_FUZZ_CXX  the compilers (default clang-16/clang++-16, else clang/clang++)
#   MOT_FUZZ_JOBS              parallel compile jobs (default 2)
#   MOT_FUZZ_TIMEOUT           seconds one input may take before it counts as a hang (default 25)
#   MOT_FUZZ_RSS_MB            memory limit of a target, MB (default 2048)

fuzz_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# The shipped configuration each target starts from, besides tests/fuzz/corpus/<target>.
fuzz_shipped_seeds() {
  case "$1" in
    fuzz_playbook) echo deploy/config/playbook.yaml ;;
    fuzz_sla_policy) echo deploy/config/sla.yaml ;;
    fuzz_templates) echo deploy/config/templates.yaml ;;
    fuzz_surveys) echo deploy/config/surveys.yaml ;;
  esac
}

fuzz_compilers() {
  if [ -n "${MOT_FUZZ_CXX:-}" ]; then
    fuzz_cc=${MOT_FUZZ_CC:-clang}
    fuzz_cxx=$MOT_FUZZ_CXX
  elif command -v clang++-16 >/dev/null; then
    fuzz_cc=clang-16
    fuzz_cxx=clang++-16
  else
    fuzz_cc=clang
    fuzz_cxx=clang++
  fi
  if ! command -v "$fuzz_cxx" >/dev/null; then
    echo "fuzz: $fuzz_cxx not found (tools/setup installs clang-16 and libclang-rt-16-dev)" >&2
    return 1
  fi
}

# fuzz_build BUILD_DIR: configures (once) and builds the fuzz targets; the compiler's
# output goes to BUILD_DIR/build.log, and on failure to stderr.
fuzz_build() {
  local dir=$1 start=$SECONDS
  fuzz_compilers || return 1
  mkdir -p "$dir"
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    local generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    if ! CC=$fuzz_cc CXX=$fuzz_cxx cmake -S "$fuzz_root/tests/fuzz" -B "$dir" "${generator[@]}" \
        >"$dir/configure.log" 2>&1; then
      cat "$dir/configure.log" >&2
      echo "fuzz: configuring $dir failed" >&2
      rm -f "$dir/CMakeCache.txt"
      return 1
    fi
  fi
  if ! cmake --build "$dir" -j"${MOT_FUZZ_JOBS:-2}" >"$dir/build.log" 2>&1; then
    tail -n 60 "$dir/build.log" >&2
    echo "fuzz: building $dir failed (log: $dir/build.log)" >&2
    return 1
  fi
  echo "fuzz: built the targets with $fuzz_cxx in $((SECONDS - start)) s ($dir)"
}

fuzz_targets() { cat "$1/fuzz_targets.txt"; }

# fuzz_seed_dir TARGET DIR: the target's seeds copied into DIR: tests/fuzz/corpus/<target>,
# the shipped configuration it reads, and the inputs of the bugs it found
# (tests/fuzz/crashes-found/<target>-*: they pass while their bug is listed as known
# in fuzz_common.h, and guard its fix once it is not).
fuzz_seed_dir() {
  local target=$1 dir=$2 f
  mkdir -p "$dir"
  if [ -d "$fuzz_root/tests/fuzz/corpus/$target" ]; then
    cp "$fuzz_root/tests/fuzz/corpus/$target"/* "$dir"/ 2>/dev/null || true
  fi
  for f in "$fuzz_root/tests/fuzz/crashes-found/$target"-*; do
    if [ -e "$f" ]; then cp "$f" "$dir/found-$(basename "$f")"; fi
  done
  for f in $(fuzz_shipped_seeds "$target"); do
    cp "$fuzz_root/$f" "$dir/shipped-$(basename "$f")"
  done
}

fuzz_summary_header() {
  printf 'fuzz: %-22s %12s %8s %8s  %s\n' target "inputs tried" corpus seconds result
}

# fuzz_run BUILD_DIR TARGET SECONDS CORPUS_DIR SEED_DIR CRASH_DIR: runs TARGET for
# SECONDS, adding what it finds to CORPUS_DIR, saving a crashing input in CRASH_DIR;
# prints one summary line. Returns 1 when the target crashed (or did not run).
# Counters: fuzz_inputs_total, fuzz_passed, fuzz_failed.
fuzz_run() {
  local dir=$1 target=$2 seconds=$3 corpus=$4 seeds=$5 crashes=$6
  local log="$crashes/$target.log" start=$SECONDS rc=0
  mkdir -p "$corpus" "$crashes"
  local symbolizer
  symbolizer=$(command -v "llvm-symbolizer-${fuzz_llvm_version:-16}" || ls /usr/bin/llvm-symbolizer-* 2>/dev/null | tail -n 1)
  ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$symbolizer} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$dir/$target" "$corpus" "$seeds" -max_total_time="$seconds" -print_final_stats=1 \
    -timeout="${MOT_FUZZ_TIMEOUT:-25}" -rss_limit_mb="${MOT_FUZZ_RSS_MB:-2048}" \
    -artifact_prefix="$crashes/$target-" >"$log" 2>&1 || rc=$?
  local runs corpus_size result
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  [ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  corpus_size=$(find "$corpus" -type f | wc -l)
  if [ "$rc" = 0 ]; then
    result=ok
    fuzz_passed=$((${fuzz_passed:-0} + 1))
  elif [ "$rc" = 72 ] && grep -aq 'libFuzzer: run interrupted' "$log"; then
    result="interrupted (SIGINT) before its time was up"
    fuzz_failed=$((${fuzz_failed:-0} + 1))
  else
    local why input
    why=$(grep -a -m1 -E '^\*\*\* invariant broken|ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error:' "$log" |
          sed -E 's/^==[0-9]+== ?//' | cut -c1-200 || true)
    input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    result="CRASH (exit $rc): ${why:-see the log} (input: ${input:-none}; log: $log)"
    fuzz_failed=$((${fuzz_failed:-0} + 1))
  fi
  fuzz_inputs_total=$((${fuzz_inputs_total:-0} + ${runs:-0}))
  printf 'fuzz: %-22s %12s %8s %8s  %s\n' "$target" "${runs:-0}" "$corpus_size" "$((SECONDS - start))" "$result"
  [ "$rc" = 0 ]
}

# fuzz_crash_details LOG: what broke and the frames of this project's code.
fuzz_crash_details() {
  local log=$1
  { grep -a -m1 -E '^\*\*\* invariant broken|ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error:' "$log" |
      cut -c1-400 | sed 's/^/fuzz:   /'; } || true
  { grep -a -E "^ +#[0-9]+ .* in .*$fuzz_root/(services|tests/fuzz)/" "$log" | head -n 8 |
      sed -E "s|$fuzz_root/||; s/^ +/fuzz:     /"; } || true
}
