#!/usr/bin/env bash
# Fuzzes a target for SECONDS (default 600), or each target in turn with
# `all`; connector_page, which covers every connector stream, gets SECONDS
# for each stream its seeds select (their first lines, `<type>/<stream>`): builds the fuzz targets with clang-14 and libFuzzer in build-fuzz/,
# then runs fuzz_TARGET from its seeds (fuzz/corpus/TARGET/), keeping the
# inputs it finds in build-fuzz/corpus/TARGET/ for the next run. A crash,
# sanitizer report, leak or input running past 10 s fails the target and
# leaves the input in build-fuzz/crashes/TARGET/: once fixed, commit it to
# fuzz/corpus/TARGET/ and ctest's fuzz_replay_TARGET replays it in every build.
#
#   scripts/fuzz.sh list                 the targets
#   scripts/fuzz.sh config 3600          an hour on one
#   scripts/fuzz.sh all 20               20 s on each (what CI runs)
set -euo pipefail
cd "$(dirname "$0")/.."

usage="usage: scripts/fuzz.sh TARGET|all|list [SECONDS]"
what=${1:?$usage}
seconds=${2:-600}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "$usage" >&2; exit 2; }
# Every target has a seed directory (fuzz/CMakeLists.txt).
mapfile -t all_targets < <(ls fuzz/corpus)
if [ "$what" = list ]; then
  printf '%s\n' "${all_targets[@]}"
  exit 0
elif [ "$what" = all ]; then
  targets=("${all_targets[@]}")
elif [ -d "fuzz/corpus/$what" ]; then
  targets=("$what")
else
  echo "fuzz: no target '$what' (scripts/fuzz.sh list)" >&2
  exit 2
fi

scripts/install-deps.sh
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSALESAUDIT_FUZZ=ON >/dev/null
build_targets=()
for t in "${targets[@]}"; do build_targets+=("fuzz_$t"); done
cmake --build build-fuzz -j"$(nproc)" --target "${build_targets[@]}"

export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# target_seconds TARGET: SECONDS, times the streams for connector_page.
target_seconds() {
  if [ "$1" != connector_page ]; then
    echo "$seconds"
    return
  fi
  local streams
  streams=$(head -q -n 1 fuzz/corpus/connector_page/* | grep -E '^[a-z0-9_]+/[a-z0-9_]+$' |
    sort -u | wc -l)
  echo $((seconds * (streams > 0 ? streams : 1)))
}
passed=0
failed=0
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/crashes/$t"
  log="build-fuzz/crashes/$t/last-run.log"
  run_seconds=$(target_seconds "$t")
  echo "== fuzz_$t for ${run_seconds}s"
  if build-fuzz/fuzz/fuzz_"$t" -max_total_time="$run_seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$t/" \
      "build-fuzz/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1; then
    passed=$((passed + 1))
    result=ok
  else
    failed=$((failed + 1))
    result=FAILED
    # The report: the sanitizer's or libFuzzer's, with the stack.
    grep -v -E '^#[0-9]+\s+(pulse|NEW|REDUCE|INITED|RELOAD)' "$log" | tail -n 60
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "fuzz_$t: $result, ${execs:-?} inputs run in ${run_seconds}s (log: $log)"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
