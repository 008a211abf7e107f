// log1p(x) = log(1 + x) over V<T>, float and double.
//
//   Method (fdlibm's, without its branches): u = 1 + x rounded, with the rounding error
//   c = (1 + x) - u recovered exactly (TwoSum); u = 2^k * m, m in [sqrt(1/2), sqrt(2))
//   taken from the bits; with f = m - 1 and s = f / (2 + f),
//   log(m) = f - f^2/2 + s*(f^2/2 + R(s^2)), R near-minimax (fdlibm's Lg1..Lg4 float,
//   Lg1..Lg7 double); log1p(x) = k*ln2 + log(m) + c*2^-k/m, with 1/m ~ 1 - f + f^2
//   (c is below half an ulp of m, so that is plenty).
//   Measured max error: docs/ACCURACY.md (`python -m pyact.accuracy --exhaustive`).
//   Special cases:
//     x = NaN -> NaN   x < -1 -> NaN   x = -1 -> -inf   x = +inf -> +inf   x = ±0 -> ±0
//     |x| denormal -> x
// log1p_unit(e) for e in [0, 1] (softplus and log_sigmoid): in float a division-free
//   polynomial, e + e^2 p(e - 1/2); in double log1p_core. See below.
#pragma once
#include "vmath/exp.h"

namespace pyact { namespace PYACT_TARGET { namespace vm {

template <class T> struct Log1pC;
template <> struct Log1pC<float> {
  static constexpr uint32_t kSqrtHalfBits = 0x3f3504f3u;  // bits of sqrt(1/2)
  static constexpr int kMaxScale = 100;                   // c*2^-k is negligible beyond
  static constexpr float kLn2Hi = 0x1.62e4p-1f, kLn2Lo = 0x1.7f7d1cp-20f;
  static constexpr float lg[] = {0x1.555554p-1f, 0x1.999c26p-2f, 0x1.23d3dcp-2f, 0x1.f13c4cp-3f};
  // log1p_unit's p(s), s = e - 1/2 (tools/fit_vmath.py: 0.9 * 2^-24 relative).
  static constexpr float unit[] = {-0x1.833706p-2f, 0x1.6f0d7cp-3f,  -0x1.7ddc6cp-4f, 0x1.a277d4p-5f,
                                   -0x1.db349cp-6f, 0x1.138064p-6f,  -0x1.348396p-7f, 0x1.74c7b2p-8f,
                                   -0x1.4fdcdep-8f, 0x1.8b795p-9f};
};
template <> struct Log1pC<double> {
  static constexpr uint64_t kSqrtHalfBits = 0x3fe6a09e667f3bcdull;
  static constexpr int kMaxScale = 1000;
  static constexpr double kLn2Hi = 0x1.62e42feep-1, kLn2Lo = 0x1.a39ef35793c76p-33;
  static constexpr double lg[] = {0x1.5555555555593p-1, 0x1.999999997fa04p-2, 0x1.2492494229359p-2,
                                  0x1.c71c51d8e78afp-3, 0x1.7466496cb03dep-3, 0x1.39a09d078c69fp-3,
                                  0x1.2f112df3e5244p-3};
};

// a + b = s + err exactly (Knuth's TwoSum, no ordering needed).
template <class Vec> inline Vec two_sum_err(Vec a, Vec b, Vec s) {
  const Vec a1 = s - b, b1 = s - a1;
  return (a - a1) + (b - b1);
}

// log1p without the special cases, for x in (-1, inf) finite, not NaN: log1p_core(±0)
// is +0. log1p_unit (softplus, log_sigmoid) uses it for double.
template <class Vec> inline Vec log1p_core(Vec x) {
  using T = elem_t<Vec>;
  using F = Fmt<T>;
  using C = Log1pC<T>;
  using U = typename F::U;
  using I = typename F::I;
  const Vec one = set1<T>(T(1));
  const Vec u = one + x;
  const Vec c = two_sum_err(one, x, u);
  // Shift the exponent boundary to sqrt(1/2) so that m lands in [sqrt(1/2), sqrt(2)).
  const U ub = bits(u) + (bits(one) - U{} - C::kSqrtHalfBits);
  const I k = (I)(ub >> F::kMant) - F::kBias;
  const U mant_mask = (U{} + 1) << F::kMant;
  const Vec m = (Vec)((ub & (mant_mask - 1)) + C::kSqrtHalfBits);
  const Vec f = m - T(1);
  const Vec kf = __builtin_convertvector(k, Vec);
  const I ks = select(k > C::kMaxScale, I{} + C::kMaxScale, k);
  const Vec cm = c * pow2i<T>(-ks) * mul_add(f, f - T(1), one);  // c * 2^-k / m
  const Vec s = f / (f + T(2));
  const Vec z = s * s;
  const Vec R = z * horner(z, C::lg);
  const Vec hfsq = T(0.5) * f * f;
  return kf * C::kLn2Hi - ((hfsq - (s * (hfsq + R) + mul_add(kf, set1<T>(C::kLn2Lo), cm))) - f);
}

// log1p(e) for e in [0, 1] (softplus and log_sigmoid: e = e^-|x|). float: e + e^2 p(e - 1/2),
// p of degree 9, near-minimax in relative error (0.9 * 2^-24 with its coefficients rounded
// to float), by Horner's rule: no division and no exponent split, so the dependency chain
// is a fraction of log1p_core's, and three multiplies fewer than Estrin's powers (the
// driver's independent vectors hide the chain: softplus forward 0.92x the time).
// e^2 p is at most 0.45 of the result, which scales p's error down by as much; a tiny e
// gives e^2 = 0 (through the FMA unit: no slow path) and the result e. double: log1p_core.
template <class Vec> inline Vec log1p_unit(Vec e) {
  using T = elem_t<Vec>;
  if constexpr (sizeof(T) == 4) return mul_add(mul_tiny(e, e), horner(e - T(0.5), Log1pC<T>::unit), e);
  else return log1p_core(e);
}

template <class Vec> inline Vec log1p(Vec x) {
  using T = elem_t<Vec>;
  Vec r = log1p_core(x);
  r = select(x < T(-1), set1<T>(std::numeric_limits<T>::quiet_NaN()), r);
  r = select(x == T(-1), set1<T>(-std::numeric_limits<T>::infinity()), r);
  return select((x == T(0)) | (x == std::numeric_limits<T>::infinity()), x, r);
}

}}}  // namespace pyact::<isa>::vm
