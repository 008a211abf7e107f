// expm1(x) = e^x - 1 over V<T>, float and double.
//
//   Method: the reduction of exp (x = n*ln2 + r, |r| <= ln2/2), expm1(r) = r + r^2/2 +
//   r^3*q(r) (q near-minimax, degree 4 float / 9 double, tools/fit_vmath.py), then
//   expm1(x) = 2^n*expm1(r) + (2^n - 1): 2^n - 1 is exact for every n where it matters,
//   so small results keep their relative accuracy. n = 128 (1024), reached only just
//   below overflow, uses 2^(n-1) * (2*expm1(r) + 2) instead, so 2^n is never built out
//   of range. Below ln(2^-25) (ln(2^-54)) the result rounds to -1 and x is clamped there.
//   Measured max error: docs/ACCURACY.md (`python -m pyact.accuracy --exhaustive`).
//   Special cases:
//     x = NaN -> NaN    x = +inf -> +inf    x = -inf -> -1    x = ±0 -> ±0
//     x > 88.72 (709.78) -> +inf;   |x| denormal -> x
#pragma once
#include "vmath/exp.h"

namespace pyact { namespace PYACT_TARGET { namespace vm {

template <class T> struct Expm1C;
template <> struct Expm1C<float> {
  static constexpr float kLo = -18.0f, kHi = 89.0f;
  static constexpr int kMaxN = 127;
  static constexpr float q[] = {0x1.555556p-3f, 0x1.55551ap-5f, 0x1.1110f6p-7f, 0x1.6d110ap-10f, 0x1.a0f86cp-13f};
};
template <> struct Expm1C<double> {
  static constexpr double kLo = -38.0, kHi = 710.0;
  static constexpr int kMaxN = 1023;
  static constexpr double q[] = {0x1.5555555555556p-3, 0x1.5555555555555p-5, 0x1.11111111109b3p-7,
                                 0x1.6c16c16c167e1p-10, 0x1.a01a01a7c41d5p-13, 0x1.a01a01a47b054p-16,
                                 0x1.71de0dae63bb3p-19, 0x1.27e4e1f48534fp-22, 0x1.af38a9b0ec855p-26,
                                 0x1.1f66df7fca49fp-29};
};

// expm1(r) for |r| <= ln2/2 (and exactly r for tiny r, denormals included).
template <class Vec> inline Vec expm1_poly(Vec r) {
  using T = elem_t<Vec>;
  const Vec r2 = mul_tiny(r, r);
  return mul_add(r2, mul_add(r, horner(r, Expm1C<T>::q), set1<T>(T(0.5))), r);
}

// expm1 for x in [kLo, 88 (709)] with n <= kMaxN (tanh: x in [0, 18.2]), no special
// cases; ±0 -> +0. Bit-identical to expm1 there.
template <class Vec> inline Vec expm1_in_range(Vec x) {
  using T = elem_t<Vec>;
  Vec r;
  const Rounded<Vec> n = reduce_ln2(x, r);
  const Vec s = pow2_of(n);
  return mul_add(s, expm1_poly(r), s - T(1));
}

// expm1 for x <= 0 or NaN (the ELU family's negative side): no overflow side to guard,
// so the reduction is expm1_in_range's, clamped below at kLo. Bit-identical to expm1
// there, -0 included.
template <class Vec> inline Vec expm1_nonpos(Vec x) {
  using T = elem_t<Vec>;
  const Vec e = expm1_in_range(max_of(set1<T>(Expm1C<T>::kLo), x));  // NaN passes (max_of's second operand)
  return select(x == T(0), x, e);
}

template <class Vec> inline Vec expm1(Vec x) {
  using T = elem_t<Vec>;
  using C = Expm1C<T>;
  const Vec xc = clamp(x, C::kLo, C::kHi);
  Vec r;
  const Rounded<Vec> n = reduce_ln2(xc, r);
  const Vec p = expm1_poly(r);
  const auto top = n.i > C::kMaxN;                       // only just below overflow
  const auto ni = select(top, n.i - 1, n.i);
  const Vec s = pow2i<T>(ni);
  const Vec pp = select(top, mul_add(p, set1<T>(T(2)), set1<T>(T(2))), p);
  const Vec t = select(top, Vec{}, s - T(1));
  return select(x == T(0), x, mul_add(s, pp, t));        // keeps the sign of -0
}

}}}  // namespace pyact::<isa>::vm
