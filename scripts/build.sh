#!/usr/bin/env bash
# Configures and builds one CMake preset (default: release), with ccache when present.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake --preset "$preset" "${launcher[@]}" >/dev/null
cmake --build --preset "$preset"
