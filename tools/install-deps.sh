#!/bin/sh
# Installs what posenc's build, tests and benches need on Debian 12 (as root, or via sudo).
# Idempotent: packages already present are left as they are. `--list` prints the package names.
set -eu
packages="cmake make g++ libeigen3-dev catch2 libbenchmark-dev nlohmann-json3-dev libcli11-dev
  g++-aarch64-linux-gnu qemu-user clang libclang-rt-14-dev valgrind"
if [ "${1:-}" = "--list" ]; then
  echo $packages
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "posenc: installing$missing"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
