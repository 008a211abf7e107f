// ULP sweeps of the elementwise kernels against higher-precision references (SPEC §5,
// DESIGN.md §4). Compiled baseline; the kernels are called through the KernelTable
// of the ISA under test, never directly.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dispatch/table.h"

namespace pyact {

struct SweepResult {
  int64_t count = 0;             // points compared
  double max_ulp = 0;            // largest ULP distance to the rounded reference
  double worst_x = 0;            // an input where it occurs (the first such in sweep order)
  double worst_got = 0, worst_ref = 0;
  double max_ulp_beyond_abs = 0; // the largest among points also off by > abs_tol*max(1,|ref|)
  double worst_x_beyond_abs = 0;
  int64_t nan_mismatch = 0;      // NaN on one side only
  int64_t inf_mismatch = 0;      // inf (or its sign) on one side only
};

// Kernels that have a reference here (the transcendental and the parameter-free
// piecewise ones).
std::vector<std::string> sweep_kernels();

// Sweeps index i = start, start+step, ... < stop (at most 2^32). float32: i is the bit
// pattern. float64: i gives the top 32 bits (sign, exponent, leading mantissa: every
// binade equally, i.e. log-spaced) and a hash of i the low 32. direction: "fwd" or "bwd"
// (from x, with dL/dy = 1). References: double for float32, long double for float64.
SweepResult ulp_sweep(const std::string& kernel, const std::string& direction, Dtype dtype, uint64_t start,
                      uint64_t stop, uint64_t step, const KernelTable& table, const std::vector<double>& params,
                      double abs_tol);

}  // namespace pyact
