// SSE4.2: 128-bit vectors, no FMA.
#pragma once
#include <immintrin.h>
#include "simd/types.h"

namespace pyact { namespace PYACT_TARGET {
PYACT_DEFINE_VEC_TYPES(16, 16)
// No one-instruction denormal test: the driver tests no vector (kernels/apply.h, kTinyDetour).
constexpr bool kCheapDenormalTest = false;
inline vf mul_add(vf a, vf b, vf c) { return a * b + c; }
inline vd mul_add(vd a, vd b, vd c) { return a * b + c; }
inline vf sqrt(vf a) { return (vf)_mm_sqrt_ps((__m128)a); }
inline vd sqrt(vd a) { return (vd)_mm_sqrt_pd((__m128d)a); }
// a > b ? a : b and a < b ? a : b, NaN included (vec.h max_of, min_of).
inline vf max_of(vf a, vf b) { return (vf)_mm_max_ps((__m128)a, (__m128)b); }
inline vd max_of(vd a, vd b) { return (vd)_mm_max_pd((__m128d)a, (__m128d)b); }
inline vf min_of(vf a, vf b) { return (vf)_mm_min_ps((__m128)a, (__m128)b); }
inline vd min_of(vd a, vd b) { return (vd)_mm_min_pd((__m128d)a, (__m128d)b); }
inline bool any_lane(vi m) { return _mm_movemask_ps((__m128)m) != 0; }
inline bool any_lane(vl m) { return _mm_movemask_pd((__m128d)m) != 0; }
// Stores that go around the cache, to an address aligned to the vector; then a fence
// before other threads may read them (kernels/apply.h, run_streamed).
constexpr bool kStreamStores = true;
inline void store_stream(float* p, vf v) { _mm_stream_ps(p, (__m128)v); }
inline void store_stream(double* p, vd v) { _mm_stream_pd(p, (__m128d)v); }
inline void stream_fence() { _mm_sfence(); }
// float16 <-> float32 (vec.h load_as, store_as) without F16C, in integer lanes: exact,
// rounding to nearest even, a NaN quieted with its payload kept (as F16C does). GCC would
// call libgcc once per lane (12 ns per element).
typedef uint16_t vh_bits __attribute__((vector_size(sizeof(vh))));
inline vf half_to_float(vh h) {
  const vu u = __builtin_convertvector((vh_bits)h, vu);
  const vu em = u & 0x7fffu, sign = (u & 0x8000u) << 16;
  const vu tiny = (vu)(__builtin_convertvector((vi)em, vf) * 0x1p-24f);  // 0 and denormals: em * 2^-24
  const vu special = (em << 13) | 0x7f800000u | (em > 0x7c00u ? vu{} + 0x00400000u : vu{});
  const vu normal = (em << 13) + (112u << 23);  // rebias the exponent, 15 -> 127
  return (vf)(sign | (em < 0x400u ? tiny : em >= 0x7c00u ? special : normal));
}
inline vh float_to_half(vf v) {
  const vu u = (vu)v, a = u & 0x7fffffffu, sign = (u >> 16) & 0x8000u;
  // Below 2^-14 the half is |v| * 2^24 rounded to an integer (< 2^10, so exact in float).
  const vf scaled = (vf)(a < 0x38800000u ? a : vu{}) * 0x1p24f;
  const vu denormal = (vu)__builtin_convertvector(
      (vf)_mm_round_ps((__m128)scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), vi);
  const vu normal = (a - (112u << 23) + 0xfffu + ((a >> 13) & 1u)) >> 13;  // ties to even
  const vu nan = 0x7e00u | ((a >> 13) & 0x3ffu);
  const vu h = a > 0x7f800000u ? nan : a >= 0x477ff000u ? vu{} + 0x7c00u : a >= 0x38800000u ? normal : denormal;
  return (vh)__builtin_convertvector(sign | h, vh_bits);  // 0x477ff000 = 65520 rounds to inf
}
}}  // namespace pyact::<isa>
