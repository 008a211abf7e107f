// AVX-512 F/DQ/BW/VL: 512-bit vectors, mask registers (GCC lowers our vector compares
// and selects to them).
#pragma once
#include <immintrin.h>
#include "simd/types.h"

namespace pyact { namespace PYACT_TARGET {
PYACT_DEFINE_VEC_TYPES(64, 64)
inline vf mul_add(vf a, vf b, vf c) { return (vf)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c); }
inline vd mul_add(vd a, vd b, vd c) { return (vd)_mm512_fmadd_pd((__m512d)a, (__m512d)b, (__m512d)c); }
inline vf sqrt(vf a) { return (vf)_mm512_sqrt_ps((__m512)a); }
inline vd sqrt(vd a) { return (vd)_mm512_sqrt_pd((__m512d)a); }
// a > b ? a : b and a < b ? a : b, NaN included (vec.h max_of, min_of).
inline vf max_of(vf a, vf b) { return (vf)_mm512_max_ps((__m512)a, (__m512)b); }
inline vd max_of(vd a, vd b) { return (vd)_mm512_max_pd((__m512d)a, (__m512d)b); }
inline vf min_of(vf a, vf b) { return (vf)_mm512_min_ps((__m512)a, (__m512)b); }
inline vd min_of(vd a, vd b) { return (vd)_mm512_min_pd((__m512d)a, (__m512d)b); }
// p * 2^n for integral n, rounded once (denormal results too), by vscalef (vmath/exp.h
// scale_pow2).
inline vf scale_by(vf p, vf n) { return (vf)_mm512_scalef_ps((__m512)p, (__m512)n); }
inline vd scale_by(vd p, vd n) { return (vd)_mm512_scalef_pd((__m512d)p, (__m512d)n); }
// The same with the lanes where a < lo +0, not computed (the compare straight into the
// mask register): a lane whose result underflows takes a microcode assist on Intel cores
// (a vscalef to 2^-150 cost 55x its time on a Xeon of 2026), a masked-off lane none (Zen
// 4 has no such assist).
inline vf scale_by_unless_below(vf p, vf n, vf a, float lo) {  // a NaN a is computed
  return (vf)_mm512_maskz_scalef_ps(_mm512_cmp_ps_mask((__m512)a, _mm512_set1_ps(lo), _CMP_NLT_UQ), (__m512)p,
                                    (__m512)n);
}
inline vd scale_by_unless_below(vd p, vd n, vd a, double lo) {
  return (vd)_mm512_maskz_scalef_pd(_mm512_cmp_pd_mask((__m512d)a, _mm512_set1_pd(lo), _CMP_NLT_UQ), (__m512d)p,
                                    (__m512d)n);
}
// p 2^n in the lanes of k, src in the others (a masked-off lane takes no assist).
inline vf scale_by_in(__mmask16 k, vf src, vf p, vf n) { return (vf)_mm512_mask_scalef_ps((__m512)src, k, (__m512)p, (__m512)n); }
inline vd scale_by_in(__mmask8 k, vd src, vd p, vd n) { return (vd)_mm512_mask_scalef_pd((__m512d)src, k, (__m512d)p, (__m512d)n); }
inline __mmask16 sign_clear_lanes(vf v) { return _mm512_cmpge_epi32_mask((__m512i)v, _mm512_setzero_si512()); }
inline __mmask8 sign_clear_lanes(vd v) { return _mm512_cmpge_epi64_mask((__m512i)v, _mm512_setzero_si512()); }
inline vf mul_add_where(__mmask16 k, vf a, vf b, vf c) { return (vf)_mm512_mask3_fmadd_ps((__m512)a, (__m512)b, (__m512)c, k); }
inline vd mul_add_where(__mmask8 k, vd a, vd b, vd c) { return (vd)_mm512_mask3_fmadd_pd((__m512d)a, (__m512d)b, (__m512d)c, k); }
inline bool any_lane(vi m) { return _mm512_movepi32_mask((__m512i)m) != 0; }
inline bool any_lane(vl m) { return _mm512_movepi64_mask((__m512i)m) != 0; }
// vec.h denormal_lanes: one vfpclass into a mask register, cheap enough for the
// elementwise driver to test every vector (kernels/apply.h, kTinyDetour).
constexpr bool kCheapDenormalTest = true;
inline __mmask16 denormal_lanes(vf v) { return _mm512_fpclass_ps_mask((__m512)v, 0x20); }
inline __mmask8 denormal_lanes(vd v) { return _mm512_fpclass_pd_mask((__m512d)v, 0x20); }
inline __mmask16 below_lanes(vf v, float c) {
  return _mm512_cmp_ps_mask(_mm512_abs_ps((__m512)v), _mm512_set1_ps(c), _CMP_LT_OQ);
}
inline __mmask8 below_lanes(vd v, double c) {
  return _mm512_cmp_pd_mask(_mm512_abs_pd((__m512d)v), _mm512_set1_pd(c), _CMP_LT_OQ);
}
inline __mmask16 less_lanes(vf v, float c) { return _mm512_cmp_ps_mask((__m512)v, _mm512_set1_ps(c), _CMP_LT_OQ); }
inline __mmask8 less_lanes(vd v, double c) { return _mm512_cmp_pd_mask((__m512d)v, _mm512_set1_pd(c), _CMP_LT_OQ); }
inline __mmask16 greater_lanes(vf v, float c) { return _mm512_cmp_ps_mask((__m512)v, _mm512_set1_ps(c), _CMP_GT_OQ); }
inline __mmask8 greater_lanes(vd v, double c) { return _mm512_cmp_pd_mask((__m512d)v, _mm512_set1_pd(c), _CMP_GT_OQ); }
inline __mmask16 not_below_lanes(vf v, float c) { return _mm512_cmp_ps_mask((__m512)v, _mm512_set1_ps(c), _CMP_NLT_UQ); }
inline __mmask8 not_below_lanes(vd v, double c) { return _mm512_cmp_pd_mask((__m512d)v, _mm512_set1_pd(c), _CMP_NLT_UQ); }
// select (vec.h) on a mask register (denormal_lanes, below_lanes, not_below_lanes):
// straight into the blend.
inline vf select(__mmask16 m, vf a, vf b) { return (vf)_mm512_mask_blend_ps(m, (__m512)b, (__m512)a); }
inline vd select(__mmask8 m, vd a, vd b) { return (vd)_mm512_mask_blend_pd(m, (__m512d)b, (__m512d)a); }
inline bool any_lane(__mmask16 m) { return m != 0; }
inline bool any_lane(__mmask8 m) { return m != 0; }
inline bool any_lane(int m) { return m != 0; }  // two masks joined by | (promoted to int)
inline bool all_lanes(__mmask16 m) { return _kortestc_mask16_u8(m, m); }  // one kortest, no kmov + cmp
inline bool all_lanes(__mmask8 m) { return _kortestc_mask8_u8(m, m); }
// x rounded to an integer, ties to even (vmath/exp.h round_int), by one vrndscale.
inline vf round_even(vf x) { return (vf)_mm512_roundscale_ps((__m512)x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline vd round_even(vd x) { return (vd)_mm512_roundscale_pd((__m512d)x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// t[idx mod 32] in every lane: a table of 32 floats held in two registers, one
// vpermt2ps (vmath/poly32.h).
inline vf lookup32(const float* t, vu idx) {
  return (vf)_mm512_permutex2var_ps(_mm512_loadu_ps(t), (__m512i)idx, _mm512_loadu_ps(t + 16));
}
// Stores that go around the cache, to an address aligned to the vector; then a fence
// before other threads may read them (kernels/apply.h, run_streamed).
constexpr bool kStreamStores = true;
inline void store_stream(float* p, vf v) { _mm512_stream_ps(p, (__m512)v); }
inline void store_stream(double* p, vd v) { _mm512_stream_pd(p, (__m512d)v); }
inline void stream_fence() { _mm_sfence(); }
// float16 <-> float32 by F16C, one instruction per vector (vec.h load_as, store_as).
inline vf half_to_float(vh h) { return (vf)_mm512_cvtph_ps((__m256i)h); }
inline vh float_to_half(vf v) { return (vh)_mm512_cvtps_ph((__m512)v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
}}  // namespace pyact::<isa>
