// The vector interface V<T> that every kernel and every vmath function is written
// against, once. The ISA header (chosen by -DPYACT_TARGET_<ISA>) supplies the lane
// count, mul_add and sqrt; everything else is GCC/Clang vector-extension arithmetic,
// written here once for all ISAs.
#pragma once
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#if defined(PYACT_TARGET_AVX512)
#include "simd/avx512.h"
#elif defined(PYACT_TARGET_AVX2)
#include "simd/avx2.h"
#elif defined(PYACT_TARGET_SSE4)
#include "simd/sse4.h"
#elif defined(PYACT_TARGET_NEON)
#include "simd/neon.h"
#elif defined(PYACT_TARGET_SCALAR)
#include "simd/scalar.h"
#else
#error "compile with -DPYACT_TARGET=<isa> -DPYACT_TARGET_<ISA>=1"
#endif

// For small helpers that take or return vectors inside hot loops: GCC sometimes calls
// them out of line, which passes every vector through memory.
#define PYACT_INLINE inline __attribute__((always_inline))
// For a driver loop: everything it calls is inlined into it. Without this GCC's
// inlining budget runs out inside the unrolled loop of a long formula (softplus: one of
// the four vectors called fwd out of line, every live vector spilled around the call).
#define PYACT_FLATTEN __attribute__((flatten))

namespace pyact { namespace PYACT_TARGET {

template <class T> struct Simd;
template <> struct Simd<float> {
  using V = vf;   // values
  using M = vi;   // lane masks (all ones / zero), result of a compare
  using U = vu;   // unsigned bits
  static constexpr int N = sizeof(vf) / sizeof(float);
};
template <> struct Simd<double> {
  using V = vd;
  using M = vl;
  using U = vul;
  static constexpr int N = sizeof(vd) / sizeof(double);
};
template <class T> using V = typename Simd<T>::V;
template <class T> using M = typename Simd<T>::M;

// Element type of a vector type, so that generic helpers deduce T from V.
template <class Vec> struct Elem;
template <> struct Elem<vf> { using T = float; };
template <> struct Elem<vd> { using T = double; };
template <class Vec> using elem_t = typename Elem<Vec>::T;

template <class T> inline V<T> load(const T* p) { V<T> v; std::memcpy(&v, p, sizeof v); return v; }
template <class T> inline void store(T* p, V<T> v) { std::memcpy(p, &v, sizeof v); }
template <class T> inline V<T> set1(T s) { return V<T>{} + s; }

// select(m, a, b): a where the lane mask m is set, else b.
template <class Vec, class Mask> inline Vec select(Mask m, Vec a, Vec b) { return m ? a : b; }
template <class Vec> inline Vec select(typename Simd<elem_t<Vec>>::M m, Vec a, elem_t<Vec> b) { return m ? a : set1<elem_t<Vec>>(b); }
template <class Vec> inline Vec select(typename Simd<elem_t<Vec>>::M m, elem_t<Vec> a, Vec b) { return m ? set1<elem_t<Vec>>(a) : b; }

template <class Vec> inline auto is_nan(Vec v) { return v != v; }
template <class Vec> inline auto bits(Vec v) { return (typename Simd<elem_t<Vec>>::U)v; }
template <class Vec, class Bits> inline Vec from_bits(Bits b) { return (Vec)b; }

// The sign bit of one lane, as the unsigned lane type.
template <class Vec> inline auto sign_mask() {
  using U = typename Simd<elem_t<Vec>>::U;
  constexpr uint64_t kSign = sizeof(elem_t<Vec>) == 4 ? uint64_t(0x80000000u) : uint64_t(0x8000000000000000ull);
  return U{} + kSign;
}
// -0 in every lane (set1(-0.0) is +0: it adds to a zero vector).
template <class Vec> inline Vec neg_zero() { return (Vec)sign_mask<Vec>(); }
// a*b, through the FMA unit where x86 has one (a*b + -0: the same bits, ±0 and NaN
// included). On Zen 3 a multiply that reads a denormal or whose result underflows costs
// extra latency and throughput, an FMA does not; a polynomial fed a tiny x (x^2 below the
// smallest normal) or a denormal forms such products (benchmarks/bench_ranges.py).
template <class Vec> inline Vec mul_tiny(Vec a, Vec b) {
#if defined(__FMA__)
  return mul_add(a, b, neg_zero<Vec>());
#else
  return a * b;
#endif
}
template <class Vec> inline Vec abs(Vec v) { return (Vec)(bits(v) & ~sign_mask<Vec>()); }
// -|v|: the sign bit set, one instruction (GCC keeps -abs(v) as an and and an xor).
template <class Vec> inline Vec neg_abs(Vec v) { return (Vec)(bits(v) | sign_mask<Vec>()); }
// Magnitude of a with the sign of s.
template <class Vec> inline Vec copysign(Vec a, Vec s) {
  const auto sign = sign_mask<Vec>();
  return (Vec)((bits(a) & ~sign) | (bits(s) & sign));
}
// The sign bit as a lane mask: set for -0 too (x < 0 is not).
template <class Vec> inline auto has_sign(Vec v) { return (typename Simd<elem_t<Vec>>::M)bits(v) < 0; }
// The lanes whose sign bit is clear (a NaN's too), as a mask for select and
// mul_add_where (the ISA header may give a cheaper one).
template <class Vec> inline auto sign_clear_lanes(Vec v) { return ~has_sign(v); }
// a b + c in the lanes of k; the others keep c. (avx512.h: one masked FMA, whose lanes
// outside k are not computed: a denormal operand there takes no microcode assist.)
template <class K, class Vec> inline Vec mul_add_where(K k, Vec a, Vec b, Vec c) { return select(k, mul_add(a, b, c), c); }
template <class Vec> inline auto is_inf(Vec v) { return abs(v) == std::numeric_limits<elem_t<Vec>>::infinity(); }
// |v| below the smallest normal: a denormal or ±0.
template <class Vec> inline auto below_normal(Vec v) { return abs(v) < std::numeric_limits<elem_t<Vec>>::min(); }
// 0 < |v| < c for a positive c: |v|'s bits minus one, unsigned, below c's (±0 wraps to
// the top; NaN's bits lie above c's).
template <class Vec> inline auto nonzero_below(Vec v, elem_t<Vec> c) {
  return bits(abs(v)) - 1 < bits(set1<elem_t<Vec>>(c)) - 1;
}
// A denormal (not ±0).
template <class Vec> inline auto is_denormal(Vec v) {
  return nonzero_below(v, std::numeric_limits<elem_t<Vec>>::min());
}
// The same as a mask for any_lane, all_lanes, | and select only: the ISA header may give
// a cheaper one.
template <class Vec> inline auto denormal_lanes(Vec v) { return is_denormal(v); }
// |v| < c (NaN: false), as the same kind of mask (the ISA header may give a cheaper one).
template <class Vec> inline auto below_lanes(Vec v, elem_t<Vec> c) { return abs(v) < c; }
// v < c and v > c (NaN: false), as the same kind of mask.
template <class Vec> inline auto less_lanes(Vec v, elem_t<Vec> c) { return v < c; }
template <class Vec> inline auto greater_lanes(Vec v, elem_t<Vec> c) { return v > c; }
// v < c false (v >= c, or NaN), as the same kind of mask.
template <class Vec> inline auto not_below_lanes(Vec v, elem_t<Vec> c) { return ~(v < c); }
// Whether any lane of a compare's mask is set (the ISA headers overload it with a
// movemask).
template <class Mask> inline bool any_lane(Mask m) {
  bool any = false;
  for (size_t l = 0; l < sizeof(Mask) / sizeof(m[0]); ++l) any |= m[l] != 0;
  return any;
}

// Whether every lane of a compare's mask is set (a vector mask: not the ISA's mask
// registers that denormal_lanes may give).
template <class Mask> inline bool all_lanes(Mask m) { return !any_lane(~m); }

// a > b ? a : b and a < b ? a : b: b wherever the compare is false, NaN included. The
// x86 headers overload them with max/min, which are exactly that, one instruction where
// GCC emits a compare and a blend.
template <class Vec> inline Vec max_of(Vec a, Vec b) { return select(a > b, a, b); }
template <class Vec> inline Vec min_of(Vec a, Vec b) { return select(a < b, a, b); }

// Clamp with NaN passing through (a compare with NaN is false on both sides).
template <class Vec> inline Vec clamp(Vec v, elem_t<Vec> lo, elem_t<Vec> hi) {
  using T = elem_t<Vec>;
  return min_of(set1<T>(hi), max_of(set1<T>(lo), v));
}

// Storage type S (float16, float, double) -> the type it is computed in: float16 is
// computed in float32, converted once per vector on load and store, rounding to nearest
// even, by the ISA header's half_to_float / float_to_half (GCC 12's
// __builtin_convertvector on _Float16 vectors converts one lane at a time, with shuffles
// around each: 0.6 ns more per element than F16C's one instruction per vector).
template <class S> using compute_t = std::conditional_t<std::is_same_v<S, _Float16>, float, S>;
template <class S> inline V<compute_t<S>> load_as(const S* p) {
  if constexpr (std::is_same_v<S, _Float16>) {
    vh h;
    std::memcpy(&h, p, sizeof h);
    return half_to_float(h);
  } else {
    return load(p);
  }
}
template <class S> inline void store_as(S* p, V<compute_t<S>> v) {
  if constexpr (std::is_same_v<S, _Float16>) {
    const vh h = float_to_half(v);
    std::memcpy(p, &h, sizeof h);
  } else {
    store(p, v);
  }
}

}}  // namespace pyact::<isa>
