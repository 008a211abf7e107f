#!/usr/bin/env bash
# Builds the kernel self-test (tests/cpp/selftest.cpp) with the compiler given, for the
# ISAs of that compiler's target (x86-64: scalar sse4 avx2 avx512; aarch64: scalar neon),
# with the same per-ISA flags as CMakeLists.txt. Run from the repository root.
#   tests/cpp/build_selftest.sh aarch64-linux-gnu-g++ build/selftest-aarch64
set -euo pipefail
CXX=${1:-g++}
OUT=${2:-build/selftest}
mkdir -p "$(dirname "$OUT")"
OBJ=$(mktemp -d)
trap 'rm -rf "$OBJ"' EXIT
COMMON=(-std=c++17 -O2 -ffp-contract=off -fno-math-errno -Wall -Wextra -Wno-psabi -Isrc/cpp)
OMP=()
if echo 'int main(){}' | "$CXX" -fopenmp -x c++ - -o "$OBJ/omp-probe" 2>/dev/null; then
  OMP=(-fopenmp -DPYACT_OPENMP=1)
fi
case "$("$CXX" -dumpmachine)" in
  x86_64*)
    ISAS=(scalar sse4 avx2 avx512)
    declare -A FLAGS=([scalar]="" [sse4]="-msse4.2 -mpopcnt" [avx2]="-mavx2 -mfma -mf16c -mbmi2"
      [avx512]="-mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma -mf16c -mbmi2 -Wno-maybe-uninitialized") ;;
  aarch64*) ISAS=(scalar neon); declare -A FLAGS=([scalar]="" [neon]="") ;;
  *) ISAS=(scalar); declare -A FLAGS=([scalar]="") ;;
esac
# One kernel table per ISA, compiled side by side: each takes minutes (aarch64: 83 s and
# 92 s one after the other, 92 s together on 2 cores), and pytest waits on this build.
HAVE=()
PIDS=()
for isa in "${ISAS[@]}"; do
  upper=$(echo "$isa" | tr a-z A-Z)
  # shellcheck disable=SC2086
  "$CXX" "${COMMON[@]}" "${OMP[@]}" ${FLAGS[$isa]} -DPYACT_TARGET="$isa" -DPYACT_TARGET_"$upper"=1 \
    -c src/cpp/dispatch/table_isa.cpp -o "$OBJ/table_$isa.o" &
  PIDS+=($!)
  HAVE+=(-DPYACT_HAVE_"$upper"=1)
done
for pid in "${PIDS[@]}"; do wait "$pid"; done   # set -e: a failed compile stops here
# Every non-binding, non-per-ISA source of the module (dispatch, threads, other families' .cpp).
SOURCES=$(find src/cpp -name '*.cpp' ! -name 'bind*.cpp' ! -name 'table_isa.cpp' | sort)
# shellcheck disable=SC2086
"$CXX" "${COMMON[@]}" "${OMP[@]}" "${HAVE[@]}" tests/cpp/selftest.cpp $SOURCES "$OBJ"/table_*.o -o "$OUT" -ldl
echo "built $OUT (${ISAS[*]})"
