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
  libmimalloc-dev        # the coyote binary's malloc (cmake/CoyoteAllocator.cmake)
  python3                # example worker and end-to-end test drivers
  php-cli php-google-protobuf  # PHP example worker and PHP RPC client tests
  clang libclang-rt-14-dev     # libFuzzer targets
  clang-format                 # the lint stage's formatting (14: the committed style)
  clang-tidy-22                # its static checks: 22 skips system headers (scripts/clang_tidy.py)
  libbenchmark-dev       # micro-benchmarks
  libsqlite3-dev         # the durable sqlite/boltdb driver and durable host stores
  librabbitmq-dev rabbitmq-server php-amqp   # amqp driver, its test broker, the PHP peer
  libnats-dev nats-server                    # nats (JetStream) driver and its test server
  beanstalkd                                 # beanstalk driver's test server (and bench peer)
  libhiredis-dev redis-server php-redis      # redis streams driver, its test server, PHP peer
  prometheus             # promtool and a real Prometheus server for the metrics e2e test
  iproute2               # network namespaces for the multi-host tests
  libhowardhinnant-date-dev  # cron time zones (OS tzdb; g++ 12 lacks C++20's chrono tzdb)
  chromium nodejs        # the dashboard's browser test (playwright-core drives Debian's chromium)
  valgrind               # the callgrind bench stage (host instructions per job, bench/run.sh)
)

# The dashboard's browser test needs playwright-core from dashboard/package-lock.json (it downloads
# no browser). The UI itself is committed built (dashboard/dist/), so building coyote needs no npm.
dashboard_npm() {
  if ! command -v npm >/dev/null 2>&1; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm </dev/null
  fi
  local ui
  ui="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/dashboard"
  if [ ! -d "$ui/node_modules/playwright-core" ] || [ "$ui/package-lock.json" -nt "$ui/node_modules" ]; then
    echo "install-deps: npm ci in dashboard/ (playwright-core for the browser test)"
    (cd "$ui" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  dashboard_npm
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Broker packages start a system service from their postinst; the tests start their own brokers
# on free ports with temporary data, so no service may be started (and none may hold a port).
# invoke-rc.d asks /usr/sbin/policy-rc.d: exit 101 means "do not start". Ours is removed again.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  own_policy=1
fi
trap '[ -z "$own_policy" ] || $SUDO rm -f "$policy"' EXIT
$SUDO apt-get update -qq </dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
dashboard_npm
