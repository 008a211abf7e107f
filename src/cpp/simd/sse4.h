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
}}  // namespace pyact::<isa>
