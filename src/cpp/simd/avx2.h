// AVX2 + FMA + F16C: 256-bit vectors.
#pragma once
#include <immintrin.h>
#include "simd/types.h"

namespace pyact { namespace PYACT_TARGET {
PYACT_DEFINE_VEC_TYPES(32, 32)
// No one-instruction denormal test: the driver tests no vector (kernels/apply.h, kTinyDetour).
constexpr bool kCheapDenormalTest = false;
inline vf mul_add(vf a, vf b, vf c) { return (vf)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c); }
inline vd mul_add(vd a, vd b, vd c) { return (vd)_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)c); }
inline vf sqrt(vf a) { return (vf)_mm256_sqrt_ps((__m256)a); }
inline vd sqrt(vd a) { return (vd)_mm256_sqrt_pd((__m256d)a); }
// a > b ? a : b and a < b ? a : b, NaN included (vec.h max_of, min_of).
inline vf max_of(vf a, vf b) { return (vf)_mm256_max_ps((__m256)a, (__m256)b); }
inline vd max_of(vd a, vd b) { return (vd)_mm256_max_pd((__m256d)a, (__m256d)b); }
inline vf min_of(vf a, vf b) { return (vf)_mm256_min_ps((__m256)a, (__m256)b); }
inline vd min_of(vd a, vd b) { return (vd)_mm256_min_pd((__m256d)a, (__m256d)b); }
inline bool any_lane(vi m) { return _mm256_movemask_ps((__m256)m) != 0; }
inline bool any_lane(vl m) { return _mm256_movemask_pd((__m256d)m) != 0; }
// Stores that go around the cache, to an address aligned to the vector; then a fence
// before other threads may read them (kernels/apply.h, run_streamed).
constexpr bool kStreamStores = true;
inline void store_stream(float* p, vf v) { _mm256_stream_ps(p, (__m256)v); }
inline void store_stream(double* p, vd v) { _mm256_stream_pd(p, (__m256d)v); }
inline void stream_fence() { _mm_sfence(); }
// float16 <-> float32 by F16C, one instruction per vector (vec.h load_as, store_as).
inline vf half_to_float(vh h) { return (vf)_mm256_cvtph_ps((__m128i)h); }
inline vh float_to_half(vf v) { return (vh)_mm256_cvtps_ph((__m256)v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
}}  // namespace pyact::<isa>
