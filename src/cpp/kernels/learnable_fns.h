// The learnable family's part of the dispatch table (kernels/learnable.h fills it):
// plain types only, so that table.h and the baseline module can include it.
#pragma once
#include <cstdint>

namespace pyact {

// Per-channel kernels: x viewed as (outer, channels, inner), C-contiguous; parameter k
// of channel c at params[k * channels + c] (float64). A shared parameter is the view
// (1, 1, n). The list's order defines the ids (_core.learnable_names()).
#define PYACT_LEARNABLE_KINDS(X) X(prelu) X(srelu) X(apl) X(swish)
enum class Learnable : int {
#define PYACT_X(name) name,
  PYACT_LEARNABLE_KINDS(PYACT_X)
#undef PYACT_X
  count
};
constexpr int kNumLearnable = static_cast<int>(Learnable::count);

struct ChannelShape {
  int64_t outer, channels, inner;
  int nparams;  // parameters per channel (apl: 2 * hinges, a rows then b rows)
};

// y = f(x; params).
using ChannelFwdFn = void (*)(const void* x, void* y, const ChannelShape& s, const double* params);
// dx = g * df/dx and dparams[k * channels + c] = sum over every other axis of
// g * df/dparam_k, in the same pass; the same bits for any thread count.
using ChannelBwdFn = void (*)(const void* g, const void* x, void* dx, const ChannelShape& s, const double* params,
                              double* dparams);

// RReLU over a flat C-order buffer: the slope of element j is
// lower + (upper - lower) * u(seed, j) when training, (lower + upper) / 2 otherwise.
struct RreluArgs {
  double lower, upper;
  uint64_t seed;
  bool training;
};
// in: {x} (forward) or {g, x} (backward).
using RreluFn = void (*)(const void* const* in, void* out, int64_t n, const RreluArgs& a);

struct LearnableFns {
  ChannelFwdFn fwd[kNumLearnable][3];
  ChannelBwdFn bwd[kNumLearnable][3];
  RreluFn rrelu_fwd[3];
  RreluFn rrelu_bwd[3];
};

}  // namespace pyact
