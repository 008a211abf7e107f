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

struct KernelTable {
  Isa isa;
  ElementwiseFns elementwise[kNumKernels];
  LearnableFns learnable;  // kernels/learnable.h
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
