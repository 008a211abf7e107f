// The normal distribution for gelu, over V<T>, float and double, plus the exact
// double-word helpers it needs.
//
// ncdf_neg(w) = Phi(-w) = erfc(w/sqrt2)/2 for w >= 0, with full relative accuracy.
//   t = 2/(2+w) (Numerical Recipes' erfcc variable), carried with its relative rounding
//   error rel_t from the exact residuals of the sum and the division; w^2 is formed
//   exactly as hi + lo and enters exp as a double-word argument, since Phi(-w) has
//   relative condition number w^2: rounding w^2 would cost w^2/2 ULP.
//   float, product form: Phi(-w) = t Q(t) exp(-w^2/2), Q a polynomial of degree 11 in
//     t - mid on t in [2/17, 1] (Q in [0.22, 0.5]; fit error 0.33 * 2^-24 relative,
//     tools/fit_vmath.py). t's rounding joins the exponent as k rel_t. Cheap: one
//     division, one exp without clamps, no per-lane pieces. On AVX-512, t Q(t) is
//     R(w) = Phi(-w) e^(w^2/2) from a table of 32 polynomials (vmath/poly32.h) instead:
//     no division and no correction (gelu forward 0.86x the time).
//   double, exponent form: Phi(-w) = t exp(-w^2/2 + P(t)), P of degree 14 in four pieces
//     on [2/42, 1], coefficients selected per lane.
//   Range: w in [0, 15] (float; the caller clamps there, Phi(-15) underflows to 0) or
//   [0, 40] (double, clamped inside).
// npdf(w) = exp(-w^2/2)/sqrt(2 pi), same double-word argument, same clamp.
// ncdf_npdf(w) = {Phi(-w), phi(w)} for the gradient, which needs 1e-6 absolute: in
//   float one exp serves both, with a degree-8 Q (2.2e-7 relative) and no rel_t; the
//   caller clamps w there (gelu's backward: at 12.8 on the right, and on the left where
//   exp(-w^2/2) computes to 0, so that the gradient is the limit -0), in double it is
//   clamped at 40 inside.
// Measured max error of the gelu built on them: docs/ACCURACY.md
// (`python -m pyact.accuracy --exhaustive`).
#pragma once
#include "vmath/exp.h"
#include "vmath/log1p.h"  // two_sum_err
#include "vmath/poly32.h"

namespace pyact { namespace PYACT_TARGET { namespace vm {

// The rounding error of p = a*b (exact: a*b = p + err). With a hardware FMA that is
// one FMA; without (baseline, SSE4: mul_add is not fused there) Dekker's split, which
// overflows (inf - inf = NaN) for an operand above max/2^ceil(p/2) (2^100 float, 2^990
// double). For Operands::any such an operand, and p with it, is scaled down by 2^64
// first and the error scaled back (softplus and swish pass x itself, up to max, with a
// tiny beta); Operands::bounded skips that guard, for callers whose clamps keep both
// operands below the limit (gelu, the normal distribution).
enum class Operands { bounded, any };
template <Operands kOps = Operands::any, class Vec> inline Vec two_prod_err(Vec a, Vec b, Vec p) {
#if defined(__FMA__) || defined(__aarch64__)
  return mul_add(a, b, -p);
#else
  using T = elem_t<Vec>;
  constexpr T kSplit = sizeof(T) == 4 ? T(4097) : T(134217729);  // 2^ceil(p/2) + 1
  constexpr T kBig = sizeof(T) == 4 ? T(0x1p100) : T(0x1p990);
  Vec sa = set1<T>(T(1)), sb = sa;
  if constexpr (kOps == Operands::any) {
    sa = select(abs(a) > kBig, set1<T>(T(0x1p-64)), sa);
    sb = select(abs(b) > kBig, set1<T>(T(0x1p-64)), sb);
    a = a * sa, b = b * sb, p = p * sa * sb;
  }
  const Vec ca = a * kSplit, cb = b * kSplit;
  const Vec ah = ca - (ca - a), al = a - ah;
  const Vec bh = cb - (cb - b), bl = b - bh;
  const Vec err = (((ah * bh - p) + ah * bl + al * bh) + al * bl);
  if constexpr (kOps == Operands::any) return err / (sa * sb);
  else return err;
#endif
}

// c - a*b rounded once: exact wherever that value is representable (the residual of a
// correctly rounded division, 2 - t*(2/t)). One FMA, or the product split without one
// (operands bounded as for two_prod_err).
template <class Vec> inline Vec residual(Vec a, Vec b, Vec c) {
#if defined(__FMA__) || defined(__aarch64__)
  return mul_add(-a, b, c);
#else
  const Vec p = a * b;
  return (c - p) - two_prod_err<Operands::bounded>(a, b, p);
#endif
}

// exp(a + b) for a double-word argument (|b| small next to the reduction step) with
// a <= 0 or NaN (every caller's: -|z|, -w^2/2), clamped below only, as exp_nonpos:
// Cody-Waite on a, then b joins the reduced argument.
template <int kScale = 0, class Vec> inline Vec exp_hilo(Vec a, Vec b) {
  using T = elem_t<Vec>;
  using C = ExpC<T>;
  constexpr T lo = kExpLo<T, kScale>;
#if defined(PYACT_TARGET_AVX512)
  const Vec ac = a;  // as in exp_clamped: the lanes below lo are masked off in scale_pow2
#else
  const Vec ac = max_of(set1<T>(lo), a);
#endif
  const Rounded<Vec> n = round_int(mul_tiny(ac + b, set1<T>(C::kLog2e)));
  Vec r = mul_add(n.n, set1<T>(-C::kLn2Hi), ac) + b;
  r = mul_add(n.n, set1<T>(-C::kLn2Lo), r);
  return scale_pow2<kScale>(exp_poly_m1(r) + T(1), n, a, lo);
}

template <class T> struct NcdfC;
template <> struct NcdfC<float> {
  static constexpr bool kProduct = true;
  static constexpr float kMaxW = 15.0f, kMaxWGrad = 12.8f;  // Phi(-12.8) = 8e-38: normal
  static constexpr float mid = 0x1.1e1e1ep-1f, mid_grad = 0x1.222222p-1f;
  // Q(mid + s), ascending; q_grad: degree 8 on [2/15, 1] for the gradient.
  static constexpr float q[] = {0x1.6c689cp-2f, 0x1.58bd12p-2f, 0x1.048b9ap-5f, -0x1.27893p-3f,
                                0x1.8fabep-6f, 0x1.540674p-4f, -0x1.30ca82p-4f, -0x1.02de2ap-7f,
                                0x1.42904p-4f, -0x1.14827ap-4f, -0x1.03252ep-5f, 0x1.1cf05p-4f};
  static constexpr float q_grad[] = {0x1.6f1d4ap-2f, 0x1.593944p-2f, 0x1.d19c16p-6f, -0x1.261a54p-3f,
                                     0x1.c3158ap-6f, 0x1.4fd8e2p-4f, -0x1.2cc0c6p-4f, -0x1.87e9b8p-6f,
                                     0x1.04cc26p-4f};
};
template <> struct NcdfC<double> {
  static constexpr bool kProduct = false;
  static constexpr double kMaxW = 40.0, kMaxWGrad = 37.0;  // Phi(-37) = 6e-300: normal
  static constexpr int kPieces = 4;
  static constexpr double edge[] = {0.25, 0.5, 0.75, 2.0};
  static constexpr double mid[] = {0x1.30c30c30c30c3p-3, 0x1.8p-2, 0x1.4p-1, 0x1.cp-1};
  static constexpr double c0_lo[] = {0x1.16823467b61c0p-60, -0x1.903c0fb02632fp-54, 0x1.befa94b557b16p-57,
                                     0x1.a2fc0a72736e9p-56};
  static constexpr double c[4][15] = {
      {-0x1.755e10edb3036p+0, 0x1.0efcb10cf8fdbp+0, 0x1.046d1abbdfb5bp-3, -0x1.868899a6ab5bap-2,
       -0x1.444e40eefa3c7p-2, 0x1.34622d707f793p-2, 0x1.37bf893482c1bp-1, -0x1.4e2bd1b59e07dp-2,
       -0x1.51efef500ac5fp+0, 0x1.02ef316dc0afbp-1, 0x1.a15d82940591ap+1, -0x1.5d0b6262c1ce5p+0,
       -0x1.1d2e32907f30bp+3, 0x1.3aa5c833071d9p+2, 0x1.75a07e7584cfep+4},
      {-0x1.37afeda823e46p+0, 0x1.0c654b75ab501p+0, -0x1.6c2608ff26789p-3, -0x1.bb0129775ae50p-2,
       0x1.b62bec424f24fp-3, 0x1.7839b69eac8e3p-2, -0x1.cd41cdd323153p-2, -0x1.cd16e63b3e1c6p-3,
       0x1.b568127528e8fp-1, -0x1.72f479e55e1f7p-2, -0x1.1d0a6dd0ddd0ap+0, 0x1.c6f5edcf24d4cp+0,
       0x1.5574c2f8bfb52p-4, -0x1.a623bef9e82cap+1, 0x1.bf9586d25d187p+1},
      {-0x1.f1c6046b212d7p-1, 0x1.cae36ce033408p-1, -0x1.9069ffe53b6e7p-2, -0x1.01082c1078102p-3,
       0x1.296e71c2e2bb9p-2, -0x1.2449f2f94aa04p-3, -0x1.bd7cb5089fffcp-4, 0x1.f2f1ab1ec7844p-3,
       -0x1.4eae8b0b856d5p-3, -0x1.f55ecffa21fdcp-5, 0x1.029981c86245cp-2, -0x1.05ef01306dbadp-2,
       0x1.9a7eb13edda6bp-5, 0x1.ee43b13b85881p-3, -0x1.78950c2a6436dp-2},
      {-0x1.8c10ec1716f1ep-1, 0x1.62730f6ef1fc8p-1, -0x1.9aa9755b84357p-2, 0x1.0f08539e2b56cp-4,
       0x1.9820c566efc76p-4, -0x1.f027d21a8c2bdp-4, 0x1.0df882267ae3dp-4, 0x1.8e5a893a023f9p-9,
       -0x1.7e43c4f99730fp-5, 0x1.b517c4e959fa5p-5, -0x1.075e7a8d806b6p-5, 0x1.54e6713a7c291p-10,
       0x1.7032dd5a2353ep-6, -0x1.f76ec283a5e01p-6, 0x1.6e650177f9e07p-6}};
};

#if defined(PYACT_TARGET_AVX512)
// float on AVX-512: Phi(-w) = R(w) exp(-w^2/2), R(w) = Phi(-w) e^(w^2/2) (the Mills
// ratio over sqrt(2 pi), smooth from 1/2 at 0 down to 0.026 at 15) from a table of 32
// polynomials over quarter binades of w from 2^-4 (vmath/poly32.h): in place of t = 2/(2+w),
// the degree-11 Q(t) and the correction for t's rounding. Fit error 1.03 * 2^-24.
inline constexpr auto kMillsTable = slotted<-4>({
  {
    0x1p-1f, 0x1.e195a2p-2f, 0x1.dbd816p-2f, 0x1.d63628p-2f, 0x1.d0af2cp-2f, 0x1.c5ef8p-2f,
    0x1.bb9424p-2f, 0x1.b19874p-2f, 0x1.a7f808p-2f, 0x1.95b88ep-2f, 0x1.84b706p-2f,
    0x1.74d7e8p-2f, 0x1.66027ap-2f, 0x1.4b1de2p-2f, 0x1.337024p-2f, 0x1.1e7c2ep-2f,
    0x1.0bdb2ep-2f, 0x1.d898dep-3f, 0x1.a57056p-3f, 0x1.7b5abep-3f, 0x1.5845dcp-3f,
    0x1.217252p-3f, 0x1.f1b89cp-4f, 0x1.b396fap-4f, 0x1.82b4bap-4f, 0x1.3b0fbcp-4f,
    0x1.095608p-4f, 0x1.c9e12p-5f, 0x1.926972p-5f, 0x1.43a38ap-5f, 0x1.0e7dcep-5f,
    0x1.d087aep-6f},
  {
    -0x1.988454p-2f, -0x1.72eccep-2f, -0x1.6be2fp-2f, -0x1.651b6ap-2f, -0x1.5e70b4p-2f,
    -0x1.519b06p-2f, -0x1.4553fap-2f, -0x1.39a7f4p-2f, -0x1.2e860ep-2f, -0x1.19ba08p-2f,
    -0x1.06bfecp-2f, -0x1.eac9b6p-3f, -0x1.cb03b2p-3f, -0x1.9325d6p-3f, -0x1.63e1fcp-3f,
    -0x1.3bb1ep-3f, -0x1.195244p-3f, -0x1.c49312p-4f, -0x1.71c0e6p-4f, -0x1.3254eap-4f,
    -0x1.00f94cp-4f, -0x1.75ab0ep-5f, -0x1.19ced2p-5f, -0x1.b603ccp-6f, -0x1.5cf81p-6f,
    -0x1.d613bp-7f, -0x1.506788p-7f, -0x1.f7d43cp-8f, -0x1.86b746p-8f, -0x1.fbf13p-9f,
    -0x1.63d0fp-9f, -0x1.06ce98p-9f},
  {
    0x1.00005ap-2f, 0x1.e4feap-3f, 0x1.a564ap-3f, 0x1.c3061ep-3f, 0x1.a961d6p-3f,
    0x1.9957c8p-3f, 0x1.7586d6p-3f, 0x1.66ff68p-3f, 0x1.5c1434p-3f, 0x1.3d117ep-3f,
    0x1.226976p-3f, 0x1.087becp-3f, 0x1.e54a48p-4f, 0x1.9b84d2p-4f, 0x1.5cba2ap-4f,
    0x1.29fe28p-4f, 0x1.fcc3fep-5f, 0x1.7b754cp-5f, 0x1.206568p-5f, 0x1.bddbfcp-6f,
    0x1.5d08bep-6f, 0x1.bf209ap-7f, 0x1.2bff62p-7f, 0x1.a2ad0ap-8f, 0x1.2da1fap-8f,
    0x1.53fc54p-9f, 0x1.a09c38p-10f, 0x1.1035dp-10f, 0x1.75ef14p-11f, 0x1.8ab264p-12f,
    0x1.d139b2p-13f, 0x1.2852d6p-13f},
  {
    -0x1.1071a8p-3f, -0x1.77d428p+1f, 0x1.a8dfd6p+0f, -0x1.d6de9ap+0f, -0x1.34a19p-2f,
    -0x1.d17f92p-2f, 0x1.32bee2p-2f, 0x1.5eb1f4p-3f, -0x1.424db2p-4f, -0x1.fdfd24p-5f,
    -0x1.2a10c2p-4f, -0x1.41f5fp-5f, -0x1.8bdb06p-5f, -0x1.a5da14p-5f, -0x1.4e2bf8p-5f,
    -0x1.2f2774p-5f, -0x1.9a80fap-6f, -0x1.1eb994p-6f, -0x1.9fcfeap-7f, -0x1.364984p-7f,
    -0x1.b3615p-8f, -0x1.f3776ep-9f, -0x1.2dc8dp-9f, -0x1.7f77bcp-10f, -0x1.f030aep-11f,
    -0x1.d99e12p-12f, -0x1.f1e56p-13f, -0x1.1d6478p-13f, -0x1.5d86bep-14f, -0x1.2cade4p-15f,
    -0x1.2ff346p-16f, -0x1.5e07f8p-17f},
  {
    0x1.02ab7cp-4f, 0x1.9baacp+7f, -0x1.024fdap+7f, 0x1.f92ccep+6f, 0x1.cbf78p+2f,
    0x1.9f577ep+3f, -0x1.c9e5bp+3f, -0x1.2e5cbp+3f, -0x1.0a05bcp-4f, -0x1.ac3cbcp-3f,
    0x1.e82f9p-4f, -0x1.79ad74p-2f, -0x1.2fd43cp-5f, 0x1.44c018p-4f, 0x1.a70c04p-5f,
    0x1.2a60c8p-4f, 0x1.28356cp-7f, 0x1.842f32p-8f, 0x1.44a19cp-8f, 0x1.2cd2f2p-8f,
    0x1.d719aep-10f, 0x1.f3c43cp-11f, 0x1.15ad9cp-11f, 0x1.540a44p-12f, 0x1.67fe92p-13f,
    0x1.27c5ep-14f, 0x1.01fd36p-15f, 0x1.02f4ccp-16f, 0x1.27c262p-17f, 0x1.9f2daap-19f,
    0x1.8d8fb8p-20f, 0x1.5f6fd2p-20f},
  {
    -0x1.d67becp-6f, -0x1.489f6p+12f, 0x1.9cac6ep+11f, -0x1.9336a8p+11f, -0x1.6caf74p+6f,
    -0x1.4a5858p+7f, 0x1.6e7744p+7f, 0x1.e48fd6p+6f, 0x1.463bfp-1f, 0x1.87d82ap+0f,
    -0x1.2bfc98p-1f, 0x1.40ecccp+1f, 0x1.76113p-3f, -0x1.9c14a4p-3f, -0x1.fa20fcp-4f,
    -0x1.97f084p-3f, -0x1.3fc2cap-9f, -0x1.80032ep-10f, -0x1.431b9ap-9f, -0x1.d0f372p-9f,
    -0x1.3f86cap-12f, -0x1.527d62p-13f, -0x1.6ac424p-14f, -0x1.fe0bbcp-15f, -0x1.4b5a7p-16f,
    -0x1.dcaba2p-18f, -0x1.21e0ecp-19f, -0x1.ce3562p-21f, -0x1.457a64p-21f, -0x1.731e26p-23f,
    -0x1.9fde9ep-24f, -0x1.371c5ep-22f}});
#endif

// -w^2/2 as hi + lo (exact), for w >= 0 already clamped: w * (w/2), w/2 exact.
template <class Vec> struct HalfSquare { Vec hi, lo; };
template <class Vec> inline HalfSquare<Vec> neg_half_square(Vec w) {
  using T = elem_t<Vec>;
  const Vec nh = mul_tiny(w, set1<T>(T(-0.5)));  // w tiny or denormal: these underflow
  const Vec hi = mul_tiny(w, nh);
  return {hi, two_prod_err<Operands::bounded>(w, nh, hi)};
}

// t = 2/(2+w) rounded, and 2 rel_t = 2 (t_exact - t)/t from the exact residuals of the
// sum and the division (w >= 0: (w + 2) - 2 is exact, so is w minus it).
template <class Vec> struct TwoOver { Vec t, rel2; };
template <class Vec> inline TwoOver<Vec> two_over_2_plus(Vec w) {
  using T = elem_t<Vec>;
  const Vec d = w + T(2);
  const Vec d_err = w - (d - T(2));
  const Vec t = T(2) / d;
  return {t, mul_add(-t, d_err, residual(t, d, set1<T>(T(2))))};
}

// The product form's R(w) = Phi(-w) e^(w^2/2) (float, w in [0, 15]). On AVX-512 from
// kMillsTable; elsewhere t Q(t), t = 2/(2+w) rounded, and t's rounding is corrected in
// the exponent: exp(-w^2/2) with its low word lo becomes exp_lo(lo).
template <class Vec> struct MillsR {
  Vec r;
#if defined(PYACT_TARGET_AVX512)
  Vec exp_lo(Vec lo) const { return lo; }
#else
  Vec k2, rel2;
  Vec exp_lo(Vec lo) const { return mul_add(k2, rel2, lo); }
#endif
};
template <class Vec> inline MillsR<Vec> mills_r(Vec w) {
#if defined(PYACT_TARGET_AVX512)
  return {poly32(kMillsTable, w)};
#else
  using T = elem_t<Vec>;
  using C = NcdfC<T>;
  const TwoOver<Vec> t = two_over_2_plus(w);
  // Estrin's scheme above the first three coefficients: a shorter chain than Horner's
  // rule. On the Zen 3, gelu's forward took 0.93x the time (avx2), 0.73x (sse4) and
  // 0.87x (scalar); with f' 0.75-0.89x (docs/PERFORMANCE.md).
  const Vec q = horner_estrin<3>(t.t - C::mid, C::q);
  // d log(tQ)/d log(t) = (2+w)(m(w) - w), m the inverse Mills ratio, falls from 1.6 at
  // w = 0 towards 1; 1 + 0.6 t (2 - t) follows it within 0.05, halved here for rel2.
  const Vec k2 = mul_add(t.t, mul_add(t.t, set1<T>(T(-0.3)), set1<T>(T(0.6))), set1<T>(T(0.5)));
  return {t.t * q, k2, t.rel2};
#endif
}

// f * Phi(-w), product form (float; w already clamped to [0, 15], so n is in [-162, 0]),
// as unscaled parts: Phi(-w) = q (1 + em1) 2^n, q = R(w), and y = f q (1 + em1) rounded
// once (f joins q before the last FMA of exp), to be scaled by 2^n. The caller scales:
// f Phi(-w) = scale_pow2<0>(y, n), denormal results rounded once; a gradient takes q and
// exp(-w^2/2) = (1 + em1) 2^n from the same exponential (off AVX-512 the correction for
// t's rounding stays in em1: 1e-7 relative).
template <class Vec> struct NcdfParts { Vec y, q, em1; Rounded<Vec> n; };
template <class Vec> inline NcdfParts<Vec> ncdf_neg_product_parts(Vec w, Vec f) {
  const MillsR<Vec> q = mills_r(w);
  const HalfSquare<Vec> h = neg_half_square(w);
  const ExpParts<Vec> ex = exp_hilo_parts(h.hi, q.exp_lo(h.lo));
  const Vec m = mul_tiny(q.r, f);
  return {mul_add(m, ex.em1, m), q.r, ex.em1, ex.n};
}
// f * Phi(-w), denormal results rounded once (kExact: as exp.h scale_pow2).
template <bool kExact = false, class Vec> inline Vec ncdf_neg_product(Vec w, Vec f) {
  const NcdfParts<Vec> p = ncdf_neg_product_parts(w, f);
  return scale_pow2<0, kExact>(p.y, p.n);
}

// f * Phi(-w) * 2^kScale, exponent form (double).
template <int kScale = 0, bool kExact = false, class Vec> inline Vec ncdf_neg_exponent(Vec w, Vec f) {
  using T = elem_t<Vec>;
  using C = NcdfC<T>;
  using E = ExpC<T>;
  w = clamp(w, T(0), C::kMaxW);
  // t = 2/(2+w) rounded, and its relative error rel_t = (t_exact - t)/t from the exact
  // residuals of the sum and the division.
  const Vec d = w + T(2);
  const Vec d_err = two_sum_err(w, set1<T>(T(2)), d);
  const Vec t = T(2) / d;
  const Vec td = t * d;
  const Vec rho = (T(2) - td) - two_prod_err<Operands::bounded>(t, d, td);
  const Vec rel_t = mul_tiny(mul_add(-t, d_err, rho), set1<T>(T(0.5)));  // d_err = w - (d - 2): w's denormal
  constexpr int K = sizeof(C::c[0]) / sizeof(T);
  // Per lane: the piece's midpoint and coefficients (the last piece is the default).
  auto pick = [&](auto get) {
    Vec v = set1<T>(get(C::kPieces - 1));
    for (int i = C::kPieces - 2; i >= 0; --i) v = select(t < C::edge[i], set1<T>(get(i)), v);
    return v;
  };
  const Vec s = t - pick([](int i) { return C::mid[i]; });
  Vec q = pick([](int i) { return C::c[i][K - 1]; });
  for (int k = K - 2; k >= 1; --k) q = mul_add(q, s, pick([k](int i) { return C::c[i][k]; }));
  const Vec c0 = pick([](int i) { return C::c[i][0]; });
  const Vec small = mul_add(q, s, pick([](int i) { return C::c0_lo[i]; }));  // P(t) = c0 + small
  // exp(-w^2/2 + c0 + small), every O(1) term added exactly before the last rounding.
  const HalfSquare<Vec> h = neg_half_square(w);
  const Vec arg = (h.hi + c0) + small;
  const Rounded<Vec> n = round_int(arg * E::kLog2e);
  const Vec u = mul_add(n.n, set1<T>(-E::kLn2Hi), h.hi);                   // exact
  const Vec v = u + c0;
  // d log(result)/d log(t) = (2+w)(m(w) - w), m the inverse Mills ratio, falls from 1.6
  // at w = 0 towards 1; 1 + 0.6 t (2 - t) follows it within 0.05 (rel_t <= 1 ulp). The
  // correction for t's rounding joins the exponent, and t multiplies in the last FMA.
  const Vec k = mul_add(t * T(0.6), T(2) - t, set1<T>(T(1)));
  const Vec lo = mul_add(rel_t, k, (small + h.lo) + two_sum_err(u, c0, v));
  const Vec r = mul_add(n.n, set1<T>(-E::kLn2Lo), v + lo);
  const Vec tf = mul_tiny(t, f);
  // Below exp's threshold the lanes are 0 (|tf| < 2: below half the smallest denormal),
  // masked off rather than underflowing (a microcode assist on Intel: gelu' 3.5x at -200).
  return scale_pow2<kScale, kExact>(mul_add(tf, exp_poly_m1(r), tf), n, arg, kExpLo<T, kScale>);
}

template <class Vec> inline Vec npdf(Vec w) {
  using T = elem_t<Vec>;
  constexpr T kRsqrt2Pi = sizeof(T) == 4 ? T(0x1.988454p-2f) : T(0x1.9884533d43651p-2);
  const HalfSquare<Vec> h = neg_half_square(clamp(abs(w), T(0), NcdfC<T>::kMaxW));
  return exp_hilo(h.hi, h.lo) * kRsqrt2Pi;
}

// f * Phi(-w), for w in [0, kMaxW] (the caller clamps): a factor f (x in gelu)
// multiplied in before the final rounding of the exponential, and a denormal result
// rounded once.
template <bool kExact = false, class Vec> inline Vec ncdf_neg(Vec w, Vec f) {
  if constexpr (NcdfC<elem_t<Vec>>::kProduct) {
    return ncdf_neg_product<kExact>(w, f);
  } else {
    return ncdf_neg_exponent<0, kExact>(w, f);
  }
}

// {Phi(-w), phi(w)} to the 1e-6 absolute accuracy of a gradient, w >= 0. In float the
// caller clamps w (gelu: at 13.27, or 14.55 on AVX-512, where e^(-w^2/2) computes to 0;
// the products with it go through the FMA unit, as it may be a denormal on the way); in
// double ncdf_neg and npdf clamp it at kMaxW.
template <class Vec> struct NcdfNpdf { Vec cdf, pdf; };
template <class Vec> inline NcdfNpdf<Vec> ncdf_npdf(Vec w) {
  using T = elem_t<Vec>;
  using C = NcdfC<T>;
  constexpr T kRsqrt2Pi = sizeof(T) == 4 ? T(0x1.988454p-2f) : T(0x1.9884533d43651p-2);
  if constexpr (C::kProduct) {
    const Vec t = T(2) / (w + T(2));
    const HalfSquare<Vec> h = neg_half_square(w);
#if defined(PYACT_TARGET_AVX512)
    // Lanes below exp's underflow threshold masked off: vscalef rounding them to 0 is an
    // underflow, a microcode assist on Intel cores (gelu' 9x slower left of -14.4).
    const Vec e = exp_hilo(h.hi, h.lo);
#else
    const Vec e = exp_hilo_in_range<0>(h.hi, h.lo, set1<T>(T(1)));
#endif
    return {mul_tiny(t * horner_estrin<2>(t - C::mid_grad, C::q_grad), e), mul_tiny(e, set1<T>(kRsqrt2Pi))};
  } else {
    return {ncdf_neg(w, set1<T>(T(1))), npdf(w)};
  }
}

}}}  // namespace pyact::<isa>::vm
