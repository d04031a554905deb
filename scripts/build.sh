#!/usr/bin/env bash
# Configures and builds salesaudit, its simulators, tests and benchmarks in
# build/; with arguments, only those targets (scripts/build.sh salesaudit).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" ${1:+--target "$@"}
