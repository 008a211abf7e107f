// SSE4.2: 128-bit vectors, no FMA.
#pragma once
#include <immintrin.h>
#include "simd/types.h"

namespace pyact { namespace PYACT_TARGET {
PYACT_DEFINE_VEC_TYPES(16, 16)
inline vf mul_add(vf a, vf b, vf c) { return a * b + c; }
inline vd mul_add(vd a, vd b, vd c) { return a * b + c; }
inline vf sqrt(vf a) { return (vf)_mm_sqrt_ps((__m128)a); }
inline vd sqrt(vd a) { return (vd)_mm_sqrt_pd((__m128d)a); }
// a > b ? a : b and a < b ? a : b, NaN included (vec.h max_of, min_of).
inline vf max_of(vf a, vf b) { return (vf)_mm_max_ps((__m128)a, (__m128)b); }
inline vd max_of(vd a, vd b) { return (vd)_mm_max_pd((__m128d)a, (__m128d)b); }
inline vf min_of(vf a, vf b) { return (vf)_mm_min_ps((__m128)a, (__m128)b); }
inline vd min_of(vd a, vd b) { return (vd)_mm_min_pd((__m128d)a, (__m128d)b); }
// Stores that go around the cache, to an address aligned to the vector; then a fence
// before other threads may read them (kernels/apply.h, run_streamed).
constexpr bool kStreamStores = true;
inline void store_stream(float* p, vf v) { _mm_stream_ps(p, (__m128)v); }
inline void store_stream(double* p, vd v) { _mm_stream_pd(p, (__m128d)v); }
inline void stream_fence() { _mm_sfence(); }
// float16 <-> float32 (vec.h load_as, store_as): no F16C: GCC converts lane by lane (libgcc).
inline vf half_to_float(vh h) { return __builtin_convertvector(h, vf); }
inline vh float_to_half(vf v) { return __builtin_convertvector(v, vh); }
}}  // namespace pyact::<isa>
