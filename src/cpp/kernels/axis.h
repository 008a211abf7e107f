// Activations along an axis (SPEC §4.3): softmax, log_softmax, softmin, glu, maxout.
//
// Every array arrives C-contiguous and is viewed as (outer, n, inner), the axis of
// length n in the middle. inner == 1: each row is contiguous and SIMD runs along it;
// inner > 1: SIMD runs across inner (columns) while reducing down the strided axis,
// without a transposing copy.
//
// Determinism (SPEC §6). A row's bits depend only on its values: never on the layout
// (inner == 1 or > 1), the thread count or where the row lies. Max is order-free; every
// sum is the *canonical sum*: the row is cut into chunks of kChunk elements; within a
// chunk element t goes to accumulator t mod 16 (float64, starting at -0.0, so adding
// padding of -0.0 is exact); the 16 accumulators meet in a fixed pairwise tree; the
// chunk sums are added in order. The row path keeps the 16 accumulators in SIMD lanes,
// the column path keeps 16 per column; threads split a long row at chunk boundaries.
//
// Paths (all give the same bits for a row): rows of up to kKeepRow<C> (forward) or kChunk
// (backward) elements are "kept rows", read once into a stack buffer (or registers),
// kGroup short rows interleaved so that their dependency chains overlap; many short rows
// that would leave lanes idle (via_columns) are transposed 128 at a time into the column
// kernel (all lanes busy); longer rows run three passes (max, exp + sum, scale), split
// across the threads at chunk boundaries when they are few; a strided axis runs the
// column kernel, or, when there are fewer columns than vector lanes (or one long column
// block), the columns are copied out as rows.
//
// Special rows (SPEC §4.3), one formula for every case: the exponent argument is
// (x == max ? 0 : x - max), so a row holding k entries of +inf sums to k and gives 1/k
// there and 0 elsewhere; a row holding NaN, or only -inf, is NaN (a canonical quiet
// NaN, so the bits match on every path).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "dispatch/table.h"
#include "kernels/parallel.h"
#include "simd/vec.h"
#include "vmath/exp.h"
#include "vmath/logistic.h"

namespace pyact { namespace PYACT_TARGET { namespace axis {

using vm::exp;
using vm::exp_nonpos;

constexpr int64_t kLanes = 16;        // accumulators of the canonical sum
constexpr int64_t kChunk = 4096;      // elements per canonical partial sum (a multiple of kLanes)
constexpr int64_t kColBlock = 128;    // columns one task reduces together (inner > 1)
// Elements per thread below which one thread is faster. The sweep
//   python benchmarks/bench_axis.py --sweep     (docs/PERFORMANCE.md, issue 5)
// could not settle it on the shared 2-core machine: with the other core busy, 2 threads
// never won (x2 0.55-1.02 from 4K to 1M elements), so kGrain keeps apply.h's grain for
// an exp-cost functor, kGrainCheap / 4; a row split across threads (3 parallel regions
// forward, 2 backward, where many rows need 1) loses twice as much in the sweep, so it
// waits for kRowSplitGrain.
constexpr int64_t kGrain = 1 << 14;
constexpr int64_t kRowSplitGrain = 4 * kGrain;
// kGrain (kRowSplitGrain), or the benchmarks' override (threads.h grain_override).
inline int64_t axis_grain(int64_t grain = kGrain) {
  const int64_t forced = grain_override();
  return forced > 0 ? forced : grain;
}

// Compute type of a storage type: float16 is computed in float32.
template <class S> using Cmp = compute_t<S>;

template <class Vec> inline Vec iota() {
  Vec v;
  for (int l = 0; l < int(sizeof(Vec) / sizeof(v[0])); ++l) v[l] = l;
  return v;
}

// The float64 image of one V<C>: R native double vectors (R = 2 for float on the SIMD
// ISAs, where V<float> has twice the lanes of V<double>; else 1), lane order kept. A
// struct of native vectors, not one wide generic vector, which GCC would split through
// memory and general registers.
template <class C> struct W {
  static constexpr int R = Simd<C>::N / Simd<double>::N;
  vd h[R];
  double lane(int l) const { return h[l / Simd<double>::N][l % Simd<double>::N]; }
};
// The low and high halves of a vector, and the two joined (register shuffles).
template <class Vec, size_t... I> inline auto low_half(Vec v, std::index_sequence<I...>) {
  return __builtin_shufflevector(v, v, I...);
}
template <class Vec, size_t... I> inline auto high_half(Vec v, std::index_sequence<I...>) {
  return __builtin_shufflevector(v, v, (I + sizeof...(I))...);
}
template <class Half, size_t... I> inline auto join(Half lo, Half hi, std::index_sequence<I...>) {
  return __builtin_shufflevector(lo, hi, I...);
}
template <class C> PYACT_INLINE W<C> operator+(W<C> a, const W<C>& b) {
  for (int r = 0; r < W<C>::R; ++r) a.h[r] += b.h[r];
  return a;
}
template <class C> inline W<C> operator*(W<C> a, const W<C>& b) {
  for (int r = 0; r < W<C>::R; ++r) a.h[r] *= b.h[r];
  return a;
}
template <class C> PYACT_INLINE W<C>& operator+=(W<C>& a, const W<C>& b) { return a = a + b; }
template <class C> PYACT_INLINE W<C> neg_zero() {
  W<C> w;
  for (auto& h : w.h) h = -vd{};
  return w;
}
// Lanes from cnt on set to -0.0 (the identity of the canonical sum).
template <class C> PYACT_INLINE W<C> first_lanes(W<C> w, int64_t cnt) {
  for (int r = 0; r < W<C>::R; ++r) {
    const vd lane = iota<vd>() + double(r * Simd<double>::N);
    w.h[r] = select(lane < double(cnt), w.h[r], -0.0);
  }
  return w;
}

template <class C> PYACT_INLINE W<C> widen(V<C> v) {
  W<C> w;
  if constexpr (std::is_same_v<C, float> && W<C>::R == 2) {
    // GCC 12 lowers the generic conversion of half a vector through the stack; on x86
    // the conversion instruction itself (exact either way, so the same bits).
#if defined(PYACT_TARGET_AVX512)
    w.h[0] = (vd)_mm512_cvtps_pd(_mm512_castps512_ps256((__m512)v));
    w.h[1] = (vd)_mm512_cvtps_pd(_mm512_extractf32x8_ps((__m512)v, 1));
#elif defined(PYACT_TARGET_AVX2)
    w.h[0] = (vd)_mm256_cvtps_pd(_mm256_castps256_ps128((__m256)v));
    w.h[1] = (vd)_mm256_cvtps_pd(_mm256_extractf128_ps((__m256)v, 1));
#elif defined(PYACT_TARGET_SSE4)
    w.h[0] = (vd)_mm_cvtps_pd((__m128)v);
    w.h[1] = (vd)_mm_cvtps_pd(_mm_movehl_ps((__m128)v, (__m128)v));
#else
    constexpr auto half = std::make_index_sequence<Simd<double>::N>{};
    w.h[0] = __builtin_convertvector(low_half(v, half), vd);
    w.h[1] = __builtin_convertvector(high_half(v, half), vd);
#endif
  } else if constexpr (std::is_same_v<C, float>) {
    w.h[0] = __builtin_convertvector(v, vd);
  } else {
    w.h[0] = v;
  }
  return w;
}
template <class C> PYACT_INLINE V<C> narrow(const W<C>& w) {
  if constexpr (std::is_same_v<C, float> && W<C>::R == 2) {
    typedef float half __attribute__((vector_size(sizeof(vd) / 2)));
    return join(__builtin_convertvector(w.h[0], half), __builtin_convertvector(w.h[1], half),
                std::make_index_sequence<Simd<float>::N>{});
  } else if constexpr (std::is_same_v<C, float>) {
    return __builtin_convertvector(w.h[0], vf);
  } else {
    return w.h[0];
  }
}

template <class C> inline C qnan() { return std::numeric_limits<C>::quiet_NaN(); }
template <class C> inline C inf() { return std::numeric_limits<C>::infinity(); }

// --- storage <-> compute vectors ----------------------------------------------------
// Lanes [0, cnt) from p, `stride` elements apart; the other lanes `fill`.
template <class S> inline V<Cmp<S>> ld_lanes(const S* p, int64_t stride, int64_t cnt, Cmp<S> fill) {
  using C = Cmp<S>;
  constexpr int N = Simd<C>::N;
  if (stride == 1 && cnt == N) return load_as(p);
  alignas(64) C buf[N];
  for (int l = 0; l < N; ++l) buf[l] = l < cnt ? static_cast<C>(p[l * stride]) : fill;
  return load(buf);
}
template <class S> inline void st_lanes(S* p, int64_t stride, int64_t cnt, V<Cmp<S>> v) {
  using C = Cmp<S>;
  constexpr int N = Simd<C>::N;
  if (stride == 1 && cnt == N) return store_as(p, v);
  alignas(64) C buf[N];
  store(buf, v);
  for (int l = 0; l < cnt; ++l) p[l * stride] = static_cast<S>(buf[l]);
}

// fn(i, N) over the full vectors of [b, e), then fn(i, rest) for the tail: the full
// calls see a constant count, so their loads and stores are plain vector ones.
template <int N, class F> inline void for_vectors(int64_t b, int64_t e, const F& fn) {
  int64_t i = b;
  for (; i + N <= e; i += N) fn(i, int64_t(N));
  if (i < e) fn(i, e - i);
}

// out[i .. i+cnt) = value(i, cnt) over [b, e), vector by vector, the values of four
// vectors formed before any is stored: their chains (an exp each, in some callers)
// overlap, which a store between them would prevent (out may be an input, so no later
// load may pass it).
template <int N, class S, class F> inline void store_vectors(S* out, int64_t b, int64_t e, const F& value) {
  constexpr int kStep = 4;
  int64_t i = b;
  for (; i + kStep * N <= e; i += kStep * N) {
    decltype(value(i, int64_t(N))) v[kStep];
    for (int k = 0; k < kStep; ++k) v[k] = value(i + k * N, int64_t(N));
    for (int k = 0; k < kStep; ++k) st_lanes(out + i + k * N, 1, N, v[k]);
  }
  for_vectors<N>(i, e, [&](int64_t j, int64_t cnt) { st_lanes(out + j, 1, cnt, value(j, cnt)); });
}

// --- the canonical sum ----------------------------------------------------------------
template <class A> inline A tree16(A* a) {
  for (int w = 8; w >= 1; w /= 2)
    for (int i = 0; i < w; ++i) a[i] = a[i] + a[i + w];
  return a[0];
}

// tree16 of the kLanes accumulators of the row path (kLanes / N W's, lane order): the
// same additions, the levels of stride >= one double vector done as vector adds.
template <class C> PYACT_INLINE double tree_acc(const W<C>* acc) {
  constexpr int ND = Simd<double>::N, NV = kLanes / ND;
  static_assert(kLanes / Simd<C>::N * sizeof(W<C>) == NV * sizeof(vd), "16 float64 lanes");
  constexpr int R = W<C>::R;
  vd v[NV];  // copied register by register: a memcpy here went through the stack
  for (int k = 0; k < NV / R; ++k)
    for (int r = 0; r < R; ++r) v[k * R + r] = acc[k].h[r];
  for (int w = NV / 2; w >= 1; w /= 2)
    for (int i = 0; i < w; ++i) v[i] += v[i + w];
  double a[ND];
  for (int i = 0; i < ND; ++i) a[i] = v[0][i];
  for (int w = ND / 2; w >= 1; w /= 2)
    for (int i = 0; i < w; ++i) a[i] += a[i + w];
  return a[0];
}

// Canonical sum of one chunk [b, e) of a contiguous row: addend(i, cnt) gives elements
// i .. i+cnt-1 to add (cnt <= N, lanes past cnt ignored), in the compute type, and
// keep(i, cnt, v), if given, takes them too (softmax keeps its exponentials in y). Four
// vectors at a time (at least), every addend formed before anything is stored or added:
// the vectors' chains (an exp each, for the forward) overlap, which a store between them
// would prevent (y may be x, so no later load may pass it).
struct NoKeep {
  template <class Vc> void operator()(int64_t, int64_t, Vc) const {}
};
template <class C, class F, class Keep = NoKeep>
double chunk_sum(int64_t b, int64_t e, const F& addend, const Keep& keep = {}) {
  constexpr int N = Simd<C>::N;
  constexpr int KV = kLanes / N;
  W<C> acc[KV];
  for (auto& a : acc) a = neg_zero<C>();
  constexpr int kStep = std::max(4, KV);  // a multiple of KV: vector k goes to acc[k % KV]
  int64_t i = b;
  for (; i + kStep * N <= e; i += kStep * N) {
    V<C> v[kStep];
    for (int k = 0; k < kStep; ++k) v[k] = addend(i + k * N, int64_t(N));
    for (int k = 0; k < kStep; ++k) keep(i + k * N, int64_t(N), v[k]);
    for (int k = 0; k < kStep; ++k) acc[k % KV] += widen<C>(v[k]);
  }
  for (; i < e; i += N) {  // the rest: lanes past the end add -0.0
    const int64_t cnt = std::min<int64_t>(N, e - i);
    const V<C> v = addend(i, cnt);
    keep(i, cnt, v);
    acc[(i - b) / N % KV] += first_lanes<C>(widen<C>(v), cnt);
  }
  return tree_acc<C>(acc);
}

// Calls piece(b, e) over [0, n) split at chunk boundaries: on the threads when `par`.
template <class F> inline void over_chunks(int64_t n, bool par, const F& piece) {
  if (par) parallel_for(n, axis_grain(kRowSplitGrain), kChunk, piece);
  else if (n > 0) piece(0, n);
}

// Canonical sum of a contiguous row of n elements (see chunk_sum for addend and keep).
template <class C, class F, class Keep = NoKeep>
double row_sum(int64_t n, bool par, const F& addend, const Keep& keep = {}) {
  if (n <= kChunk) return chunk_sum<C>(0, n, addend, keep);
  std::vector<double> part((n + kChunk - 1) / kChunk);
  over_chunks(n, par, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; c += kChunk) part[c / kChunk] = chunk_sum<C>(c, std::min(e, c + kChunk), addend, keep);
  });
  double total = -0.0;
  for (double p : part) total += p;
  return total;
}

// The kLanes-accumulator tree of one column vector's canonical chunk sum, over the
// `used` accumulators a chunk filled (the others hold -0.0, which the tree skips: x +
// -0.0 == x).
template <class C> inline W<C> col_tree(W<C>* lanes, int used) {
  int live = used;
  for (int w = 8; w >= 1; w /= 2) {
    for (int i = 0; i + w < live; ++i) lanes[i] += lanes[i + w];
    live = std::min(live, w);
  }
  return lanes[0];
}

// Canonical sums of nv column vectors down n rows: tot[v] for column vector v, from
// contrib(i, v) (a W<C>). Lane by lane the same additions as row_sum.
template <class C, class F> void col_sums(int64_t n, int64_t nv, W<C>* tot, const F& contrib) {
  constexpr int64_t NV = kColBlock / Simd<C>::N;
  const W<C> neg0 = neg_zero<C>();
  for (int64_t v = 0; v < nv; ++v) tot[v] = neg0;
  W<C> lanes[kLanes];
  if (n > 0 && n <= kLanes) {
    // One addend per accumulator (-0.0 + a == a): straight into the tree, column vector by
    // column vector, without the accumulators' round trip through memory (the short rows
    // that via_columns transposes: (4096, 10) softmax and log_softmax 0.71-0.77x the time).
    for (int64_t v = 0; v < nv; ++v) {
      for (int j = 0; j < n; ++j) lanes[j] = contrib(j, v);
      tot[v] += col_tree<C>(lanes, static_cast<int>(n));
    }
    return;
  }
  // Longer columns: rows in order (the prefetcher follows them), all accumulators of the
  // block in memory.
  W<C> acc[kLanes][NV];
  for (int64_t cs = 0; cs < n; cs += kChunk) {
    const int64_t ce = std::min(n, cs + kChunk);
    const int used = static_cast<int>(std::min<int64_t>(kLanes, ce - cs));
    for (int j = 0; j < used; ++j)
      for (int64_t v = 0; v < nv; ++v) acc[j][v] = neg0;
    for (int64_t i = cs; i < ce; ++i) {
      W<C>* a = acc[(i - cs) % kLanes];
      for (int64_t v = 0; v < nv; ++v) a[v] += contrib(i, v);
    }
    for (int64_t v = 0; v < nv; ++v) {
      for (int j = 0; j < used; ++j) lanes[j] = acc[j][v];
      tot[v] += col_tree<C>(lanes, used);
    }
  }
}

// Runs a row kernel fn(row, par) over `rows` rows of length n: many rows share the
// threads; a few long rows are each split across the threads, chunk by chunk.
template <class F> void for_rows(int64_t rows, int64_t n, const F& fn) {
  if (rows >= thread_count() || n < 2 * kChunk) {
    parallel_for(rows, std::max<int64_t>(1, axis_grain() / std::max<int64_t>(n, 1)), 1, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) fn(r, false);
    });
  } else {
    for (int64_t r = 0; r < rows; ++r) fn(r, true);
  }
}

// Runs fn(o, c0, cols) over every block of up to kColBlock columns of every outer slab.
template <class F> void for_col_blocks(int64_t outer, int64_t n, int64_t inner, const F& fn) {
  const int64_t blocks = (inner + kColBlock - 1) / kColBlock;
  const int64_t per_task = std::max<int64_t>(n, 1) * std::min(inner, kColBlock);
  parallel_for(outer * blocks, std::max<int64_t>(1, axis_grain() / per_task), 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / blocks, c0 = (t % blocks) * kColBlock;
      fn(o, c0, std::min(kColBlock, inner - c0));
    }
  });
}

// --- softmax, log_softmax, softmin ------------------------------------------------------
enum Kind : int { kSoftmax = 0, kLogSoftmax = 1, kSoftmin = 2 };

template <class C, int K> struct SoftmaxMath {
  using Vc = V<C>;
  // The value the row is taken of: softmin is softmax(-x) (negation is exact).
  static Vc z(Vc x) { return K == kSoftmin ? -x : x; }
  // The exponent argument: 0 at the max (also when the max is +inf), else z - max.
  static Vc arg(Vc z, Vc m) { return select(z == m, Vc{}, z - m); }
  // From the canonical sum s of exp(arg): the scale (1/s) or the shift (log s).
  static double coef(double s) { return K == kLogSoftmax ? std::log(s) : 1.0 / s; }
  static Vc out(Vc a, Vc e, Vc coef) { return K == kLogSoftmax ? a - coef : e * coef; }
};

// Forward of one contiguous row x[0..n) into y (y may be x).
template <class S, int K> void softmax_row(const S* x, S* y, int64_t n, bool par) {
  using C = Cmp<S>;
  using Vc = V<C>;
  using Mc = M<C>;
  using F = SoftmaxMath<C, K>;
  constexpr int N = Simd<C>::N;
  // Keeping exp in y spares the second exp; not for float16 (y would round it).
  constexpr bool kKeepExp = K != kLogSoftmax && std::is_same_v<S, C>;
  const C pad = K == kSoftmin ? inf<C>() : -inf<C>();  // z of a padding lane is -inf
  auto z = [&](const S* p, int64_t i, int64_t cnt) { return F::z(ld_lanes(p + i, 1, cnt, pad)); };

  // Pass 1: the max (order-free) and whether the row holds NaN.
  auto scan = [&](int64_t b, int64_t e, C& mx, bool& nan) {
    Vc m = set1(-inf<C>());
    Mc bad{};
    for_vectors<N>(b, e, [&](int64_t i, int64_t cnt) {
      const Vc v = z(x, i, cnt);
      bad |= is_nan(v);
      m = select(v > m, v, m);
    });
    mx = -inf<C>();
    nan = false;
    for (int l = 0; l < N; ++l) { mx = std::max(mx, m[l]); nan |= bad[l] != 0; }
  };
  C mx;
  bool nan;
  if (!par) {
    scan(0, n, mx, nan);
  } else {
    const int64_t pieces = (n + kChunk - 1) / kChunk;
    std::vector<C> piece_max(pieces, -inf<C>());
    std::vector<char> piece_nan(pieces, 0);
    over_chunks(n, true, [&](int64_t b, int64_t e) {
      bool pn;
      scan(b, e, piece_max[b / kChunk], pn);
      piece_nan[b / kChunk] = pn;
    });
    mx = *std::max_element(piece_max.begin(), piece_max.end());
    nan = std::find(piece_nan.begin(), piece_nan.end(), 1) != piece_nan.end();
  }
  if (mx == -inf<C>() || nan) {
    std::fill(y, y + n, static_cast<S>(qnan<C>()));
    return;
  }
  const Vc m = set1(mx);

  // Pass 2: the canonical sum of exp(arg).
  auto exp_arg = [&](int64_t i, int64_t cnt) { return exp_nonpos(F::arg(z(x, i, cnt), m)); };
  double s;
  if constexpr (kKeepExp) s = row_sum<C>(n, par, exp_arg, [&](int64_t i, int64_t cnt, Vc e) { st_lanes(y + i, 1, cnt, e); });
  else s = row_sum<C>(n, par, exp_arg);

  // Pass 3: scale (softmax) or shift (log_softmax).
  const Vc coef = set1(C(F::coef(s)));
  over_chunks(n, par, [&](int64_t b, int64_t e) {
    store_vectors<N>(y, b, e, [&](int64_t i, int64_t cnt) {
      if constexpr (kKeepExp) return ld_lanes(y + i, 1, cnt, C(0)) * coef;
      const Vc a = F::arg(z(x, i, cnt), m);
      return F::out(a, K == kLogSoftmax ? a : exp_nonpos(a), coef);
    });
  });
}

// Forward down the strided axis for `cols` columns: x and y point at (o, 0, c0).
template <class S, int K> void softmax_cols(const S* x, S* y, int64_t n, int64_t inner, int64_t cols) {
  using C = Cmp<S>;
  using Vc = V<C>;
  using Mc = M<C>;
  using F = SoftmaxMath<C, K>;
  constexpr int N = Simd<C>::N;
  constexpr int64_t NV = kColBlock / N;
  const int64_t nv = (cols + N - 1) / N;
  auto cnt = [&](int64_t v) { return std::min<int64_t>(N, cols - v * N); };
  auto z = [&](int64_t i, int64_t v) { return F::z(ld_lanes(x + i * inner + v * N, 1, cnt(v), C(0))); };

  Vc m[NV];
  Mc bad[NV];
  for (int64_t v = 0; v < nv; ++v) { m[v] = set1(-inf<C>()); bad[v] = Mc{}; }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t v = 0; v < nv; ++v) {
      const Vc zv = z(i, v);
      bad[v] |= is_nan(zv);
      m[v] = select(zv > m[v], zv, m[v]);
    }

  // Keeping exp in y spares the second exp; not for float16 (y would round it).
  constexpr bool kKeepExp = K != kLogSoftmax && std::is_same_v<S, C>;
  W<C> tot[NV];
  col_sums<C>(n, nv, tot, [&](int64_t i, int64_t v) {
    const Vc e = exp_nonpos(F::arg(z(i, v), m[v]));
    if constexpr (kKeepExp) st_lanes(y + i * inner + v * N, 1, cnt(v), e);
    return widen<C>(e);
  });

  Vc coef[NV];
  for (int64_t v = 0; v < nv; ++v) {
    double c[N];
    for (int l = 0; l < N; ++l) c[l] = F::coef(tot[v].lane(l));
    W<C> w;
    std::memcpy(w.h, c, sizeof c);
    coef[v] = narrow<C>(w);
    bad[v] |= m[v] == -inf<C>();
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t v = 0; v < nv; ++v) {
      Vc r;
      if constexpr (kKeepExp) {
        r = ld_lanes(y + i * inner + v * N, 1, cnt(v), C(0)) * coef[v];
      } else {
        const Vc a = F::arg(z(i, v), m[v]);
        r = F::out(a, K == kLogSoftmax ? a : exp_nonpos(a), coef[v]);
      }
      st_lanes(y + i * inner + v * N, 1, cnt(v), select(bad[v], qnan<C>(), r));
    }
}

// Backward from y. softmax: g - Σg·y scaled by y (softmin: the negative);
// log_softmax: g - e^y·Σg. The sums are canonical sums in float64 of g·y rounded to the
// compute type: |error| <= 2^-24·Σ|g·y| <= 2^-24·max|g| (Σy = 1), below the rounding of
// g - Σg·y itself, and 8-20 % faster than exact float64 products (4 converts, 2 float64
// multiplies per 8 floats; docs/PERFORMANCE.md). float16 products are exact in float32.
template <class C, int K> struct SoftmaxGrad {
  using Vc = V<C>;
  static Vc addend(Vc g, Vc y) {
    if constexpr (K == kLogSoftmax) { (void)y; return g; }
    else return g * y;
  }
  static Vc out(Vc g, Vc y, Vc s) {
    if constexpr (K == kLogSoftmax) return g - exp(y) * s;
    else if constexpr (K == kSoftmin) return y * (s - g);
    else return y * (g - s);
  }
};

template <class S, int K> void softmax_grad_row(const S* g, const S* y, S* out, int64_t n, bool par) {
  using C = Cmp<S>;
  using Vc = V<C>;
  using F = SoftmaxGrad<C, K>;
  constexpr int N = Simd<C>::N;
  auto ldv = [&](const S* p, int64_t i, int64_t cnt) { return ld_lanes(p + i, 1, cnt, C(0)); };
  const double s = row_sum<C>(n, par, [&](int64_t i, int64_t cnt) { return F::addend(ldv(g, i, cnt), ldv(y, i, cnt)); });
  const Vc sv = set1(C(s));
  over_chunks(n, par, [&](int64_t b, int64_t e) {
    store_vectors<N>(out, b, e, [&](int64_t i, int64_t cnt) { return F::out(ldv(g, i, cnt), ldv(y, i, cnt), sv); });
  });
}

template <class S, int K> void softmax_grad_cols(const S* g, const S* y, S* out, int64_t n, int64_t inner, int64_t cols) {
  using C = Cmp<S>;
  using Vc = V<C>;
  using F = SoftmaxGrad<C, K>;
  constexpr int N = Simd<C>::N;
  constexpr int64_t NV = kColBlock / N;
  const int64_t nv = (cols + N - 1) / N;
  auto ldv = [&](const S* p, int64_t i, int64_t v) {
    return ld_lanes(p + i * inner + v * N, 1, std::min<int64_t>(N, cols - v * N), C(0));
  };
  W<C> tot[NV];
  col_sums<C>(n, nv, tot, [&](int64_t i, int64_t v) { return widen<C>(F::addend(ldv(g, i, v), ldv(y, i, v))); });
  Vc sv[NV];
  for (int64_t v = 0; v < nv; ++v) sv[v] = narrow<C>(tot[v]);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t v = 0; v < nv; ++v)
      st_lanes(out + i * inner + v * N, 1, std::min<int64_t>(N, cols - v * N), F::out(ldv(g, i, v), ldv(y, i, v), sv[v]));
}

// --- rows kept on the stack (inner == 1, n <= kKeepRow<C>) ------------------------------
// One row at a time, without the per-row machinery of softmax_row: x is read once into a
// stack buffer, the sum is one canonical chunk (n <= kChunk), so the bits are those of
// softmax_row and of the column path. Vector loads past the row end (where `avail`, the
// elements readable from the row start, allows) are masked to the padding value.
// On AVX-512, rows of up to 16 KiB in the compute type (the buffer and the row's output
// stay in L1); elsewhere up to 1024 elements. Xeon, one thread, against softmax_row's
// three passes: on AVX-512 float32 rows of 1025-4096 took 0.75-0.97x the time, float16
// 0.65x, float64 rows of 1025-2048 0.88-1.0x (3000-4096: 1.0-1.06x, hence the bytes);
// on AVX2 0.95-0.97x, but on SSE4 1.12-1.14x (16 registers).
#if defined(PYACT_TARGET_AVX512)
template <class C> constexpr int64_t kKeepRow = std::min<int64_t>(kChunk, 16384 / sizeof(C));
#else
template <class C> constexpr int64_t kKeepRow = 1024;
#endif

template <class S> PYACT_INLINE V<Cmp<S>> ld_row(const S* p, int64_t i, int64_t n, int64_t avail, Cmp<S> fill) {
  using C = Cmp<S>;
  constexpr int N = Simd<C>::N;
  if (i + N <= n) return load_as(p + i);
  if (i + N <= avail) return select(iota<V<C>>() < C(n - i), load_as(p + i), fill);
  return ld_lanes(p + i, 1, n - i, fill);
}
template <class S> PYACT_INLINE void st_row(S* p, int64_t i, int64_t n, V<Cmp<S>> v) {
  if (i + Simd<Cmp<S>>::N <= n) store_as(p + i, v);
  else st_lanes(p + i, 1, n - i, v);
}
// At step j of a loop over the vectors of G rows of n elements: prefetches of the lines
// of G vectors' worth of the G rows at p, in turn, at the pace the loop reads its own
// (a burst ahead of it took the line fill buffers its stores needed: softmax backward
// 1.08-1.16x the time on AVX2, where a vector is half a line).
template <int G, int kWrite = 0, class S> PYACT_INLINE void prefetch_lines(const S* p, int64_t j, int64_t n) {
  constexpr int64_t kLine = 64 / sizeof(S), N = Simd<Cmp<S>>::N;
  static_assert(kLine % N == 0, "whole vectors per line");
  for (int g = 0; g < G; ++g) {
    const int64_t at = (j * G + g) * N;
    if (at % kLine == 0 && at < G * n) __builtin_prefetch(p + at, kWrite, 3);
  }
}
template <class C> PYACT_INLINE C hmax(V<C> v) {
  constexpr int N = Simd<C>::N;
  C a[N];
  std::memcpy(a, &v, sizeof a);
  for (int w = N / 2; w >= 1; w /= 2)
    for (int i = 0; i < w; ++i) a[i] = std::max(a[i], a[i + w]);
  return a[0];
}

// G rows at once (G > 1 for shorter rows, see for_kept_rows): the stages of G rows are
// interleaved, so that the latency of one row's chain (max, exp, sum, divide, scale)
// overlaps the others'. Forward: 4 rows up to kGroupRow elements; with 16 lanes a vector
// (float32 and float16 on AVX-512), 2 above kPairRowFrom up to kPairRow. Measured on rows
// of 96-640, one thread: pairs took 0.84-0.97x the time on rows of 160-512 there, 1.03-
// 1.07x on rows of 128, and 0.97-1.05x (avx2 float32), 0.97-1.21x (avx512 float64) on
// rows of 160-512. Backward, whose chain is shorter: 4 rows up to kGroupGradRow, 2 up to
// kPairGradRow (measured on rows of 16-256: 2 rows of 128 or more were slower than one).
constexpr int64_t kGroupRow = 64;
constexpr int64_t kPairRowFrom = 144;
constexpr int64_t kPairRow = 512;
template <class C> constexpr int64_t kPairRowOf = Simd<C>::N >= 16 ? kPairRow : 0;
constexpr int64_t kGroupGradRow = 32;
constexpr int64_t kPairGradRow = 112;
constexpr int kGroup = 4;

template <class S, int K, int G> void softmax_kept_rows(const S* x, S* y, int64_t n, int64_t avail) {
  using C = Cmp<S>;
  using Vc = V<C>;
  using F = SoftmaxMath<C, K>;
  constexpr int N = Simd<C>::N;
  constexpr int KS = kLanes / N;
  constexpr int64_t kMax = G == 1 ? kKeepRow<C> : G == 2 ? kPairRow : kGroupRow;
  const C pad = K == kSoftmin ? inf<C>() : -inf<C>();  // z of a padding lane is -inf
  const int64_t nv = (n + N - 1) / N;
  const int64_t nfull = n / N;  // vectors without padding lanes: plain loads and stores
  Vc buf[G][kMax / N];
  Vc m[G];
  for (int g = 0; g < G; ++g) m[g] = set1(-inf<C>());
  auto keep = [&](int g, int64_t j, Vc v) {
    buf[g][j] = v;
    m[g] = select(v > m[g], v, m[g]);  // NaN never wins: it shows in the sum below
  };
  for (int64_t j = 0; j < nfull; ++j)
    for (int g = 0; g < G; ++g) keep(g, j, F::z(load_as(x + g * n + j * N)));
  for (int64_t j = nfull; j < nv; ++j)
    for (int g = 0; g < G; ++g) keep(g, j, F::z(ld_row(x + g * n, j * N, n, avail - g * n, pad)));
  C mx[G];
  W<C> acc[G][KS];
  for (int g = 0; g < G; ++g) {
    mx[g] = hmax<C>(m[g]);
    m[g] = set1(mx[g]);
    for (auto& a : acc[g]) a = neg_zero<C>();
  }
  // The next group's rows, while this one's exponentials keep the core busy: their lines
  // arrive during arithmetic rather than stalling the loads of its first pass.
  const S* next = avail > G * n ? x + G * n : nullptr;
  // Vector j goes to accumulator k = j mod KS (k a constant in the unrolled loops).
  auto exp_step = [&](int64_t j, int k, bool partial) {
    if (next) prefetch_lines<G>(next, j, n), prefetch_lines<G, 1>(y + G * n, j, n);
    for (int g = 0; g < G; ++g) {
      const Vc a = F::arg(buf[g][j], m[g]), e = exp_nonpos(a);
      buf[g][j] = K == kLogSoftmax ? a : e;
      acc[g][k] += partial ? first_lanes<C>(widen<C>(e), n - j * N) : widen<C>(e);
    }
  };
  int64_t j0 = 0;
  for (; j0 + KS <= nfull; j0 += KS)
    for (int k = 0; k < KS; ++k) exp_step(j0 + k, k, false);
  for (int k = 0; k < KS; ++k)  // a fixed trip count, unrolled: k stays a constant
    if (j0 + k < nv) exp_step(j0 + k, k, j0 + k >= nfull);
  bool ok[G];
  for (int g = 0; g < G; ++g) {
    const double s = tree_acc<C>(acc[g]);
    // NaN in the row makes s NaN; a row of -inf only has mx = -inf.
    ok[g] = s == s && mx[g] != -inf<C>();
    m[g] = set1(C(F::coef(s)));
  }
  for (int g = 0; g < G; ++g) {
    if (!ok[g]) {
      std::fill(y + g * n, y + (g + 1) * n, static_cast<S>(qnan<C>()));
      continue;
    }
    auto out = [&](int64_t j) { return K == kLogSoftmax ? buf[g][j] - m[g] : buf[g][j] * m[g]; };
    for (int64_t j = 0; j < nfull; ++j) store_as(y + g * n + j * N, out(j));
    if (nfull < nv) st_row(y + g * n, nfull * N, n, out(nfull));
  }
}

template <class S, int K, int G> void softmax_grad_kept_rows(const S* g, const S* y, S* out, int64_t n, int64_t avail) {
  using C = Cmp<S>;
  using Vc = V<C>;
  using F = SoftmaxGrad<C, K>;
  constexpr int N = Simd<C>::N;
  constexpr int KS = kLanes / N;
  const int64_t nv = (n + N - 1) / N;
  W<C> acc[G][KS];
  for (int r = 0; r < G; ++r)
    for (auto& a : acc[r]) a = neg_zero<C>();
  Vc sv[G];
  // Vector i..i+N of every row, where it may be partial: added to accumulator k (lanes
  // past the row's end as -0.0), or turned into the output. (always_inline: GCC called
  // them out of line, and rows with a partial vector took 12-16 % longer.)
  auto add_any = [&](int64_t i, int k) __attribute__((always_inline)) {
    for (int r = 0; r < G; ++r) {
      const int64_t av = avail - r * n;
      const W<C> w = widen<C>(F::addend(ld_row(g + r * n, i, n, av, C(0)), ld_row(y + r * n, i, n, av, C(0))));
      acc[r][k] += i + N <= n ? w : first_lanes<C>(w, n - i);
    }
  };
  auto out_any = [&](int64_t i) __attribute__((always_inline)) {
    for (int r = 0; r < G; ++r) {
      const int64_t av = avail - r * n;
      st_row(out + r * n, i, n, F::out(ld_row(g + r * n, i, n, av, C(0)), ld_row(y + r * n, i, n, av, C(0)), sv[r]));
    }
  };
  auto sums = [&]() __attribute__((always_inline)) {
    for (int r = 0; r < G; ++r) sv[r] = set1(C(tree_acc<C>(acc[r])));
  };
  if constexpr (G <= 2) {
    // Rows of more than kGroupGradRow: the full vectors in plain loops, the partial one
    // after them (6-25 % faster than a test per vector on rows of 65-1000; on rows of up
    // to 32, G = 4 below, it was slower).
    const int64_t nfull = n / N;
    int64_t j0 = 0;
    for (; j0 + KS <= nfull; j0 += KS)
      for (int k = 0; k < KS; ++k)
        for (int r = 0; r < G; ++r)
          acc[r][k] += widen<C>(F::addend(load_as(g + r * n + (j0 + k) * N), load_as(y + r * n + (j0 + k) * N)));
    for (int k = 0; k < KS; ++k)  // a fixed trip count, unrolled: k stays a constant
      if (j0 + k < nv) add_any((j0 + k) * N, k);
    sums();
    // Four vectors' outputs (of the G rows) formed before any is stored, as in
    // store_vectors: log_softmax's exps overlap.
    constexpr int kStep = 4 / G;
    auto out_at = [&](int64_t j, int r) { return F::out(load_as(g + r * n + j * N), load_as(y + r * n + j * N), sv[r]); };
    // The next group's lines, while this pass reads what the first one left in L1 (as in
    // softmax_kept_rows).
    const bool ahead = avail > G * n;
    int64_t j = 0;
    for (; j + kStep <= nfull; j += kStep) {
      if (ahead)
        for (int k = 0; k < kStep; ++k)
          prefetch_lines<G>(g + G * n, j + k, n), prefetch_lines<G>(y + G * n, j + k, n),
              prefetch_lines<G, 1>(out + G * n, j + k, n);
      Vc v[kStep][G];
      for (int k = 0; k < kStep; ++k)
        for (int r = 0; r < G; ++r) v[k][r] = out_at(j + k, r);
      for (int k = 0; k < kStep; ++k)
        for (int r = 0; r < G; ++r) store_as(out + r * n + (j + k) * N, v[k][r]);
    }
    for (; j < nfull; ++j)
      for (int r = 0; r < G; ++r) store_as(out + r * n + j * N, out_at(j, r));
    if (nfull < nv) out_any(nfull * N);
  } else {
    for (int64_t j0 = 0; j0 < nv; j0 += KS)
      for (int k = 0; k < KS && j0 + k < nv; ++k) add_any((j0 + k) * N, k);
    sums();
    for (int64_t i = 0; i < n; i += N) out_any(i);
  }
}

// Runs the kept-row kernel fn<G>(row, avail) over `rows` rows of length n on the
// threads: kGroup rows at a time up to GroupRow elements, then (the rest of them too)
// 2 at a time above PairFrom up to PairRow, then one by one; avail stops at the end of
// the thread's own rows, so no load reaches into another thread's rows.
template <int64_t GroupRow, int64_t PairFrom, int64_t PairRow, class F>
void for_kept_rows(int64_t rows, int64_t n, const F& fn) {
  parallel_for(rows, std::max<int64_t>(1, axis_grain() / n), 1, [&](int64_t b, int64_t e) {
    int64_t r = b;
    if (n <= GroupRow)
      for (; r + kGroup <= e; r += kGroup) fn(std::integral_constant<int, kGroup>{}, r, (e - r) * n);
    if constexpr (PairRow > 0)
      if (n > PairFrom && n <= PairRow)
        for (; r + 2 <= e; r += 2) fn(std::integral_constant<int, 2>{}, r, (e - r) * n);
    for (; r < e; ++r) fn(std::integral_constant<int, 1>{}, r, (e - r) * n);
  });
}

// Short rows (n <= kShortRow, inner == 1): kColBlock rows at a time are transposed into
// a stack buffer, where each row is a column, and run through the column kernel: the
// same canonical sums lane by lane, so the same bits, without a per-row overhead.
// in: Arity arrays of rows; cols(in_buffers..., out_buffer, n, inner, cols).
constexpr int64_t kShortRow = 32;

// Whether `rows` rows of n elements go through the column kernel rather than as kept
// rows: where a kept row would leave over a fifth of its vector lanes idle and there are
// rows enough to pay for the transposes. Measured on rows of 3-32, 2-8192 rows (1 thread,
// in-process A/B): kept rows win on rows of 16, 20, 24, 32 and on fewer than 16 rows
// (0.23-0.85x the time), the columns on rows of 3, 10, 12 (0.55-0.85x).
// Softmax's backward, whose products cost less than the transposes' reads, goes by
// columns only on rows of at most half a vector on AVX-512, where a kept row's partial
// vector is one masked load or store. Elsewhere that vector is a round trip through the
// stack, and the columns win on rows of up to kLanes (their sums go straight into the
// tree, col_sums) while the arrays stay in cache: 4096 rows of 3-10 took 0.64-0.87x the
// time on SSE4 and AVX2; rows of 17 and 19 took 1.3-1.4x, and 60,000 or more rows of 10
// took 1.08-1.3x, where the transposes' tile reads miss (docs/PERFORMANCE.md).
constexpr int64_t kColumnsCached = 1 << 18;  // elements of an array
template <class C> bool via_columns(int64_t rows, int64_t n, bool exp_per_element) {
  if (rows < 16 || n > kShortRow) return false;
  constexpr int64_t N = Simd<C>::N;
  const int64_t lanes = (n + N - 1) / N * N;
  const bool idle = 5 * (lanes - n) > lanes;
  if (exp_per_element) return idle;
#if defined(PYACT_TARGET_AVX512)
  return 2 * n <= N;
#else
  return idle && n <= kLanes && rows * n <= kColumnsCached;
#endif
}

// The N x N transpose of N vectors in registers: log2(N) stages; stage S swaps the
// off-diagonal S x S blocks of every 2S x 2S block (lane i of a pair (a, b) of vectors
// S apart: a keeps i and takes b's i - S where i & S; b gives a its i + S).
template <int S, int N> constexpr int swap_lo(int i) { return (i & S) ? N + i - S : i; }
template <int S, int N> constexpr int swap_hi(int i) { return (i & S) ? N + i : i + S; }
template <int S, class Vec, size_t... I> PYACT_INLINE void swap_blocks(Vec& a, Vec& b, std::index_sequence<I...>) {
  constexpr int N = sizeof...(I);
  const Vec lo = __builtin_shufflevector(a, b, swap_lo<S, N>(I)...);
  b = __builtin_shufflevector(a, b, swap_hi<S, N>(I)...);
  a = lo;
}
template <int S = 0, class Vec, int N> PYACT_INLINE void transpose(Vec (&v)[N]) {
  constexpr int St = S == 0 ? N / 2 : S;
  if constexpr (St >= 1) {
    for (int j = 0; j < N; ++j)
      if (!(j & St)) swap_blocks<St>(v[j], v[j + St], std::make_index_sequence<N>{});
    if constexpr (St > 1) transpose<St / 2>(v);
  }
}

// dst[c * dst_stride + r] = src[r * src_stride + c] for r < rows, c < cols, N x N tiles
// in registers where whole (src reads may run past a row's cols, up to src_end).
template <class S>
void transpose_copy(const S* src, int64_t src_stride, const S* src_end, S* dst, int64_t dst_stride, int64_t rows, int64_t cols) {
  using Vc = V<Cmp<S>>;
  constexpr int N = Simd<Cmp<S>>::N;
  int64_t r = 0;
  if constexpr (N > 1)
    for (; r + N <= rows; r += N)
      for (int64_t c = 0; c < cols; c += N) {
        const int64_t w = std::min<int64_t>(N, cols - c);
        if (src + (r + N - 1) * src_stride + c + N > src_end) {  // the last tile: by element
          for (int64_t k = 0; k < N; ++k)
            for (int64_t l = 0; l < w; ++l) dst[(c + l) * dst_stride + r + k] = src[(r + k) * src_stride + c + l];
          continue;
        }
        Vc v[N];
        for (int k = 0; k < N; ++k) v[k] = load_as(src + (r + k) * src_stride + c);
        transpose(v);
        for (int l = 0; l < w; ++l) store_as(dst + (c + l) * dst_stride + r, v[l]);
      }
  for (; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[c * dst_stride + r] = src[r * src_stride + c];
}

template <class S, int Arity, class F>
void short_rows(const S* const* in, S* out, int64_t rows, int64_t n, const F& cols) {
  parallel_for(rows, std::max<int64_t>(1, axis_grain() / n), 1, [&](int64_t b, int64_t e) {
    alignas(64) S buf[Arity + 1][kShortRow * kColBlock];
    for (int64_t r0 = b; r0 < e; r0 += kColBlock) {
      const int64_t m = std::min(kColBlock, e - r0);
      for (int a = 0; a < Arity; ++a)
        transpose_copy(in[a] + r0 * n, n, in[a] + e * n, buf[a], m, m, n);
      if constexpr (Arity == 1) cols(buf[0], buf[1], n, m, m);
      else cols(buf[0], buf[1], buf[2], n, m, m);
      transpose_copy(buf[Arity], m, buf[Arity] + n * m, out + r0 * n, n, n, m);
    }
  });
}

// A strided axis with few columns (inner < N, where the column kernel leaves lanes idle,
// or too few column blocks to give every thread one while the columns are long): the
// columns are copied out as contiguous rows, run through the row path (in place) and
// copied back. The same bits (a row's bits never depend on the layout), all lanes busy,
// and one long column is split across the threads like one long row.
template <class S> bool use_rows(int64_t outer, int64_t n, int64_t inner) {
  if (inner == 1) return false;
  if (inner < Simd<Cmp<S>>::N) return true;
  return inner <= kColBlock && n >= 2 * kChunk && outer < thread_count();
}
template <class S, int Arity, class F>
void via_rows(const S* const* in, S* out, int64_t outer, int64_t n, int64_t inner, const F& rows) {
  const int64_t total = outer * n * inner;
  std::unique_ptr<S[]> t(new S[Arity * total]);  // uninitialised: every element is written
  const int64_t grain = std::max<int64_t>(1, axis_grain() / inner);
  parallel_for(outer * n, grain, 1, [&](int64_t b, int64_t e) {
    for (int64_t q = b, o = b / n, i = b - o * n; q < e; ++q) {
      for (int a = 0; a < Arity; ++a)
        for (int64_t c = 0; c < inner; ++c) t[a * total + (o * inner + c) * n + i] = in[a][q * inner + c];
      if (++i == n) i = 0, ++o;
    }
  });
  rows(t.get(), t.get() + (Arity - 1) * total, outer * inner);
  parallel_for(outer * n, grain, 1, [&](int64_t b, int64_t e) {
    for (int64_t q = b, o = b / n, i = b - o * n; q < e; ++q) {
      for (int64_t c = 0; c < inner; ++c) out[q * inner + c] = t[(o * inner + c) * n + i];
      if (++i == n) i = 0, ++o;
    }
  });
}

template <class S, int K>
void softmax_fwd(const void* const* in, void* out, int64_t outer, int64_t n, int64_t inner, const double*) {
  const S* x = static_cast<const S*>(in[0]);
  S* y = static_cast<S*>(out);
  if (use_rows<S>(outer, n, inner)) {
    const S* ins[1] = {x};
    via_rows<S, 1>(ins, y, outer, n, inner, [&](S* t, S*, int64_t rows) {
      const void* tin[1] = {t};
      softmax_fwd<S, K>(tin, t, rows, n, 1, nullptr);
    });
  } else if (inner == 1 && via_columns<Cmp<S>>(outer, n, true)) {
    const S* ins[1] = {x};
    short_rows<S, 1>(ins, y, outer, n, softmax_cols<S, K>);
  } else if (inner == 1 && n <= kKeepRow<Cmp<S>>) {
    for_kept_rows<kGroupRow, kPairRowFrom, kPairRowOf<Cmp<S>>>(outer, n, [&](auto G, int64_t r, int64_t avail) {
      softmax_kept_rows<S, K, G()>(x + r * n, y + r * n, n, avail);
    });
  } else if (inner == 1) {
    for_rows(outer, n, [&](int64_t r, bool par) { softmax_row<S, K>(x + r * n, y + r * n, n, par); });
  } else {
    for_col_blocks(outer, n, inner, [&](int64_t o, int64_t c0, int64_t cols) {
      const int64_t off = o * n * inner + c0;
      softmax_cols<S, K>(x + off, y + off, n, inner, cols);
    });
  }
}

template <class S, int K>
void softmax_bwd(const void* const* in, void* out, int64_t outer, int64_t n, int64_t inner, const double*) {
  const S* g = static_cast<const S*>(in[0]);
  const S* y = static_cast<const S*>(in[1]);
  S* o = static_cast<S*>(out);
  if (use_rows<S>(outer, n, inner)) {
    const S* ins[2] = {g, y};
    via_rows<S, 2>(ins, o, outer, n, inner, [&](S* tg, S* ty, int64_t rows) {
      const void* tin[2] = {tg, ty};
      softmax_bwd<S, K>(tin, tg, rows, n, 1, nullptr);
    });
  } else if (inner == 1 && via_columns<Cmp<S>>(outer, n, K == kLogSoftmax)) {
    const S* ins[2] = {g, y};
    short_rows<S, 2>(ins, o, outer, n, softmax_grad_cols<S, K>);
  } else if (inner == 1 && n <= kChunk) {
    for_kept_rows<kGroupGradRow, 0, kPairGradRow>(outer, n, [&](auto G, int64_t r, int64_t avail) {
      softmax_grad_kept_rows<S, K, G()>(g + r * n, y + r * n, o + r * n, n, avail);
    });
  } else if (inner == 1) {
    for_rows(outer, n, [&](int64_t r, bool par) { softmax_grad_row<S, K>(g + r * n, y + r * n, o + r * n, n, par); });
  } else {
    for_col_blocks(outer, n, inner, [&](int64_t s, int64_t c0, int64_t cols) {
      const int64_t off = s * n * inner + c0;
      softmax_grad_cols<S, K>(g + off, y + off, o + off, n, inner, cols);
    });
  }
}

// --- elementwise pieces: glu, maxout ------------------------------------------------------
// Both are elementwise across lanes, so any split of the work gives the same bits.

// Calls fn(q, o, r, cnt) for runs of up to N consecutive indices q of a flat range
// [0, rows * len) that stay inside one row o (r: position in that row).
template <int N, class F> void for_runs(int64_t rows, int64_t len, const F& fn) {
  parallel_for(rows * len, axis_grain(), N, [&](int64_t b, int64_t e) {
    int64_t o = b / len, r = b - o * len;  // one division per piece, not one per vector
    for (int64_t q = b; q < e;) {
      const int64_t cnt = std::min<int64_t>({N, e - q, len - r});
      fn(q, o, r, cnt);
      q += cnt;
      if ((r += cnt) == len) r = 0, ++o;
    }
  });
}

// glu: x is (outer, 2h, inner); a = first half, b = second half, y = a·sigmoid(b).
template <class S> void glu_fwd(const void* const* in, void* out, int64_t outer, int64_t n, int64_t inner, const double*) {
  using C = Cmp<S>;
  using Vc = V<C>;
  const S* x = static_cast<const S*>(in[0]);
  S* y = static_cast<S*>(out);
  const int64_t half = n / 2 * inner;
  for_runs<Simd<C>::N>(outer, half, [&](int64_t q, int64_t o, int64_t r, int64_t cnt) {
    const S* pa = x + o * 2 * half + r;
    const Vc a = ld_lanes(pa, 1, cnt, C(0)), b = ld_lanes(pa + half, 1, cnt, C(0));
    st_lanes(y + q, 1, cnt, select(is_nan(a) | is_nan(b), a + b, a * vm::sigmoid(b)));
  });
}

// dL/da = g·σ(b), dL/db = g·a·σ(b)·σ(−b) (σ(b)·σ(−b), not σ(1−σ), keeps the tail for b ≫ 0).
template <class S> void glu_bwd(const void* const* in, void* out, int64_t outer, int64_t n, int64_t inner, const double*) {
  using C = Cmp<S>;
  using Vc = V<C>;
  const S* g = static_cast<const S*>(in[0]);
  const S* x = static_cast<const S*>(in[1]);
  S* gx = static_cast<S*>(out);
  const int64_t half = n / 2 * inner;
  for_runs<Simd<C>::N>(outer, half, [&](int64_t q, int64_t o, int64_t r, int64_t cnt) {
    const int64_t off = o * 2 * half + r;
    const Vc a = ld_lanes(x + off, 1, cnt, C(0)), b = ld_lanes(x + off + half, 1, cnt, C(0));
    const Vc gv = ld_lanes(g + q, 1, cnt, C(0));
    const Vc e = exp_nonpos(neg_abs(b));  // one exponential for both factors
    const Vc s = vm::sigmoid_from(b, e), ds = vm::sigmoid_deriv_from(e);
    const auto bad = is_nan(a) | is_nan(b);
    st_lanes(gx + off, 1, cnt, select(bad, a + b, gv * s));
    st_lanes(gx + off + half, 1, cnt, select(bad, a + b, gv * (a * ds)));
  });
}

// maxout: x is (outer, G·k, inner), groups of k consecutive features; y is (outer, G, inner).
// Lanes run across inner, or across groups (stride k) when inner == 1. Calls
// fn(q, p, lane_stride, cnt): q the first output index, p the group's first input.
template <int N, class F> void for_groups(int64_t outer, int64_t n, int64_t inner, int64_t k, const F& fn) {
  if (inner == 1) {
    for_runs<N>(1, outer * (n / k), [&](int64_t q, int64_t, int64_t, int64_t cnt) { fn(q, q * k, k, cnt); });
  } else {
    for_runs<N>(outer * (n / k), inner, [&](int64_t q, int64_t row, int64_t c, int64_t cnt) {
      fn(q, row * k * inner + c, int64_t(1), cnt);
    });
  }
}

// The max of each group and where it first occurs; NaN anywhere in the group: bad.
// piece(j): every group's j-th element, a lane per group.
template <class S> struct GroupMax {
  using C = Cmp<S>;
  V<C> m, at;
  M<C> bad;
  template <class Piece> GroupMax(int64_t k, const Piece& piece) {
    m = piece(0);
    at = V<C>{};
    bad = is_nan(m);
    for (int64_t j = 1; j < k; ++j) {
      const V<C> v = piece(j);
      const auto gt = v > m;  // strict: the first maximum wins ties
      m = select(gt, v, m);
      at = select(gt, set1(C(j)), at);
      bad |= is_nan(v);
    }
  }
};

// Pairs side by side (pieces = 2 along the last axis, the default): the 2N elements of N
// groups are two vector loads, split into first and second elements by two shuffles, and
// joined back the same way, where lanes one group apart would take a lane-by-lane gather.
template <class Vec, size_t... I> PYACT_INLINE void split_pairs(Vec a, Vec b, Vec (&half)[2], std::index_sequence<I...>) {
  half[0] = __builtin_shufflevector(a, b, (2 * I)...);
  half[1] = __builtin_shufflevector(a, b, (2 * I + 1)...);
}
template <class Vec, size_t... I> PYACT_INLINE void join_pairs(Vec e, Vec o, Vec (&pair)[2], std::index_sequence<I...>) {
  constexpr size_t N = sizeof...(I);  // lane t of the 2N: e[t/2] for even t, o[t/2] for odd
  pair[0] = __builtin_shufflevector(e, o, ((I % 2) * N + I / 2)...);
  pair[1] = __builtin_shufflevector(e, o, (((N + I) % 2) * N + (N + I) / 2)...);
}

// Whether the groups are pairs side by side, a whole vector of them.
template <class C> inline bool side_by_side(int64_t ls, int64_t cnt) { return ls == 2 && cnt == Simd<C>::N; }

// GroupMax of the groups that start at x (as for_groups passes them): pairs side by side
// (k = 2) from two loads, the others lane by lane. Two constructions rather than one
// whose loader tests the case per piece: GCC then inlines maxout_fwd's loop body.
template <class S> inline GroupMax<S> group_max(const S* x, int64_t k, int64_t piece, int64_t ls, int64_t cnt) {
  using C = Cmp<S>;
  constexpr int N = Simd<C>::N;
  if (side_by_side<C>(ls, cnt)) {
    V<C> half[2];
    split_pairs(load_as(x), load_as(x + N), half, std::make_index_sequence<N>{});
    return GroupMax<S>(2, [&](int64_t j) { return half[j]; });
  }
  return GroupMax<S>(k, [&](int64_t j) { return ld_lanes(x + j * piece, ls, cnt, C(0)); });
}

template <class S> void maxout_fwd(const void* const* in, void* out, int64_t outer, int64_t n, int64_t inner, const double* p) {
  using C = Cmp<S>;
  const S* x = static_cast<const S*>(in[0]);
  S* y = static_cast<S*>(out);
  const int64_t k = static_cast<int64_t>(p[0]), piece = inner == 1 ? 1 : inner;
  constexpr int N = Simd<C>::N;
  for_groups<N>(outer, n, inner, k, [&](int64_t q, int64_t first, int64_t ls, int64_t cnt) {
    const GroupMax<S> gm = group_max(x + first, k, piece, ls, cnt);
    st_lanes(y + q, 1, cnt, select(gm.bad, qnan<C>(), gm.m));
  });
}

// The gradient goes to the first maximum of each group (0 elsewhere); NaN groups: NaN.
template <class S> void maxout_bwd(const void* const* in, void* out, int64_t outer, int64_t n, int64_t inner, const double* p) {
  using C = Cmp<S>;
  const S* g = static_cast<const S*>(in[0]);
  const S* x = static_cast<const S*>(in[1]);
  S* gx = static_cast<S*>(out);
  const int64_t k = static_cast<int64_t>(p[0]), piece = inner == 1 ? 1 : inner;
  constexpr int N = Simd<C>::N;
  for_groups<N>(outer, n, inner, k, [&](int64_t q, int64_t first, int64_t ls, int64_t cnt) {
    const GroupMax<S> gm = group_max(x + first, k, piece, ls, cnt);
    const V<C> gv = ld_lanes(g + q, 1, cnt, C(0));
    auto grad = [&](int64_t j) { return select(gm.bad, qnan<C>(), select(gm.at == C(j), gv, V<C>{})); };
    if (side_by_side<C>(ls, cnt)) {
      V<C> pair[2];
      join_pairs(grad(0), grad(1), pair, std::make_index_sequence<N>{});
      store_as(gx + first, pair[0]);
      store_as(gx + first + N, pair[1]);
    } else {
      for (int64_t j = 0; j < k; ++j) st_lanes(gx + first + j * piece, ls, cnt, grad(j));
    }
  });
}

}  // namespace axis

// Fills the axis member of this ISA's table (dispatch/table_isa.cpp).
inline void fill_axis(AxisFns& t) {
  using namespace axis;
  auto set = [](AxisFn* f, AxisFn f16, AxisFn f32, AxisFn f64) { f[0] = f16; f[1] = f32; f[2] = f64; };
  auto at = [](AxisOp op) { return static_cast<int>(op); };
  set(t.fwd[at(AxisOp::softmax)], softmax_fwd<_Float16, kSoftmax>, softmax_fwd<float, kSoftmax>, softmax_fwd<double, kSoftmax>);
  set(t.bwd[at(AxisOp::softmax)], softmax_bwd<_Float16, kSoftmax>, softmax_bwd<float, kSoftmax>, softmax_bwd<double, kSoftmax>);
  set(t.fwd[at(AxisOp::log_softmax)], softmax_fwd<_Float16, kLogSoftmax>, softmax_fwd<float, kLogSoftmax>, softmax_fwd<double, kLogSoftmax>);
  set(t.bwd[at(AxisOp::log_softmax)], softmax_bwd<_Float16, kLogSoftmax>, softmax_bwd<float, kLogSoftmax>, softmax_bwd<double, kLogSoftmax>);
  set(t.fwd[at(AxisOp::softmin)], softmax_fwd<_Float16, kSoftmin>, softmax_fwd<float, kSoftmin>, softmax_fwd<double, kSoftmin>);
  set(t.bwd[at(AxisOp::softmin)], softmax_bwd<_Float16, kSoftmin>, softmax_bwd<float, kSoftmin>, softmax_bwd<double, kSoftmin>);
  set(t.fwd[at(AxisOp::glu)], glu_fwd<_Float16>, glu_fwd<float>, glu_fwd<double>);
  set(t.bwd[at(AxisOp::glu)], glu_bwd<_Float16>, glu_bwd<float>, glu_bwd<double>);
  set(t.fwd[at(AxisOp::maxout)], maxout_fwd<_Float16>, maxout_fwd<float>, maxout_fwd<double>);
  set(t.bwd[at(AxisOp::maxout)], maxout_bwd<_Float16>, maxout_bwd<float>, maxout_bwd<double>);
}

}}  // namespace pyact::<isa>
