#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test
# under ctest (each test starts the simulators and servers it needs on
# 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j2 --timeout 600
