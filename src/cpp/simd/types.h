// The lane types of one ISA, declared from its vector width in bytes. Every ISA header
// expands this once inside namespace pyact::<isa>, so vf/vd are distinct types per ISA.
#pragma once
#include <cstdint>

namespace pyact {
// float16 storage. aarch64 GCC before 13 has no _Float16 in C++: there the ACLE
// storage type __fp16 (IEEE format, conversions round to nearest even) is the same bits.
#if defined(__aarch64__)
typedef __fp16 f16_t;
#else
typedef _Float16 f16_t;
#endif
}  // namespace pyact

#define PYACT_DEFINE_VEC_TYPES(BYTES_F32, BYTES_F64)                                   \
  typedef float vf __attribute__((vector_size(BYTES_F32)));                            \
  typedef int32_t vi __attribute__((vector_size(BYTES_F32)));                          \
  typedef uint32_t vu __attribute__((vector_size(BYTES_F32)));                         \
  typedef ::pyact::f16_t vh __attribute__((vector_size((BYTES_F32) / 2)));             \
  typedef double vd __attribute__((vector_size(BYTES_F64)));                           \
  typedef int64_t vl __attribute__((vector_size(BYTES_F64)));                          \
  typedef uint64_t vul __attribute__((vector_size(BYTES_F64)));
