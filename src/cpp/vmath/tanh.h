// tanh(x) over V<T>, float and double.
//
//   Method: tanh|x| = m / (m + 2) with m = expm1(2|x|) (exact doubling; no cancellation
//   for small x, where m ~ 2x), as 1 - 2/(m + 2) from |x| = 0.55 on (monotone up to 1);
//   |x| is clamped at 9.1 (19.1), beyond which tanh rounds to 1; the sign is copied
//   back from x.
//   Measured max error: docs/ACCURACY.md (`python -m pyact.accuracy --exhaustive`).
//   Special cases: NaN -> NaN, ±inf -> ±1, ±0 -> ±0, denormal x -> x.
#pragma once
#include "vmath/expm1.h"

namespace pyact { namespace PYACT_TARGET { namespace vm {

template <class T> struct TanhC;
template <> struct TanhC<float> { static constexpr float kSat = 9.1f; };
template <> struct TanhC<double> { static constexpr double kSat = 19.1; };

// 1 - tanh^2 = 4e/(1+e)^2 with e = exp(-2|x|): no cancellation where tanh -> ±1.
template <class Vec> inline Vec sech2(Vec x) {
  using T = elem_t<Vec>;
  const Vec a = abs(x);
  const Vec e = exp_nonpos(-(a + a));
  const Vec d = T(1) / (e + T(1));
  return T(4) * e * d * d;
}

template <class Vec> inline Vec tanh(Vec x) {
  using T = elem_t<Vec>;
  const Vec a0 = abs(x);
  const Vec a = min_of(set1<T>(TanhC<T>::kSat), a0);  // NaN stays NaN
  const Vec m = expm1_in_range(a + a);
  // m/(m+2) keeps small results exact; from |x| = 0.55 (m = 2) on, 1 - 2/(m+2) has no
  // cancellation and is monotone through the last ulps below 1. One division for both.
  // A denormal x is its own result, and m = 2x is not divided (a division with a denormal
  // operand runs twice as slow on x86).
  const auto small = a < T(0.55);
  const auto denormal = below_normal(x);
  const Vec q = select(small & ~denormal, m, set1<T>(T(2))) / (m + T(2));
  return select(denormal, x, copysign(select(small, q, T(1) - q), x));
}

}}}  // namespace pyact::<isa>::vm
