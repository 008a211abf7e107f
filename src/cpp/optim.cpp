// The trainer's optimiser step (optim.h): PyTorch's update rules (torch.optim.Adam / SGD,
// single-tensor path) operation for operation, in one pass over (param, grad, state).
//
// Memory-bound, so a plain loop that the compiler vectorises for the baseline ISA is as
// fast as a hand-written one; it is compiled once, here, not per ISA (table_isa.cpp).
// Every element's arithmetic is independent of the others and of how the range is cut
// (no FMA contraction: -ffp-contract=off), so any thread count gives the same bits.
#include "optim.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "threads.h"

namespace pyact {
namespace optim {
namespace {

// Elements per thread below which a second thread costs more than it saves. Each
// element moves 20-28 bytes, so the step is memory-bound: on the (loaded) 2-core
// development machine two threads were 0.59-0.96x one thread from 4 Ki to 1 Mi float32
// elements and 1.1x at 1.33 M (`pytest benchmarks/bench_optim.py --benchmark-only -s`,
// docs/PERFORMANCE.md). 256 Ki per thread keeps biases and small layers on one thread
// and still lets a many-core machine split a large weight segment.
constexpr int64_t kGrain = int64_t{1} << 18;

// Threads for a pass over n elements.
int64_t threads_for(int64_t n) {
  const int64_t forced = grain_override();  // tests and benchmarks (_core._set_grain)
  return std::max<int64_t>(1, std::min<int64_t>(thread_count(), n / (forced > 0 ? forced : kGrain)));
}

// fn(begin, end) over [0, n), one contiguous piece per thread, each boundary a multiple
// of `align`.
template <class Fn> void parallel_split(int64_t n, int64_t align, int64_t threads, const Fn& fn) {
#ifdef _OPENMP
  if (threads > 1) {
#pragma omp parallel num_threads(static_cast<int>(threads))
    {
      const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t units = (n + align - 1) / align;
      const int64_t b = std::min(n, units * t / nt * align), e = std::min(n, units * (t + 1) / nt * align);
      if (b < e) fn(b, e);
    }
    return;
  }
#endif
  (void)threads;
  if (n > 0) fn(0, n);
}

// Pieces are summed in blocks of kBlock elements from the piece's start, 8 lanes per
// block, and the blocks in order: a fixed order of additions, whatever the threads.
constexpr int64_t kBlock = 4096;

template <class T> double block_sumsq(const T* __restrict g, int64_t b, int64_t e) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = b;
  for (; i + 8 <= e; i += 8)
    for (int j = 0; j < 8; ++j) {
      const double x = static_cast<double>(g[i + j]);
      acc[j] += x * x;
    }
  double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < e; ++i) {
    const double x = static_cast<double>(g[i]);
    s += x * x;
  }
  return s;
}

// update(begin, end) over [0, n) on threads (pieces aligned to 16 elements, so no two
// threads write one cache line), with the sums of squares of g when sq.out is set.
template <class T, class Fn> void run_step(int64_t n, const T* g, const SqNorms& sq, const Fn& update) {
  const int64_t threads = threads_for(n);
  if (!sq.out) {
    parallel_split(n, 16, threads, update);
    return;
  }
  std::vector<int64_t> start, piece;  // block k: [start[k], start[k + 1]) of piece[k]
  for (int64_t k = 0; k < sq.pieces; ++k)
    for (int64_t b = sq.bounds[k]; b < sq.bounds[k + 1]; b += kBlock) {
      start.push_back(b);
      piece.push_back(k);
    }
  const int64_t blocks = static_cast<int64_t>(start.size());
  start.push_back(n);
  std::vector<double> sums(blocks);
  parallel_split(blocks, 1, threads, [&](int64_t kb, int64_t ke) {
    for (int64_t k = kb; k < ke; ++k) {
      const int64_t e = std::min(start[k + 1], sq.bounds[piece[k] + 1]);
      update(start[k], e);
      sums[k] = block_sumsq(g, start[k], e);
    }
  });
  std::fill(sq.out, sq.out + sq.pieces, 0.0);
  for (int64_t k = 0; k < blocks; ++k) sq.out[piece[k]] += sums[k];
}

// torch.optim.Adam, _single_tensor_adam (amsgrad=False, maximize=False):
//   grad = grad + wd * param                       (only when wd != 0)
//   m.lerp_(grad, 1 - beta1)                       (ATen lerp: small-weight form when < 0.5)
//   v = v * beta2;  v = v + (1 - beta2) * grad * grad       (mul_, addcmul_)
//   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
//   param = param + (-lr / (1 - beta1^t)) * m / denom       (addcdiv_)
// The scalars are rounded to T once, as ATen does for a float tensor.
template <class T> struct AdamScalars {
  T wd, w1, w1c, b2, c2, bc2_sqrt, neg_step, eps;
};

// One loop body per (decay, lerp form), so that each vectorises without a branch.
template <class T, bool kDecay, bool kSmall>
void adam_range(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, int64_t b, int64_t e,
                const AdamScalars<T>& s) {
  const T wd = s.wd, w1 = s.w1, w1c = s.w1c, b2 = s.b2, c2 = s.c2, bc2_sqrt = s.bc2_sqrt, neg_step = s.neg_step,
          eps = s.eps;
  for (int64_t i = b; i < e; ++i) {
    T gi = g[i];
    if (kDecay) gi = gi + wd * p[i];
    T mi = m[i];
    if (kSmall) mi = mi + w1 * (gi - mi);
    else mi = gi - (gi - mi) * w1c;
    T vi = v[i] * b2;
    vi = vi + c2 * gi * gi;
    const T denom = std::sqrt(vi) / bc2_sqrt + eps;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] + neg_step * mi / denom;
  }
}

}  // namespace

template <class T>
void adam(T* p, const T* g, T* m, T* v, int64_t n, const AdamArgs& a, const SqNorms& sq) {
  const double t = static_cast<double>(a.step);
  AdamScalars<T> s;
  s.wd = static_cast<T>(a.weight_decay);
  s.w1 = static_cast<T>(1.0 - a.beta1);  // lerp weight
  s.w1c = static_cast<T>(1.0 - static_cast<double>(s.w1));  // ATen: opmath(1) - weight
  s.b2 = static_cast<T>(a.beta2);
  s.c2 = static_cast<T>(1.0 - a.beta2);
  s.bc2_sqrt = static_cast<T>(std::sqrt(1.0 - std::pow(a.beta2, t)));
  s.neg_step = static_cast<T>(-(a.lr / (1.0 - std::pow(a.beta1, t))));
  s.eps = static_cast<T>(a.eps);
  const bool decay = a.weight_decay != 0.0, small = std::fabs(1.0 - a.beta1) < 0.5;
  run_step(n, g, sq, [&](int64_t b, int64_t e) {
    if (decay) {
      if (small) adam_range<T, true, true>(p, g, m, v, b, e, s);
      else adam_range<T, true, false>(p, g, m, v, b, e, s);
    } else {
      if (small) adam_range<T, false, true>(p, g, m, v, b, e, s);
      else adam_range<T, false, false>(p, g, m, v, b, e, s);
    }
  });
}

// torch.optim.SGD, _single_tensor_sgd (dampening=0, maximize=False):
//   grad = grad + wd * param                       (only when wd != 0)
//   buf = grad (first step) or buf * momentum + grad         (momentum != 0)
//   grad = grad + momentum * buf (nesterov) or buf
//   param = param + (-lr) * grad
// buf may be null when momentum == 0.
template <class T>
void sgd(T* __restrict p, const T* __restrict g, T* __restrict buf, int64_t n, double lr, double momentum,
         bool nesterov, double weight_decay, bool first, const SqNorms& sq) {
  const T wd = static_cast<T>(weight_decay), mu = static_cast<T>(momentum), neg_lr = static_cast<T>(-lr);
  const bool decay = weight_decay != 0.0, use_buf = momentum != 0.0;
  run_step(n, g, sq, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T gi = g[i];
      if (decay) gi = gi + wd * p[i];
      if (use_buf) {
        const T bi = first ? gi : buf[i] * mu + gi;
        buf[i] = bi;
        gi = nesterov ? gi + mu * bi : bi;
      }
      p[i] = p[i] + neg_lr * gi;
    }
  });
}

template void adam<float>(float*, const float*, float*, float*, int64_t, const AdamArgs&, const SqNorms&);
template void adam<double>(double*, const double*, double*, double*, int64_t, const AdamArgs&, const SqNorms&);
template void sgd<float>(float*, const float*, float*, int64_t, double, double, bool, double, bool, const SqNorms&);
template void sgd<double>(double*, const double*, double*, int64_t, double, double, bool, double, bool,
                          const SqNorms&);

}  // namespace optim
}  // namespace pyact
