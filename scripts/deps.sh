#!/usr/bin/env bash
# Installs what building and testing apig needs on Debian 12, if it is missing (apt-get, as
# root): the compiler and libraries, Google Benchmark for the decoder micro-benchmark, and the
# peers the bench's smoke test runs (wrk, curl, Node.js, Python, hyperfine), and tinyproxy (the proxy
# tests run the real one: test/integration/tinyproxy.hpp).
# Not root: prints the command to run instead and fails. Extra package names may be given as
# arguments (scripts/sanitize adds clang).
set -euo pipefail

packages=(g++ cmake ninja-build ccache ca-certificates
          libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libssl-dev doctest-dev
          libbenchmark-dev python3 wrk curl nodejs hyperfine  # hyperfine: the bench times the CLI against curl
          tinyproxy  # the proxy tests run the real one (test/integration/tinyproxy.hpp)
          "$@")

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "apig needs these Debian 12 packages: ${missing[*]}" >&2
    echo "install them as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
