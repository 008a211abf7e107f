// The single driver for every elementwise functor (DESIGN.md §2, STYLE.md §3).
//
// A functor F<T> holds its parameters and provides
//   V fwd(V x)                  forward
//   V bwd_x(V g, V x)           dL/dx from the input
//   V bwd_y(V g, V y)           dL/dx from the output (only where that is possible)
// plus `static constexpr int kCost` (1: a few compares, 4: a division or sqrt,
// 16: a transcendental), which sets the grain at which threads pay off.
//
// The driver runs full vectors four at a time, then the tail through the same vector
// code from a padded stack buffer: every element is computed by the same instructions
// wherever it lies, so the bits never depend on the chunking or the thread count.
// NaN in x (or y) gives NaN out, forward and backward, for every functor: enforced
// here once rather than in each kernel.
#pragma once
#include <cstdint>
#include <cstring>
#include <optional>
#include <type_traits>
#include <utility>

#include "kernels/parallel.h"
#include "simd/vec.h"

namespace pyact { namespace PYACT_TARGET {

// Elements per thread below which one thread is faster than two, for kCost == 1
// (relu-like); heavier functors split earlier in proportion. Measured with
//   pytest benchmarks/bench_threads.py -p no:cacheprovider   (docs/PERFORMANCE.md)
// on the shared 2-core Zen 3: two threads lose at 65,536 elements (t1/t2 = 0.60) and
// win from 131,072 (1.10), so n <= 2^16 stays on one thread.
constexpr int64_t kGrainCheap = 1 << 16;
inline int64_t grain_for(int cost) {
  const int64_t forced = grain_override();
  return forced > 0 ? forced : kGrainCheap / (cost > 0 ? cost : 1);
}

template <class F, class = void> struct has_bwd_y : std::false_type {};
template <class F>
struct has_bwd_y<F, std::void_t<decltype(std::declval<const F&>().bwd_y(std::declval<typename F::V>(), std::declval<typename F::V>()))>>
    : std::true_type {};

// NaN in the lane that the result is a function of stays NaN.
template <class Vec> inline Vec keep_nan(Vec in, Vec out) { return select(is_nan(in), in, out); }

// A functor whose forward already gives NaN for a NaN input (arithmetic on x all the way,
// no select or clamp that could drop it; with fwd_deriv, in both its results) declares
// `static constexpr bool kFwdKeepsNan = true`, and likewise kBwdKeepsNan for its
// backwards (from x and from y); the driver then skips its own select. That select is a
// compare and a blend per vector: for relu's max(x, 0) it would double the work, and it
// is up to 9 % of swish's, elu's or exp's time (benchmarks/ab_core.py, Zen 4).
// tests/test_special_values.py and test_fused.py check NaN in, NaN out for every kernel,
// parameter form, ISA and dtype.
template <class F, class = void> struct fwd_keeps_nan : std::false_type {};
template <class F> struct fwd_keeps_nan<F, std::void_t<decltype(F::kFwdKeepsNan)>> : std::bool_constant<F::kFwdKeepsNan> {};
template <class F, class = void> struct bwd_keeps_nan : std::false_type {};
template <class F> struct bwd_keeps_nan<F, std::void_t<decltype(F::kBwdKeepsNan)>> : std::bool_constant<F::kBwdKeepsNan> {};
// The base of a functor whose forward and backwards all do.
struct NanFlowsThrough { static constexpr bool kFwdKeepsNan = true, kBwdKeepsNan = true; };
// keep_nan, unless the functor's arithmetic already keeps NaN (kKept).
template <bool kKept, class Vec> inline Vec keep_nan_unless(Vec in, Vec out) {
  if constexpr (kKept) return out;
  else return keep_nan(in, out);
}

// g f' for a backward whose f' tends to 0 from below on the left (swish, mish, gelu,
// gelu-tanh), where the limit is g * -0 (NaN for a NaN g). The functor computes nd = -f'
// at xc, x clamped below at -lo (past it f' is settled): (-g) nd has the bits of g f',
// and is g * -0 where nd is +0. kZeroAtLo: nd computes to +0 at the clamp by itself (the
// functor's exponential is exactly 0 there); otherwise the lanes at the clamp get +0
// here, where the exact f' is negative and below 1.4e-31 (float; 3e-259 double).
template <bool kZeroAtLo, class Vec> PYACT_INLINE Vec grad_left_settled(Vec g, Vec nd, Vec xc, elem_t<Vec> lo) {
  if constexpr (!kZeroAtLo) {
#if defined(PYACT_TARGET_SCALAR)
    // The scalar baseline compiles a select to a branch (mish: 1.2-1.3x the time): nd w,
    // w = min(1, (xc + lo) 2^23 (2^52)), is +0 at the clamp and 1 from one ulp right of
    // it on (lo >= 1; the sum is exact near the clamp and rounded once elsewhere).
    using T = elem_t<Vec>;
    constexpr T kBig = sizeof(T) == 4 ? T(0x1p23f) : T(0x1p52);
    nd = nd * min_of(set1<T>(T(1)), mul_add(xc, set1<T>(kBig), set1<T>(lo * kBig)));
#else
    nd = select(xc == -lo, Vec{}, nd);
#endif
  }
  return mul_tiny(-g, nd);
}

// Denormal inputs (SPEC §2: at most 2x slower than normal ones). On Intel cores a
// multiply, FMA or sqrt that reads a denormal or whose result underflows takes a
// microcode assist, 20-30x a vector's time (additions and divisions take none; Zen
// cores have none), and a transcendental's formula forms several such products for a
// denormal x: 25-100x slower (benchmarks/bench_ranges.py). A functor that declares
// `static constexpr bool kTinyDetour = true` has the vectors that hold a denormal x
// computed from its linearisation at 0:
//   f(x) = f(±0) + f'(±s) x,     g f'(x) = g f'(±s)     (±: the sign of x, s = kTinyAt)
// which at a denormal is f to the last bit or two: the functor's f' is continuous on
// each side of 0, f'(±s) is f'(0±) rounded (|s f''| below half an ulp of f'), and x^2
// terms vanish. A functor whose parameter stretches x (softplus's beta) says in
// `bool tiny_detour_ok()` when s is still that close to 0; one that rounds as its
// formula is written gives its own `V fwd_tiny(V x)` (hard_swish). A denormal g
// (backward) takes the detour too: g f' from f'. The products with a denormal are formed
// by times_tiny (the multiply itself, where the CPU takes no assist, ran 0.5-1.6x
// times_tiny's time on a Zen 5, by turns: docs/PERFORMANCE.md). f(±0) and f'(±s) are
// worked out once per block (NearZero), so a vector of denormals costs about what the
// formula does (bench_ranges on a Xeon: 0.3-1.8x the N(0, 9) time; leaky_relu's 1.8x,
// its formula being a compare and a multiply). The test costs one
// vfpclass per vector on AVX-512 (a transcendental takes 1.03-1.08x its time, tanh and
// tanhshrink forwards 1.16x; ab_core.py, Xeon), so functors declare the
// detour where kCheapDenormalTest holds; elsewhere the three integer operations it takes
// cost 1.11-1.30x on AVX2, and those ISAs keep the slow path.
template <class T> constexpr T kTinyAt = sizeof(T) == 4 ? T(0x1p-30f) : T(0x1p-200);
template <class F, class = void> struct tiny_detour : std::false_type {};
template <class F> struct tiny_detour<F, std::void_t<decltype(F::kTinyDetour)>> : std::bool_constant<F::kTinyDetour> {};
template <class F, class = void> struct has_tiny_detour_ok : std::false_type {};
template <class F>
struct has_tiny_detour_ok<F, std::void_t<decltype(std::declval<const F&>().tiny_detour_ok())>> : std::true_type {};
// A functor whose f' is flat at 0 (tanhshrink: f' = tanh^2 x) declares `static constexpr
// bool kFlatAtZero = true`: its f' is taken at ±0, as it rounds at a denormal (f'(s) =
// s^2 would not).
template <class F, class = void> struct flat_at_zero : std::false_type {};
template <class F> struct flat_at_zero<F, std::void_t<decltype(F::kFlatAtZero)>> : std::bool_constant<F::kFlatAtZero> {};
// One whose backward has no slow path at a denormal x (leaky_relu: a compare, g times the
// slope) declares `static constexpr bool kTinyDetourFwdOnly = true`: the test of x would
// only cost it time there (a denormal g still takes grad_detour, below).
template <class F, class = void> struct tiny_detour_fwd_only : std::false_type {};
template <class F>
struct tiny_detour_fwd_only<F, std::void_t<decltype(F::kTinyDetourFwdOnly)>> : std::bool_constant<F::kTinyDetourFwdOnly> {};
// The detour spares the assists of Intel cores: on a CPU without them (AMD; threads.h,
// denormal_assists()) the formula runs on a denormal x at full speed (a Zen 5 runs the
// avx2 path, which has no detour, as fast on denormals as on N(0, 9)), so the vectors
// skip the test there, and a result may differ from the detour's in its last bit (both
// within SPEC §5's bounds; tests/test_fpstate.py runs both ways). One whose formula is
// slow on denormals on AMD too (hard_swish's division on SSE4, mish's forward) declares
// `static constexpr bool kDetourEverywhere = true`.
template <class F, class = void> struct detour_everywhere : std::false_type {};
template <class F>
struct detour_everywhere<F, std::void_t<decltype(F::kDetourEverywhere)>> : std::bool_constant<F::kDetourEverywhere> {};
template <class F> bool tiny_detour_ok(const F& f) {
  if constexpr (has_tiny_detour_ok<F>::value) return f.tiny_detour_ok();
  else return true;
}
// A functor whose formula forms products that underflow at tiny normal x too (gelu-tanh's
// x^3 below 2^-42, hard_swish's division residual) declares `static constexpr T
// kLinearBelow`: the detour then takes every |x| below it, where f's line at 0 is still f
// to the last bit, not only the denormals (0: the denormals only). Its test is a compare
// of |x|, one instruction more than vfpclass.
template <class F, class = void> struct linear_below { static constexpr double value = 0; };
template <class F> struct linear_below<F, std::void_t<decltype(F::kLinearBelow)>> {
  static constexpr double value = F::kLinearBelow;
};
// Whether the detour of a forward (kBwd false) or backward takes the band below
// kLinearBelow. Not a flat functor's backward: its f' (tanhshrink's x^2) is not f'(0) = 0
// there but a normal number, which a large g makes count; at a denormal x it is below
// 2^-252.
template <class F, bool kBwd> constexpr bool linear_band() {
  return linear_below<F>::value > 0 && !(kBwd && flat_at_zero<F>::value);
}
// The lanes of x that take the detour, as a mask for any_lane, all_lanes, | and select
// (on AVX-512 a mask register: one vfpclass or compare, no vector mask and back).
template <class F, bool kBwd = false, class Vec> inline auto tiny_lanes(Vec x) {
  if constexpr (linear_band<F, kBwd>()) return below_lanes(x, elem_t<Vec>(linear_below<F>::value));
  else return denormal_lanes(x);
}
// The underflow detour: a functor whose forward makes a denormal result for x between
// two bounds (float: gelu's -13 and -15, exp's -87 and -104) and there takes a
// microcode assist on Intel cores (14-24x the time) declares them, `kUnderflowFrom` (the
// one nearer ordinary data) and `kUnderflowTo`, and `fwd_exact(x)`: the same bits
// without the assist, slower. The driver's group test takes in x beyond kUnderflowFrom
// (one compare), and a group holding a lane between the two goes vector by vector, a
// vector with one through fwd_exact.
// (Equal bounds: no band, as for a dtype whose exact form would not be faster.)
template <class F, class = void> struct has_fwd_underflow : std::false_type {};
template <class F>
struct has_fwd_underflow<F, std::void_t<decltype(F::kUnderflowFrom)>> : std::bool_constant<F::kUnderflowFrom != F::kUnderflowTo> {};
template <class F, class Vec> inline auto beyond_underflow_from(Vec x) {
  if constexpr (F::kUnderflowTo < F::kUnderflowFrom) return less_lanes(x, F::kUnderflowFrom);
  else return greater_lanes(x, F::kUnderflowFrom);
}
// Of two vectors, the lanes nearer kUnderflowTo: a group's test is one compare of those.
// (A NaN lane may hide the other vector's: that vector is then slow, not wrong.)
template <class F, class Vec> inline Vec toward_underflow(Vec a, Vec b) {
  if constexpr (F::kUnderflowTo < F::kUnderflowFrom) return min_of(a, b);
  else return max_of(a, b);
}
template <class F, class Vec> inline auto underflow_lanes(Vec x) {
  constexpr auto lo = std::min(F::kUnderflowFrom, F::kUnderflowTo), hi = std::max(F::kUnderflowFrom, F::kUnderflowTo);
  return greater_lanes(x, lo) & less_lanes(x, hi);
}
template <class F, class = void> struct has_fwd_tiny : std::false_type {};
template <class F>
struct has_fwd_tiny<F, std::void_t<decltype(std::declval<const F&>().fwd_tiny(std::declval<typename F::V>()))>>
    : std::true_type {};

// c t for a denormal t, without an operation that reads or makes a denormal (divisions
// included): t = ±m 2^-149 (2^-1074) gives the integer m from its bits, exactly (the bits
// of 2^p + m, minus 2^p). Below 2^p the result is a denormal whose bits are m |c|
// rounded to an integer: with an FMA, m |c| + 2^p rounded once is that integer plus 2^p
// (to even at a half, as the multiply rounds); without one, v = m |c| is rounded first
// and v + 2^p rounds v, which is m |c| rounded unless v is a half (ulp(v) <= 1/2 there,
// so no other value of v lies between m |c| and its nearest integer), and at a half the
// exact m |c| lies off it on the side of v's error (zero without an FMA, sse4: within an
// ulp there). From 2^p on the result is normal: v 2^-149 by two normal products. So c t
// correctly rounded, as the multiply would give it. Lanes of a normal t give nothing
// useful (the callers select the denormal ones).
template <class Vec> inline Vec times_tiny(Vec c, Vec t) {
  using T = elem_t<Vec>;
  constexpr bool kF = sizeof(T) == 4;
  constexpr T kTwoP = kF ? T(0x1p23f) : T(0x1p52);
  [[maybe_unused]] constexpr T kDown1 = kF ? T(0x1p-75f) : T(0x1p-537), kDown2 = kF ? T(0x1p-74f) : T(0x1p-537);
  const Vec m = (Vec)(bits(abs(t)) | bits(set1<T>(kTwoP))) - kTwoP;
  const auto sign = (bits(t) ^ bits(c)) & sign_mask<Vec>();
#if defined(__FMA__)
  const Vec sum = mul_add(m, abs(c), set1<T>(kTwoP));
  // sum's bits less 2^p's, the integer (an xor: sum < 2^(p+1) keeps 2^p's exponent,
  // and 2^(p+1), the integer 2^p, differs from it in the exponent's last bit alone).
  const Vec sub = (Vec)((bits(sum) ^ bits(set1<T>(kTwoP))) | sign);
  // Every sum below 2^(p+1) (a slope c of at most 1 keeps it there) is the result. The
  // others (|c| > 1, inf, NaN) are v 2^-149, v = m |c| rounded (where m |c| is just
  // below 2^p, v 2^-149 rounds up to 2^-126, as the result must): on AVX-512 by one
  // vscalef masked to those lanes (no assist in the others; exponential' with a denormal
  // g, whose e^x > 1 on half the lanes, took 0.91x the time of the two products below);
  // elsewhere by two normal products of v raised to at least 2^p.
  const auto big = not_below_lanes(sum, T(2) * kTwoP);
  if (!any_lane(big)) return sub;
#if defined(PYACT_TARGET_AVX512)
  return scale_by_in(big, sub, (Vec)(bits(m * abs(c)) | sign), set1<T>(kF ? T(-149) : T(-1074)));
#else
  const Vec v = max_of(set1<T>(kTwoP), m * abs(c));  // NaN: v's
  return select(big, (Vec)(bits(v * kDown1 * kDown2) | sign), sub);
#endif
#else
  const Vec v = m * abs(c);
  Vec sum = v + kTwoP;  // 2^p + v rounded to an integer
  const auto half = abs((sum - kTwoP) - v) == T(0.5);
  if (any_lane(half)) {  // rare: the FMA and its selects only then
    const Vec err = mul_add(m, abs(c), -v);  // m |c| - v
    sum = select(half & (err != T(0)), (v + copysign(set1<T>(T(0.5)), err)) + kTwoP, sum);
  }
  const Vec sub = (Vec)((bits(sum) - bits(set1<T>(kTwoP))) | sign);
  const auto small = v < kTwoP;
  const Vec nor = (Vec)(bits(select(small, set1<T>(kTwoP), v) * kDown1 * kDown2) | sign);
  return select(small, sub, nor);
#endif
}

// x with ±0 in the lanes t.
template <class Vec, class Mask> inline Vec zero_in(Mask t, Vec x) { return select(t, (Vec)(bits(x) & sign_mask<Vec>()), x); }
// ±s in the lanes t, x elsewhere.
template <class Vec, class Mask> inline Vec s_in(Mask t, Vec x) {
  return select(t, copysign(set1<elem_t<Vec>>(kTinyAt<elem_t<Vec>>), x), x);
}
// A backward is linear in g: in g's denormal lanes tg it runs at g = ±1 (unit_g; g's
// sign: a piece that gives a constant 0 whatever g is keeps its sign), and its result r
// is then times |g| by times_tiny (times_g).
template <class Vec, class Mask> inline Vec unit_g(Mask tg, Vec g) {
  return select(tg, copysign(set1<elem_t<Vec>>(1), g), g);
}
template <class Vec, class Mask> inline Vec times_g(Mask tg, Vec r, Vec g) { return select(tg, times_tiny(r, abs(g)), r); }
template <class Vec> struct Both { Vec y, d; };
// A functor whose f' computes a few ulp off at ±s while the exact f'(±s) rounds to a
// known constant gives it, `static constexpr double kSlopeAtZero` (gelu: its f' came out
// 3 ulp below 1/2 in float, so f's line, and every float gelu(x) with |x| < 2^-32 on the
// detour, was 4 ulp off).
template <class F, class = void> struct slope_at_zero { static constexpr bool known = false; };
template <class F> struct slope_at_zero<F, std::void_t<decltype(F::kSlopeAtZero)>> {
  static constexpr bool known = true;
  static constexpr double value = F::kSlopeAtZero;
};
template <class F> typename F::V slope_near_zero(const F& f, elem_t<typename F::V> at) {
  using V = typename F::V;
  if constexpr (slope_at_zero<F>::known) return set1<elem_t<V>>(elem_t<V>(slope_at_zero<F>::value));
  else return f.bwd_x(set1<elem_t<V>>(1), set1<elem_t<V>>(at));
}
// f near 0 for the detour, worked out at a block's first one (run_fixed): f(±0) and
// f'(±s), as vectors. A vector of denormals only (a denormal array's) then takes a select
// and times_tiny, no formula; one that mixes them with other lanes takes the formula
// once, on the denormal lanes zeroed, and has them replaced. Every denormal lane gets
// the same bits either way: a lane's result never depends on its neighbours.
template <class F> struct NearZero {
  using V = typename F::V;
  using T = elem_t<V>;
  bool ok;  // tiny_detour_ok: s close enough to 0 for the parameters
  V y_pos, y_neg, d_pos, d_neg;
  static constexpr T kAt = flat_at_zero<F>::value ? T(0) : kTinyAt<T>;
  explicit NearZero(const F& f)
      : ok(tiny_detour_ok(f)), y_pos(f.fwd(V{})), y_neg(f.fwd(neg_zero<V>())),
        d_pos(slope_near_zero(f, kAt)), d_neg(slope_near_zero(f, -kAt)) {}
  V d(V x) const { return select(has_sign(x), d_neg, d_pos); }
  // f(x) at a lane of the detour (tiny_lanes): d x by times_tiny at a denormal x.
  V line(V x) const {
    const auto neg = has_sign(x);
    const V y0 = select(neg, y_neg, y_pos), dx = select(neg, d_neg, d_pos);
    if constexpr (linear_below<F>::value > 0) {
      // The band below kLinearBelow: zeros and tiny normal numbers take the multiply,
      // and a vector without a denormal only that (gelu on zeros took 2.3x its time).
      const auto den = denormal_lanes(x);
      if (!any_lane(den)) return y0 + dx * x;
      return y0 + select(den, times_tiny(dx, x), dx * select(den, V{}, x));
    } else {
      return y0 + times_tiny(dx, x);
    }
  }
};
// Empty where a functor or an operation has no detour (run_fixed holds one either way).
struct NoNearZero {};

// The vector operations of the driver, one per direction. Those with kDetours give
// tiny(...), the lanes of a detour, and detour(f, ...), the whole vector where some lane
// is one (rare): the other lanes have the bits of op.
struct Forward {
  static constexpr bool kDetours = true;
  template <class F> static auto op(const F& f, typename F::V x) {
    return keep_nan_unless<fwd_keeps_nan<F>::value>(x, f.fwd(x));
  }
  template <class F, class Vec> static auto tiny(Vec x) { return tiny_lanes<F>(x); }
  template <class F> static auto exact(const F& f, typename F::V x) {
    return keep_nan_unless<fwd_keeps_nan<F>::value>(x, f.fwd_exact(x));
  }
  template <class F> static auto detour(const F& f, const NearZero<F>& n, typename F::V x) {
    if constexpr (has_fwd_tiny<F>::value) return keep_nan_unless<fwd_keeps_nan<F>::value>(x, f.fwd_tiny(x));
    if (!n.ok) return op(f, x);
    const auto t = tiny_lanes<F>(x);
    if (all_lanes(t)) return n.line(x);
    return select(t, n.line(x), op(f, zero_in(t, x)));
  }
};
struct BackwardX {
  static constexpr bool kDetours = true;
  static constexpr bool kGradDetours = true;
  template <class F> static auto op(const F& f, typename F::V g, typename F::V x) {
    return keep_nan_unless<bwd_keeps_nan<F>::value>(x, f.bwd_x(g, x));
  }
  template <class F, class Vec> static auto tiny(Vec, Vec x) { return tiny_lanes<F, true>(x); }
  // g f'(±s) in the lanes of a denormal x (a vector the driver sends here for its x); in
  // those of a denormal g, as grad_detour.
  template <class F> static auto detour(const F& f, const NearZero<F>& n, typename F::V g, typename F::V x) {
    using V = typename F::V;
    if (!n.ok) return op(f, g, x);
    const auto tx = tiny_lanes<F, true>(x);
    const auto tg = denormal_lanes(g);
    const V g1 = unit_g(tg, g);
    const V near = g1 * n.d(x);
    const V r = all_lanes(tx) ? near : select(tx, near, op(f, g1, s_in(tx, x)));
    return any_lane(tg) ? times_g(tg, r, g) : r;
  }
};
struct BackwardY {
  static constexpr bool kGradDetours = true;
  template <class F> static auto op(const F& f, typename F::V g, typename F::V y) {
    return keep_nan_unless<bwd_keeps_nan<F>::value>(y, f.bwd_y(g, y));
  }
};

// A denormal g (a vanishing gradient), backward from x or from y: unit_g, then times_g
// (above), in g's denormal lanes: the formula's bits wherever it forms g f' as one
// product (within an ulp of the denormal grid where it does not: softsign's g r r). An
// Intel core takes an assist for every vector whose multiply reads a denormal g:
// leaky_relu', softsign' and hard_sigmoid' ran 17-27x slower, the transcendentals' 3-7x
// through the per-vector detour (bench_ranges.py, fourth column). The functors with kTinyDetour take it, and
// those that declare `static constexpr bool kGradDetour` (a backward that multiplies g,
// with no slow path at a denormal x).
template <class Op, class F> inline typename F::V grad_detour(const F& f, typename F::V g, typename F::V xy) {
  const auto tg = denormal_lanes(g);
  return times_g(tg, Op::op(f, unit_g(tg, g), xy), g);
}
template <class F, class = void> struct grad_detour_decl : std::false_type {};
template <class F> struct grad_detour_decl<F, std::void_t<decltype(F::kGradDetour)>> : std::bool_constant<F::kGradDetour> {};
template <class Op, class = void> struct op_grad_detours : std::false_type {};
template <class Op> struct op_grad_detours<Op, std::void_t<decltype(Op::kGradDetours)>> : std::bool_constant<Op::kGradDetours> {};
template <class Op, class F> constexpr bool grad_detours() {
  return op_grad_detours<Op>::value && (tiny_detour<F>::value || grad_detour_decl<F>::value);
}

// Forward and derivative at once, for a trainer that keeps f'(x) instead of x (its
// backward is then g * f'(x)), from a functor whose two share work (gelu's exponential,
// swish's sigmoid):
//   Both<V> fwd_deriv(V x)      {f(x) with the bits of fwd(x), f'(x)}
// For the others, fwd then bwd costs the same as keeping x (fused.h fills no entry).
template <class F, class = void> struct has_fwd_deriv : std::false_type {};
template <class F>
struct has_fwd_deriv<F, std::void_t<decltype(std::declval<const F&>().fwd_deriv(std::declval<typename F::V>()))>>
    : std::true_type {};
struct ForwardDeriv {
  static constexpr bool kDetours = true;
  template <class F> static Both<typename F::V> op(const F& f, typename F::V x) {
    const Both<typename F::V> r = f.fwd_deriv(x);  // (kFwdKeepsNan covers fwd_deriv too)
    constexpr bool kKept = fwd_keeps_nan<F>::value;
    return {keep_nan_unless<kKept>(x, r.y), keep_nan_unless<kKept>(x, r.d)};
  }
  template <class F, class Vec> static auto tiny(Vec x) { return tiny_lanes<F>(x); }
  template <class F> static Both<typename F::V> detour(const F& f, const NearZero<F>& n, typename F::V x) {
    if (!n.ok) return op(f, x);
    const auto t = tiny_lanes<F>(x);
    const Both<typename F::V> l = {n.line(x), n.d(x)};
    if (all_lanes(t)) return l;
    const Both<typename F::V> r = op(f, zero_in(t, x));
    return {select(t, l.y, r.y), select(t, l.d, r.d)};
  }
};
template <class Op, class = void> struct op_detours : std::false_type {};
template <class Op> struct op_detours<Op, std::void_t<decltype(Op::kDetours)>> : std::bool_constant<Op::kDetours> {};
// Whether the driver runs Op on f with the detour.
template <class Op, class F> constexpr bool detours() {
  if constexpr (!op_detours<Op>::value || !tiny_detour<F>::value) return false;
  else return !(std::is_same_v<Op, BackwardX> && tiny_detour_fwd_only<F>::value);
}
template <class R> struct is_both : std::false_type {};
template <class Vec> struct is_both<Both<Vec>> : std::true_type {};
template <class Op, class F, int Arity> constexpr bool returns_both() {
  using Vt = typename F::V;
  if constexpr (Arity == 1) return is_both<decltype(Op::op(std::declval<const F&>(), std::declval<Vt>()))>::value;
  else return is_both<decltype(Op::op(std::declval<const F&>(), std::declval<Vt>(), std::declval<Vt>()))>::value;
}

// The driver's loop computes kUnroll independent vectors per step, all before storing
// any: instruction-level parallelism for the long formulas. (As an array, not four named
// values: GCC then schedules the ELU family's forwards 8-15% faster.) A functor whose
// formula keeps so many constants live that four vectors overflow the register file
// into stack spills declares `static constexpr int kUnroll = 2` (gelu).
constexpr int kUnroll = 4;
template <class F, class = void> struct unroll_of : std::integral_constant<int, kUnroll> {};
template <class F> struct unroll_of<F, std::void_t<decltype(F::kUnroll)>> : std::integral_constant<int, F::kUnroll> {};
template <int... K, class One, class Put>
PYACT_INLINE void unrolled(std::integer_sequence<int, K...>, One one, Put put) {
  const decltype(one(0)) r[] = {one(K)...};  // a braced list: evaluated in order
  (put(K, r[K]), ...);
}

// A functor whose parameters pick a cheaper form (softplus with beta = 1 multiplies by
// nothing; swish with beta = 1 is silu) declares `static constexpr bool kPicksForm = true`
// and `template <class Body> void with_form(Body body) const`, which calls body with the
// functor of the applicable form, fixed at compile time. The driver picks once per
// block: a branch on a parameter inside the unrolled loop splits its body into one
// basic block per vector, which the scheduler cannot interleave (softplus forward ran
// 1.7x slower so, for a branch that always went the same way).
template <class F, class = void> struct picks_form : std::false_type {};
template <class F> struct picks_form<F, std::void_t<decltype(F::kPicksForm)>> : std::bool_constant<F::kPicksForm> {};

// Op::tiny, looked up only where an Op has it (kDetour).
template <class Op, class F, class... Vs> PYACT_INLINE auto op_tiny(Vs... v) { return Op::template tiny<F>(v...); }

// out[i] = Op(f, in0[i] [, in1[i]]) for i in [0, n), f of a fixed form.
template <class Op, class F, class T, int Arity, bool kStream>
PYACT_FLATTEN void run_fixed(const F& f, const T* const* in, T* out, int64_t begin, int64_t end, T* out2) {
  constexpr int64_t N = Simd<T>::N;
  constexpr int U = unroll_of<F>::value;
  auto one = [&](int64_t i, const T* a, const T* b) {
    if constexpr (Arity == 1) { (void)b; return Op::op(f, load(a + i)); }
    else return Op::op(f, load(a + i), load(b + i));
  };
  auto put = [](T* o, T* o2, int64_t i, const auto& r) {
    if constexpr (is_both<std::decay_t<decltype(r)>>::value) { store(o + i, r.y); store(o2 + i, r.d); }
    else if constexpr (kStream) { (void)o2; store_stream(o + i, r); }
    else { (void)o2; store(o + i, r); }
  };
  // The denormal detours (above): one test per group of vectors on the fast path, of x
  // (kDetour) and of a backward's g (kGradDetour).
  constexpr bool kDetour = detours<Op, F>();
  constexpr bool kGradDetour = grad_detours<Op, F>();
  constexpr bool kUnderflowDetour = std::is_same_v<Op, Forward> && has_fwd_underflow<F>::value;
  auto tiny_at = [&](auto j, const T* a, const T* b) {  // generic: instantiated only where kDetour
    if constexpr (Arity == 1) { (void)b; return op_tiny<Op, F>(load(a + j)); }
    else return op_tiny<Op, F>(load(a + j), load(b + j));
  };
  auto grad_tiny_at = [&](auto j, const T* g) { return denormal_lanes(load(g + j)); };  // generic, as tiny_at
  auto grad_detour_at = [&](auto j, const T* g, const T* xy) { return grad_detour<Op>(f, load(g + j), load(xy + j)); };
  // generic, as tiny_at: whether the U vectors at j hold an x beyond kUnderflowFrom
  auto beyond_at = [&](auto j, const T* a) {
    auto x = load(a + j);
    for (int k = 1; k < U; ++k) x = toward_underflow<F>(x, load(a + j + k * N));
    return beyond_underflow_from<F>(x);
  };
  auto underflow_at = [&](auto j, const T* a) { return underflow_lanes<F>(load(a + j)); };
  const bool detour = (kDetour || kGradDetour || kUnderflowDetour) && (detour_everywhere<F>::value || denormal_assists());
  std::conditional_t<kDetour, std::optional<NearZero<F>>, NoNearZero> near_zero;  // at the first detour
  auto checked = [&](int64_t j, const T* a, const T* b) {
    if constexpr (kDetour) {
      if (detour && any_lane(tiny_at(j, a, b))) {
        if (!near_zero) near_zero.emplace(f);
        if constexpr (Arity == 1) return Op::detour(f, *near_zero, load(a + j));
        else return Op::detour(f, *near_zero, load(a + j), load(b + j));
      }
    }
    if constexpr (kGradDetour) {
      if (detour && any_lane(grad_tiny_at(j, a))) return grad_detour_at(j, a, b);
    }
    if constexpr (kUnderflowDetour) {
      if (detour && any_lane(underflow_at(j, a))) return Op::exact(f, load(a + j));
    }
    return one(j, a, b);
  };
  const T* a = in[0];
  const T* b = Arity == 2 ? in[1] : nullptr;
  int64_t i = begin;
  auto group = [&](int64_t i) {
    unrolled(std::make_integer_sequence<int, U>{}, [&](int k) { return one(i + k * N, a, b); },
             [&](int k, const auto& r) { put(out, out2, i + k * N, r); });
  };
  // The tested loop, where the detour runs, apart from the plain one: GCC does not
  // unswitch a branch on `detour` inside one loop, and that loop's shape cost a cheap
  // backward 1.2-1.35x its time (tanh' and sigmoid' from y, a Xeon), the test off.
  if constexpr (kDetour || kGradDetour || kUnderflowDetour) {
    // One test of the group (x's tiny lanes, g's denormal ones, x's underflowing ones);
    // which detour, only when it holds one.
    auto test_at = [&](int64_t j) {
      if constexpr (kDetour && kGradDetour) return tiny_at(j, a, b) | grad_tiny_at(j, a);
      else if constexpr (kDetour) return tiny_at(j, a, b);
      else return grad_tiny_at(j, a);
    };
    auto group_test = [&](int64_t j) {
      if constexpr (kDetour || kGradDetour) {
        auto t = test_at(j);
        for (int k = 1; k < U; ++k) t |= test_at(j + k * N);
        if constexpr (kUnderflowDetour) return t | beyond_at(j, a);
        else return t;
      } else {
        return beyond_at(j, a);
      }
    };
    for (; detour && i + U * N <= end; i += U * N) {
      if (!any_lane(group_test(i))) {
        group(i);
        continue;
      }
      bool x_tiny = false;
      if constexpr (kDetour) {
        for (int k = 0; k < U; ++k) x_tiny |= any_lane(tiny_at(i + k * N, a, b));
      }
      if constexpr (kUnderflowDetour) {
        for (int k = 0; k < U; ++k) x_tiny |= any_lane(underflow_at(i + k * N, a));
      }
      if (x_tiny) {  // vector by vector (Op::detour takes a denormal g too)
        for (int k = 0; k < U; ++k) put(out, out2, i + k * N, checked(i + k * N, a, b));
      } else if constexpr (kGradDetour) {  // g's alone: the vectors interleaved, as in group
        unrolled(std::make_integer_sequence<int, U>{}, [&](int k) { return grad_detour_at(i + k * N, a, b); },
                 [&](int k, const auto& r) { put(out, out2, i + k * N, r); });
      } else {  // x beyond kUnderflowFrom, none between the bounds
        group(i);
      }
    }
  }
  for (; i + U * N <= end; i += U * N) group(i);
  for (; i + N <= end; i += N) put(out, out2, i, checked(i, a, b));
  if (i < end) {  // the tail, padded with zeros, through the same vector code
    const int64_t rest = end - i;
    alignas(64) T pa[N] = {}, pb[N] = {};  // aligned: a streaming put stores here too
    std::memcpy(pa, a + i, rest * sizeof(T));
    if constexpr (Arity == 2) std::memcpy(pb, b + i, rest * sizeof(T));
    put(pa, pb, 0, checked(0, pa, pb));
    std::memcpy(out + i, pa, rest * sizeof(T));
    if (out2) std::memcpy(out2 + i, pb, rest * sizeof(T));
  }
}

// out[i] = Op(f, in0[i] [, in1[i]]) for i in [0, n). Arity 1 (forward) or 2 (backward).
// An Op that returns Both (ForwardDeriv) also writes the derivative to out2[i].
template <class Op, class F, class T, int Arity, bool kStream = false>
void run_block(const F& f, const T* const* in, T* out, int64_t begin, int64_t end, T* out2 = nullptr) {
  if constexpr (picks_form<F>::value)
    f.with_form([&](const auto& g) {
      run_fixed<Op, std::decay_t<decltype(g)>, T, Arity, kStream>(g, in, out, begin, end, out2);
    });
  else
    run_fixed<Op, F, T, Arity, kStream>(f, in, out, begin, end, out2);
}

// float16 storage: convert a block to float32 once per vector, run the float functor,
// convert back (round to nearest even). Same blocks for every chunking: a block is
// cut only by the chunk edges, and every element still goes through one vector lane.
template <class Op, class F, int Arity>
void run_block_f16(const F& f, const _Float16* const* in, _Float16* out, int64_t begin, int64_t end,
                   _Float16* out2 = nullptr) {
  constexpr int64_t N = Simd<float>::N;
  constexpr int64_t B = 64 * (N > 16 ? N : 16);
  constexpr bool kTwo = returns_both<Op, F, Arity>();
  alignas(64) float buf[Arity][B];
  float outbuf[B], outbuf2[kTwo ? B : 1];
  auto to_half = [&](const float* src, _Float16* dst, int64_t m) {
    int64_t j = 0;
    for (; j + N <= m; j += N) store_as(dst + j, load(src + j));
    for (; j < m; ++j) dst[j] = static_cast<_Float16>(src[j]);
  };
  for (int64_t s = begin; s < end; s += B) {
    const int64_t m = std::min<int64_t>(B, end - s);
    for (int k = 0; k < Arity; ++k) {
      int64_t j = 0;
      for (; j + N <= m; j += N) store(&buf[k][j], load_as(in[k] + s + j));
      for (; j < m; ++j) buf[k][j] = static_cast<float>(in[k][s + j]);
    }
    const float* ptrs[2] = {buf[0], buf[Arity - 1]};
    run_block<Op, F, float, Arity>(f, ptrs, outbuf, 0, m, kTwo ? outbuf2 : nullptr);
    to_half(outbuf, out + s, m);
    if constexpr (kTwo) to_half(outbuf2, out2 + s, m);
  }
}

// A large call's output leaves the cache before anyone reads it, and a plain store first
// reads the line it writes into (read for ownership): a third more memory traffic than
// the forward's read and write. So the output goes around the cache instead, in
// streaming stores to whole aligned vectors; the elements before the first aligned one
// take plain stores. The same vector code computes every element, so the bits are the same.
template <class Op, class F, class T, int Arity>
void run_streamed(const F& f, const T* const* in, T* out, int64_t begin, int64_t end) {
  constexpr int64_t kLine = 64 / sizeof(T);
  const int64_t misaligned = static_cast<int64_t>(reinterpret_cast<uintptr_t>(out + begin) % 64 / sizeof(T));
  const int64_t head = std::min(end, begin + (kLine - misaligned) % kLine);
  run_block<Op, F, T, Arity>(f, in, out, begin, head);
  run_block<Op, F, T, Arity, true>(f, in, out, head, end);
  stream_fence();
}

// Entry points stored in the dispatch table. S is the storage type (_Float16, float,
// double); the functor computes in C (float for _Float16).
template <template <class> class Fn, class S> struct Compute { using type = Fn<S>; };
template <template <class> class Fn> struct Compute<Fn, _Float16> { using type = Fn<float>; };

template <class Op, template <class> class Fn, class S, int Arity>
void run(const void* const* in, void* out, int64_t n, const double* params) {
  using F = typename Compute<Fn, S>::type;
  const F f(params);
  const S* const* src = reinterpret_cast<const S* const*>(in);
  S* dst = static_cast<S*>(out);
  constexpr int64_t align = 64 / sizeof(S) > Simd<float>::N ? 64 / sizeof(S) : Simd<float>::N;
  // In place, the line is in the cache already: a streaming store there only evicts it.
  const bool stream = kStreamStores && !std::is_same_v<S, _Float16> &&
                      n * static_cast<int64_t>(sizeof(S)) * (Arity + 1) > stream_bytes() &&
                      dst != src[0] && dst != src[Arity - 1] && reinterpret_cast<uintptr_t>(dst) % sizeof(S) == 0;
  parallel_for(n, grain_for(F::kCost), align, [&](int64_t b, int64_t e) {
    if constexpr (std::is_same_v<S, _Float16>) run_block_f16<Op, F, Arity>(f, src, dst, b, e);
    else if (stream) run_streamed<Op, F, S, Arity>(f, src, dst, b, e);
    else run_block<Op, F, S, Arity>(f, src, dst, b, e);
  });
}

}}  // namespace pyact::<isa>
