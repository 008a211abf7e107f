// The logistic function and its relatives over V<T>, built so that nothing overflows:
// every exponential is e^(-|x|) <= 1.
//
// sigmoid(x) = 1 / (1 + e^-x)
//   Method: e = exp(-|x|); sigmoid = 1/(1+e) for x >= 0, e/(1+e) for x < 0, one
//   division for both (the numerator is selected). Exactly 0.5 at ±0, within [0, 1].
//   Special cases: NaN -> NaN, +inf -> 1, -inf -> 0, x < -103.3 (-745) -> 0.
// softplus0(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|)
//   Special cases: NaN -> NaN, +inf -> +inf, -inf -> 0; never overflows for finite x.
// Measured max error: docs/ACCURACY.md (`python -m pyact.accuracy --exhaustive`).
#pragma once
#include "vmath/exp.h"
#include "vmath/log1p.h"

namespace pyact { namespace PYACT_TARGET { namespace vm {

// sigmoid(x), given e = exp(-|x|).
template <class Vec> inline Vec sigmoid_from(Vec x, Vec e) {
  using T = elem_t<Vec>;
  return select(x < T(0), e, set1<T>(T(1))) / (e + T(1));
}

template <class Vec> inline Vec sigmoid(Vec x) { return sigmoid_from(x, exp(-abs(x))); }

// sigmoid(x) * sigmoid(-x) = e / (1 + e)^2, given e = exp(-|x|): the logistic
// derivative without the cancellation of s*(1-s) near 1.
template <class Vec> inline Vec sigmoid_deriv_from(Vec e) {
  const Vec d = elem_t<Vec>(1) / (e + elem_t<Vec>(1));
  return e * d * d;
}

// log(1 + e^x), given e = exp(-|x|).
template <class Vec> inline Vec softplus_from(Vec x, Vec e) {
  using T = elem_t<Vec>;
  return select(x > T(0), x, Vec{}) + log1p(e);
}

template <class Vec> inline Vec softplus(Vec x) { return softplus_from(x, exp(-abs(x))); }

}}}  // namespace pyact::<isa>::vm
