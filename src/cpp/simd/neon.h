// aarch64 Advanced SIMD: 128-bit vectors, FMA always available.
#pragma once
#include <arm_neon.h>
#include "simd/types.h"

namespace pyact { namespace PYACT_TARGET {
PYACT_DEFINE_VEC_TYPES(16, 16)
// No one-instruction denormal test: the driver tests no vector (kernels/apply.h, kTinyDetour).
constexpr bool kCheapDenormalTest = false;
inline vf mul_add(vf a, vf b, vf c) { return (vf)vfmaq_f32((float32x4_t)c, (float32x4_t)a, (float32x4_t)b); }
inline vd mul_add(vd a, vd b, vd c) { return (vd)vfmaq_f64((float64x2_t)c, (float64x2_t)a, (float64x2_t)b); }
inline vf sqrt(vf a) { return (vf)vsqrtq_f32((float32x4_t)a); }
inline vd sqrt(vd a) { return (vd)vsqrtq_f64((float64x2_t)a); }
// No stores around the cache here: kernels/apply.h never picks run_streamed.
constexpr bool kStreamStores = false;
template <class T, class Vec> inline void store_stream(T* p, Vec v) { __builtin_memcpy(p, &v, sizeof v); }
inline void stream_fence() {}
// float16 <-> float32 (vec.h load_as, store_as). GCC 12 converts lane by lane here too
// (one fcvt each); vcvt_f32_f16 / vcvt_f16_f32 would take one instruction, but the
// aarch64 self-test (tests/cpp) runs no float16 to check them under qemu.
inline vf half_to_float(vh h) { return __builtin_convertvector(h, vf); }
inline vh float_to_half(vf v) { return __builtin_convertvector(v, vh); }
}}  // namespace pyact::<isa>
