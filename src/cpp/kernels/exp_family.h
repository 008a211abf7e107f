// The transcendental activations built on vmath's exp/expm1/log1p/tanh/sigmoid: their
// cost is arithmetic, not memory (kCost 16). Conventions:
// - A branch that a select discards still runs, so its argument is clamped to where it
//   is finite (exp(min(x, 0)) in the ELU family): no inf * 0 = NaN in lanes not taken.
// - Gradients from x use the forms that keep relative accuracy in the tails (ELU:
//   alpha*e^x, not y + alpha; sigmoid': e/(1+e)^2 with e = e^-|x|, not s*(1 - s)).
// - Derivatives at a kink follow PyTorch (ELU family: the x <= 0 side at x = 0).
// - NaN reaches the result through the arithmetic alone (clamps and max/min pass it), so
//   the functors here are NanFlowsThrough (apply.h): the driver adds no select.
// Parameters arrive as doubles in catalog order (src/pyact/_catalog.py).
#pragma once
#include "kernels/apply.h"
#include "kernels/piecewise.h"
#include "vmath/erf.h"  // two_prod_err, exp_hilo
#include "vmath/exp.h"
#include "vmath/expm1.h"
#include "vmath/log1p.h"
#include "vmath/logistic.h"
#include "vmath/tanh.h"

namespace pyact { namespace PYACT_TARGET {

// The backwards form g f' by mul_tiny (simd/vec.h): a denormal g, or an f' that
// underflows, would slow a plain multiply on a Zen 3 (1.7-1.9x the time of the call).

// min(x, 0), NaN kept.
template <class Vec> inline Vec neg_part(Vec x) { return min_of(Vec{}, x); }

// x if x > 0 else alpha*(e^x - 1). Param: alpha.
template <class T> struct Elu : NanFlowsThrough {
  PYACT_FUNCTOR_TYPES(16);
  static constexpr bool kTinyDetour = kCheapDenormalTest;  // apply.h: a denormal x by f's linearisation
  T alpha;
  explicit Elu(const double* p) : alpha(T(p[0])) {}
  V fwd(V x) const { return select(x > T(0), x, mul_tiny(set1<T>(alpha), vm::expm1_nonpos(neg_part(x)))); }
  V bwd_x(V g, V x) const { return select(x > T(0), g, mul_tiny(g, alpha * vm::exp_nonpos(neg_part(x)))); }
  // Valid for alpha > 0 (the catalog's y_ok): then y > 0 exactly where x > 0.
  V bwd_y(V g, V y) const { return select(y > T(0), g, mul_tiny(g, y + alpha)); }
};

// scale * elu(x, alpha) with the self-normalising constants (Klambauer et al. 2017).
template <class T> struct Selu : NanFlowsThrough {
  PYACT_FUNCTOR_TYPES(16);
  static constexpr bool kTinyDetour = kCheapDenormalTest;  // apply.h: a denormal x by f's linearisation
  static constexpr double kAlpha = 1.6732632423543772848170429916717;
  static constexpr double kScale = 1.0507009873554804934193349852946;
  static constexpr double kScaleM1 = 0.0507009873554804934193349852946;  // kScale - 1, to all digits
  static constexpr T scale = T(kScale), scale_alpha = T(kScale * kAlpha), scale_m1 = T(kScaleM1);
  explicit Selu(const double*) {}
  // x + x*(scale - 1), not x * T(scale): the rounding of the constant then costs 0.05 ulp,
  // not up to 1, and x just below FLT_MAX/scale no longer overflows to inf.
  V fwd(V x) const {
    return select(x > T(0), x + mul_tiny(x, set1<T>(scale_m1)), mul_tiny(set1<T>(scale_alpha), vm::expm1_nonpos(neg_part(x))));
  }
  V bwd_x(V g, V x) const { return select(x > T(0), mul_tiny(g, set1<T>(scale)), mul_tiny(g, scale_alpha * vm::exp_nonpos(neg_part(x)))); }
  V bwd_y(V g, V y) const { return select(y > T(0), mul_tiny(g, set1<T>(scale)), mul_tiny(g, y + scale_alpha)); }
};

// max(0, x) + min(0, alpha*(e^(x/alpha) - 1)). Param: alpha != 0 (checked by the catalog).
// For x <= 0 the second term is alpha*expm1(x/alpha) for either sign of alpha. The form
// (apply.h with_form) is the sign of alpha: for alpha > 0, x/alpha <= 0 and expm1 needs
// no overflow side.
template <class T, int kAlphaSign = 0> struct CeluAs : NanFlowsThrough {
  PYACT_FUNCTOR_TYPES(16);
  static constexpr bool kTinyDetour = kCheapDenormalTest;  // apply.h: a denormal x by f's linearisation
  T alpha, inv_alpha;
  explicit CeluAs(const double* p) : alpha(T(p[0])), inv_alpha(T(1.0 / p[0])) {}
  bool tiny_detour_ok() const { return std::fabs(alpha) >= T(0.0625); }  // s/alpha still tiny
  template <int K> explicit CeluAs(const CeluAs<T, K>& o) : alpha(o.alpha), inv_alpha(o.inv_alpha) {}
  static constexpr bool kPicksForm = kAlphaSign == 0;
  template <class Body> void with_form(Body body) const {
    if (alpha > T(0)) body(CeluAs<T, 1>(*this));
    else body(CeluAs<T, -1>(*this));
  }
  V fwd(V x) const {
    const V e = kAlphaSign > 0 ? vm::expm1_nonpos(z(x)) : vm::expm1(z(x));
    return select(x > T(0), x, mul_tiny(set1<T>(alpha), e));
  }
  V bwd_x(V g, V x) const { return select(x > T(0), g, mul_tiny(g, kAlphaSign > 0 ? vm::exp_nonpos(z(x)) : vm::exp(z(x)))); }
  // y > 0 exactly where x > 0 (for x <= 0, y = alpha*expm1(x/alpha) <= 0 for either sign).
  V bwd_y(V g, V y) const { return select(y > T(0), g, mul_tiny(g, mul_add(y, set1<T>(inv_alpha), set1<T>(T(1))))); }

 private:
  V z(V x) const { return mul_tiny(neg_part(x), set1<T>(inv_alpha)); }  // min(x, 0)/alpha, x may be denormal
};
template <class T> using Celu = CeluAs<T>;

template <class T> struct Sigmoid : NanFlowsThrough {
  PYACT_FUNCTOR_TYPES(16);
  static constexpr bool kTinyDetour = kCheapDenormalTest;  // apply.h: a denormal x by f's linearisation
  explicit Sigmoid(const double*) {}
  V fwd(V x) const { return vm::sigmoid(x); }
  V bwd_x(V g, V x) const { return mul_tiny(g, vm::sigmoid_deriv_from(vm::exp_nonpos(neg_abs(x)))); }
  V bwd_y(V g, V y) const { return mul_tiny(g, y * (T(1) - y)); }
};

// log sigmoid(x) = min(x, 0) - log1p(e^-|x|); f' = sigmoid(-x).
template <class T> struct LogSigmoid : NanFlowsThrough {
  PYACT_FUNCTOR_TYPES(16);
  static constexpr bool kTinyDetour = kCheapDenormalTest;  // apply.h: a denormal x by f's linearisation
  explicit LogSigmoid(const double*) {}
  template <bool kExact = false> V fwd(V x) const {  // e^-|x| in [0, 1]
    return neg_part(x) - vm::log1p_unit(vm::exp_nonpos<0, kExact>(vm::neg_abs_saturated<-1>(x)));
  }
  // apply.h's underflow detour: between 87 and 104 e^-x, and the result, may be
  // denormals. Not in double: log1p_core's products with a denormal e^-x take the assist
  // too, and the detour made x = 720 1.4x slower, not faster.
  static constexpr T kUnderflowFrom = sizeof(T) == 4 ? T(87) : T(0), kUnderflowTo = sizeof(T) == 4 ? T(104) : T(0);
  V fwd_exact(V x) const { return fwd<true>(x); }
  V bwd_x(V g, V x) const { return mul_tiny(g, vm::sigmoid_from(-x, vm::exp_nonpos(vm::neg_abs_saturated<-1>(x)))); }
};

template <class T> struct Tanh : NanFlowsThrough {
  PYACT_FUNCTOR_TYPES(16);
  static constexpr bool kTinyDetour = kCheapDenormalTest;  // apply.h: a denormal x by f's linearisation
  explicit Tanh(const double*) {}
  V fwd(V x) const { return vm::tanh(x); }
  V bwd_x(V g, V x) const { return mul_tiny(g, vm::sech2(x)); }
  V bwd_y(V g, V y) const { return mul_tiny(g, (T(1) - y) * (T(1) + y)); }
};

// The forms of a functor with a beta parameter (apply.h, picks_form): `pick` decides at
// run time, per block (with_form) or else per call; the others are fixed at compile
// time: beta = 1; softplus: a denormal beta (1/beta overflows), any other beta; swish:
// beta = 0, beta < 1, beta > 1 (other).
enum class BetaForm { pick, one, denormal, zero, below_one, other };
// Whether a functor of form kForm is in form f: fixed at compile time, or (pick) the
// run-time test `holds`.
template <BetaForm kForm> constexpr bool in_form(BetaForm f, bool holds) {
  return kForm == BetaForm::pick ? holds : kForm == f;
}

// (1/beta) log(1 + e^(beta x)), and x where beta*x > threshold: the same test forward
// and backward. Params: beta > 0, threshold.
template <class T, BetaForm kForm = BetaForm::pick> struct SoftplusAs : NanFlowsThrough {
  PYACT_FUNCTOR_TYPES(16);
  static constexpr bool kTinyDetour = kCheapDenormalTest;  // apply.h: a denormal x by f's linearisation
  T beta, inv_beta, threshold;
  explicit SoftplusAs(const double* p) : beta(T(p[0])), inv_beta(T(1.0 / p[0])), threshold(T(p[1])) {}
  // beta s still tiny, and the threshold far from 0 (both s and 0 on its left).
  bool tiny_detour_ok() const { return beta <= T(16) && threshold >= T(1); }
  template <BetaForm K>
  explicit SoftplusAs(const SoftplusAs<T, K>& o) : beta(o.beta), inv_beta(o.inv_beta), threshold(o.threshold) {}
  static constexpr bool kPicksForm = kForm == BetaForm::pick;
  template <class Body> void with_form(Body body) const {
    if (beta_one()) body(SoftplusAs<T, BetaForm::one>(*this));
    else if (inv_overflows()) body(SoftplusAs<T, BetaForm::denormal>(*this));
    else body(SoftplusAs<T, BetaForm::other>(*this));
  }
  // z = beta x is carried as z + z_lo (exact; z_lo = 0 for beta = 1): in the left tail
  // softplus(z) ~ e^z has relative condition number |z|, so a rounded z would cost |z|/2
  // ulp (45 at z = -75). Right of 0, x + log1p(e^-z)/beta: x itself, not z/beta.
  V fwd(V x) const {
    const V z = times_beta(x);
    const auto pos = z > T(0);
    const V na = vm::neg_abs_saturated<1>(z);  // the exponent, -|z| clamped where saturated
    // e^-|z| in [0, 1]; beta = 1 has no z_lo, and keeps the single-word exponential.
    const V e = beta_one() ? vm::exp_nonpos(na) : vm::exp_hilo(na, z_lo_term(x, z, na, pos));
    const V lp = vm::log1p_unit(e);
    const V l = inv_overflows() ? lp / beta : lp * inv_beta;
    return select(z > threshold, x, select(pos, x + l, l));
  }
  V bwd_x(V g, V x) const {
    const V z = times_beta(x);
    return select(z > threshold, g, mul_tiny(g, vm::sigmoid(z)));
  }
  // sigmoid(beta x) = 1 - e^(-beta y): from y, with the same threshold test on beta*y
  // (beta*y = beta*x above the threshold). y >= 0, so expm1 of -beta y <= 0 needs no
  // overflow side (a y < 0, which softplus never gives, is taken as 0).
  V bwd_y(V g, V y) const {
    const V z = times_beta(y);
    return select(z > threshold, g, mul_tiny(g, -vm::expm1_nonpos(-max_of(V{}, z))));  // NaN passes
  }

 private:
  static constexpr T kExact = sizeof(T) == 4 ? T(128) : T(1024);  // beyond, e^-|z| is 0
  bool beta_one() const { return in_form<kForm>(BetaForm::one, beta == T(1)); }
  // 1/beta is inf: log1p(e)/beta then, not * inf (0 * inf = NaN).
  bool inv_overflows() const { return in_form<kForm>(BetaForm::denormal, inv_beta - inv_beta != T(0)); }
  // beta v; v itself for beta = 1 (no multiply on the critical path, and none that a
  // denormal v would slow down).
  V times_beta(V v) const { return beta_one() ? v : mul_tiny(v, set1<T>(beta)); }
  // The low word of -|z| = -|beta x|, only where the exponent is z itself (unsaturated,
  // below kExact: there z is finite and the low word small).
  V z_lo_term(V x, V z, V na, M<T> pos) const {
    const V lo = vm::two_prod_err(x, set1<T>(beta), z);
    return select((na > -kExact) & (na == neg_abs(z)), select(pos, -lo, lo), V{});
  }
};
template <class T> using Softplus = SoftplusAs<T>;

// x * sigmoid(beta x). Param: beta (a fixed float; the learnable form is in learnable.h).
// As gelu (gelu.h), a lane past the point where its result is settled computes at that
// point, so that no product underflows (those run several times slower on x86).
template <class T, BetaForm kForm = BetaForm::pick> struct SwishAs : NanFlowsThrough {
  PYACT_FUNCTOR_TYPES(16);
  static constexpr bool kTinyDetour = kCheapDenormalTest;  // apply.h: a denormal x by f's linearisation
  // beta = 0: f' = 1/2 whatever x is, so that form keeps the driver's NaN selects
  // (fwd_deriv's f' and the backwards).
  static constexpr bool kFwdKeepsNan = kForm != BetaForm::zero && kForm != BetaForm::pick, kBwdKeepsNan = kFwdKeepsNan;
  static constexpr bool kF = sizeof(T) == 4;
  // |z| clamps, z = beta x. Forward: right of kZRight sigmoid(z) rounds to 1 (and
  // 1 + e^-|z| to 1 on both sides: taken as 1); left of -kZLeft y rounds to ±0 (for
  // beta = 1) and e^z 2^64 is still normal (in double, just: 2^-1021 at -752).
  // Backward: right of kZGrad, f' is 1. Left of -kZGradLo it is -0, the limit (the exact
  // f', (1 + z) e^z to first order, is below 4e-37 (5e-306) there and rounds to -0 in T
  // from z = -108.651 (-751.754) on, mpmath): z is clamped there, where e^z computes to
  // exactly +0 (exp_in_range: 2^-127 (2^-1023) from bits is +0; on AVX-512 exp_nonpos
  // masks e^-104.5 (e^-746.5) to +0), so s and s (1 - s) are +0, and grad_left_settled
  // (apply.h) makes g * -0 of it, with no select. Between, f' is computed (e^z a
  // denormal below -87.3 (-708.4), taken by the FMA unit).
  static constexpr T kZLeft = kF ? T(110) : T(752), kZRight = kF ? T(20) : T(40), kZGrad = kF ? T(80) : T(700);
  static constexpr T kYZero = kF ? T(108.66) : T(751.76);  // beta = 1: y rounds to -0 from -108.651 (-751.754)
#if defined(PYACT_TARGET_AVX512)
  static constexpr T kZGradLo = kF ? T(104.5) : T(746.5);  // below exp's threshold kLo: e^z masked to +0
#else
  static constexpr T kZGradLo = kF ? T(88) : T(709);
#endif
  static constexpr T kHugeX = kF ? T(0x1p62) : T(0x1p958);  // |x| e^-|z| 2^64 stays finite below
  T beta;
  explicit SwishAs(const double* p) : beta(T(p[0])) {}
  bool tiny_detour_ok() const { return std::fabs(beta) <= T(16); }  // beta s still tiny
  template <BetaForm K> explicit SwishAs(const SwishAs<T, K>& o) : beta(o.beta) {}
  static constexpr bool kPicksForm = kForm == BetaForm::pick;
  template <class Body> void with_form(Body body) const {
    if (beta_one()) body(SwishAs<T, BetaForm::one>(*this));
    else if (beta_zero()) body(SwishAs<T, BetaForm::zero>(*this));
    else if (below_one()) body(SwishAs<T, BetaForm::below_one>(*this));
    else body(SwishAs<T, BetaForm::other>(*this));
  }
  // x e/(1 + e) for z = beta x < 0 with e = e^z scaled up by 2^64 and back after the
  // product (one rounding into the denormals); x/(1 + e^-z) for z >= 0.
  V fwd(V x) const { return parts(x).y; }
  // With the derivative (a trainer's forward, apply.h ForwardDeriv), from the same
  // exponential: s = sigmoid(z) and s (1 - s) = e/(1 + e)^2, e = e^-|z| (taken as 0 past
  // |z| = kZRight, where f' is 0 or 1 within 4e-8).
  Both<V> fwd_deriv(V x) const {
    const Parts p = parts(x);
    const V r = T(1) / p.den;
    const V s = select(p.z < T(0), p.e, set1<T>(T(1))) * r;
    return {p.y, mul_add(clamp(p.z, -kZRight, kZRight), p.e * r * r, s)};
  }
  // f' = s + z s (1 - s), z = beta x: a function of z alone, so z is clamped. Where s
  // and s (1 - s) are +0 (left of -kZGradLo, -inf too), -f' = -(z (+0)) - (+0) is +0.
  V bwd_x(V g, V x) const {
    const V z = clamp(beta_one() ? x : times_beta(x), -kZGradLo, kZGrad);
#if defined(PYACT_TARGET_AVX512)
    // e^-104.5 rounded to 0 by vscalef is an underflow, a microcode assist on Intel cores
    // (swish' 12x slower left of -104.5): exp masks those lanes to +0 instead.
    const vm::Logistic<V> l = vm::sigmoid_and_deriv_from(z, vm::exp_nonpos(neg_abs(z)));
#else
    // exp's bits without its clamps and two-factor scaling.
    const vm::Logistic<V> l = vm::sigmoid_and_deriv_from(z, vm::exp_in_range(neg_abs(z)));
#endif
    return grad_left_settled<true>(g, mul_add(-z, l.ds, -l.s), z, kZGradLo);
  }

 private:
  struct Parts { V y, z, e, den; };  // y; z = beta x; e = e^-|z| (0 past kZRight); den = 1 + e
  bool beta_one() const { return in_form<kForm>(BetaForm::one, beta == T(1)); }
  bool beta_zero() const { return in_form<kForm>(BetaForm::zero, beta == T(0)); }
  bool below_one() const { return beta_zero() || in_form<kForm>(BetaForm::below_one, beta < T(1)); }  // zero too
  V times_beta(V x) const { return beta_zero() ? V{} : mul_tiny(x, set1<T>(beta)); }  // 0, not 0 * inf
  // What a caller leaves unused is not computed: all inline.
  Parts parts(V x) const { return beta_one() ? silu(x) : eval(x); }
  // z = beta x is carried as z + z_lo (exact; 0 for beta = 1 or 0) into the exponential:
  // x e^z has relative condition number |z| in the left tail (as Softplus).
  Parts eval(V x) const {
    const V z = times_beta(x);  // (beta = 1 takes silu)
    const auto neg = z < T(0);
    const V a = abs(z);
    const V lim = select(neg, set1<T>(kZLeft), set1<T>(kZRight));
    const auto past = a > lim;
    V b{};
    if (!beta_zero()) {
      const V lo = vm::two_prod_err(x, set1<T>(beta), z);
      b = select(past, V{}, select(neg, lo, -lo));  // finite wherever it is used
    }
    const V es = vm::exp_hilo_in_range<vm::kUnderflowGuard>(-select(past, lim, a), b, set1<T>(T(1)));
    const V e = settled_e(a, es);
    const V den = e + T(1);
    const V f = select(z < -kZLeft, copysign(V{}, x), x);  // the limit ±0 (x = ±inf too)
    // beta >= 1 never has a huge |x| with a small |z|.
    const V y = below_one() ? quotient<true>(x, z, f, es, den) : quotient<false>(x, z, f, es, den);
    return {y, z, e, den};
  }
  // beta = 1 (the default; PyTorch's silu): eval's bits in fewer steps. z = x has no low
  // word; one clamp of |x| at kZLeft serves both sides (right of kZRight, 1 + e^-|x| 2^64
  // 2^-64 rounds to 1 in one FMA, no product underflows, as den = e + 1 with e taken as
  // 0 there).
  static Parts silu(V x) {
    const V a = abs(x);
    const V es = vm::exp_in_range<vm::kUnderflowGuard>(max_of(set1<T>(-kZLeft), neg_abs(x)));  // -min(kZLeft, a)
    // -0 left of where y rounds to -0 (x e^x below 2^-150 (2^-1075) from -108.651
    // (-751.754) on, mpmath): there q 2^-64 would underflow, a microcode assist on Intel
    // cores (swish 9x slower at x = -800); -inf too, without the NaN of -inf * 0.
    const V f = select(x < -kYZero, neg_zero<V>(), x);
    const V den = mul_add(es, set1<T>(vm::kUnguard<T>), set1<T>(T(1)));
    return {quotient<false>(x, x, f, es, den), x, settled_e(a, es), den};
  }
  // e^-|z| from its 2^64-scaled form, taken as 0 past kZRight (no product underflows).
  static V settled_e(V a, V es) { return select(a > kZRight, V{}, es) * vm::kUnguard<T>; }
  // y = f es 2^-64 / den on the scaled side (z < 0), x / den on the other. z in [0, the
  // smallest normal) takes the scaled side too (e^-|z| 2^64 is 2^64 there, den is 2, so
  // x 2^64/2 is exact and scaled back once): a denormal x would make the division slow.
  // kHuge: a huge |x| with a small |z| (beta < 1) would overflow f es; there y is far from
  // the denormals, so f is scaled down by 2^64 first instead of y after.
  template <bool kHuge> static V quotient(V x, V z, V f, V es, V den) {
    const auto scaled_side = z < std::numeric_limits<T>::min();
    auto unscale = scaled_side;
    if constexpr (kHuge) {
      const auto huge = abs(x) > kHugeX;
      f = select(huge, mul_tiny(f, set1<T>(vm::kUnguard<T>)), f);
      unscale = scaled_side & ~huge;
    }
    const V q = select(scaled_side, mul_tiny(f, es), x) / den;  // one division for both sides
    return select(unscale, mul_tiny(q, set1<T>(vm::kUnguard<T>)), q);
  }
};

template <class T> using Swish = SwishAs<T>;

// x * tanh(softplus(x)) = x * n / (n + 2), n = e^x (e^x + 2): no cancellation anywhere,
// one exponential. Clamps (as Swish, no product underflows): above kHi = 20 (40),
// n/(n+2) rounds to 1; below -kTiny = -80 (-700) e^x is dropped from n (n + 2 and
// e^x (e^x + 2) = 2 e^x round the same); below -kLeft = -110 (-752) y rounds to -0 while
// e^x 2^64 is still normal (in double, just: 2^-1021). The gradient is below 1e-33 (1e-300) left of -kTiny,
// and taken as -0 there, the limit (the exact f', as swish's, rounds to -0 in T from x =
// -108.651 (-751.754) on; a clamp where e^x computes to 0, as in swish's backward, would
// leave e^x / (e^x + 1) a division of a denormal for some x, slow on x86).
template <class T> struct Mish : NanFlowsThrough {
  PYACT_FUNCTOR_TYPES(16);
  static constexpr bool kTinyDetour = kCheapDenormalTest;  // apply.h: a denormal x by f's linearisation,
  static constexpr bool kDetourEverywhere = true;          // AMD too: its forward took 2.1-2.2x on denormals on a Zen 5
  static constexpr bool kF = sizeof(T) == 4;
  static constexpr T kHi = kF ? T(20) : T(40), kTiny = kF ? T(80) : T(700), kLeft = kF ? T(110) : T(752);
  explicit Mish(const double*) {}
  // For x < 0, n is carried scaled by 2^64 through the product with x (one rounding
  // into the denormals); for x >= 0, t = n/(n+2) is formed first so that y = x exactly
  // once t rounds to 1.
  V fwd(V x) const {
    const V es = vm::exp_in_range<vm::kUnderflowGuard>(clamp(x, -kLeft, kHi));
    const V e = select(x < -kTiny, V{}, es) * vm::kUnguard<T>;
    const V ns = mul_add(es, e, es + es);  // e^x (e^x + 2) 2^64, one rounding with an FMA
    const V n = mul_add(e, e, e + e);      // the same unscaled (the same bits where normal)
    const auto neg = x < T(0);
    const V f = select(x < -kLeft, neg_zero<V>(), x);  // the limit -0 (-inf * 0 would be NaN)
    const V q = select(neg, mul_tiny(f, ns), n) / (n + T(2));  // one division for both sides; f may be a denormal
    return select(neg, mul_tiny(q, set1<T>(vm::kUnguard<T>)), mul_tiny(f, q));  // tiny x: both underflow
  }
  // f' = t + x sech^2(sp) sigmoid(x), t = n/(n+2), sech^2(sp) = 4(n+1)/(n+2)^2.
  V bwd_x(V g, V x) const {
    const V xc = clamp(x, -kTiny, kHi);
    const V e = vm::exp_in_range(xc);  // 2^n is normal on [-kTiny, kHi]: exp's bits, no second clamp
    const V n = e * (e + T(2));
    const V d = T(1) / (n + T(2));
    const V sech2 = mul_add(n, set1<T>(T(4)), set1<T>(T(4))) * d * d;  // 4 (n + 1): *4 is exact, one rounding either way
    const V sig = e / (e + T(1));
    return grad_left_settled<false>(g, mul_add(-mul_tiny(xc, sech2), sig, -(n * d)), xc, kTiny);  // -f'
  }
};

template <class T> struct Exponential : NanFlowsThrough {
  PYACT_FUNCTOR_TYPES(16);
  static constexpr bool kTinyDetour = kCheapDenormalTest;  // apply.h: a denormal x by f's linearisation
  explicit Exponential(const double*) {}
  V fwd(V x) const { return vm::exp(x); }
  // apply.h's underflow detour: between -87 and -104 (-708 and -746) e^x may be a denormal.
  static constexpr T kUnderflowFrom = sizeof(T) == 4 ? T(-87) : T(-708), kUnderflowTo = sizeof(T) == 4 ? T(-104) : T(-746);
  V fwd_exact(V x) const { return vm::exp<0, true>(x); }
  V bwd_x(V g, V x) const { return mul_tiny(g, vm::exp(x)); }
  V bwd_y(V g, V y) const { return mul_tiny(g, y); }
};

// x - tanh x. Below |x| = 1 the difference cancels, so it is x^3 q(x^2) there (q
// near-minimax, degree 7 float / 16 double, relative error < 6e-9 / 1.3e-18); above,
// (|x| - 1) + 2 sigmoid(-2|x|), two non-negative terms. Odd; f' = tanh^2 x. On
// AVX-512 float, a table instead (0.51x the time; 3 ULP where that had 4).
template <class T> struct TanhshrinkC;
template <> struct TanhshrinkC<float> {
  static constexpr float q[] = {0x1.555556p-2f, -0x1.1110f2p-3f, 0x1.ba117cp-5f, -0x1.65a7c4p-6f,
                                0x1.1d02d6p-7f, -0x1.a45278p-9f, 0x1.e42e3p-11f, -0x1.2b7582p-13f};
};
template <> struct TanhshrinkC<double> {
  static constexpr double q[] = {0x1.5555555555555p-2, -0x1.1111111111109p-3, 0x1.ba1ba1ba1ad79p-5,
                                 -0x1.664f488284a62p-6, 0x1.226e3554e44b7p-7, -0x1.d6d3cf0c9f4f0p-9,
                                 0x1.7da3468275600p-10, -0x1.3556d1497c973p-11, 0x1.f567a08729e42p-13,
                                 -0x1.95f8917d9e05ap-14, 0x1.4716206d34c37p-15, -0x1.02a4681561bf1p-16,
                                 0x1.83b86bf37b691p-18, -0x1.01ed0537aafe1p-19, 0x1.1306c68e489eap-21,
                                 -0x1.922fdbe58a872p-24, 0x1.255e7760dc76dp-27};
};
#if defined(PYACT_TARGET_AVX512)
// On AVX-512, float: |x| - tanh|x| on [0, 8) from a table (vmath/poly32.h), binades
// from 2^-5; interval 0 has c0 = c1 = c2 = 0 (x^3/3 at a tiny x). Fit error 1.02 * 2^-24
// relative.
inline constexpr auto kTanhshrinkTable = vm::slotted<-5>({
  {
    0.0f, 0x1.4d2148p-16f, 0x1.1fbf42p-15f, 0x1.c8c972p-15f, 0x1.54cd04p-14f,
    0x1.4c8584p-13f, 0x1.1efdb8p-12f, 0x1.c727ccp-12f, 0x1.5336a2p-11f, 0x1.4a1c28p-10f,
    0x1.1c01cp-9f, 0x1.c0befap-9f, 0x1.4d02b2p-8f, 0x1.40cebep-7f, 0x1.10ac22p-6f,
    0x1.a8d612p-6f, 0x1.365614p-5f, 0x1.205c0ap-4f, 0x1.d66e0ep-4f, 0x1.5e66bep-3f,
    0x1.e84152p-3f, 0x1.9b5b88p-2f, 0x1.309068p-1f, 0x1.9e0406p-1f, 0x1.09357cp+0f,
    0x1.836d3ep+0f, 0x1.00a20cp+1f, 0x1.403bb4p+1f, 0x1.8015fap+1f, 0x1.00017cp+2f,
    0x1.400034p+2f, 0x1.800006p+2f},
  {
    0.0f, 0x1.8f9804p-10f, 0x1.1f941cp-9f, 0x1.873828p-9f, 0x1.feab6ap-9f, 0x1.8e6088p-8f,
    0x1.1e5226p-7f, 0x1.84e558p-7f, 0x1.fab698p-7f, 0x1.8993e2p-6f, 0x1.19616cp-5f,
    0x1.7bd38p-5f, 0x1.eb6652p-5f, 0x1.77546cp-4f, 0x1.0700dap-3f, 0x1.5ae8fcp-3f,
    0x1.b55b0ap-3f, 0x1.3af6bep-2f, 0x1.9d1858p-2f, 0x1.fb5f36p-2f, 0x1.28f93ap-1f,
    0x1.706dacp-1f, 0x1.a37acap-1f, 0x1.c5bad2p-1f, 0x1.dbd48ep-1f, 0x1.f2633p-1f,
    0x1.faf27p-1f, 0x1.fe2434p-1f, 0x1.ff507ap-1f, 0x1.ffe982p-1f, 0x1.fffc1p-1f,
    0x1.00008ap+0f},
  {
    0.0f, 0x1.3f567p-5f, 0x1.7ee238p-5f, 0x1.be3e66p-5f, 0x1.fd57bcp-5f, 0x1.3d70e6p-4f,
    0x1.7b882p-4f, 0x1.b8da1ap-4f, 0x1.f57b6cp-4f, 0x1.35d32ep-3f, 0x1.6ea026p-3f,
    0x1.a48144p-3f, 0x1.d7758ap-3f, 0x1.198fc8p-2f, 0x1.3fe47cp-2f, 0x1.5e1684p-2f,
    0x1.7421cep-2f, 0x1.89292p-2f, 0x1.841598p-2f, 0x1.6bd6fp-2f, 0x1.4782ecp-2f,
    0x1.e7111p-3f, 0x1.4ecc98p-3f, 0x1.b67054p-4f, 0x1.167b34p-4f, 0x1.ac5a98p-6f,
    0x1.433cc8p-7f, 0x1.c51d9cp-9f, 0x1.5a4ff2p-10f, 0x1.a136b6p-14f, 0x1.20d52ep-14f,
    -0x1.7a047ep-14f},
  {
    0x1.555556p-2f, 0x1.53d274p-2f, 0x1.520976p-2f, 0x1.501538p-2f, 0x1.5005b8p-2f,
    0x1.4b95aap-2f, 0x1.498ec8p-2f, 0x1.48b4cap-2f, 0x1.4042e6p-2f, 0x1.33c42ap-2f,
    0x1.22f96ep-2f, 0x1.19ef88p-2f, 0x1.083858p-2f, 0x1.c284e8p-3f, 0x1.684858p-3f,
    0x1.14352ap-3f, 0x1.840fd4p-4f, 0x1.3f0878p-6f, -0x1.636016p-5f, -0x1.6016a4p-4f,
    -0x1.a872b2p-4f, -0x1.b9fad6p-4f, -0x1.63aad2p-4f, -0x1.fa43f6p-5f, -0x1.52d304p-5f,
    -0x1.0d7a3ap-6f, -0x1.b8bffp-8f, -0x1.6ee4ecp-10f, -0x1.ad3fb6p-11f, 0x1.e3957p-14f,
    -0x1.28e69p-13f, 0x1.12d1bep-12f},
  {
    -0x1.bcb9bep-19f, -0x1.c12a42p-4f, 0x1.c6fc04p-7f, 0x1.18837cp-3f, -0x1.50054ap-5f,
    0x1.e0f844p-5f, -0x1.1067a4p-4f, -0x1.495596p-2f, -0x1.27b6cp-4f, -0x1.8152ccp-5f,
    0x1.dd1d1ap-5f, -0x1.84f0e2p-3f, -0x1.48d0e4p-3f, -0x1.552666p-3f, -0x1.e3ded6p-4f,
    -0x1.2accf6p-3f, -0x1.5da48ap-3f, -0x1.3ad0f2p-3f, -0x1.5bf5b6p-4f, -0x1.643a5cp-6f,
    -0x1.a96274p-6f, 0x1.82a878p-7f, 0x1.559392p-6f, 0x1.2dc53p-6f, 0x1.051c64p-6f,
    0x1.a9bf06p-8f, 0x1.dd0b14p-9f, -0x1.36a85ap-10f, 0x1.4738d8p-12f, -0x1.cc78d6p-13f,
    0x1.3e533ap-13f, -0x1.3e397p-12f},
  {
    -0x1.10bec4p-3f, 0x1.10fdp+2f, -0x1.3de7c8p+1f, -0x1.24fd4p+3f, -0x1.0360f4p-3f,
    -0x1.81f26p+1f, 0x1.59b87ap-6f, 0x1.9b9ddep+2f, -0x1.b5644ap-3f, -0x1.8729b2p-1f,
    -0x1.2afce8p+1f, 0x1.78221ep-1f, 0x1.2a4436p-4f, 0x1.1d326cp-6f, -0x1.5a8b42p-2f,
    -0x1.284d64p-3f, 0x1.ce32d6p-5f, 0x1.c6328ap-4f, 0x1.f4c43ap-7f, -0x1.235068p-4f,
    0x1.23a88cp-5f, 0x1.e86bbap-7f, 0x1.c615cep-8f, 0x1.04cf42p-8f, -0x1.70087cp-9f,
    -0x1.15786ap-10f, -0x1.5cc932p-10f, 0x1.97cf7ep-10f, -0x1.ce56fcp-15f, 0x1.9c69dep-14f,
    -0x1.f67472p-15f, 0x1.0093f2p-13f}});
#endif
template <class T> struct Tanhshrink : NanFlowsThrough {
  PYACT_FUNCTOR_TYPES(16);
  static constexpr bool kTinyDetour = kCheapDenormalTest;  // apply.h: a denormal x by f's linearisation,
  static constexpr bool kFlatAtZero = true;                 // f(x) = ±0 and f'(x) = 0 there,
  // and below 2^-49.6 in float, where x^3/3 rounds to ±0 (the table's a^3 underflows)
  static constexpr T kLinearBelow = sizeof(T) == 4 ? T(0x1.5p-50f) : T(0);
  explicit Tanhshrink(const double*) {}
  V fwd(V x) const {
    const V a = abs(x);
#if defined(PYACT_TARGET_AVX512)
    // From |x| = 8 on the result rounds to |x| - 1 (exact): tanh|x| is within 2.3e-7 of
    // 1, under half an ulp of |x| - 1 >= 7.
    if constexpr (std::is_same_v<T, float>)
      return copysign(select(a >= T(8), a - T(1), vm::poly32(kTanhshrinkTable, a)), x);
#endif
    const V u = select(a < T(1), mul_tiny(a, a), set1<T>(T(1)));  // tiny a: these underflow
    const V small = mul_tiny(mul_tiny(a, u), vm::horner(u, TanhshrinkC<T>::q));
    const V ns = vm::neg_abs_saturated<1>(a);
    const V e = vm::exp_nonpos(ns + ns);  // 2e^-40 < ulp(19)/8: no underflow
    const V large = (a - T(1)) + (e + e) / (e + T(1));
    return copysign(select(a < T(1), small, large), x);
  }
  V bwd_x(V g, V x) const {
    const V t = vm::tanh(x);
    return mul_tiny(g, mul_tiny(t, t));
  }
};

}}  // namespace pyact::<isa>
