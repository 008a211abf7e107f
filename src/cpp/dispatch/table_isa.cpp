// Compiled once per ISA with that ISA's flags and -DPYACT_TARGET=<isa>: instantiates
// every kernel for every dtype and fills that ISA's table. The only file that includes
// the kernels.
#include "dispatch/table.h"
#include "kernels/apply.h"
#include "kernels/learnable.h"
#include "kernels/piecewise.h"

#define PYACT_CAT2(a, b) a##b
#define PYACT_CAT(a, b) PYACT_CAT2(a, b)

namespace pyact {
namespace PYACT_TARGET {
namespace {

template <template <class> class Fn>
void fill_elementwise(ElementwiseFns& e) {
  e.fwd[0] = run<Forward, Fn, _Float16, 1>;
  e.fwd[1] = run<Forward, Fn, float, 1>;
  e.fwd[2] = run<Forward, Fn, double, 1>;
  e.bwd_x[0] = run<BackwardX, Fn, _Float16, 2>;
  e.bwd_x[1] = run<BackwardX, Fn, float, 2>;
  e.bwd_x[2] = run<BackwardX, Fn, double, 2>;
  if constexpr (has_bwd_y<Fn<float>>::value) {
    e.bwd_y[0] = run<BackwardY, Fn, _Float16, 2>;
    e.bwd_y[1] = run<BackwardY, Fn, float, 2>;
    e.bwd_y[2] = run<BackwardY, Fn, double, 2>;
  } else {
    e.bwd_y[0] = e.bwd_y[1] = e.bwd_y[2] = nullptr;
  }
}

}  // namespace
}  // namespace PYACT_TARGET

void PYACT_CAT(fill_table_, PYACT_TARGET)(KernelTable& t) {
  using namespace PYACT_TARGET;
#define PYACT_ELEMENTWISE(name, Functor) fill_elementwise<Functor>(t.elementwise[static_cast<int>(Kernel::name)]);
#include "kernels/activations.inc"
#undef PYACT_ELEMENTWISE
  fill_learnable(t.learnable);
}

}  // namespace pyact
