// gelu in its two forms (PyTorch's approximate="none" | "tanh"), as two kernels.
// Both are x times a distribution function whose relative condition number grows like
// x^2 in the left tail, so every quantity that is squared or cubed there is carried as
// an exact hi + lo pair (vmath/erf.h): a rounded x^2 would cost x^2/2 ULP.
#pragma once
#include "kernels/apply.h"
#include "vmath/erf.h"
#include "vmath/logistic.h"

namespace pyact { namespace PYACT_TARGET {

// x * Phi(x), Phi(x) = erfc(-x/sqrt2)/2; f' = Phi(x) + x phi(x).
//
// No slow path on any input range (PITFALLS: MKL's gelu ran 150x slower below -14): a
// multiplication whose result underflows runs several times slower on x86, so a lane
// past the point where its result is settled computes at that point instead, and every
// product it forms stays a normal number. The only lanes that still underflow are those
// whose result is itself a denormal (x in [-15, -13.4] in float32).
template <class T> struct Gelu : NanFlowsThrough {
  PYACT_FUNCTOR_TYPES(24);
  static constexpr bool kTinyDetour = kCheapDenormalTest;  // apply.h: a denormal x by f's linearisation,
  static constexpr T kLinearBelow = sizeof(T) == 4 ? T(0x1p-32f) : T(0);  // float: |x| < 2^-32 (x^3 underflows)
  static constexpr double kSlopeAtZero = 0.5;  // apply.h: f'(±s) = 1/2 + 0.8 s rounds to 1/2
  static constexpr T kMaxW = vm::NcdfC<T>::kMaxW;  // x Phi(x) rounds to -0 below -kMaxW
  static constexpr T kMaxWGrad = vm::NcdfC<T>::kMaxWGrad;
  // The backward's clamp on the left, kGradLo: where Phi(x) and phi(x) compute to exactly
  // 0, so that f' is -0 there (bwd_x), the limit, with no select. In float (and in double
  // on AVX-512) e^(-w^2/2) is 0 from there on: 2^-127 from bits is +0 (w = 13.27), and
  // AVX-512's vscalef rounds 2^-151 (2^-1076, w = 40) and below to 0 (a denormal
  // e^(-w^2/2) on the way goes through the FMA unit). The exact f' rounds to -0 in T from
  // x = -14.5413 (-38.6748) on (mpmath); down to kGradLo it is computed. In double off
  // AVX-512 a vanishing e^(-w^2/2) would take slow products: the clamp stays at
  // kMaxWGrad (f' 8e-297 there) and grad_left_settled makes it -0 from there on.
#if defined(PYACT_TARGET_AVX512)
  static constexpr T kGradLo = sizeof(T) == 4 ? T(14.55) : vm::NcdfC<T>::kMaxW;
#else
  static constexpr T kGradLo = sizeof(T) == 4 ? T(13.27) : kMaxWGrad;
#endif
  // x - x Phi(-x) rounds to x from here on: x Phi(-x) < ulp(x)/32 (Phi(-6) = 1e-9, Phi(-9) = 1e-19).
  static constexpr T kRightW = sizeof(T) == 4 ? T(6) : T(9);
  static constexpr int kUnroll = 2;  // apply.h: at four vectors GCC spills the constants to the stack
  explicit Gelu(const double*) {}
  // x Phi(-|x|) left of 0 (the sign bit: -0 too), x multiplied in inside ncdf_neg, which
  // rounds a denormal result once; x - x Phi(-x) right of 0 (one rounding with an FMA).
  template <bool kExact = false> V fwd(V x) const {
    const auto left = has_sign(x);
    const V wc = clamped_w(x, left);
    return y_of<kExact>(x, left, wc, vm::ncdf_neg<kExact>(wc, factor(x, left)));
  }
  // apply.h's underflow detour: between -13 and -kMaxW (-37 and -kMaxW) the result may
  // be a denormal.
  static constexpr T kUnderflowFrom = sizeof(T) == 4 ? T(-13) : T(-37), kUnderflowTo = -kMaxW;
  V fwd_exact(V x) const { return fwd<true>(x); }
  // With the derivative (a trainer's forward, apply.h ForwardDeriv). float: from the
  // same exponential, Phi(x) + x phi(x) = [Phi(-w) or 1 - Phi(-w)] + x e^(-w^2/2)/sqrt(2 pi),
  // taken as 0 left of -kMaxWGrad (below 1.4e-35) rather than underflowing; double:
  // the two evaluations.
  Both<V> fwd_deriv(V x) const {
    if constexpr (vm::NcdfC<T>::kProduct) {
      constexpr T kRsqrt2Pi = T(0x1.988454p-2f);
      const auto left = has_sign(x);
      const V wc = clamped_w(x, left);
      const vm::NcdfParts<V> p = vm::ncdf_neg_product_parts(wc, factor(x, left));
      const V y = y_of(x, left, wc, vm::times_pow2_guarded(p.y, p.n));
      // exp(-w^2/2) and Phi(-w) scaled by 2^64 (normal numbers), and u the 2^-64 back.
      const V e = vm::times_pow2<vm::kUnderflowGuard>(p.em1 + T(1), p.n);
      const V u = select(wc > kMaxWGrad, V{}, set1<T>(vm::kUnguard<T>));
      const V cdf = (p.q * e) * u;
      return {y, mul_add(select(left, -wc, wc), e * (u * kRsqrt2Pi), select(left, cdf, T(1) - cdf))};
    } else {
      return {fwd(x), bwd_x(set1<T>(T(1)), x)};
    }
  }
  // Where Phi and phi are +0, -f' = -(x (+0)) - (+0) is +0 (grad_left_settled, apply.h).
  V bwd_x(V g, V x) const {
    const V xc = clamp(x, -kGradLo, kMaxWGrad);
    const vm::NcdfNpdf<V> p = vm::ncdf_npdf(abs(xc));
    const V nd = mul_add(-xc, p.pdf, -select(x < T(0), p.cdf, T(1) - p.cdf));  // -f'
    return grad_left_settled<kGradLo != kMaxWGrad>(g, nd, xc, kGradLo);
  }

 private:
  // |x| clamped at kMaxW on the left (there the factor is -0: -inf * 0 would be NaN,
  // and -0 is the limit) and at kRightW on the right.
  static V clamped_w(V x, M<T> left) {
    const V w = abs(x);
    const V lim = select(left, set1<T>(kMaxW), set1<T>(kRightW));
    return min_of(lim, w);
  }
  static V factor(V x, M<T> left) { return select(left, select(x < -kMaxW, neg_zero<V>(), x), set1<T>(T(1))); }
  // Left, y <= 0: the sign bit set, so that the zero below -kMaxW is -0 (f * (e^r - 1)
  // + f, f = -0, is +0 where e^r < 1). Right, x - x Phi(-x), one rounding. kExact: the
  // FMA computed in the right lanes only, as a left lane's q may be a denormal, and as an
  // operand it takes a microcode assist on Intel cores (gelu 7x slower at x = -13.5).
  template <bool kExact = false> static V y_of(V x, M<T> left, V wc, V q) {
    const V neg_q = (V)(bits(q) | sign_mask<V>());
    if constexpr (kExact) {
      const auto right = sign_clear_lanes(x);
      return mul_add_where(right, -wc, q, select(right, x, neg_q));
    } else {
      return select(left, neg_q, mul_add(-wc, q, x));
    }
  }
};

// 0.5 x (1 + tanh(u)), u = sqrt(2/pi)(x + 0.044715 x^3), computed as x * sigmoid(z),
// z = 2u = x (A + B x^2), with z as an exact-enough hi + lo pair (A, B split in two).
template <class T> struct GeluTanhC;
// The clamps of x (as for Gelu: past them the result is settled and every product stays
// normal): kRight, y = x from there on (sigmoid(z) rounds to 1); kLeft, y rounds to -0
// below, e^-|z| 2^64 still normal (float; in double, e^-|z| 2^64 is already denormal
// where y reaches 0, so lanes in (-30, -21.7) still underflow); kLeftGrad, f' is below
// 1.4e-31 (3e-259) there and e^z still normal; kZeroGrad, f' rounds to -0 in the dtype
// below (x < -10.8945 (-21.5927), mpmath). kZSat: past |z| = 20 (40), 1 + e^-|z| rounds
// to 1, taken as 1 (so the unscaling product does not underflow).
template <> struct GeluTanhC<float> {
  static constexpr float kLeft = 11.0f, kRight = 6.0f, kLeftGrad = 9.5f, kZeroGrad = 10.895f, kZSat = 20.0f;
  static constexpr float kAHi = 0x1.988454p+0f, kALo = -0x1.857936p-25f;
  static constexpr float kBHi = 0x1.2444f2p-4f, kBLo = 0x1.49b16ap-29f;
};
template <> struct GeluTanhC<double> {
  static constexpr double kLeft = 30.0, kRight = 8.0, kLeftGrad = 20.0, kZeroGrad = 21.593, kZSat = 40.0;
  static constexpr double kAHi = 0x1.9884533d43651p+0, kALo = -0x1.cbc0d30ebfd15p-54;
  static constexpr double kBHi = 0x1.2444f2a4d8b4bp-4, kBLo = -0x1.6c843a29d1c70p-61;
};

template <class T> struct GeluTanh : NanFlowsThrough {
  PYACT_FUNCTOR_TYPES(16);
  static constexpr bool kTinyDetour = kCheapDenormalTest;  // apply.h: a denormal x by f's linearisation,
  static constexpr T kLinearBelow = sizeof(T) == 4 ? T(0x1p-32f) : T(0x1p-60);  // and |x| below (x^3 underflows)
#if defined(PYACT_TARGET_AVX512)
  // Its float backward keeps the driver's NaN select on AVX-512 all the same: without it
  // GCC schedules that loop worse (1.06-1.09x the time on Zen 4; 0.93x on AVX2, and 0.96x
  // for double on AVX-512 since its clamp moved to kZeroGrad; benchmarks/ab_core.py).
  static constexpr bool kBwdKeepsNan = sizeof(T) == 8;
#endif
  using C = GeluTanhC<T>;
  explicit GeluTanh(const double*) {}

  struct Z { V hi, lo, sq; };
  // Every product here is of clamped values: no guard against Dekker's overflow (erf.h).
  static V two_prod_err(V a, V b, V p) { return vm::two_prod_err<vm::Operands::bounded>(a, b, p); }
  static Z z_of(V xc) {
    // mul_tiny: products that underflow for a tiny x (vec.h).
    const V sq = mul_tiny(xc, xc);
    const V sq_lo = two_prod_err(xc, xc, sq);
    const V bs = mul_tiny(sq, set1<T>(C::kBHi));
    const V in = bs + C::kAHi;
    const V in_lo = ((vm::two_sum_err(bs, set1<T>(C::kAHi), in) + two_prod_err(set1<T>(C::kBHi), sq, bs)) +
                     mul_add(sq_lo, set1<T>(C::kBHi), mul_tiny(sq, set1<T>(C::kBLo)))) + C::kALo;
    const V z = mul_tiny(xc, in);
    return {z, mul_add(xc, in_lo, two_prod_err(xc, in, z)), sq};
  }
  // e^-|z| * 2^kScale for the double-word z.
  template <int kScale = 0> static V exp_neg_abs(const Z& z) {
    return vm::exp_hilo<kScale>(neg_abs(z.hi), select(z.hi < T(0), z.lo, -z.lo));
  }

  // x e/(1 + e) left of 0 with e scaled by 2^64 through the product (as Swish), x/(1 + e)
  // right of 0; below -kLeft the factor is -0 (the limit; -inf * 0 would be NaN).
  V fwd(V x) const {
    const Z z = z_of(clamp(x, -C::kLeft, C::kRight));
    const V es = exp_neg_abs<vm::kUnderflowGuard>(z);
    const V d = select(abs(z.hi) > C::kZSat, V{}, es) * vm::kUnguard<T> + T(1);  // 1 + e^-|z|
    // A denormal x > 0 takes the scaled side too (as Swish: there es = 2^64 and d = 2).
    const auto neg = (z.hi < T(0)) | below_normal(x);
    const V f = select(x < -C::kLeft, neg_zero<V>(), x);
    const V q = select(neg, mul_tiny(f, es), x) / d;  // one division for both sides
    return select(neg, mul_tiny(q, set1<T>(vm::kUnguard<T>)), q);
  }
  // f' = s + x s (1 - s) z'(x), z' = A + 3 B x^2. Where s and s (1 - s) are +0,
  // -f' = -(x (+0)) z' - (+0) is +0 (grad_left_settled, apply.h). On AVX-512 x is
  // clamped at -kZeroGrad, where vscalef rounds e^-|z| (|z| > 109 (753)) to 0 (a denormal
  // e^-|z| on the way goes through the FMA unit); elsewhere exp_hilo would form that
  // denormal in a slow multiply, so the clamp stays at -kLeftGrad, and f' is made -0 from
  // there on (1.4e-31 (3e-259) at it).
#if defined(PYACT_TARGET_AVX512)
  static constexpr T kGradLo = C::kZeroGrad;
#else
  static constexpr T kGradLo = C::kLeftGrad;
#endif
  V bwd_x(V g, V x) const {
    const V xc = clamp(x, -kGradLo, C::kRight);
    const Z z = z_of(xc);
    const vm::Logistic<V> l = vm::sigmoid_and_deriv_from(z.hi, exp_neg_abs(z));
    const V dz = mul_add(z.sq, set1<T>(T(3) * C::kBHi), set1<T>(C::kAHi));
    const V nd = mul_add(-mul_tiny(xc, l.ds), dz, -l.s);  // -f'
    return grad_left_settled<kGradLo != C::kLeftGrad>(g, nd, xc, kGradLo);
  }
};

}}  // namespace pyact::<isa>
