#!/bin/sh
# Test fixture: builds the .deb from the build dir's CPack config, the way
# README's "Run as a service" does (`cpack -G DEB`), into OUT_DIR so a
# package in the build dir itself is left alone.
# Usage: build_deb.sh CPACK CPACK_CONFIG OUT_DIR
set -eu
cpack=$1 config=$2 out=$3

rm -rf "$out"
mkdir -p "$out"
"$cpack" --config "$config" -G DEB -B "$out"
ls "$out"/salesaudit_*.deb
