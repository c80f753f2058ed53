#!/usr/bin/env bash
# README command 1: fresh Debian 12 machine → a running `coyote serve` on the example config.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCOYOTE_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
exec ./build/bin/coyote serve -c .rr.yaml.example "$@"
