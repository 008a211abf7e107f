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
// Path of the loaded OpenMP runtime library pyact uses ("" without OpenMP).
std::string openmp_runtime();
}  // namespace pyact
