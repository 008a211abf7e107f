// Thread policy shared by every ISA's kernels. Compiled once (baseline) in threads.cpp.
#pragma once
#include <cstdint>
#include <string>

namespace pyact {
// Threads a kernel may use now: pa.set_num_threads(n) if set, else OpenMP's default for
// the calling thread (OMP_NUM_THREADS, threadpoolctl), else 1 in a child forked after
// OpenMP ran (GNU OpenMP's pool does not survive fork).
int thread_count();
// What pa.set_num_threads asked for (0: OpenMP's default).
int requested_thread_count();
// n <= 0 restores OpenMP's default.
void set_thread_count(int n);
bool have_openmp();
// Benchmarks only (benchmarks/bench_threads.py): replace every kernel's grain by n
// elements per thread (0: the compiled grains). Lets the sweep time 2 threads on
// sizes the compiled grain keeps on one.
int64_t grain_override();
void set_grain_override(int64_t n);
// A call whose inputs and output together exceed this many bytes writes its output with
// stores that go around the cache (kernels/apply.h, run_streamed). n <= 0 restores the
// default (tests force the path with a small n).
int64_t stream_bytes();
void set_stream_bytes(int64_t n);
// Whether a multiply (or FMA) that reads or makes a denormal takes a microcode assist on
// this CPU, so that the elementwise driver sends a denormal x around the formulas
// (kernels/apply.h, the denormal detour): cpu_denormal_assists() unless a test forced it
// (set_denormal_assists(1 or 0); -1 restores the CPU's answer).
bool denormal_assists();
void set_denormal_assists(int v);
// Path of the loaded OpenMP runtime library pyact uses ("" without OpenMP).
std::string openmp_runtime();
}  // namespace pyact
