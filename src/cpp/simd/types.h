// The lane types of one ISA, declared from its vector width in bytes. Every ISA header
// expands this once inside namespace pyact::<isa>, so vf/vd are distinct types per ISA.
#pragma once
#include <cstdint>

// GCC < 13 knows _Float16 in C++ only on x86; aarch64 has had the same IEEE binary16 as
// __fp16 all along (converts exactly to/from float), so name it _Float16 there.
#if defined(__aarch64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
typedef __fp16 _Float16;
#endif

#define PYACT_DEFINE_VEC_TYPES(BYTES_F32, BYTES_F64)                                   \
  typedef float vf __attribute__((vector_size(BYTES_F32)));                            \
  typedef int32_t vi __attribute__((vector_size(BYTES_F32)));                          \
  typedef uint32_t vu __attribute__((vector_size(BYTES_F32)));                         \
  typedef _Float16 vh __attribute__((vector_size((BYTES_F32) / 2)));                   \
  typedef double vd __attribute__((vector_size(BYTES_F64)));                           \
  typedef int64_t vl __attribute__((vector_size(BYTES_F64)));                          \
  typedef uint64_t vul __attribute__((vector_size(BYTES_F64)));
