// Learnable and stochastic activations: PReLU, SReLU, APL, swish with a learnable beta
// (per-channel parameters, with parameter gradients) and RReLU (counter-based random
// slopes).
//
// Per-channel kernels see x as (outer, C, inner), C-contiguous, and never materialise
// the broadcast parameters at x's size. Two traversals, chosen by the shape only:
//  * rows  (inner >= 4 vectors): each row (o, c) is contiguous; the channel's parameters
//    are broadcast into registers and the vector lanes run along the row, rows taken in
//    memory order (one page-sized row per channel must not mean one jump per row);
//  * lanes (smaller inner, e.g. (batch, features)): the row (c, i) of one o is the
//    vector axis; the parameters are expanded once to that row (C * inner < 4 C N values).
// Backward writes dL/dx and, in the same pass, reduces g * df/dparam over every other
// axis. The work is cut into items that depend on the shape alone; each item sums its
// part in float64 in a fixed order, and the items' partial sums are combined in item
// order after the parallel loop: the same bits for any thread count.
//
// A functor F<T> provides kP (parameters per channel, 0: given at run time),
//   V fwd(V x, const V* p)                    p[k]: parameter k of each lane's channel
//   V bwd(V g, V x, const V* p, Sink& s)      returns dL/dx; s.add(k, v) adds the lanes'
//                                             contributions g * df/dp_k.
// NaN in x gives NaN in y, in dL/dx and in every parameter gradient (the driver).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/apply.h"
#include "kernels/learnable_fns.h"
#include "kernels/parallel.h"
#include "simd/vec.h"
#include "vmath/logistic.h"

// GCC 12 reports the accumulators below, zeroed in Slots' constructor, as "maybe
// uninitialized" once everything is inlined (a false positive, as in its AVX-512 headers).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace pyact { namespace PYACT_TARGET {
namespace learn {

// ---- storage (float16, float, double) <-> compute (float, float, double) vectors ----
template <class S> using CT = compute_t<S>;


// A float64 accumulator for one V<T>: a double register, or two for float where a
// float register holds twice the lanes (GCC's generic 2x-wide vectors spill to memory).
template <class T, bool Split = (Simd<T>::N == 2 * Simd<double>::N)> struct Acc;
template <class T> struct Acc<T, false> {
  vd v{};
  void add(V<T> x) {
    if constexpr (std::is_same_v<T, double>) v += x;
    else v += __builtin_convertvector(x, vd);
  }
  void load(const double* p) { std::memcpy(&v, p, sizeof v); }
  void store(double* p) const { std::memcpy(p, &v, sizeof v); }
  double sum() const {  // fixed lane order
    double a[Simd<double>::N], s = 0;
    std::memcpy(a, &v, sizeof a);
    for (double e : a) s += e;
    return s;
  }
};
template <class T> struct Acc<T, true> {
  typedef T half __attribute__((vector_size(sizeof(V<T>) / 2)));  // dependent: only x86/NEON float
  vd lo{}, hi{};
  void add(V<T> x) {
    half a, b;
    std::memcpy(&a, &x, sizeof a);
    std::memcpy(&b, reinterpret_cast<const char*>(&x) + sizeof a, sizeof b);
    lo += __builtin_convertvector(a, vd);
    hi += __builtin_convertvector(b, vd);
  }
  void load(const double* p) {
    std::memcpy(&lo, p, sizeof lo);
    std::memcpy(&hi, p + Simd<double>::N, sizeof hi);
  }
  void store(double* p) const {
    std::memcpy(p, &lo, sizeof lo);
    std::memcpy(p + Simd<double>::N, &hi, sizeof hi);
  }
  double sum() const {  // fixed lane order
    double a[2 * Simd<double>::N], s = 0;
    store(a);
    for (double e : a) s += e;
    return s;
  }
};
template <class T> inline V<T> iota() {
  V<T> v;
  for (int l = 0; l < Simd<T>::N; ++l) v[l] = T(l);
  return v;
}

// a * p, but 0 where the parameter p is 0 (so that 0 * inf is not NaN), as leaky_relu.
template <class Vec> inline Vec mulz(Vec a, Vec p) { return select(p == 0, Vec{}, a * p); }

// A fixed-size array for kP > 0 parameters, a heap one when the count is known at run time.
template <class X, int K> struct Slots {
  X v[K];
  explicit Slots(int) {
    for (X& e : v) e = X{};
  }
  X* data() { return v; }
};
template <class X> struct Slots<X, 0> {
  std::vector<X> v;
  explicit Slots(int n) : v(n, X{}) {}
  X* data() { return v.data(); }
};

// ---- the functors -----------------------------------------------------------------
#define PYACT_LEARNABLE_TYPES(cost) \
  using Vt = V<T>;                  \
  static constexpr int kCost = cost

// x if x > 0 else alpha * x. Params: alpha.
template <class T> struct Prelu {
  PYACT_LEARNABLE_TYPES(1);
  static constexpr int kP = 1;
  explicit Prelu(int) {}
  Vt fwd(Vt x, const Vt* p) const { return select(x > T(0), x, mulz(x, p[0])); }
  template <class Sink> Vt bwd(Vt g, Vt x, const Vt* p, Sink& s) const {
    const auto pos = x > T(0);
    s.add(0, select(pos, Vt{}, g * x));
    return select(pos, g, mulz(g, p[0]));
  }
};

// t_l + a_l (x - t_l) if x <= t_l; x if t_l < x < t_r; t_r + a_r (x - t_r) if x >= t_r
// (the left piece first when t_l >= t_r). Params: t_left, a_left, t_right, a_right.
template <class T> struct Srelu {
  PYACT_LEARNABLE_TYPES(1);
  static constexpr int kP = 4;
  explicit Srelu(int) {}
  Vt fwd(Vt x, const Vt* p) const {
    const Vt left = p[0] + mulz(x - p[0], p[1]), right = p[2] + mulz(x - p[2], p[3]);
    return select(x <= p[0], left, select(x >= p[2], right, x));
  }
  template <class Sink> Vt bwd(Vt g, Vt x, const Vt* p, Sink& s) const {
    const auto l = x <= p[0];
    const auto r = (x >= p[2]) & ~l;
    s.add(0, select(l, g * (T(1) - p[1]), Vt{}));
    s.add(1, select(l, g * (x - p[0]), Vt{}));
    s.add(2, select(r, g * (T(1) - p[3]), Vt{}));
    s.add(3, select(r, g * (x - p[2]), Vt{}));
    return select(l, mulz(g, p[1]), select(r, mulz(g, p[3]), g));
  }
};

// max(0, x) + sum_s a_s max(0, b_s - x), hinges summed in order s = 0..S-1.
// Params: a_0..a_{S-1}, b_0..b_{S-1} (kP = 2S at run time).
template <class T> struct Apl {
  PYACT_LEARNABLE_TYPES(1);
  static constexpr int kP = 0;
  int hinges;
  explicit Apl(int nparams) : hinges(nparams / 2) {}
  // At x = -inf every hinge is on and the sum is the limit sum(a_s b_s) - x sum(a_s),
  // not inf - inf where the a_s differ in sign.
  Vt fwd(Vt x, const Vt* p) const {
    Vt r = select(x > T(0), x, Vt{}), sa{}, sab{};
    for (int s = 0; s < hinges; ++s) {
      const Vt h = p[hinges + s] - x;
      r += select(h > T(0), mulz(h, p[s]), Vt{});
      sa += p[s];
      sab += p[s] * p[hinges + s];
    }
    const Vt lim = select(sa == T(0), sab, sa * std::numeric_limits<T>::infinity());
    return select(x == -std::numeric_limits<T>::infinity(), lim, r);
  }
  template <class Sink> Vt bwd(Vt g, Vt x, const Vt* p, Sink& sk) const {
    Vt d = select(x > T(0), g, Vt{});
    for (int s = 0; s < hinges; ++s) {
      const Vt h = p[hinges + s] - x;
      const auto on = h > T(0);
      const Vt ga = select(on, mulz(g, p[s]), Vt{});
      sk.add(s, select(on, g * h, Vt{}));
      sk.add(hinges + s, ga);
      d -= ga;
    }
    return d;
  }
};

// x * sigmoid(beta * x), beta learnable. With z = beta x, s = sigmoid(z) and
// t = s (1 - s) (vmath's form without cancellation): df/dx = s + z t, df/dbeta = x^2 t.
// Limits where a product would be 0 * inf: f(x) -> +-0 where s == 0 (x -> -inf for
// beta > 0), z t and x^2 t -> 0 where t == 0; beta == 0 gives z = 0 even at x = +-inf.
template <class T> struct Swish {
  PYACT_LEARNABLE_TYPES(16);
  static constexpr int kP = 1;
  explicit Swish(int) {}
  static void parts(Vt x, Vt beta, Vt& z, Vt& s, Vt& t) {
    z = mulz(x, beta);
    const Vt e = vm::exp_nonpos(neg_abs(z));
    s = vm::sigmoid_from(z, e);
    t = vm::sigmoid_deriv_from(e);
  }
  Vt fwd(Vt x, const Vt* p) const {
    Vt z, s, t;
    parts(x, p[0], z, s, t);
    return select(s == T(0), copysign(Vt{}, x), x * s);
  }
  template <class Sink> Vt bwd(Vt g, Vt x, const Vt* p, Sink& sk) const {
    Vt z, s, t;
    parts(x, p[0], z, s, t);
    const auto flat = t == T(0);
    sk.add(0, select(flat, Vt{}, g * (x * (x * t))));
    return g * (s + select(flat, Vt{}, z * t));
  }
};

// ---- where the parameter gradients go -------------------------------------------------
// Register accumulators of one item (rows traversal); `keep` drops the padded tail lanes.
template <class T> struct RegSink {
  Acc<T>* acc;
  M<T> keep;
  V<T> x;
  void add(int k, V<T> c) { acc[k].add(select(keep, keep_nan(x, c), V<T>{})); }
};
// Per-lane accumulators in memory (lanes traversal): lane m of parameter k at acc[k * stride].
template <class T> struct MemSink {
  double* acc;
  int64_t stride;
  V<T> x;
  void add(int k, V<T> c) {
    Acc<T> a;
    a.load(acc + k * stride);
    a.add(keep_nan(x, c));
    a.store(acc + k * stride);
  }
};
template <class T> struct NoSink {  // forward: nothing to accumulate
  V<T> x;
  void add(int, V<T>) {}
};

// ---- the plans: how the work is cut, from the shape alone -------------------------
// Items are units of summation, not of threads (parallel_for hands each thread a
// contiguous run of items): kTile bounds the partial sums and the load imbalance.
constexpr int64_t kTile = 1 << 15;          // elements per work item, about
constexpr int64_t kMaxItems = 256;          // enough items for any thread count
constexpr int64_t kMaxPartials = 1 << 21;   // float64 partial sums a call may hold (16 MiB)
constexpr int64_t kLaneBlock = 1024;        // lanes traversal: row elements per item, at most

struct RowPlan {
  int64_t gr, gi, iblk, items;  // row groups, column blocks per row, block length
};
inline RowPlan row_plan(const ChannelShape& s, int64_t n_lanes) {
  const int64_t n = s.outer * s.channels * s.inner, rows = s.outer * s.channels;
  const int64_t most = std::max<int64_t>(1, kMaxPartials / (s.channels * std::max(1, s.nparams)));
  const int64_t target = std::max<int64_t>(1, std::min({n / kTile, kMaxItems, most}));
  RowPlan p{};
  if (rows >= target) {  // whole rows, consecutive in memory
    p.gr = target, p.gi = 1, p.iblk = s.inner;
  } else {  // few rows (a shared parameter is one row): cut the rows too
    p.gr = rows;
    const int64_t want = (target + rows - 1) / rows;
    p.iblk = ((s.inner + want - 1) / want + n_lanes - 1) / n_lanes * n_lanes;
    p.gi = (s.inner + p.iblk - 1) / p.iblk;
  }
  p.items = p.gr * p.gi;
  return p;
}

struct LanePlan {
  int64_t width, wpad, go, mblk, gm, items;
};
inline LanePlan lane_plan(const ChannelShape& s, int64_t n_lanes) {
  LanePlan p{};
  p.width = s.channels * s.inner;
  p.wpad = (p.width + n_lanes - 1) / n_lanes * n_lanes;
  p.mblk = std::min(p.wpad, kLaneBlock);
  p.gm = (p.wpad + p.mblk - 1) / p.mblk;
  const int64_t n = s.outer * p.width;
  const int64_t np = std::max(1, s.nparams);
  p.go = std::max<int64_t>(1, std::min({s.outer, n / kTile, kMaxItems, kMaxPartials / (p.wpad * np)}));
  p.items = p.go * p.gm;
  return p;
}

template <template <class> class Fn, class S, bool Bwd>
struct Channel {
  using T = CT<S>;
  using Vt = V<T>;
  using F = Fn<T>;
  static constexpr int N = Simd<T>::N;

  const F f;
  const S* g;
  const S* x;
  S* y;
  const ChannelShape& s;
  const double* params;

  // One vector at element e of the buffers (rows: `rest` < N lanes are real in a tail).
  template <class Sink>
  void one(const Vt* pv, Sink& sk, const S* gp, const S* xp, S* yp) const {
    const Vt xv = load_as(xp);
    sk.x = xv;
    if constexpr (Bwd) store_as(yp, keep_nan(xv, f.bwd(load_as(gp), xv, pv, sk)));
    else store_as(yp, keep_nan(xv, f.fwd(xv, pv)));
  }
  // The same through a zero-padded copy, for the last rest < N elements of a row.
  template <class Sink>
  void tail(const Vt* pv, Sink& sk, int64_t e, int64_t rest) const {
    S gb[N] = {}, xb[N] = {}, yb[N] = {};
    std::memcpy(xb, x + e, rest * sizeof(S));
    if constexpr (Bwd) std::memcpy(gb, g + e, rest * sizeof(S));
    one(pv, sk, gb, xb, yb);
    std::memcpy(y + e, yb, rest * sizeof(S));
  }

  // ---- rows: item (rg, ib) = the rows r = o * C + c of group rg, in memory order,
  // columns of block ib; partial[k * C + c] = its sum for parameter k of channel c, adding
  // each row's (lane-order) sum in row order.
  void row_item(const RowPlan& p, int64_t item, double* partial) const {
    const int64_t ib = item % p.gi, rg = item / p.gi, rows = s.outer * s.channels;
    const int64_t r0 = rows * rg / p.gr, r1 = rows * (rg + 1) / p.gr;
    const int64_t i0 = ib * p.iblk, i1 = std::min(s.inner, i0 + p.iblk);
    Slots<Vt, F::kP> pv(s.nparams);
    Slots<Acc<T>, F::kP> acc(s.nparams);
    RegSink<T> full{acc.data(), Vt{} == Vt{}, Vt{}};
    RegSink<T> part{acc.data(), iota<T>() < T((i1 - i0) % N), Vt{}};
    NoSink<T> none;
    if constexpr (Bwd) std::fill(partial, partial + s.nparams * s.channels, 0.0);
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t c = r % s.channels, base = r * s.inner;
      for (int k = 0; k < s.nparams; ++k) {
        pv.data()[k] = set1<T>(T(params[k * s.channels + c]));
        if constexpr (Bwd) acc.data()[k] = Acc<T>{};
      }
      int64_t i = i0;
      for (; i + N <= i1; i += N) {
        const int64_t e = base + i;
        if constexpr (Bwd) one(pv.data(), full, g + e, x + e, y + e);
        else one(pv.data(), none, g, x + e, y + e);
      }
      if (i < i1) {
        if constexpr (Bwd) tail(pv.data(), part, base + i, i1 - i);
        else tail(pv.data(), none, base + i, i1 - i);
      }
      if constexpr (Bwd)
        for (int k = 0; k < s.nparams; ++k) partial[k * s.channels + c] += acc.data()[k].sum();
    }
  }

  // ---- lanes: item (ob, mb) over the (outer, width) matrix; pe: parameters per lane;
  // part: this o-block's per-lane sums, parameter k at part[k * wpad + m].
  void lane_item(const LanePlan& p, int64_t item, const T* pe, double* part) const {
    const int64_t mb = item % p.gm, ob = item / p.gm;
    const int64_t o0 = s.outer * ob / p.go, o1 = s.outer * (ob + 1) / p.go;
    const int64_t m0 = mb * p.mblk, m1 = std::min(p.width, m0 + p.mblk);
    Slots<Vt, F::kP> pv(s.nparams);
    NoSink<T> none;
    double* acc = Bwd ? part + ob * s.nparams * p.wpad : nullptr;
    for (int64_t o = o0; o < o1; ++o) {  // row by row: sequential memory, accumulators in L1
      for (int64_t m = m0; m < m1; m += N) {
        for (int k = 0; k < s.nparams; ++k) pv.data()[k] = load(pe + k * p.wpad + m);
        const int64_t e = o * p.width + m, rest = std::min<int64_t>(N, m1 - m);
        if constexpr (Bwd) {
          MemSink<T> sk{acc + m, p.wpad, Vt{}};
          if (rest == N) one(pv.data(), sk, g + e, x + e, y + e);
          else tail(pv.data(), sk, e, rest);  // padded lanes land in accumulators past width
        } else {
          if (rest == N) one(pv.data(), none, g, x + e, y + e);
          else tail(pv.data(), none, e, rest);
        }
      }
    }
  }

  void run(double* dparams) const {
    const int64_t n = s.outer * s.channels * s.inner;
    if (n == 0) {
      if constexpr (Bwd) std::fill(dparams, dparams + s.nparams * s.channels, 0.0);
      return;
    }
    if (s.inner >= 4 * N) {
      const RowPlan p = row_plan(s, N);
      const int64_t stride = s.nparams * s.channels;
      std::vector<double> partial(Bwd ? p.items * stride : 0);
      const int64_t per_item = std::max<int64_t>(1, n / p.items);
      parallel_for(p.items, std::max<int64_t>(1, grain_for(F::kCost) / per_item), 1, [&](int64_t b, int64_t e) {
        for (int64_t it = b; it < e; ++it) row_item(p, it, partial.data() + it * stride);
      });
      if constexpr (Bwd) {  // the items' sums in item order
        std::fill(dparams, dparams + stride, 0.0);
        for (int64_t it = 0; it < p.items; ++it)
          for (int64_t j = 0; j < stride; ++j) dparams[j] += partial[it * stride + j];
      }
      return;
    }
    const LanePlan p = lane_plan(s, N);
    std::vector<T> pe(s.nparams * p.wpad, T(0));
    for (int k = 0; k < s.nparams; ++k)
      for (int64_t c = 0; c < s.channels; ++c)
        std::fill_n(pe.data() + k * p.wpad + c * s.inner, s.inner, T(params[k * s.channels + c]));
    std::vector<double> part(Bwd ? p.go * s.nparams * p.wpad : 0, 0.0);
    const int64_t per_item = std::max<int64_t>(1, n / p.items);
    parallel_for(p.items, std::max<int64_t>(1, grain_for(F::kCost) / per_item), 1, [&](int64_t b, int64_t e) {
      for (int64_t it = b; it < e; ++it) lane_item(p, it, pe.data(), part.data());
    });
    if constexpr (Bwd) {  // per lane over the o-blocks in order, then the lanes of a channel in order
      for (int k = 0; k < s.nparams; ++k)
        for (int64_t c = 0; c < s.channels; ++c) {
          double total = 0;
          for (int64_t i = 0; i < s.inner; ++i) {
            double lane = 0;
            for (int64_t ob = 0; ob < p.go; ++ob) lane += part[(ob * s.nparams + k) * p.wpad + c * s.inner + i];
            total += lane;
          }
          dparams[k * s.channels + c] = total;
        }
    }
  }
};

template <template <class> class Fn, class S>
void channel_fwd(const void* x, void* y, const ChannelShape& s, const double* params) {
  const Channel<Fn, S, false> ch{Fn<CT<S>>(s.nparams), nullptr, static_cast<const S*>(x), static_cast<S*>(y), s, params};
  ch.run(nullptr);
}
template <template <class> class Fn, class S>
void channel_bwd(const void* g, const void* x, void* dx, const ChannelShape& s, const double* params, double* dparams) {
  const Channel<Fn, S, true> ch{Fn<CT<S>>(s.nparams), static_cast<const S*>(g), static_cast<const S*>(x),
                                static_cast<S*>(dx), s, params};
  ch.run(dparams);
}

// ---- RReLU ----------------------------------------------------------------------------
// u(seed, j) in [0, 1): SplitMix64 (Steele, Lea & Flood 2014) output number j + 1 of the
// stream seeded with `seed`, i.e. z = seed + (j + 1) * 0x9E3779B97F4A7C15 (mod 2^64)
// through its mix13 finalizer; the top 23 (float) or 52 (double) bits of z fill the
// mantissa of a number in [1, 2), minus 1. A pure function of (seed, j): any thread, any
// chunk, forward and backward alike, with nothing stored.
template <class T> struct U64Of { typedef uint64_t type __attribute__((vector_size(8 * Simd<T>::N))); };
template <class T> inline V<T> uniform(uint64_t seed, int64_t j0) {
  constexpr int N = Simd<T>::N;
  constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ull;
  typename U64Of<T>::type z;
  for (int l = 0; l < N; ++l) z[l] = uint64_t(l) * kGamma;  // a constant: no vector multiply
  z += seed + uint64_t(j0 + 1) * kGamma;                     // = seed + (j0 + l + 1) * gamma
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  if constexpr (std::is_same_v<T, float>) {
    const vu m = __builtin_convertvector(z >> 41, vu);
    return (vf)(m | 0x3F800000u) - 1.0f;
  } else {
    return (vd)((vul)(z >> 12) | 0x3FF0000000000000ull) - 1.0;
  }
}

template <class S, bool Bwd>
void rrelu(const void* const* in, void* out, int64_t n, const RreluArgs& a) {
  using T = CT<S>;
  using Vt = V<T>;
  constexpr int N = Simd<T>::N;
  const T lo = T(a.lower), span = T(a.upper) - T(a.lower), mid = T((a.lower + a.upper) / 2);
  const S* gp = static_cast<const S*>(in[0]);
  const S* xp = static_cast<const S*>(in[Bwd ? 1 : 0]);
  S* yp = static_cast<S*>(out);
  // Slopes of the lanes j0..j0+N-1, then the value (or gradient) from a padded copy or in place.
  auto one = [&](int64_t j0, const S* g, const S* x, S* y) {
    const Vt slope = a.training ? lo + span * uniform<T>(a.seed, j0) : set1<T>(mid);
    const Vt xv = load_as(x);
    const auto pos = xv > T(0);
    if constexpr (Bwd) {
      const Vt gv = load_as(g);
      store_as(y, keep_nan(xv, select(pos, gv, mulz(gv, slope))));
    } else {
      store_as(y, keep_nan(xv, select(pos, xv, mulz(xv, slope))));
    }
  };
  constexpr int64_t align = 64 / sizeof(S) > N ? 64 / sizeof(S) : N;
  parallel_for(n, grain_for(a.training ? 8 : 1), align, [&](int64_t b, int64_t e) {
    int64_t j = b;
    for (; j + N <= e; j += N) one(j, gp + j, xp + j, yp + j);
    if (j < e) {
      const int64_t rest = e - j;
      S gb[N] = {}, xb[N] = {}, yb[N] = {};
      std::memcpy(xb, xp + j, rest * sizeof(S));
      if constexpr (Bwd) std::memcpy(gb, gp + j, rest * sizeof(S));
      one(j, gb, xb, yb);
      std::memcpy(yp + j, yb, rest * sizeof(S));
    }
  });
}

template <template <class> class Fn>
void fill_kind(LearnableFns& t, Learnable kind) {
  const int k = static_cast<int>(kind);
  t.fwd[k][0] = channel_fwd<Fn, _Float16>;
  t.fwd[k][1] = channel_fwd<Fn, float>;
  t.fwd[k][2] = channel_fwd<Fn, double>;
  t.bwd[k][0] = channel_bwd<Fn, _Float16>;
  t.bwd[k][1] = channel_bwd<Fn, float>;
  t.bwd[k][2] = channel_bwd<Fn, double>;
}

}  // namespace learn

inline void fill_learnable(LearnableFns& t) {
  learn::fill_kind<learn::Prelu>(t, Learnable::prelu);
  learn::fill_kind<learn::Srelu>(t, Learnable::srelu);
  learn::fill_kind<learn::Apl>(t, Learnable::apl);
  learn::fill_kind<learn::Swish>(t, Learnable::swish);
  t.rrelu_fwd[0] = learn::rrelu<_Float16, false>;
  t.rrelu_fwd[1] = learn::rrelu<float, false>;
  t.rrelu_fwd[2] = learn::rrelu<double, false>;
  t.rrelu_bwd[0] = learn::rrelu<_Float16, true>;
  t.rrelu_bwd[1] = learn::rrelu<float, true>;
  t.rrelu_bwd[2] = learn::rrelu<double, true>;
}

}}  // namespace pyact::<isa>

#pragma GCC diagnostic pop
