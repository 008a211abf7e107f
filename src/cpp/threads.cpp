#include "threads.h"

#include "dispatch/table.h"

#include <atomic>
#include <string>
#include <pthread.h>
#ifdef PYACT_OPENMP
#include <dlfcn.h>
#include <omp.h>
#endif

namespace pyact {
namespace {
std::atomic<int> g_requested{0};
std::atomic<bool> g_forked_child{false};
std::atomic<int64_t> g_grain{0};
// The L3 of this Zen 4 (32 MiB), and where streaming starts to pay on it: a chain of
// three out-of-place float32 calls (tanh, sigmoid, tanh) on 2 threads took 1.01-1.14x
// the time streamed at 16-24 MiB per call (the next call would have found the output
// in the cache), 0.91-1.18x at 32 MiB, 0.87-0.94x at 40-48 and 0.78-0.81x at 64-128
// (docs/PERFORMANCE.md, "Streaming stores").
constexpr int64_t kStreamBytes = int64_t{32} << 20;
std::atomic<int64_t> g_stream_bytes{kStreamBytes};
std::atomic<int> g_assists{-1};  // -1: the CPU's answer

// After fork() only the calling thread exists in the child; libgomp's pool of the
// parent is gone but libgomp believes it is there. Run single-threaded in the child.
void mark_forked_child() { g_forked_child.store(true); }
const bool g_atfork_registered = [] {
  pthread_atfork(nullptr, nullptr, mark_forked_child);
  return true;
}();
}  // namespace

int thread_count() {
  (void)g_atfork_registered;
  if (g_forked_child.load(std::memory_order_relaxed)) return 1;
  const int requested = g_requested.load(std::memory_order_relaxed);
  if (requested > 0) return requested;
#ifdef PYACT_OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

int requested_thread_count() { return g_requested.load(); }

void set_thread_count(int n) { g_requested.store(n > 0 ? n : 0); }

int64_t grain_override() { return g_grain.load(std::memory_order_relaxed); }
void set_grain_override(int64_t n) { g_grain.store(n > 0 ? n : 0); }
int64_t stream_bytes() { return g_stream_bytes.load(std::memory_order_relaxed); }
void set_stream_bytes(int64_t n) { g_stream_bytes.store(n > 0 ? n : kStreamBytes); }
bool denormal_assists() {
  static const bool cpu = cpu_denormal_assists();
  const int forced = g_assists.load(std::memory_order_relaxed);
  return forced < 0 ? cpu : forced > 0;
}
void set_denormal_assists(int v) { g_assists.store(v < 0 ? -1 : v > 0); }
std::string openmp_runtime() {
#ifdef PYACT_OPENMP
  // The shared object that omp_get_max_threads resolved to for this module: the OpenMP
  // runtime pyact's threads come from (libgomp, libomp, a wheel's bundled copy ...).
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&omp_get_max_threads), &info) && info.dli_fname)
    return info.dli_fname;
  return "linked statically";
#else
  return "";
#endif
}

bool have_openmp() {
#ifdef PYACT_OPENMP
  return true;
#else
  return false;
#endif
}
}  // namespace pyact
