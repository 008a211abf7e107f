// Piecewise-linear (and algebraic) activations: a few compares and selects per lane,
// memory-bound. Conventions at the kinks follow PyTorch: the derivative of a clip is 1
// only strictly inside the interval; relu/leaky_relu take the left derivative at 0.
// Parameters arrive as doubles in catalog order (src/pyact/_catalog.py).
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include "kernels/apply.h"

namespace pyact { namespace PYACT_TARGET {

#define PYACT_FUNCTOR_TYPES(cost) \
  using V = pyact::PYACT_TARGET::V<T>; \
  static constexpr int kCost = cost

// slope * v, but exactly 0 when slope is 0 (so that 0 * inf is not NaN).
template <class T, class Vec> inline Vec scaled(T slope, Vec v) { return slope == T(0) ? Vec{} : mul_tiny(v, set1<T>(slope)); }

template <class T> struct Linear {
  PYACT_FUNCTOR_TYPES(1);
  explicit Linear(const double*) {}
  V fwd(V x) const { return x; }
  V bwd_x(V g, V) const { return g; }
  V bwd_y(V g, V) const { return g; }
};

// Keras relu: max_value where x >= max_value; x where threshold <= x < max_value;
// negative_slope * (x - threshold) below. Params: negative_slope, max_value, threshold.
template <class T> struct Relu {
  PYACT_FUNCTOR_TYPES(1);
  T slope, max_value, threshold;
  bool capped;  // max_value finite; without a cap the identity piece has slope 1 up to +inf
  explicit Relu(const double* p)
      : slope(T(p[0])), max_value(T(p[1])), threshold(T(p[2])), capped(max_value < std::numeric_limits<T>::infinity()) {}
  V fwd(V x) const {
    const V r = select(x < threshold, scaled(slope, x - threshold), x);
    return select(x >= max_value, max_value, r);
  }
  V upper(V g, V v) const { return capped ? select(v < max_value, g, T(0)) : g; }
  V bwd_x(V g, V x) const { return select(x <= threshold, scaled(slope, g), upper(g, x)); }
  // Valid when threshold == 0 and negative_slope >= 0 (the catalog's y_ok): then
  // y > 0 exactly where x > 0, and y == max_value exactly where x >= max_value.
  V bwd_y(V g, V y) const { return select(y <= T(0), scaled(slope, g), upper(g, y)); }
};

// relu with the default parameters, the one most networks use: x < 0 ? 0 : x, a single
// max instruction that leaves NaN and -0 as they are (what the general Relu gives).
template <class T> struct ReluPlain {
  PYACT_FUNCTOR_TYPES(1);
  static constexpr bool kFwdKeepsNan = true;
  explicit ReluPlain(const double*) {}
  V fwd(V x) const { return max_of(V{}, x); }
  V bwd_x(V g, V x) const { return select(x > T(0), g, V{}); }
  V bwd_y(V g, V y) const { return bwd_x(g, y); }
};

template <class T> struct Relu6 {
  PYACT_FUNCTOR_TYPES(1);
  explicit Relu6(const double*) {}
  V fwd(V x) const { return clamp(x, T(0), T(6)); }
  V bwd_x(V g, V x) const { return select((x > T(0)) & (x < T(6)), g, T(0)); }
  V bwd_y(V g, V y) const { return bwd_x(g, y); }
};

template <class T> struct LeakyRelu {
  PYACT_FUNCTOR_TYPES(1);
  // apply.h: a denormal x by f's linearisation (slope x correctly rounded by times_tiny,
  // the multiply's bits); a denormal costs its backward nothing.
  static constexpr bool kTinyDetour = kCheapDenormalTest;
  static constexpr bool kTinyDetourFwdOnly = true;
  T slope;
  explicit LeakyRelu(const double* p) : slope(T(p[0])) {}
  V fwd(V x) const { return select(x > T(0), x, scaled(slope, x)); }
  V bwd_x(V g, V x) const { return select(x > T(0), g, scaled(slope, g)); }
  V bwd_y(V g, V y) const { return bwd_x(g, y); }  // y > 0 iff x > 0 when slope > 0
};

// clip(slope * x + offset, 0, 1). Params: slope (nonzero), offset. Computed as
// (x + offset/slope) * slope with the shift formed in double: near the lower kink
// slope*x + offset cancels (x = -3 + 1e-4 lost 15 bits in float32), x + 3 does not.
// A slope so small that offset/slope overflows T (or the slope itself rounds to 0) keeps
// the plain form: the shifted one would give inf * tiny = 1, or inf * 0 = NaN, for any x.
template <class T> struct HardSigmoid {
  PYACT_FUNCTOR_TYPES(1);
  static constexpr bool kGradDetour = kCheapDenormalTest;  // apply.h grad_detour: g times the slope
  T slope, offset, shift;
  bool shifted;
  explicit HardSigmoid(const double* p)
      : slope(T(p[0])), offset(T(p[1])), shift(T(p[1] / p[0])),
        shifted(slope != T(0) && shift - shift == T(0)) {}  // shift finite
  V z(V x) const { return shifted ? (x + shift) * slope : x * slope + offset; }
  V fwd(V x) const { return clamp(z(x), T(0), T(1)); }
  V bwd_y(V g, V y) const { return select((y > T(0)) & (y < T(1)), mul_tiny(g, set1<T>(slope)), T(0)); }
  V bwd_x(V g, V x) const { return bwd_y(g, z(x)); }
};

// clip(x, min_val, max_val). Params: min_val, max_val.
template <class T> struct HardTanh {
  PYACT_FUNCTOR_TYPES(1);
  T lo, hi;
  explicit HardTanh(const double* p) : lo(T(p[0])), hi(T(p[1])) {}
  V fwd(V x) const { return clamp(x, lo, hi); }
  V bwd_x(V g, V x) const { return select((x > lo) & (x < hi), g, T(0)); }
  V bwd_y(V g, V y) const { return bwd_x(g, y); }
};

// p / kB with the bits of the division wherever p / kB is a normal number (or 0), without a
// division where there is a hardware FMA: q = p (1/kB) is within an ulp, the residual
// p - kB q is exact by an FMA, and q + residual (1/kB) rounds to p / kB (Markstein's
// theorem; checked against the division over every float32, tests/test_fpstate.py).
// -(q kB - p) keeps the sign of a zero. A division with a denormal operand runs twice as
// slow on x86.
template <int kB, class Vec> inline Vec div_exact(Vec p) {
  using T = elem_t<Vec>;
#if defined(__FMA__) || defined(__aarch64__)
  const Vec inv = set1<T>(T(1) / T(kB));
  const Vec q = mul_tiny(p, inv);
  return mul_add(mul_add(q, set1<T>(T(kB)), -p), -inv, q);
#else
  return p / T(kB);
#endif
}

// x * relu6(x + 3) / 6; derivative as PyTorch (aten hardswish_backward): 0 up to -3,
// x/3 + 1/2 strictly between, 1 from 3 on (at the kinks PyTorch takes the outer piece).
// Above 3 the value is x itself: x * 6 / 6 would overflow for |x| > max/6.
// Between, x (x + 3) / 6 rounded twice as written (p = x (x + 3), then p / 6), also onto
// the denormal grid. A multiply or a division with a denormal operand or result runs
// 2.4-3.5x slower on Zen 3 (4.5x on SSE4), and on Intel cores any FP operation but an
// addition or a division that reads or makes a denormal takes a microcode assist (20-
// 90x), FMAs included: a vector with a denormal x takes the driver's detour (apply.h),
// fwd_tiny forward, f' at ±s (1/2) backward.
template <class T> struct HardSwish {
  PYACT_FUNCTOR_TYPES(4);
#if defined(PYACT_TARGET_SSE4)
  static constexpr bool kTinyDetour = true;  // a multiply or a division by denormals: slow on every x86 core
  static constexpr bool kDetourEverywhere = true;
#else
  static constexpr bool kTinyDetour = kCheapDenormalTest;  // apply.h: a denormal x by fwd_tiny
#endif
  // And |x| below 2^-100 (2^-966), where div6's residual r and div_exact's would be denormals.
  static constexpr T kLinearBelow = sizeof(T) == 4 ? T(0x1p-100f) : T(0x1p-966);
  // NaN passes the selects below (its compares are false) into p: no select by the driver.
  static constexpr bool kFwdKeepsNan = true;
  explicit HardSwish(const double*) {}
  V fwd(V x) const {
    return select(x < T(-3), V{}, select(x > T(3), x, div6(mul_tiny(x, x + T(3)))));  // -inf * 0
  }
  V bwd_x(V g, V x) const {
    const V mid = mul_tiny(g, div_exact<3>(x) + T(0.5));  // g may be denormal
    return select(x <= T(-3), V{}, select(x < T(3), mid, g));
  }
  // p / 6 rounded, with the bits of the division, ties to even on the denormal grid too.
  // With an FMA, through the FMA unit, where no denormal is slow: q = p (1/6) is within an
  // ulp, the residual r = 6q - p is exact, and p/6 = q - r/6. div_exact's correction
  // q - r (1/6), rounded once, is right unless p/6 is exactly halfway between two
  // neighbours, which happens on the denormal grid only (p/6 = (m + 1/2) 2^-149
  // (2^-1074), r = ±3 2^-149); elsewhere p/6 is at least ulp/6 from a half, and the
  // correction's error is far below that. So r/6 is formed as (r 2^64/3 rounded) 2^-65
  // (the 2^64 keeps r/3 a normal number): at a tie r 2^64/3 rounds to exactly ±2^-85
  // (±2^-1010), as 3 RN(1/3) rounds to 1 in either dtype, and the last FMA forms the
  // half exactly and rounds it to even, as the division does. All 2^32 float32 give the
  // division's bits (avx2, avx512), 2 10^6 float64 too; and no division: float64 runs
  // 0.75x the time it did.
  static V div6(V p) {
#if defined(__FMA__)
    const V q = mul_tiny(p, set1<T>(T(1) / T(6)));
    const V r = mul_add(q, set1<T>(T(6)), -p);
    const V r3 = mul_tiny(r, set1<T>(T(0x1p64) * (T(1) / T(3))));
    return mul_add(r3, set1<T>(-T(0x1p-65)), q);
#else
    return p / T(6);
#endif
  }
  // The driver's detour forward (apply.h), for a vector with an |x| below kLinearBelow:
  // one of zeros and of normal lanes only is fwd's; in the others, the normal lanes by
  // the division (its bits are div6's; div6's residual would be a denormal below
  // kLinearBelow), the denormal lanes without a multiply or a division that
  // reads or makes a denormal: x + 3 rounds to 3 there, and 3x rounded is J 2^-149
  // (2^-1074) for an integer J. s = |x| 2^126 (2^1022) comes from the bits (1 + |x| 2^126
  // has x's significand), 3s rounds as 3x does (at any scale), and q = (3s rounded)/6
  // rounded is (J/6) 2^-23 (2^-52) rounded to 24 (53) bits, below 1/2: q + 1 rounds it
  // onto the multiples of 2^-23 (2^-52), halves to even, and the significand field of
  // that sum is the denormal result, round(J/6) 2^-149. Two roundings as one: J/6 is a
  // multiple of 1/6 below 2^22 (2^51), so q keeps two or more bits below the unit and is
  // a half only where J/6 is one. The division's bits (all 2^32 float32 compared).
  // (A vector of denormals only, as a denormal array gives, needs no select, and its
  // 3s by div6: no division, whose float64 form cost such an array 2.4x.)
  V fwd_tiny(V x) const {
    using U = typename Simd<T>::U;
    if (!any_lane(nonzero_below(x, kLinearBelow))) return fwd(x);  // zeros and normals
    const auto tiny = denormal_lanes(x);
    const V ones = set1<T>(T(1));
    const V s = from_bits<V>(bits(abs(x)) | bits(ones)) - ones;
    const U mant = U{} + (sizeof(T) == 4 ? uint64_t(0x7fffff) : uint64_t(0xfffffffffffffull));
    const auto result = [&](V q) { return from_bits<V>((bits(q + ones) & mant) | (bits(x) & sign_mask<V>())); };
    if (all_lanes(tiny)) return result(div6(s * T(3)));
    const V q = select(tiny, s, x) * (x + T(3)) / T(6);
    return select(x < T(-3), V{}, select(x > T(3), x, select(tiny, result(q), q)));
  }
};

// 1 where x >= threshold else 0; the derivative is 0 (NaN at NaN, by the driver).
template <class T> struct Step {
  PYACT_FUNCTOR_TYPES(1);
  T threshold;
  explicit Step(const double* p) : threshold(T(p[0])) {}
  V fwd(V x) const { return select(x >= threshold, T(1), V{}); }
  V bwd_x(V, V) const { return V{}; }
  V bwd_y(V, V) const { return V{}; }
};

// x - lambd above lambd, x + lambd below -lambd, 0 between. Param: lambd >= 0.
template <class T> struct Softshrink {
  PYACT_FUNCTOR_TYPES(1);
  T lambd;
  explicit Softshrink(const double* p) : lambd(T(p[0])) {}
  V fwd(V x) const { return select(x > lambd, x - lambd, select(x < -lambd, x + lambd, V{})); }
  V bwd_x(V g, V x) const { return select(abs(x) > lambd, g, T(0)); }
  // x - lambd is never 0 for x > lambd (gradual underflow), so y != 0 iff |x| > lambd.
  V bwd_y(V g, V y) const { return select(y != T(0), g, T(0)); }
};

template <class T> struct Hardshrink {
  PYACT_FUNCTOR_TYPES(1);
  T lambd;
  explicit Hardshrink(const double* p) : lambd(T(p[0])) {}
  V fwd(V x) const { return select(abs(x) > lambd, x, V{}); }
  V bwd_x(V g, V x) const { return select(abs(x) > lambd, g, T(0)); }
};

// x where x > threshold, else value. Params: threshold, value.
template <class T> struct Threshold {
  PYACT_FUNCTOR_TYPES(1);
  T threshold, value;
  explicit Threshold(const double* p) : threshold(T(p[0])), value(T(p[1])) {}
  V fwd(V x) const { return select(x > threshold, x, value); }
  V bwd_x(V g, V x) const { return select(x > threshold, g, T(0)); }
};

// x / (1 + |x|); f' = 1 / (1 + |x|)^2 = (1 - |y|)^2.
template <class T> struct Softsign : NanFlowsThrough {
  PYACT_FUNCTOR_TYPES(4);
  static constexpr bool kGradDetour = kCheapDenormalTest;  // apply.h grad_detour: g r r
  explicit Softsign(const double*) {}
  V fwd(V x) const {
    const V ones = set1<T>(T(1));
    const V a = abs(x);
    // A denormal x is its own result (1 + |x| = 1); it is not divided, since a division with
    // a denormal operand runs twice as slow on x86. inf/inf would be NaN.
    const auto denormal = below_normal(x);
    const V q = select(denormal, ones, x) / (ones + a);
    return select(is_inf(x), copysign(ones, x), select(denormal, x, q));
  }
  // g / d^2, d = 1 + |x|: r = 1/d once, then two products through the FMA unit
  // (mul_tiny: no penalty when they underflow; g / d / d divided into the denormals from
  // |x| ~ 1e19, twice as slow on x86), and d*d, which would overflow, is never formed.
  // 1/d itself is denormal only for |x| > 2^126 (2^1022).
  V bwd_x(V g, V x) const {
    const V r = T(1) / (T(1) + abs(x));
    return mul_tiny(mul_tiny(g, r), r);
  }
  V bwd_y(V g, V y) const {
    const V s = T(1) - abs(y);
    return g * s * s;
  }
};

// (x + sqrt(x^2 + b)) / 2, b > 0. Below 0 the sum cancels, so use the conjugate
// b / (2 (s - x)). Where x^2 would overflow (|x| > kBig), s = |x| q with
// q = sqrt(1 + b/x^2), and s - x = |x| (q + 1) for x < 0, formed without overflow.
// Unless b is huge (above 2^74, f32; 2^940, f64), b/x^2 < 2^-26 (2^-60) there, q
// rounds to 1, and those forms are s = |x| and (b/|x|)/2: no square root or division
// for q, and the conjugate's one division serves both ranges (with_form picks once per
// call).
enum class SquareplusForm { pick, moderate_b, huge_b };
template <class T, SquareplusForm kForm = SquareplusForm::pick> struct SquareplusAs : NanFlowsThrough {
  PYACT_FUNCTOR_TYPES(4);
  // |x| beyond which x*x is not formed: 2^50 (f32) / 2^500 (f64), far below overflow.
  static constexpr T kBig = sizeof(T) == 4 ? T(0x1p50) : T(0x1p500);
  static constexpr T kModerateB = sizeof(T) == 4 ? T(0x1p74) : T(0x1p940);
  T b;
  // |x| from which q is taken at huge: there b/x^2 < 2^-28 (2^-56), so 1 + b/x^2 rounds
  // to 1 alike, and further out b/x^2 would underflow (a slow division).
  T huge;
  explicit SquareplusAs(const double* p)
      : b(T(p[0])), huge(T(std::max(double(kBig), std::sqrt(p[0]) * (sizeof(T) == 4 ? 0x1p14 : 0x1p28)))) {}
  template <SquareplusForm K> explicit SquareplusAs(const SquareplusAs<T, K>& o) : b(o.b), huge(o.huge) {}
  static constexpr bool kTinyDetour = kCheapDenormalTest;  // apply.h: a denormal x by f's linearisation,
  // where s is still tiny against sqrt(b) (|s f''(0)| = s / (2 sqrt b) under half an ulp of 1/2)
  // or b = 0 (f = relu, f'(±s) = 1, 0).
  bool tiny_detour_ok() const { return b == T(0) || b >= (sizeof(T) == 4 ? T(0x1p-8f) : T(0x1p-290)); }
  static constexpr bool kPicksForm = kForm == SquareplusForm::pick;
  template <class Body> void with_form(Body body) const {
    if (b <= kModerateB) body(SquareplusAs<T, SquareplusForm::moderate_b>(*this));
    else body(SquareplusAs<T, SquareplusForm::huge_b>(*this));
  }
  struct Root {
    V s;     // sqrt(x^2 + b)
    V rs;    // 1 / s
    V r;     // x / s
    V conj;  // b / (s - x), used for x < 0
  };
  Root root(V x) const {
    const V ax = abs(x);
    const auto big = ax > kBig;
    V s, conj;
    if constexpr (kForm == SquareplusForm::huge_b) {
      // The big-|x| forms divide by |x|, taken at kBig or more (the other lanes drop
      // them): a division by a denormal runs twice as slow on x86.
      const V ab = select(big, ax, set1<T>(kBig));
      const V ah = select(ab > huge, set1<T>(huge), ab);
      const V q = sqrt(T(1) + (b / ah) / ah);
      s = select(big, mul_tiny(ax, q), sqrt(mul_tiny(x, x) + b));
      conj = select(big, (b / ab) / (q + T(1)), b / (s - x));
    } else {  // q = 1: s = |x|, and s - x = 2|x| (which may overflow) halves after the division
      s = select(big, ax, sqrt(mul_tiny(x, x) + b));
      const V d = b / select(big, ax, s - x);
      conj = select(big, d * T(0.5), d);
    }
    // x/s as x * (1/s) through the FMA unit: no division by s for the gradient, whose
    // small results (x < 0: b / (2 s (s - x)), below 2^-126 from |x| ~ 1e19) would make
    // it slow, and a denormal x costs nothing there. At x = ±inf (s = inf) it is ±1.
    const V rs = T(1) / s;
    const V r = select(is_inf(x), copysign(set1<T>(T(1)), x), mul_tiny(x, rs));
    return {s, rs, r, conj};
  }
  V fwd(V x) const {
    const Root t = root(x);
    const V pos = mul_tiny(x, set1<T>(T(0.5))) + T(0.5) * t.s;  // halves first: x + s overflows near max
    return select(x < T(0), T(0.5) * t.conj, pos);
  }
  V bwd_x(V g, V x) const {
    const Root t = root(x);
    // 1 + x/s cancels below 0: (s + x)/s = b / ((s - x) s).
    return mul_tiny(mul_tiny(g, set1<T>(T(0.5))), select(x < T(0), mul_tiny(t.conj, t.rs), T(1) + t.r));
  }
};
template <class T> using Squareplus = SquareplusAs<T>;

}}  // namespace pyact::<isa>
