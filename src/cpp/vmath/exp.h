// exp(x), written once over V<T> for float and double (DESIGN.md §4), plus the helpers
// the other vmath functions share (Horner's rule, rounding to an integer, 2^n from bits).
//
// exp(x)
//   Method: Cody-Waite reduction x = n*ln2 + r, |r| <= ln2/2, with n = round(x/ln2) by
//   the 1.5*2^(p-1) magic-number trick and ln2 split in hi + lo (n*hi exact for every n
//   reached, so the reduction is exact without FMA); e^r = 1 + r + r^2*q(r), q a
//   near-minimax polynomial (degree 4 float, 9 double; tools/fit_vmath.py); the result
//   is scaled by 2^n as two factors 2^(n/2) * 2^(n-n/2) built from bits, so that the
//   whole range from overflow down to the smallest denormal rounds once.
//   Range: every input. Measured max error (all 2^32 floats; 1e8-point double sweep):
//   see docs/ACCURACY.md, `python -m pyact.accuracy --exhaustive` (float 1 ULP, double 1 ULP).
//   Special cases (branch-free selects/clamps):
//     x = NaN  -> NaN           x = +inf -> +inf          x = -inf -> +0
//     x > 88.72 (709.78) -> +inf (rounded overflow)   x < -103.97 (-745.13) -> +0
//     denormal results are rounded correctly (no flush to zero); they are the only
//     lanes that underflow (several times slower on x86), x < -104 (-746) gives 0 without.
#pragma once
#include "simd/vec.h"

namespace pyact { namespace PYACT_TARGET { namespace vm {

// Integer lanes of the same width as T (signed) and the float format's fields.
template <class T> struct Fmt;
template <> struct Fmt<float> {
  using I = Simd<float>::M;
  using U = Simd<float>::U;
  static constexpr int kMant = 23, kBias = 127;
  static constexpr float kMagic = 0x1.8p23f;      // 1.5*2^23: x + kMagic rounds x to an integer
  static constexpr uint32_t kMagicBits = 0x4B400000u;
};
template <> struct Fmt<double> {
  using I = Simd<double>::M;
  using U = Simd<double>::U;
  static constexpr int kMant = 52, kBias = 1023;
  static constexpr double kMagic = 0x1.8p52;
  static constexpr uint64_t kMagicBits = 0x4338000000000000ull;
};

// Horner's rule c[0] + x*(c[1] + x*(...)), coefficients in ascending order.
template <class Vec, class T, size_t K>
inline Vec horner(Vec x, const T (&c)[K]) {
  Vec r = set1<T>(c[K - 1]);
  for (size_t i = K - 1; i-- > 0;) r = mul_add(r, x, set1<T>(c[i]));
  return r;
}

// The same polynomial with Horner's rule on its first kLow coefficients (where the
// rounding matters) and Estrin's scheme above them: the high part is a tree of
// independent FMAs, so the dependency chain of a long polynomial is about halved.
// (always_inline: GCC otherwise calls it, spilling every live vector around the call.)
template <size_t kLow, class Vec, class T, size_t K>
PYACT_INLINE Vec horner_estrin(Vec x, const T (&c)[K]) {
  static_assert(kLow < K, "the Estrin part needs a coefficient");
  constexpr size_t H = K - kLow;
  Vec v[H];
  for (size_t i = 0; i < H; ++i) v[i] = set1<T>(c[kLow + i]);
  Vec xp = x;
  for (size_t m = H; m > 1;) {
    for (size_t i = 0; i < m / 2; ++i) v[i] = mul_add(v[2 * i + 1], xp, v[2 * i]);
    if (m % 2) v[m / 2] = v[m - 1];
    m = (m + 1) / 2;
    xp = xp * xp;
  }
  Vec r = v[0];
  for (size_t i = kLow; i-- > 0;) r = mul_add(r, x, set1<T>(c[i]));
  return r;
}

// 2^n for integer lanes n in the normal exponent range.
template <class T> inline V<T> pow2i(typename Fmt<T>::I n) {
  using U = typename Fmt<T>::U;
  return (V<T>)(((U)(n + Fmt<T>::kBias)) << Fmt<T>::kMant);
}

// n = round(x) as float lanes, and as integer lanes (|x| < 2^(p-2)), ties to even, by
// the magic number. On AVX-512 the float n is one vrndscale instead (the same n, one
// instruction on the chain instead of two additions); the integer lanes, which only
// some callers use, stay the magic number's bits (a NaN lane gives a harmless integer
// there, where a conversion would give INT_MIN and n - 1 would overflow).
// Passed by value: through a const reference GCC 12 left dead stack copies of it in
// gelu's loops (by value, gelu's forward takes 0.93x the time on AVX-512, 0.72x on AVX2).
template <class Vec> struct Rounded {
  Vec n;
  typename Fmt<elem_t<Vec>>::I i;
};
template <class Vec> inline Rounded<Vec> round_int(Vec x) {
  using T = elem_t<Vec>;
  using I = typename Fmt<T>::I;
  const Vec z = x + Fmt<T>::kMagic;
  const I i = (I)(bits(z) - Fmt<T>::kMagicBits);
#if defined(PYACT_TARGET_AVX512)
  return {round_even(x), i};
#else
  return {z - Fmt<T>::kMagic, i};
#endif
}

// n + kScale for vscalef; n itself for kScale = 0 (the compiler keeps n + 0.0, which
// would make -0 into +0).
template <int kScale, class Vec> inline Vec plus_scale(Vec n) {
  if constexpr (kScale == 0) return n;
  else return n + elem_t<Vec>(kScale);
}

// p * 2^(n + kScale) where 2^(n + kScale) is a normal number: the power built from bits
// and one multiply (through the FMA unit: p may be tiny); on AVX-512 vscalef from the
// float n, the same single rounding without the integer work. pow2_of: 2^n alone.
template <int kScale = 0, class Vec> inline Vec times_pow2(Vec p, Rounded<Vec> n) {
#if defined(PYACT_TARGET_AVX512)
  return scale_by(p, plus_scale<kScale>(n.n));
#else
  return mul_tiny(p, pow2i<elem_t<Vec>>(n.i + kScale));
#endif
}
template <class Vec> inline Vec pow2_of(Rounded<Vec> n) {
  using T = elem_t<Vec>;
#if defined(PYACT_TARGET_AVX512)
  return scale_by(set1<T>(T(1)), n.n);
#else
  return pow2i<T>(n.i);
#endif
}

template <class T> struct ExpC;
template <> struct ExpC<float> {
  static constexpr float kLog2e = 0x1.715476p+0f;
  static constexpr float kLn2Hi = 0x1.62e4p-1f;      // 15 significant bits: n*hi exact
  static constexpr float kLn2Lo = 0x1.7f7d1cp-20f;
  static constexpr float kLo = -104.0f, kHi = 89.0f; // beyond: +0 / +inf after rounding
  static constexpr float q[] = {0x1p-1f, 0x1.5554dcp-3f, 0x1.55551ap-5f, 0x1.120b6ep-7f, 0x1.6d110ap-10f};
};
template <> struct ExpC<double> {
  static constexpr double kLog2e = 0x1.71547652b82fep+0;
  static constexpr double kLn2Hi = 0x1.62e42feep-1;  // 32 significant bits: n*hi exact
  static constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;
  static constexpr double kLo = -746.0, kHi = 710.0;
  static constexpr double q[] = {0x1.0000000000001p-1, 0x1.5555555555556p-3, 0x1.5555555553d63p-5,
                                 0x1.11111111109b3p-7, 0x1.6c16c1788bd90p-10, 0x1.a01a01a7c41d5p-13,
                                 0x1.a019b90d2ae7ap-16, 0x1.71de0dae63bb3p-19, 0x1.289185613a3d6p-22,
                                 0x1.af38a9b0ec855p-26};
};

// x = n*ln2 + r with |r| <= ln2/2 (x already clamped to the range where n fits).
template <class Vec> inline Rounded<Vec> reduce_ln2(Vec x, Vec& r) {
  using C = ExpC<elem_t<Vec>>;
  // mul_tiny: a denormal x would slow the multiply (and the functions built on exp).
  const Rounded<Vec> n = round_int(mul_tiny(x, set1<elem_t<Vec>>(C::kLog2e)));
  r = mul_add(n.n, set1<elem_t<Vec>>(-C::kLn2Hi), x);
  r = mul_add(n.n, set1<elem_t<Vec>>(-C::kLn2Lo), r);
  return n;
}

// e^r - 1 for |r| <= ln2/2, as r + r^2 q(r): the sum in the FMA (one rounding and one
// instruction fewer than adding the rounded r^2 q(r)).
template <class Vec> inline Vec exp_poly_m1(Vec r) {
  // r^2 underflows for a tiny r: formed by an FMA (vec.h mul_tiny), off the critical path.
  return mul_add(mul_tiny(r, r), horner(r, ExpC<elem_t<Vec>>::q), r);
}

// p * 2^(n + kScale), rounded once even where the result is denormal (two normal
// factors; AVX-512's vscalef in one instruction), and 0 in the lanes where a < lo: those
// whose argument a lies below exp's underflow threshold kLo, where p * 2^(n +
// kScale) is e^kLo < 0.973 * 2^-150 (double 0.42 * 2^-1075), below half the smallest
// denormal. Those lanes are not computed (a masked vscalef; off AVX-512 the second
// factor is 0) rather than underflowing: an operation whose result underflows runs
// 20-100x slower on x86 (Zen 3 multiplies; on Intel cores every FP operation, vscalef
// too), so far below the threshold that would be a slow path for a result that is
// simply 0.
#if defined(PYACT_TARGET_AVX512)
// vscalef's p 2^m, rounded once, also where the result is a denormal, without the
// microcode assist Intel cores take on such a result (gelu's forward 14x slower at x =
// -13.5, exp 24x at x = -88, Xeon 2026): |p| 2^(m + kDenormalUnit) + 2^kMant rounds once
// onto the integers, and below 2^(kMant + 1) it is 2^kMant plus the denormal's bits (ties
// to even as vscalef's: the integer's parity is the mantissa's). No operand or result is
// a denormal. Lanes outside `computed` are +0, not computed; those with a normal result
// take vscalef. The detour of apply.h runs it (kExact below), only for the vectors that
// hold such a lane: a test in every vector's formula cost gelu 1.11x its time.
template <class T> constexpr int kMant = std::numeric_limits<T>::digits - 1;                         // 23, 52
template <class T> constexpr int kDenormalUnit = kMant<T> + 1 - std::numeric_limits<T>::min_exponent;  // 149, 1074
template <class Vec, class K> inline Vec scale_pow2_exactly(Vec p, Vec m, K computed) {
  using T = elem_t<Vec>;
  using L = std::numeric_limits<T>;
  constexpr T kUnit = sizeof(T) == 4 ? T(0x1p23f) : T(0x1p52);  // its ulp is 1
  const Vec s = scale_by(set1<T>(T(1)), clamp(m + T(kDenormalUnit<T>), T(L::min_exponent - 1), T(L::max_exponent - 1)));
  const Vec sum = mul_add(abs(p), s, set1<T>(kUnit));
  const K denormal = K(computed & below_lanes(sum, 2 * kUnit));  // NaN: not
  const Vec rest = scale_by_in(K(computed & ~denormal), Vec{}, p, m);
  return select(denormal, from_bits<Vec>((bits(sum) - bits(set1<T>(kUnit))) | (bits(p) & sign_mask<Vec>())), rest);
}
#else
// p * 2^m1 * 2^(m - m1), m = n + kScale: two normal factors, the second 0 in the lanes of
// `zero`.
template <int kScale, class Vec, class Mask> inline Vec times_two_factors(Vec p, Rounded<Vec> n, Mask zero) {
  using T = elem_t<Vec>;
  const auto m = n.i + kScale;
  const auto m1 = m >> 1;
  return mul_tiny(mul_tiny(p, pow2i<T>(m1)), select(zero, Vec{}, pow2i<T>(m - m1)));
}
#endif
// kExact: denormal results without an assist (AVX-512; elsewhere the same product).
template <int kScale, bool kExact = false, class Vec>
inline Vec scale_pow2(Vec p, Rounded<Vec> n, Vec a, elem_t<Vec> lo) {
#if defined(PYACT_TARGET_AVX512)
  if constexpr (kExact) return scale_pow2_exactly(p, plus_scale<kScale>(n.n), not_below_lanes(a, lo));
  else return scale_by_unless_below(p, plus_scale<kScale>(n.n), a, lo);
#else
  return times_two_factors<kScale>(p, n, a < lo);
#endif
}
// The same without zero lanes.
template <int kScale, bool kExact = false, class Vec> inline Vec scale_pow2(Vec p, Rounded<Vec> n) {
#if defined(PYACT_TARGET_AVX512)
  if constexpr (kExact) return scale_pow2_exactly(p, plus_scale<kScale>(n.n), decltype(denormal_lanes(p))(~0));
  else return scale_by(p, plus_scale<kScale>(n.n));
#else
  return times_two_factors<kScale>(p, n, M<elem_t<Vec>>{});  // the constant mask folds away
#endif
}

// exp(x) * 2^kScale: a caller that multiplies a tiny e^x by something else first (x e^x)
// asks for e^x scaled up by 2^64 and scales the product back, so that a denormal
// result is rounded once, not twice; a negative kScale lets e^x beyond the overflow
// threshold be used in a quotient (sigmoid). kBelowOnly: the caller's x is <= 0 or NaN,
// so only the underflow side is clamped (exp_nonpos).
// Keeps n + kScale in [-1076, 1024] (float: [-150, 128]): two normal halves. A scaled
// result is 0 below the (lowered) lower clamp, where the unscaled one had underflowed.
template <class T, int kScale> constexpr T kExpLo = ExpC<T>::kLo - T(kScale) * T(0.6931471805599453);
template <class T, int kScale> constexpr T kExpHi = ExpC<T>::kHi - T(kScale) * T(0.6931471805599453);
template <int kScale = 0, bool kBelowOnly = false, bool kExact = false, class Vec> inline Vec exp_clamped(Vec x) {
  using T = elem_t<Vec>;
  constexpr T lo = kExpLo<T, kScale>, hi = kExpHi<T, kScale>;
#if defined(PYACT_TARGET_AVX512)
  // The lanes below lo are masked off in scale_pow2: what they compute is unused, so
  // they need no clamp (a compare for the mask instead of a max, not both).
  const Vec xc = kBelowOnly ? x : min_of(set1<T>(hi), x);
#else
  const Vec xc = kBelowOnly ? max_of(set1<T>(lo), x) : clamp(x, lo, hi);
#endif
  Vec r;
  const Rounded<Vec> n = reduce_ln2(xc, r);
  return scale_pow2<kScale, kExact>(exp_poly_m1(r) + T(1), n, x, lo);
}
template <int kScale = 0, bool kExact = false, class Vec> inline Vec exp(Vec x) { return exp_clamped<kScale, false, kExact>(x); }
// exp(x) for x <= 0 or NaN (e^-|z|, e^min(x, 0), e^(z - max)): the same bits as exp
// there, without the overflow clamp (one instruction fewer). A positive x is outside
// its domain.
template <int kScale = 0, bool kExact = false, class Vec> inline Vec exp_nonpos(Vec x) { return exp_clamped<kScale, true, kExact>(x); }

// exp(x) * 2^kScale without the clamps of exp, for callers that keep x where n + kScale
// is a normal exponent (sigmoid: -x in [-30, 132] with kScale -64): one factor 2^(n+kScale)
// from bits. Bit-identical to exp<kScale> there.
template <int kScale = 0, class Vec> inline Vec exp_in_range(Vec x) {
  using T = elem_t<Vec>;
  Vec r;
  const Rounded<Vec> n = reduce_ln2(x, r);
  return times_pow2<kScale>(exp_poly_m1(r) + T(1), n);
}

// m * exp(a + b) * 2^kScale for a double-word argument (|b| well below ln2/2), without
// the clamps of exp: for callers that keep a where n + kScale stays a normal exponent
// (e.g. a in [-112.5, 0] with kScale 64, or a >= -84 with kScale 0), so 2^(n + kScale)
// is one factor built from bits. m joins the last FMA (m + m (e^r - 1)): one rounding
// fewer than multiplying the result.
// Its two parts: e^(a + b) = (1 + em1) * 2^n, em1 = e^r - 1.
template <class Vec> struct ExpParts { Vec em1; Rounded<Vec> n; };
template <class Vec> inline ExpParts<Vec> exp_hilo_parts(Vec a, Vec b) {
  using T = elem_t<Vec>;
  using C = ExpC<T>;
  const Rounded<Vec> n = round_int(mul_tiny(a, set1<T>(C::kLog2e)));
  Vec r = mul_add(n.n, set1<T>(-C::kLn2Hi), a) + b;  // the first step is exact
  r = mul_add(n.n, set1<T>(-C::kLn2Lo), r);
  return {exp_poly_m1(r), n};
}
template <int kScale = 0, class Vec> inline Vec exp_hilo_in_range(Vec a, Vec b, Vec m) {
  const ExpParts<Vec> e = exp_hilo_parts(a, b);
  return times_pow2<kScale>(mul_add(m, e.em1, m), e.n);
}

// The factor that undoes exp<kUnderflowGuard>: 2^-64.
constexpr int kUnderflowGuard = 64;
template <class T> constexpr T kUnguard = T(0x1p-64);

// p * 2^n rounded once also where the result is denormal, for n + kUnderflowGuard in
// the normal range: p * 2^(n + 64) is exact, and the product by 2^-64 rounds once. For
// a caller that also forms times_pow2<kUnderflowGuard>(q, n) (gelu's forward with its
// derivative): off AVX-512 the two share 2^(n + 64), where scale_pow2<0> would build two
// other factors (gelu fwd_deriv 1.07x the time on avx2). On AVX-512 one vscalef by n.
template <class Vec> inline Vec times_pow2_guarded(Vec p, Rounded<Vec> n) {
#if defined(PYACT_TARGET_AVX512)
  return scale_by(p, n.n);
#else
  return mul_tiny(times_pow2<kUnderflowGuard>(p, n), set1<elem_t<Vec>>(kUnguard<elem_t<Vec>>));
#endif
}

}}}  // namespace pyact::<isa>::vm
