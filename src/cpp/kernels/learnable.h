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
// axis in float64. Each channel's sum runs over blocks cut from that channel's own extent
// (outer, inner), each block in a fixed order, the blocks combined in block order after
// the parallel loop: the same bits for any thread count and any other channels (a slice).
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

// ---- the plans: how the work is cut ---------------------------------------------------
// A channel's sums run over blocks cut from its own extent (outer, inner) and the lane
// count alone, so its gradient has the same bits whatever channels lie beside it (a slice
// of the channel axis, SPEC §6). The channel count and n only decide which thread takes
// which blocks, which never changes a sum, and past kMaxPartials run blocks of channels
// one after another.
constexpr int64_t kMaxPartials = 1 << 21;   // float64 partial sums a call may hold (16 MiB)
constexpr int64_t kColBlock = 1 << 12;      // rows: a long row's columns per block, at least
constexpr int64_t kMaxBlocks = 1 << 10;     // rows: blocks per channel, at most
constexpr int64_t kLaneRows = 32;           // lanes: rows per o-block, at least
constexpr int64_t kLaneOBlocks = 256;       // lanes: o-blocks, at most (tasks enough for any thread count)
constexpr int64_t kLaneBlock = 1024;        // lanes: row elements per task, at most
constexpr int64_t kLaneFwdTask = 1 << 14;   // lanes, forward: elements per task, about

inline int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }
// parallel_for's grain in units of n / units elements: the family's grain in elements.
inline int64_t unit_grain(int cost, int64_t n, int64_t units) {
  return std::max<int64_t>(1, grain_for(cost) / std::max<int64_t>(1, n / units));
}

// rows: a channel's blocks are (o-block ob, column block ib), one row each unless outer
// is large; block (ob, ib) sums its rows in o order, each row's columns per lane and then
// in lane order, and the channel adds its blocks ob-major.
struct RowPlan {
  int64_t go, gi, iblk;  // o-blocks, column blocks per row, column block length
};
inline RowPlan row_plan(int64_t outer, int64_t inner, int64_t n_lanes) {
  RowPlan p{};
  const int64_t want = std::clamp<int64_t>(inner / kColBlock, 1, kMaxBlocks);
  p.iblk = round_up((inner + want - 1) / want, n_lanes);
  p.gi = (inner + p.iblk - 1) / p.iblk;
  p.go = std::clamp<int64_t>(kMaxBlocks / p.gi, 1, outer);
  return p;
}

// lanes: lane i of a channel sums its o-blocks in order (each its rows in o order), then
// the channel adds its lanes in i order.
struct LanePlan {
  int64_t go;            // o-blocks (backward: from outer alone)
  int64_t width, wpad;   // the (C * inner) row, padded to whole vectors
  int64_t m0, w, wp;     // this block of channels: lanes [m0, m0 + w), w padded
  int64_t mblk, gm;      // lanes per task, tasks per o-block
};

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

  // Parameters per channel, a constant where the functor fixes it (the per-vector loops unroll).
  int nparams() const { return F::kP > 0 ? F::kP : s.nparams; }

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

  // ---- rows: units [u0, u1) of the channels [c0, c0 + cn), unit u = (ob * cn + c - c0)
  // * gi + ib = block (ob, ib) of channel c, taken in memory order (for each row o of an
  // o-block, the units' pieces of row o); part[u * nparams + k]: its sum for parameter k.
  void row_units(const RowPlan& p, int64_t c0, int64_t cn, int64_t u0, int64_t u1, double* part) const {
    Slots<Vt, F::kP> pv(s.nparams);
    Slots<Acc<T>, F::kP> acc(s.nparams);
    RegSink<T> full{acc.data(), Vt{} == Vt{}, Vt{}};
    RegSink<T> last{acc.data(), iota<T>() < T(s.inner % N), Vt{}};  // only a row's end has a tail
    NoSink<T> none;
    const int64_t per_ob = cn * p.gi;
    for (int64_t ob = u0 / per_ob; ob * per_ob < u1; ++ob) {
      const int64_t v0 = std::max<int64_t>(u0 - ob * per_ob, 0), v1 = std::min(u1 - ob * per_ob, per_ob);
      for (int64_t o = s.outer * ob / p.go, o1 = s.outer * (ob + 1) / p.go; o < o1; ++o) {
        for (int64_t v = v0, c = c0 + v0 / p.gi, ib = v0 % p.gi; v < v1; ++v) {
          const int64_t base = (o * s.channels + c) * s.inner;
          const int64_t i0 = ib * p.iblk, i1 = std::min(s.inner, i0 + p.iblk);
          for (int k = 0; k < nparams(); ++k) {
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
            if constexpr (Bwd) tail(pv.data(), last, base + i, i1 - i);
            else tail(pv.data(), none, base + i, i1 - i);
          }
          if constexpr (Bwd)
            for (int k = 0; k < nparams(); ++k) part[(ob * per_ob + v) * nparams() + k] += acc.data()[k].sum();
          if (++ib == p.gi) ib = 0, ++c;
        }
      }
    }
  }

  void run_rows(double* dparams) const {
    const RowPlan p = row_plan(s.outer, s.inner, N);
    const int64_t np = s.nparams, blocks = p.go * p.gi;
    const int64_t cmax = Bwd ? std::max<int64_t>(1, kMaxPartials / (blocks * np)) : s.channels;
    std::vector<double> part;
    for (int64_t c0 = 0; c0 < s.channels; c0 += cmax) {
      const int64_t cn = std::min(cmax, s.channels - c0), units = blocks * cn;
      if constexpr (Bwd) part.assign(units * np, 0.0);
      parallel_for(units, unit_grain(F::kCost, s.outer * cn * s.inner, units), 1, [&](int64_t b, int64_t e) {
        row_units(p, c0, cn, b, e, part.data());
      });
      if constexpr (Bwd) {  // each channel's blocks, ob-major
        for (int64_t k = 0; k < np; ++k) std::fill_n(dparams + k * s.channels + c0, cn, 0.0);
        for (int64_t ob = 0; ob < p.go; ++ob)
          for (int64_t c = 0; c < cn; ++c)
            for (int64_t ib = 0; ib < p.gi; ++ib)
              for (int64_t k = 0; k < np; ++k)
                dparams[k * s.channels + c0 + c] += part[((ob * cn + c) * p.gi + ib) * np + k];
      }
    }
  }

  // ---- lanes: tasks [t0, t1), task t = (ob, mb) = rows of o-block ob, lanes [q.m0 + mb *
  // q.mblk, ..) of this block of channels; pe: parameters per lane; part: each o-block's
  // per-lane sums, lane q.m0 + j of parameter k at part[(ob * nparams + k) * q.wp + j].
  void lane_tasks(const LanePlan& q, int64_t t0, int64_t t1, const T* pe, double* part) const {
    Slots<Vt, F::kP> pv(s.nparams);
    NoSink<T> none;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t mb = t % q.gm, ob = t / q.gm;
      const int64_t o0 = s.outer * ob / q.go, o1 = s.outer * (ob + 1) / q.go;
      const int64_t m0 = q.m0 + mb * q.mblk, m1 = std::min(q.m0 + q.w, m0 + q.mblk);
      double* acc = Bwd ? part + ob * s.nparams * q.wp : nullptr;
      for (int64_t o = o0; o < o1; ++o) {  // row by row: sequential memory, accumulators in L1
        for (int64_t m = m0; m < m1; m += N) {
          for (int k = 0; k < nparams(); ++k) pv.data()[k] = load(pe + k * q.wpad + m);
          const int64_t e = o * q.width + m, rest = std::min<int64_t>(N, m1 - m);
          if constexpr (Bwd) {
            MemSink<T> sk{acc + (m - q.m0), q.wp, Vt{}};
            if (rest == N) one(pv.data(), sk, g + e, x + e, y + e);
            else tail(pv.data(), sk, e, rest);  // padded lanes land in accumulators past w
          } else {
            if (rest == N) one(pv.data(), none, g, x + e, y + e);
            else tail(pv.data(), none, e, rest);
          }
        }
      }
    }
  }

  void run_lanes(double* dparams) const {
    const int64_t np = s.nparams;
    LanePlan q{};
    q.width = s.channels * s.inner;
    q.wpad = round_up(q.width, N);
    // Backward: o-blocks from outer alone. Forward sums nothing: whole rows, memory order.
    q.go = Bwd ? std::clamp<int64_t>(s.outer / kLaneRows, 1, kLaneOBlocks)
               : std::clamp<int64_t>(s.outer * q.width / kLaneFwdTask, 1, s.outer);
    // + N: a block of channels may start off the vector grid and read past wpad.
    std::vector<T> pe(np * q.wpad + N, T(0));
    for (int64_t k = 0; k < np; ++k)
      for (int64_t c = 0; c < s.channels; ++c)
        std::fill_n(pe.data() + k * q.wpad + c * s.inner, s.inner, T(params[k * s.channels + c]));
    const int64_t cmax = Bwd ? std::max<int64_t>(1, kMaxPartials / (q.go * np * s.inner)) : s.channels;
    std::vector<double> part, lane;
    for (int64_t c0 = 0; c0 < s.channels; c0 += cmax) {
      const int64_t cn = std::min(cmax, s.channels - c0);
      q.m0 = c0 * s.inner, q.w = cn * s.inner, q.wp = round_up(q.w, N);
      q.mblk = Bwd ? std::min(q.wp, kLaneBlock) : q.wp, q.gm = (q.wp + q.mblk - 1) / q.mblk;
      const int64_t tasks = q.go * q.gm;
      if constexpr (Bwd) part.assign(q.go * np * q.wp, 0.0);
      parallel_for(tasks, unit_grain(F::kCost, s.outer * q.w, tasks), 1, [&](int64_t b, int64_t e) {
        lane_tasks(q, b, e, pe.data(), part.data());
      });
      if constexpr (Bwd) {  // per lane over the o-blocks in order, then a channel's lanes in order
        for (int64_t k = 0; k < np; ++k) {
          lane.assign(q.w, 0.0);
          for (int64_t ob = 0; ob < q.go; ++ob) {
            const double* src = part.data() + (ob * np + k) * q.wp;
            for (int64_t j = 0; j < q.w; ++j) lane[j] += src[j];
          }
          for (int64_t c = 0; c < cn; ++c) {
            double total = 0;
            for (int64_t i = 0; i < s.inner; ++i) total += lane[c * s.inner + i];
            dparams[k * s.channels + c0 + c] = total;
          }
        }
      }
    }
  }

  void run(double* dparams) const {
    if (s.outer * s.channels * s.inner == 0) {
      if constexpr (Bwd) std::fill(dparams, dparams + s.nparams * s.channels, 0.0);
      return;
    }
    if (s.inner >= 4 * N) run_rows(dparams);
    else run_lanes(dparams);
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
