#!/usr/bin/env bash
# README command 2: install, build and run every test.
#   1. warnings-as-errors build + the whole suite (unit, plugin, end-to-end)
#   2. ASan+UBSan build + the whole suite
#   3. TSan build + the concurrent parts (queue, dispatcher, worker pool, RPC, drivers, sqlite store,
#      schedules: their fire log writes through the host file's writer thread)
#   4. libFuzzer targets (clang) run briefly
#   lint: clang-format --dry-run --Werror over every tracked C++ file, and clang-tidy (.clang-tidy)
#         over the sources of host/, sdk/, plugins/ and libs/ (scripts/clang_tidy.py; clean files are
#         cached in build-ci, so a rerun checks only what changed); any finding fails the stage
# Stage 1 also runs bench/run.sh --quick, which checks that every benchmark stage (including the
# peers: beanstalkd, gearmand, BullMQ on redis) still produces a number, not how big it is.
# COYOTE_TEST_STAGES selects stages (default "main lint asan tsan fuzz"); e.g. COYOTE_TEST_STAGES=lint.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)
stages=${COYOTE_TEST_STAGES:-main lint asan tsan fuzz}
fuzz_seconds=${COYOTE_FUZZ_SECONDS:-20}

bash scripts/install-deps.sh

has_stage() { [[ " $stages " == *" $1 "* ]]; }
banner() { printf '\n==== %s ====\n' "$*"; }
# Every stage prints how long it took, so a slow CI run shows where the time went.
run_started=$(date +%s)
stage_started=$run_started
stage() { banner "$*"; stage_started=$(date +%s); }
stage_took() { echo "---- $1 took $(( $(date +%s) - stage_started ))s (run so far: $(( $(date +%s) - run_started ))s)"; }

# clang-tidy over the sources (lint stage); needs build-ci's compile commands and the protobuf
# headers coyote_rpc generates. A clean clone's cache is empty, so under CI the cache keys (one
# preprocessing of every file, about a minute of CPU for 160 files) would buy nothing: check
# everything directly.
if [ "${CI:-}" = true ]; then export COYOTE_TIDY_CACHE=0; fi
# libs/ too, as the header says (it was named there but not passed; its 5 files are clean).
tidy_command=(python3 scripts/clang_tidy.py build-ci host sdk plugins libs)
# The TSan tree's test targets (read once: `grep -q` on a live pipe would close it early and,
# under pipefail, turn every check false: the stage then built and ran nothing).
tsan_configure() {
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCOYOTE_WERROR=ON -DCOYOTE_SANITIZE=thread >/dev/null
  local available t
  available=$(cmake --build build-tsan --target help)
  tsan_targets=()
  for t in test_jobs test_memory test_worker test_rpc test_amqp test_beanstalk test_redis test_sqlite test_schedule test_http test_metrics test_observe; do
    if grep -qx "\.\.\. $t" <<<"$available"; then tsan_targets+=("$t"); fi
  done
  [ ${#tsan_targets[@]} -gt 0 ] || { echo "TSan stage: no test targets found" >&2; exit 1; }
}
tsan_build() { cmake --build build-tsan -j"$jobs" --target coyote_driver_memory "${tsan_targets[@]}"; }
fuzz_build() {
  CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOYOTE_BUILD_FUZZERS=ON \
    -DCOYOTE_BUILD_TESTS=OFF >/dev/null
  cmake --build build-fuzz -j"$jobs" --target fuzzers
}

if has_stage main; then
  stage "build (Release, -Werror) and run the whole suite"
  # The bench targets are built here with the rest (both cores busy), not one by one by bench/run.sh.
  cmake -S . -B build-ci -DCMAKE_BUILD_TYPE=Release -DCOYOTE_WERROR=ON -DCOYOTE_BUILD_BENCH=ON >/dev/null
  cmake --build build-ci -j"$jobs"
  stage_took "Release build"
  # One test per core. Two per core measured 98 s against 170 s here (the suite mostly waits on
  # brokers and processes), but under a CI run's load it made a browser test's 10 s wait and a
  # beanstalk test's race fail: not worth 70 s.
  (cd build-ci && ctest --output-on-failure --no-tests=error -j"$jobs" --timeout 300)
  stage_took "Release build + suite"
  stage "benchmark harness smoke run (--quick: every stage must produce a number)"
  COYOTE_BENCH_BUILD=build-ci bash bench/run.sh --quick
  stage_took "benchmark smoke run"
fi

if has_stage lint; then
  stage "lint: clang-format over every tracked C++ file, clang-tidy over host/ sdk/ plugins/ libs/"
  git ls-files -z '*.cpp' '*.hpp' '*.h' '*.cc' | xargs -0 clang-format --dry-run --Werror
  cmake -S . -B build-ci -DCMAKE_BUILD_TYPE=Release -DCOYOTE_WERROR=ON >/dev/null
  cmake --build build-ci -j"$jobs" --target coyote_rpc >/dev/null
  "${tidy_command[@]}"
  stage_took "lint"
fi

if has_stage asan; then
  stage "ASan + UBSan build and the whole suite"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCOYOTE_WERROR=ON \
    "-DCOYOTE_SANITIZE=address;undefined" >/dev/null
  cmake --build build-asan -j"$jobs"
  stage_took "ASan build"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure --no-tests=error -j"$jobs" --timeout 600 -E '^(bench|sdk-install)')
  stage_took "ASan build + suite"
fi

if has_stage tsan; then
  stage "TSan build and the concurrent parts"
  tsan_configure
  tsan_build
  stage_took "TSan build"
  (cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --output-on-failure --no-tests=error -j"$jobs" --timeout 600 -R '^(jobs|memory|worker|rpc|amqp|beanstalk|redis|sqlite|schedule|http|metrics|observe):')
  stage_took "TSan build + suite"
fi

if has_stage fuzz; then
  stage "libFuzzer targets, ${fuzz_seconds}s each"
  fuzz_build
  stage_took "fuzzer build"
  # Each fuzzer is one single-threaded process: run as many at once as there are cores, each
  # into its own log, then print every summary and fail if any of them found something.
  mkdir -p build-fuzz/logs
  run_fuzzer() {
    local fuzzer=$1 name corpus
    name=$(basename "$fuzzer")
    corpus="build-fuzz/corpus/$name"
    mkdir -p "$corpus"
    "$fuzzer" -max_total_time="$fuzz_seconds" -print_final_stats=1 "$corpus" \
      >"build-fuzz/logs/$name.log" 2>&1 && echo ok >"build-fuzz/logs/$name.status" \
      || echo failed >"build-fuzz/logs/$name.status"
  }
  export -f run_fuzzer
  export fuzz_seconds
  rm -f build-fuzz/logs/*.status
  find build-fuzz/bin -maxdepth 1 -name '*_fuzz' -type f -executable -print0 |
    xargs -0 -n1 -P"$jobs" bash -c 'run_fuzzer "$0"'
  [ -n "$(ls build-fuzz/logs/*.status 2>/dev/null)" ] || { echo "fuzz stage: no fuzzer ran" >&2; exit 1; }
  fuzz_failed=0
  for status in build-fuzz/logs/*.status; do
    name=$(basename "$status" .status)
    echo "-- $name: $(cat "$status")"
    if [ "$(cat "$status")" = ok ]; then
      tail -n 4 "build-fuzz/logs/$name.log"
    else
      tail -n 60 "build-fuzz/logs/$name.log"
      fuzz_failed=1
    fi
  done
  [ "$fuzz_failed" = 0 ] || { echo "fuzz stage: a fuzzer failed (logs above)" >&2; exit 1; }
  stage_took "fuzz build + runs"
fi

banner "all test stages passed: $stages (in $(( $(date +%s) - run_started ))s)"
