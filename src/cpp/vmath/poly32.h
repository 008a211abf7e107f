// Poly32: a float function of a >= 0 as 32 polynomials over quarter binades of a, for
// the AVX-512 path, where each coefficient is one vpermt2ps (tanh, tanhshrink, the
// normal distribution's Mills ratio).
#pragma once
#include "simd/vec.h"

namespace pyact { namespace PYACT_TARGET { namespace vm {

#if defined(PYACT_TARGET_AVX512)
// A float function of a >= 0 as 32 degree-5 polynomials, f(lo + r) = c0 + r (c1 + ...
// + r c5) on [lo, hi), over quarter binades: a in [2^e (1 + q/4), 2^e (1 + (q+1)/4))
// for the 8 binades e = kFirstExp... and q = 0..3 is interval k = 4 (e - kFirstExp) + q.
// Interval 0 extends down to 0 (lo = 0: an f that vanishes at 0 keeps its relative
// accuracy at a tiny a through c0 = 0, ...). Coefficients: tools/fit_vmath.py
// (poly32_table; in the narrowest intervals the fit takes up c0's rounding with large
// high coefficients: their terms, up to 2^-6 of the result, cancel, and their roundings
// stay near 2^-30 of it). Each of the 7 lookups is one vpermt2ps, the interval being the
// bits of a shifted right by 21 (mod 32).
// kFirstExp, the first binade, travels with the table.
template <int kFirstExp> struct Poly32 { float lo[32], c[6][32]; };
constexpr float exp2i(int e) { return e > 0 ? 2 * exp2i(e - 1) : e < 0 ? exp2i(e + 1) / 2 : 1; }
// The table from the coefficients c[j][k] of interval k: its lo, and interval k moved to
// the slot that vpermt2ps reads for it.
template <int kFirstExp> constexpr Poly32<kFirstExp> slotted(const float (&c)[6][32]) {
  constexpr int kSlot0 = ((127 + kFirstExp) << 2) & 31;  // of interval 0: the bits of 2^kFirstExp >> 21
  Poly32<kFirstExp> s{};
  for (int k = 0; k < 32; ++k) {
    const int slot = (k + kSlot0) & 31;
    s.lo[slot] = k == 0 ? 0 : exp2i(kFirstExp + k / 4) * (1 + (k % 4) / 4.0f);
    for (int j = 0; j < 6; ++j) s.c[j][slot] = c[j][k];
  }
  return s;
}
// f(a) for a in [0, 2^(kFirstExp + 8)) (a below 2^kFirstExp indexes interval 0; a NaN
// gives NaN through r).
template <int kFirstExp> inline vf poly32(const Poly32<kFirstExp>& t, vf a) {
  constexpr float kFirst = kFirstExp < 0 ? 1.0f / float(1u << -kFirstExp) : float(1u << kFirstExp);
  const vu idx = bits(max_of(set1<float>(kFirst), a)) >> 21;
  const vf r = a - lookup32(t.lo, idx);
  vf p = lookup32(t.c[5], idx);
  for (int j = 4; j >= 0; --j) p = mul_add(p, r, lookup32(t.c[j], idx));
  return p;
}
#endif

}}}  // namespace pyact::<isa>::vm
