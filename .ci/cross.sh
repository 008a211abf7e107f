#!/usr/bin/env bash
# Optional CI step: the tools of the "one wheel for every CPU" checks (tests/test_qemu.py):
# Debian's qemu-user (qemu-x86_64 -cpu Nehalem/Haswell, qemu-aarch64) and the aarch64
# cross compiler. Never fails the run: without apt or network the tests skip instead.
#   bash .ci/cross.sh             # install what is missing
#   bash .ci/cross.sh --selftest  # and build + run the aarch64 kernel self-test now
# .ci/run calls it before pytest:  bash .ci/cross.sh || true
set -uo pipefail

need=()
command -v qemu-x86_64 >/dev/null 2>&1 && command -v qemu-aarch64 >/dev/null 2>&1 || need+=(qemu-user)
command -v aarch64-linux-gnu-g++ >/dev/null 2>&1 || need+=(g++-aarch64-linux-gnu)
if ((${#need[@]})); then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  if command -v apt-get >/dev/null 2>&1 &&
     timeout 600 $SUDO apt-get update -qq >/dev/null 2>&1 &&
     DEBIAN_FRONTEND=noninteractive timeout 900 $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
    echo "cross.sh: installed ${need[*]}"
  else
    echo "cross.sh: could not install ${need[*]} (no apt, no root or no network): the qemu tests will skip"
    exit 0
  fi
else
  echo "cross.sh: qemu-user and the aarch64 cross compiler are present"
fi

if [ "${1:-}" = "--selftest" ] && command -v aarch64-linux-gnu-g++ >/dev/null 2>&1; then
  cd "$(dirname "$0")/.." || exit 0
  mkdir -p build
  bash tests/cpp/build_selftest.sh aarch64-linux-gnu-g++ build/selftest-aarch64 &&
    python3 tests/cpp/make_selftest_data.py > build/selftest-cases.txt &&
    qemu-aarch64 -L /usr/aarch64-linux-gnu build/selftest-aarch64 build/selftest-cases.txt
  exit $?  # prints "N passed, N failed"
fi
exit 0
