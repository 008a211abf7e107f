// parallel_for: the one way kernels use threads (DESIGN.md §5, STYLE.md §8).
#pragma once
#include <algorithm>
#include <cstdint>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "threads.h"

namespace pyact { namespace PYACT_TARGET {

// Calls fn(begin, end) over contiguous pieces of [0, n): one piece per thread, each
// boundary a multiple of `align` elements, so no two threads share a cache line and
// every piece starts on a vector boundary of the buffer. A single call on the calling
// thread when n <= grain or one thread is allowed. Pieces never change what an element
// computes (kernels are lane-independent), so results do not depend on the split.
template <class Fn>
void parallel_for(int64_t n, int64_t grain, int64_t align, const Fn& fn) {
  const int64_t max_threads = thread_count();
  const int64_t want = grain > 0 ? (n + grain - 1) / grain : max_threads;
  const int64_t threads = std::min<int64_t>(max_threads, want);
#ifdef _OPENMP
  if (threads > 1) {
#pragma omp parallel num_threads(static_cast<int>(threads))
    {
      const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t units = (n + align - 1) / align;  // split whole aligned units
      const int64_t begin = std::min(n, units * t / nt * align);
      const int64_t end = std::min(n, units * (t + 1) / nt * align);
      if (begin < end) fn(begin, end);
    }
    return;
  }
#endif
  if (n > 0) fn(0, n);
}

}}  // namespace pyact::<isa>
