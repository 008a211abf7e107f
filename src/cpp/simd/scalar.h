// Baseline: one lane, plain C++ arithmetic. Runs on any CPU the compiler targets by
// default (x86-64 without extensions, aarch64, ...). The vector code is the same
// source as every other ISA, only one lane wide.
#pragma once
#include "simd/types.h"

namespace pyact { namespace PYACT_TARGET {
PYACT_DEFINE_VEC_TYPES(4, 8)
// No one-instruction denormal test: the driver tests no vector (kernels/apply.h, kTinyDetour).
constexpr bool kCheapDenormalTest = false;
// No FMA in the baseline: a rounded multiply, then a rounded add.
inline vf mul_add(vf a, vf b, vf c) { return a * b + c; }
inline vd mul_add(vd a, vd b, vd c) { return a * b + c; }
inline vf sqrt(vf a) { return vf{__builtin_sqrtf(a[0])}; }
inline vd sqrt(vd a) { return vd{__builtin_sqrt(a[0])}; }
// No stores around the cache here: kernels/apply.h never picks run_streamed.
constexpr bool kStreamStores = false;
template <class T, class Vec> inline void store_stream(T* p, Vec v) { __builtin_memcpy(p, &v, sizeof v); }
inline void stream_fence() {}
// float16 <-> float32 (vec.h load_as, store_as): one lane (libgcc on x86-64).
inline vf half_to_float(vh h) { return __builtin_convertvector(h, vf); }
inline vh float_to_half(vf v) { return __builtin_convertvector(v, vh); }
}}  // namespace pyact::<isa>
