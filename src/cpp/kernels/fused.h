// The fused dense-layer epilogue (SPEC §7): y = f(x + bias), bias broadcast over the
// last axis, and its backward grad_x = f'(.) * g with grad_bias = the column sums of
// grad_x, reduced in the same pass.
//
// Both run every element through the elementwise driver (apply.h: run_block and
// run_block_f16) with the functor's own fwd / bwd_x / bwd_y, so the NaN rules, the
// padded tail and the float16 handling are the driver's. What is added here is only
// the bias: it enters as the driver's second input, a row of the bias lined up with
// each row segment of x.
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "dispatch/table.h"
#include "kernels/apply.h"
#include "kernels/piecewise.h"  // Linear

namespace pyact { namespace PYACT_TARGET {

// Longest run given to the driver at once: long enough to amortise a call, short enough
// that a segment written by one step is still in L1 when the next step reads it.
constexpr int64_t kSegment = 1024;
// Bias gradient: column blocks of this width and row blocks of at least kRowBlock rows.
// A tile reads each of its rows as one run of up to kColBlock elements: runs of 4 KB keep
// the hardware prefetcher ahead (256 columns, 1 KB runs interleaved over 16 rows, cost
// pa.MLP's gelu backward 0.86 ns/element against 0.60 now), and the tile's float64 sums
// (8 KB) still sit in L1.
constexpr int64_t kColBlock = 1024;
constexpr int64_t kRowBlock = 16;

// The driver's operations with the bias as second input.
struct BiasForward {  // f(x + b), NaN rules on x + b
  static constexpr bool kDetours = true;
  template <class F> static auto op(const F& f, typename F::V x, typename F::V b) { return Forward::op(f, x + b); }
  template <class F, class Vec> static auto tiny(Vec x, Vec b) { return Forward::tiny<F>(x + b); }
  template <class F> static auto detour(const F& f, const NearZero<F>& n, typename F::V x, typename F::V b) {
    return Forward::detour(f, n, x + b);
  }
};
struct BiasAdd {  // x + b alone (the pre-activation kept for a backward from x)
  template <class F> static auto op(const F&, typename F::V x, typename F::V b) { return x + b; }
};
struct BiasForwardDeriv {  // f(x + b) and f'(x + b), NaN rules on x + b
  static constexpr bool kDetours = true;
  template <class F> static auto op(const F& f, typename F::V x, typename F::V b) { return ForwardDeriv::op(f, x + b); }
  template <class F, class Vec> static auto tiny(Vec x, Vec b) { return ForwardDeriv::tiny<F>(x + b); }
  template <class F> static auto detour(const F& f, const NearZero<F>& n, typename F::V x, typename F::V b) {
    return ForwardDeriv::detour(f, n, x + b);
  }
};
struct TimesDeriv {  // g * f'(x) from the kept derivative (NaN in either gives NaN)
  static constexpr bool kGradDetours = true;
  template <class F> static auto op(const F&, typename F::V g, typename F::V d) { return g * d; }
};
// TimesDeriv's functor, which its op ignores: Linear's grain, and a denormal g takes the
// driver's detour (apply.h, grad_detour), as in the backwards from x and y.
template <class T> struct KeptDeriv : Linear<T> {
  static constexpr bool kGradDetour = kCheapDenormalTest;
  using Linear<T>::Linear;
};

// out[0, n) = Op(f, a[i] [, b[i]]) through the driver, for any storage type (and
// out2[0, n) the derivative, for an Op that returns Both).
template <class Op, int Arity, class F, class S>
void drive(const F& f, const S* a, const S* b, S* out, int64_t n, S* out2 = nullptr) {
  const S* in[2] = {a, b};
  if constexpr (std::is_same_v<S, _Float16>) run_block_f16<Op, F, Arity>(f, in, out, 0, n, out2);
  else run_block<Op, F, S, Arity>(f, in, out, 0, n, out2);
}

// acc[j] += v[j] in float64 (restrict: the sums never alias the row, so it vectorizes).
template <class S>
inline void add_row(double* __restrict acc, const S* __restrict v, int64_t n) {
  for (int64_t j = 0; j < n; ++j) acc[j] += static_cast<double>(v[j]);
}

// Chunk boundaries between threads: whole cache lines and whole vectors (as apply.h).
template <class S> constexpr int64_t chunk_align() {
  return 64 / int64_t(sizeof(S)) > Simd<float>::N ? 64 / int64_t(sizeof(S)) : Simd<float>::N;
}

// y = f(x + bias) over rows x cols (row-major). If pre is not null, x + bias is stored
// there too (pre may be x itself), for a later backward from the pre-activation; with
// kDeriv, pre (not null, may be x) receives f'(x + bias) instead, for a backward that is
// then g * f' (bias_act_bwd<TimesDeriv>): one pass where forward and derivative share
// work (gelu's exponential, swish's sigmoid).
template <template <class> class Fn, class S, bool kDeriv = false>
void bias_act_fwd(const void* xv, const void* bv, void* outv, void* prev, int64_t rows, int64_t cols,
                  const double* params) {
  using F = typename Compute<Fn, S>::type;
  const F f(params);
  const S* x = static_cast<const S*>(xv);
  const S* bias = static_cast<const S*>(bv);
  S* out = static_cast<S*>(outv);
  S* pre = static_cast<S*>(prev);
  const int64_t n = rows * cols;
  if (n == 0) return;
  // Narrow layers: the bias repeated over enough rows to make one long period, so a
  // segment is never shorter than kSegment because the rows are short.
  const int64_t reps = std::max<int64_t>(1, std::min<int64_t>(rows, kSegment / cols));
  const int64_t period = reps * cols;
  std::vector<S> tiled;
  const S* tile = bias;
  if (reps > 1) {
    tiled.resize(period);
    for (int64_t r = 0; r < reps; ++r) std::copy(bias, bias + cols, tiled.begin() + r * cols);
    tile = tiled.data();
  }
  parallel_for(n, grain_for(F::kCost), chunk_align<S>(), [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end;) {
      const int64_t o = s % period;
      const int64_t len = std::min({period - o, end - s, kSegment});
      if constexpr (kDeriv) {
        drive<BiasForwardDeriv, 2>(f, x + s, tile + o, out + s, len, pre + s);
      } else if (pre) {
        drive<BiasAdd, 2>(f, x + s, tile + o, pre + s, len);
        drive<Forward, 1>(f, pre + s, pre + s, out + s, len);
      } else {
        drive<BiasForward, 2>(f, x + s, tile + o, out + s, len);
      }
      s += len;
    }
  });
}

// grad_x = Op(f, g, xy) (BackwardX from the pre-activation, BackwardY from the output)
// and grad_bias[j] = sum over rows of grad_x[:, j].
//
// Determinism: the rows are cut into row blocks and the columns into column blocks fixed
// by the shape alone; each (row block, column block) tile is one task that adds its rows
// in order into its row block's float64 partial sums, and the row blocks are then added
// in order. Threads only decide who runs which tile, never what is added to what.
template <class Op, template <class> class Fn, class S>
void bias_act_bwd(const void* gv, const void* xyv, void* gxv, void* gbv, int64_t rows, int64_t cols,
                  const double* params) {
  using F = typename Compute<Fn, S>::type;
  const F f(params);
  const S* g = static_cast<const S*>(gv);
  const S* xy = static_cast<const S*>(xyv);
  S* gx = static_cast<S*>(gxv);
  S* gb = static_cast<S*>(gbv);
  if (cols == 0) return;
  // At most 64 row blocks, and at most ~8 MB of partial sums for very wide layers.
  const int64_t cap = std::max<int64_t>(1, std::min<int64_t>(64, (int64_t(1) << 20) / cols));
  const int64_t nrb = std::max<int64_t>(1, std::min<int64_t>((rows + kRowBlock - 1) / kRowBlock, cap));
  const int64_t cb = std::min(cols, kColBlock);
  const int64_t ncb = (cols + cb - 1) / cb;
  std::vector<double> part(static_cast<size_t>(nrb * cols), 0.0);
  const int64_t per_task = std::max<int64_t>(1, rows / nrb * cb);
  const int64_t grain = std::max<int64_t>(1, grain_for(F::kCost) / per_task);
  parallel_for(nrb * ncb, grain, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t rb = t / ncb, c0 = (t % ncb) * cb, c1 = std::min(cols, c0 + cb);
      double* acc = part.data() + rb * cols;
      for (int64_t r = rows * rb / nrb, r1 = rows * (rb + 1) / nrb; r < r1; ++r) {
        const int64_t off = r * cols + c0;
        drive<Op, 2>(f, g + off, xy + off, gx + off, c1 - c0);
        add_row(acc + c0, gx + off, c1 - c0);
      }
    }
  });
  for (int64_t rb = 1; rb < nrb; ++rb)
    for (int64_t j = 0; j < cols; ++j) part[j] += part[rb * cols + j];
  for (int64_t j = 0; j < cols; ++j) gb[j] = static_cast<S>(part[j]);
}

// The three storage types' instances of one entry point, in table order.
template <template <class> class Fn, bool kDeriv> constexpr BiasActFn kFwd[3] = {
    bias_act_fwd<Fn, _Float16, kDeriv>, bias_act_fwd<Fn, float, kDeriv>, bias_act_fwd<Fn, double, kDeriv>};
template <class Op, template <class> class Fn> constexpr BiasActGradFn kBwd[3] = {
    bias_act_bwd<Op, Fn, _Float16>, bias_act_bwd<Op, Fn, float>, bias_act_bwd<Op, Fn, double>};

template <class P> void put3(P (&slot)[3], const P (&from)[3]) { std::copy(from, from + 3, slot); }
template <class P> void none3(P (&slot)[3]) { std::fill(slot, slot + 3, nullptr); }

// Fills one kernel's fused entries (fwd_deriv and bwd_y only where the functor has them).
template <template <class> class Fn>
void fill_fused(FusedFns& e) {
  put3(e.fwd, kFwd<Fn, false>);
  put3(e.bwd_x, kBwd<BackwardX, Fn>);
  // The same for every kernel: the product costs what relu does (Linear's grain).
  put3(e.bwd_d, kBwd<TimesDeriv, KeptDeriv>);
  if constexpr (has_fwd_deriv<Fn<float>>::value) put3(e.fwd_deriv, kFwd<Fn, true>);
  else none3(e.fwd_deriv);
  if constexpr (has_bwd_y<Fn<float>>::value) put3(e.bwd_y, kBwd<BackwardY, Fn>);
  else none3(e.bwd_y);
}

}}  // namespace pyact::<isa>
