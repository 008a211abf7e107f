// The logistic function and its relatives over V<T>, built so that nothing overflows:
// every exponential is e^(-|x|) <= 1.
//
// sigmoid(x) = 1 / (1 + e^-x)
//   Method: 1/(1 + e^-x) evaluated as 2^-64/(2^-64 + 2^-64 e^-x) (monotone, no overflow
//   before the result itself underflows). sigmoid_from (inside other kernels): e =
//   exp(-|x|), 1/(1+e) or e/(1+e), one division. Exactly 0.5 at ±0, within [0, 1].
//   Special cases: NaN -> NaN, +inf -> 1, -inf -> 0, x < -103.3 (-745) -> 0.
// (softplus, log(1 + e^x) = max(x, 0) + log1p(e^-|x|), is built in kernels/exp_family.h
// from exp, log1p_unit and neg_abs_saturated below.)
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

// The standalone sigmoid is 2^-64 / (2^-64 + e^-x 2^-64): one formula for every x, so it
// is monotone wherever exp is (e/(1+e) and 1/(1+e) meeting at 0 are not, by an ulp:
// onnxruntime#22557), and the scaling keeps e^-x finite down to x = -133 (-754), where
// the result is still a denormal.
// -x is clamped to [-30 (-40), 132 (746)]: below, g / (e^-x g + g) rounds to 1; above,
// to 0 (e^-132 < 2^-150, e^-746 < 2^-1075). There 2^(n - 64) is one normal factor.
// Below -kZero (where the result rounds to 0) the dividend is 0, so that the quotient
// does not underflow (several times slower on x86).
template <class T> struct SigmoidC;
template <> struct SigmoidC<float> { static constexpr float kLo = -30.0f, kHi = 132.0f, kZero = 104.0f; };
template <> struct SigmoidC<double> { static constexpr double kLo = -40.0, kHi = 746.0, kZero = 746.0; };
template <class Vec> inline Vec sigmoid(Vec x) {
  using T = elem_t<Vec>;
  using C = SigmoidC<T>;
  const T g = kUnguard<T>;
  const Vec nx = -x;
  return select(nx > C::kZero, Vec{}, set1<T>(g)) / (exp_in_range<-kUnderflowGuard>(clamp(nx, C::kLo, C::kHi)) + g);
}

// -|x| for e^-|x| in log(1 + e^-|x|) where it is added to a max(x, 0) that it cannot
// change: clamped at -20 (-40) on one side (kSign = +1: x > 20; -1: x < -20; e^-20 <
// ulp(20)/8), so that e^-|x| is a normal number there and log1p(e^-|x|) does not underflow.
// (-|x| as neg_abs: one instruction fewer than negating |x|.)
template <int kSign, class Vec> inline Vec neg_abs_saturated(Vec x) {
  using T = elem_t<Vec>;
  constexpr T kSat = sizeof(T) == 4 ? T(20) : T(40);
  return select(kSign > 0 ? x > kSat : x < -kSat, set1<T>(-kSat), neg_abs(x));
}

// sigmoid(x) * sigmoid(-x) = e / (1 + e)^2, given e = exp(-|x|): the logistic
// derivative without the cancellation of s*(1-s) near 1.
template <class Vec> inline Vec sigmoid_deriv_from(Vec e) {
  const Vec d = elem_t<Vec>(1) / (e + elem_t<Vec>(1));
  return e * d * d;
}

// Both at once, given e = exp(-|x|): one division, 1/(1 + e), shared. The products go
// through the FMA unit (mul_tiny, the same bits): e may be a denormal (swish's and
// gelu-tanh's backwards, in the left tail).
template <class Vec> struct Logistic { Vec s, ds; };
template <class Vec> inline Logistic<Vec> sigmoid_and_deriv_from(Vec x, Vec e) {
  using T = elem_t<Vec>;
  const Vec d = T(1) / (e + T(1));
  const Vec ed = mul_tiny(e, d);  // s left of 0, and the first product of s (1 - s) = e d^2
  return {select(x < T(0), ed, d), mul_tiny(ed, d)};
}

}}}  // namespace pyact::<isa>::vm
