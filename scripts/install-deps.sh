#!/usr/bin/env bash
# Installs every Debian 12 package Coyote needs to build, test and run its examples.
# Idempotent and non-interactive: it only calls apt-get when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libboost1.81-all-dev   # Boost.DLL (plugin loading), Asio, JSON, CRC, UUID, Beast
  libyaml-cpp-dev        # .rr.yaml parsing with line/column marks
  libspdlog-dev          # logging
  catch2                 # unit tests (v2)
  libprotobuf-dev protobuf-compiler  # jobs.v1 RPC messages
  libcli11-dev           # command line
  python3                # example worker and end-to-end test drivers
  php-cli php-google-protobuf  # PHP example worker and PHP RPC client tests
  clang libclang-rt-14-dev     # libFuzzer targets
  libbenchmark-dev       # micro-benchmarks
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq </dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
