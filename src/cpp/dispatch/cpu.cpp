// Which ISAs this CPU *and* OS can run: CPUID for the instructions, XGETBV for the
// register state the OS saves (AVX needs YMM, AVX-512 needs opmask + ZMM).
#include "dispatch/table.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#include <cstdint>
#include <cstring>

namespace pyact {
namespace {
struct X86Features {
  bool sse42 = false, popcnt = false, avx2 = false, fma = false, f16c = false, bmi2 = false;
  bool avx512f = false, avx512dq = false, avx512bw = false, avx512vl = false;
  bool os_ymm = false, os_zmm = false;
};

uint64_t xgetbv0() {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
}

X86Features detect() {
  X86Features f;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  f.sse42 = c & bit_SSE4_2;
  f.popcnt = c & bit_POPCNT;
  f.fma = c & bit_FMA;
  f.f16c = c & bit_F16C;
  const bool osxsave = c & bit_OSXSAVE;
  if (osxsave) {
    const uint64_t xcr0 = xgetbv0();
    f.os_ymm = (xcr0 & 0x6) == 0x6;          // SSE + AVX state
    f.os_zmm = (xcr0 & 0xe6) == 0xe6;        // + opmask, ZMM_Hi256, Hi16_ZMM
  }
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.avx2 = b & bit_AVX2;
    f.bmi2 = b & bit_BMI2;
    f.avx512f = b & bit_AVX512F;
    f.avx512dq = b & bit_AVX512DQ;
    f.avx512bw = b & bit_AVX512BW;
    f.avx512vl = b & bit_AVX512VL;
  }
  return f;
}
}  // namespace

bool cpu_supports(Isa isa) {
  static const X86Features f = detect();
  switch (isa) {
    case Isa::scalar: return true;
    case Isa::sse4: return f.sse42 && f.popcnt;
    case Isa::avx2: return f.os_ymm && f.avx2 && f.fma && f.f16c && f.bmi2;
    case Isa::avx512:
      return f.os_ymm && f.os_zmm && f.avx2 && f.fma && f.f16c && f.bmi2 && f.avx512f && f.avx512dq &&
             f.avx512bw && f.avx512vl;
    default: return false;
  }
}

bool cpu_denormal_assists() {
  unsigned a, b, c, d;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return true;
  char vendor[13] = {};
  std::memcpy(vendor, &b, 4), std::memcpy(vendor + 4, &d, 4), std::memcpy(vendor + 8, &c, 4);
  return std::strcmp(vendor, "AuthenticAMD") != 0 && std::strcmp(vendor, "HygonGenuine") != 0;
}
}  // namespace pyact

#elif defined(__aarch64__)
namespace pyact {
bool cpu_supports(Isa isa) { return isa == Isa::scalar || isa == Isa::neon; }  // NEON is mandatory on aarch64
bool cpu_denormal_assists() { return false; }
}  // namespace pyact
#else
namespace pyact {
bool cpu_supports(Isa isa) { return isa == Isa::scalar; }
bool cpu_denormal_assists() { return true; }
}  // namespace pyact
#endif
