// tanh(x) over V<T>, float and double.
//
//   Method: tanh|x| = m / (m + 2) with m = expm1(2|x|) (exact doubling; no cancellation
//   for small x, where m ~ 2x), as 1 - 2/(m + 2) from |x| = 0.55 on (monotone up to 1);
//   |x| is clamped at 9.1 (19.1), beyond which tanh rounds to 1; the sign is copied
//   back from x.
//   float on AVX-512: a table instead, of 32 degree-5 polynomials in |x| - lo over
//   quarter binades of |x| (tools/fit_vmath.py), the interval picked by the bits of |x|,
//   every coefficient by one vpermt2ps: no exponential and no division (0.69x the time
//   of the expm1 form at 262,144 elements; 1 ULP where that had 2).
//   Measured max error: docs/ACCURACY.md (`python -m pyact.accuracy --exhaustive`).
//   Special cases: NaN -> NaN, ±inf -> ±1, ±0 -> ±0, denormal x -> x.
#pragma once
#include "vmath/expm1.h"
#include "vmath/poly32.h"

namespace pyact { namespace PYACT_TARGET { namespace vm {

template <class T> struct TanhC;
template <> struct TanhC<float> { static constexpr float kSat = 9.1f; };
template <> struct TanhC<double> { static constexpr double kSat = 19.1; };

// 1 - tanh^2 = 4e/(1+e)^2 with e = exp(-2|x|): no cancellation where tanh -> ±1.
template <class Vec> inline Vec sech2(Vec x) {
  using T = elem_t<Vec>;
  const Vec e = exp_nonpos(neg_abs(x + x));
  const Vec d = T(1) / (e + T(1));
  return T(4) * e * d * d;
}

#if defined(PYACT_TARGET_AVX512)
// tanh|x| on [0, 9.1] (the clamp): binades from 2^-4; interval 0 has c0 = 0 and c1 = 1,
// so a tiny x is its own result. Fit error 0.66 * 2^-24 relative.
inline constexpr auto kTanhTable = slotted<-4>({
  {
    0.0f, 0x1.3f59bep-4f, 0x1.7ee102p-4f, 0x1.be38d8p-4f, 0x1.fd5992p-4f, 0x1.3d6bc8p-3f,
    0x1.7b8ffap-3f, 0x1.b8fd04p-3f, 0x1.f597eap-3f, 0x1.35f98ap-2f, 0x1.6ef53ep-2f,
    0x1.a5729ep-2f, 0x1.d9353ep-2f, 0x1.1bf47ep-1f, 0x1.45323ep-1f, 0x1.68665p-1f,
    0x1.85efacp-1f, 0x1.b2523cp-1f, 0x1.cf6f98p-1f, 0x1.e1fbfap-1f, 0x1.ed9506p-1f,
    0x1.f92582p-1f, 0x1.fd77d2p-1f, 0x1.ff112cp-1f, 0x1.ffa818p-1f, 0x1.fff41ap-1f,
    0x1.fffe64p-1f, 0x1.ffffc8p-1f, 0x1.fffff8p-1f, 0x1p+0f, 0x1p+0f, 0x1p+0f},
  {
    0x1p+0f, 0x1.fce21p-1f, 0x1.fb8728p-1f, 0x1.f9ecbcp-1f, 0x1.f815bap-1f, 0x1.f3b2e4p-1f,
    0x1.ee685cp-1f, 0x1.e842eep-1f, 0x1.e149f4p-1f, 0x1.d1158cp-1f, 0x1.be3f96p-1f,
    0x1.a9471ap-1f, 0x1.92a8dap-1f, 0x1.6285cep-1f, 0x1.317436p-1f, 0x1.025126p-1f,
    0x1.ae0cccp-2f, 0x1.1f24b4p-2f, 0x1.7214ecp-3f, 0x1.d22992p-4f, 0x1.216208p-4f,
    0x1.b3b25p-6f, 0x1.433292p-7f, 0x1.dd5b52p-9f, 0x1.5f0e1ep-10f, 0x1.7adcf4p-13f,
    0x1.943b6p-16f, 0x1.e4604p-19f, 0x1.1643f8p-20f, 0.0f, 0.0f, 0.0f},
  {
    0x1.01e40ap-25f, -0x1.2a3a12p-4f, -0x1.82a852p-4f, -0x1.bdfec6p-4f, -0x1.fa369ep-4f,
    -0x1.33d7eap-3f, -0x1.68596cp-3f, -0x1.a51b76p-3f, -0x1.d82c0ep-3f, -0x1.19a9cep-2f,
    -0x1.3fafb2p-2f, -0x1.5f7182p-2f, -0x1.73ef84p-2f, -0x1.89c1eep-2f, -0x1.844658p-2f,
    -0x1.6c365p-2f, -0x1.476b56p-2f, -0x1.e715a4p-3f, -0x1.4ed0c4p-3f, -0x1.b6777p-4f,
    -0x1.16e83ap-4f, -0x1.ade4fep-6f, -0x1.401feap-7f, -0x1.de6628p-9f, -0x1.5a737ap-10f,
    -0x1.6c0074p-13f, -0x1.5a969ep-16f, -0x1.75188ep-18f, -0x1.3a2b18p-18f, 0.0f, 0.0f, 0.0f},
  {
    -0x1.55563cp-2f, -0x1.2cc5dcp+0f, -0x1.be78fep-8f, -0x1.808cep-4f, -0x1.a9254ap-3f,
    -0x1.8da8ap-2f, -0x1.1f793p-1f, -0x1.fd4edp-3f, -0x1.efe8f8p-3f, -0x1.b944e6p-3f,
    -0x1.7b19e8p-3f, -0x1.340d3ap-4f, -0x1.95d2d2p-4f, -0x1.99a76cp-8f, 0x1.8566ccp-5f,
    0x1.813b22p-4f, 0x1.a45ea2p-4f, 0x1.ba7902p-4f, 0x1.64235p-4f, 0x1.fb11ap-5f,
    0x1.57caf6p-5f, 0x1.163e4cp-6f, 0x1.95a0e4p-8f, 0x1.469cb2p-9f, 0x1.ae5f82p-11f,
    0x1.92571cp-14f, 0x1.546cecp-18f, 0x1.19cecep-17f, 0x1.71f37ep-17f, 0.0f, 0.0f, 0.0f},
  {
    0x1.e893f2p-14f, 0x1.f66fb4p+5f, -0x1.72a722p+4f, -0x1.069ae8p+4f, -0x1.e932cep+1f,
    0x1.a5101ap+1f, 0x1.45471p+3f, -0x1.95db64p-1f, -0x1.12798ap-3f, 0x1.53fa32p-4f,
    0x1.277222p-2f, -0x1.e6afcap-1f, 0x1.af6a8p-3f, 0x1.0330d8p-5f, 0x1.8175b8p-5f,
    -0x1.a8d1acp-5f, 0x1.f34a06p-6f, -0x1.972166p-7f, -0x1.5fa4bep-6f, -0x1.365f38p-6f,
    -0x1.1c8db4p-6f, -0x1.fb08p-8f, -0x1.3b8034p-9f, -0x1.5d9ff8p-10f, -0x1.4a7428p-12f,
    -0x1.a6a708p-16f, 0x1.78c7bap-18f, -0x1.0da81cp-17f, -0x1.798f06p-17f, 0.0f, 0.0f, 0.0f},
  {
    0x1.0e5e6cp-3f, -0x1.94ba4ep+10f, 0x1.2b531ep+9f, 0x1.a87c44p+8f, 0x1.946342p+5f,
    -0x1.489108p+5f, -0x1.02bac8p+7f, 0x1.7da5dcp+3f, 0x1.d562c6p+0f, 0x1.0b8318p-1f,
    -0x1.873504p-1f, 0x1.cc3e1ep+2f, -0x1.7aaf46p-3f, 0x1.21a2acp-2f, 0x1.b15acap-4f,
    0x1.390e48p-2f, -0x1.5e5cd6p-5f, -0x1.c4ae26p-7f, -0x1.7e5796p-8f, -0x1.8ee8c6p-9f,
    0x1.04ecf8p-8f, 0x1.0e5b9cp-9f, 0x1.64129p-12f, 0x1.f0b1e4p-12f, 0x1.da73fep-15f,
    0x1.5e88a4p-21f, -0x1.d8036ep-19f, 0x1.97bfbcp-19f, 0x1.10ed6p-18f, 0.0f, 0.0f, 0.0f}});
inline vf tanh_table(vf x) {
  return copysign(poly32(kTanhTable, min_of(set1<float>(TanhC<float>::kSat), abs(x))), x);
}
#endif

template <class Vec> inline Vec tanh(Vec x) {
  using T = elem_t<Vec>;
#if defined(PYACT_TARGET_AVX512)
  if constexpr (std::is_same_v<T, float>) return tanh_table(x);
#endif
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
