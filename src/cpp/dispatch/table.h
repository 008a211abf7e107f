// The function table of one ISA: what the per-ISA translation units fill and what
// bindings.cpp calls. Compiled into every ISA's object and the baseline module, so it
// holds only plain types.
#pragma once
#include <cstdint>

#include "kernels/learnable_fns.h"

namespace pyact {

enum class Isa : int { scalar = 0, sse4, avx2, avx512, neon, count };
const char* isa_name(Isa isa);

// Storage dtypes, indexed as in the tables.
enum class Dtype : int { f16 = 0, f32 = 1, f64 = 2, count };

enum class Kernel : int {
#define PYACT_ELEMENTWISE(name, Functor) name,
#include "kernels/activations.inc"
#undef PYACT_ELEMENTWISE
  count
};
constexpr int kNumKernels = static_cast<int>(Kernel::count);

// in: 1 pointer (forward: x) or 2 (backward: g, then x or y). params: catalog order.
using ElementwiseFn = void (*)(const void* const* in, void* out, int64_t n, const double* params);

struct ElementwiseFns {
  ElementwiseFn fwd[3];
  ElementwiseFn bwd_x[3];
  ElementwiseFn bwd_y[3];  // nullptr where the kernel cannot run from y
};

// Along an axis (kernels/axis.h): C-contiguous arrays viewed as (outer, n, inner), the
// axis of length n in the middle. in: forward {x}; backward {g, y} for the softmax
// family, {g, x} for glu and maxout (g has the forward output's shape). params: maxout's
// pieces.
enum class AxisOp : int { softmax = 0, log_softmax, softmin, glu, maxout, count };
constexpr int kNumAxisOps = static_cast<int>(AxisOp::count);
using AxisFn = void (*)(const void* const* in, void* out, int64_t outer, int64_t n, int64_t inner,
                        const double* params);

struct AxisFns {
  AxisFn fwd[kNumAxisOps][3];
  AxisFn bwd[kNumAxisOps][3];
};

// The fused dense-layer epilogue (kernels/fused.h), one entry per elementwise kernel.
// fwd: out = f(x + bias) over rows x cols; pre (nullable, may be x) receives x + bias.
// bwd: grad_x = f'(.) * g from the pre-activation (bwd_x), the output (bwd_y) or the
// derivative kept by fwd_deriv (bwd_d), and grad_bias = its column sums, deterministic
// for any thread count.
using BiasActFn = void (*)(const void* x, const void* bias, void* out, void* pre, int64_t rows, int64_t cols,
                           const double* params);
using BiasActGradFn = void (*)(const void* g, const void* xy, void* grad_x, void* grad_bias, int64_t rows,
                               int64_t cols, const double* params);

struct FusedFns {
  BiasActFn fwd[3];
  BiasActFn fwd_deriv[3];  // out = f(x + bias), pre (required) = f'(x + bias); nullptr unless shared
  BiasActGradFn bwd_x[3];
  BiasActGradFn bwd_y[3];  // nullptr where the kernel cannot run from y
  BiasActGradFn bwd_d[3];  // grad_x = g * the derivative kept by fwd_deriv
};

struct KernelTable {
  Isa isa;
  ElementwiseFns elementwise[kNumKernels];
  LearnableFns learnable;  // kernels/learnable.h
  AxisFns axis;
  FusedFns fused[kNumKernels];
};

// One per compiled ISA (dispatch/table_isa.cpp, built once per ISA). Call only when
// the CPU supports that ISA: the function itself is compiled with its instructions.
#define PYACT_DECLARE_FILL(isa) void fill_table_##isa(KernelTable& t);
PYACT_DECLARE_FILL(scalar)
PYACT_DECLARE_FILL(sse4)
PYACT_DECLARE_FILL(avx2)
PYACT_DECLARE_FILL(avx512)
PYACT_DECLARE_FILL(neon)
#undef PYACT_DECLARE_FILL

// dispatch/cpu.cpp: whether this CPU and OS can run an ISA.
bool cpu_supports(Isa isa);
// Whether a multiply or FMA that reads or makes a denormal takes a microcode assist here:
// on every Intel core (20-90x a vector's time, docs/PERFORMANCE.md); not on AMD's (a Zen 5
// runs the formulas on denormals at the speed of N(0, 9) data), nor on aarch64. Other x86
// vendors: assumed to (the detour is right everywhere, only slower where not needed).
bool cpu_denormal_assists();
// Whether this build compiled an ISA.
bool isa_compiled(Isa isa);

// dispatch/select.cpp: the table in use (best supported, or PYACT_ISA).
const KernelTable* table_for(Isa isa);  // nullptr if not compiled or not supported
const KernelTable& active_table();
// Selects an ISA for all later calls; throws std::invalid_argument naming the valid ones.
void use_isa(const char* name);
// The ISA named by PYACT_ISA, or the best supported; throws like use_isa.
void select_at_import();

}  // namespace pyact
