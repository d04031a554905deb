#!/usr/bin/env bash
# Installs the Debian 12 packages salesaudit needs to build and test, only
# those missing (idempotent). Runs apt-get as root, or through sudo.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libcurl4-openssl-dev rapidjson-dev libyaml-cpp-dev libspdlog-dev
  libsqlite3-dev libssl-dev zlib1g-dev catch2 sqlite3 ca-certificates
  libsystemd-dev              # sd_notify(3) for the Type=notify unit
  systemd                     # systemd-analyze: the unit's verify and security tests
  chromium fonts-dejavu-core  # the HTML report's browser test
  python3-aiosmtpd            # the real SMTP server of the alert email tests
  man-db groff-base           # the man page test: man --warnings reads salesaudit.1
  clang-14 libclang-rt-14-dev # the fuzz targets: clang with libFuzzer (scripts/fuzz.sh)
  prometheus                  # promtool: /metrics, the alerting rules and their tests
)
# node and npm: tests/clients runs open-source vendor clients from npm against
# the simulators. A node installed otherwise (NodeSource, which bundles npm)
# serves as well, so only a missing command asks for Debian's packages.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
echo "install-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
