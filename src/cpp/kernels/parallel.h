// parallel_for: the one way kernels use threads (DESIGN.md §5, STYLE.md §8).
#pragma once
#include <algorithm>
#include <cstdint>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "threads.h"

namespace pyact { namespace PYACT_TARGET {

// Pieces per thread. A worker that sleeps between regions (OMP_WAIT_POLICY=passive,
// pyact's default) wakes 0.1-0.2 ms late on these VMs, and a core may be held by
// another library's spinning thread: with one piece per thread the others wait for
// the late one's piece; with several, taken in turn, they do its share.
constexpr int64_t kPiecesPerThread = 4;

// Calls fn(begin, end) over contiguous pieces of [0, n), kPiecesPerThread per thread,
// each handed to whichever thread asks next; each boundary a multiple of `align`
// elements, so no two threads share a cache line and every piece starts on a vector
// boundary of the buffer. A single call on the calling thread when n <= grain or one
// thread is allowed. Pieces never change what an element computes (kernels are
// lane-independent), so results depend neither on the split nor on who runs a piece.
template <class Fn>
void parallel_for(int64_t n, int64_t grain, int64_t align, const Fn& fn) {
  const int64_t max_threads = thread_count();
  const int64_t want = grain > 0 ? (n + grain - 1) / grain : max_threads;
  const int64_t threads = std::min<int64_t>(max_threads, want);
#ifdef _OPENMP
  if (threads > 1) {
    const int64_t units = (n + align - 1) / align;  // split whole aligned units
    const int64_t pieces = std::min(units, threads * kPiecesPerThread);
#pragma omp parallel for num_threads(static_cast<int>(threads)) schedule(dynamic, 1)
    for (int64_t p = 0; p < pieces; ++p) {
      const int64_t begin = std::min(n, units * p / pieces * align);
      const int64_t end = std::min(n, units * (p + 1) / pieces * align);
      if (begin < end) fn(begin, end);
    }
    return;
  }
#endif
  if (n > 0) fn(0, n);
}

}}  // namespace pyact::<isa>
