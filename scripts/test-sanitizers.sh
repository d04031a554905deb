#!/usr/bin/env bash
# The test suite again, built with AddressSanitizer and UndefinedBehaviorSanitizer
# (-DSALESAUDIT_SANITIZE=ON) in build-asan/ and run under ctest. A report fails
# its test: undefined behaviour aborts (-fno-sanitize-recover), ASan halts at
# the first error, and a leak fails the process at exit.
#
# Left out (label `package`): the .deb tests. They package and install the
# binary built here, and an instrumented binary is not what ships: its
# dependencies (libasan, libubsan) make the package's checks meaningless.
# Memory goals are checked by the plain suite only (tests/support/build_flavor.h).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSALESAUDIT_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$(nproc)"
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:print_stacktrace=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
cd build-asan
ctest --output-on-failure -j2 --timeout 900 --label-exclude package
