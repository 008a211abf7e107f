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
template <class T> struct Gelu {
  PYACT_FUNCTOR_TYPES(24);
  static constexpr T kMaxW = vm::NcdfC<T>::kMaxW;  // x Phi(x) rounds to -0 below -kMaxW
  static constexpr T kMaxWGrad = vm::NcdfC<T>::kMaxWGrad;
  explicit Gelu(const double*) {}
  // x Phi(-|x|) left of 0 (the sign bit: -0 too), x multiplied in inside ncdf_neg and
  // Phi carried scaled by 2^64 so that a denormal result is rounded once; x - x Phi(-x)
  // right of 0 (one rounding with an FMA). x is clamped at ±kMaxW in the products:
  // -inf * 0 and inf - inf * 0 would be NaN.
  V fwd(V x) const {
    const V xc = clamp(x, -kMaxW, kMaxW);
    const auto left = has_sign(x);
    const V q = vm::ncdf_neg<vm::kUnderflowGuard>(abs(xc), select(left, xc, T(1))) * vm::kUnguard<T>;
    return select(left, q, mul_add(-xc, q, x));
  }
  V bwd_x(V g, V x) const {
    const V xc = clamp(x, -kMaxWGrad, kMaxWGrad);
    const vm::NcdfNpdf<V> p = vm::ncdf_npdf(abs(xc));
    return g * mul_add(xc, p.pdf, select(x < T(0), p.cdf, T(1) - p.cdf));
  }
};

// 0.5 x (1 + tanh(u)), u = sqrt(2/pi)(x + 0.044715 x^3), computed as x * sigmoid(z),
// z = 2u = x (A + B x^2), with z as an exact-enough hi + lo pair (A, B split in two).
template <class T> struct GeluTanhC;
template <> struct GeluTanhC<float> {
  static constexpr float kAHi = 0x1.988454p+0f, kALo = -0x1.857936p-25f;
  static constexpr float kBHi = 0x1.2444f2p-4f, kBLo = 0x1.49b16ap-29f;
};
template <> struct GeluTanhC<double> {
  static constexpr double kAHi = 0x1.9884533d43651p+0, kALo = -0x1.cbc0d30ebfd15p-54;
  static constexpr double kBHi = 0x1.2444f2a4d8b4bp-4, kBLo = -0x1.6c843a29d1c70p-61;
};

template <class T> struct GeluTanh {
  PYACT_FUNCTOR_TYPES(16);
  using C = GeluTanhC<T>;
  static constexpr T kLim = T(30);  // sigmoid(z(-30)) = 0 in both precisions
  explicit GeluTanh(const double*) {}

  struct Z { V hi, lo, sq; };
  static Z z_of(V xc) {
    const V sq = xc * xc;
    const V sq_lo = vm::two_prod_err(xc, xc, sq);
    const V bs = sq * C::kBHi;
    const V in = bs + C::kAHi;
    const V in_lo = ((vm::two_sum_err(bs, set1<T>(C::kAHi), in) + vm::two_prod_err(set1<T>(C::kBHi), sq, bs)) +
                     mul_add(sq_lo, set1<T>(C::kBHi), sq * C::kBLo)) + C::kALo;
    const V z = xc * in;
    return {z, mul_add(xc, in_lo, vm::two_prod_err(xc, in, z)), sq};
  }
  // e^-|z| * 2^kScale for the double-word z.
  template <int kScale = 0> static V exp_neg_abs(const Z& z) {
    return vm::exp_hilo<kScale>(-abs(z.hi), select(z.hi < T(0), z.lo, -z.lo));
  }

  // x e/(1 + e) left of 0 with e scaled by 2^64 through the product (as Swish), x/(1 + e)
  // right of 0.
  V fwd(V x) const {
    const Z z = z_of(clamp(x, -kLim, kLim));
    const V es = exp_neg_abs<vm::kUnderflowGuard>(z);
    const V d = es * vm::kUnguard<T> + T(1);
    const auto neg = z.hi < T(0);
    const V q = select(neg, x * es, x) / d;  // one division for both sides
    const V y = select(neg, q * vm::kUnguard<T>, q);
    return select(x < -kLim, copysign(V{}, x), y);
  }
  // f' = s + x s (1 - s) z'(x), z' = A + 3 B x^2.
  V bwd_x(V g, V x) const {
    const V xc = clamp(x, -kLim, kLim);
    const Z z = z_of(xc);
    const vm::Logistic<V> l = vm::sigmoid_and_deriv_from(z.hi, exp_neg_abs(z));
    const V dz = mul_add(z.sq, set1<T>(T(3) * C::kBHi), set1<T>(C::kAHi));
    return g * mul_add(xc * l.ds, dz, l.s);
  }
};

}}  // namespace pyact::<isa>
