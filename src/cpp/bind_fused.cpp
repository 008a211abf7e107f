// pyact._core.bias_act / bias_act_grad: the fused dense-layer epilogue (kernels/fused.h).
// Thin as bindings.cpp: checks that the buffers are what pyact/fused.py promised (one
// float dtype, C-contiguous, matching shapes, a bias of one row), releases the GIL and
// calls the active ISA's table.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <vector>

#include "bind_util.h"
#include "dispatch/table.h"

namespace py = pybind11;
using namespace pyact;

namespace {

constexpr int kMaxParams = 8;

// rows x cols of a C-contiguous array of ndim >= 1 (cols = the last axis).
struct Shape { int64_t rows, cols; };

// Checks every array (same dtype; the first `full` of them C-contiguous with the shape
// of the first; the rest one contiguous row of cols) and the writeable ones.
Shape check(std::initializer_list<const py::array*> full, std::initializer_list<py::array*> rows_of_one,
            std::initializer_list<const py::array*> writeable, int& dt) {
  const py::array& x = **full.begin();
  if (x.ndim() < 1) throw py::value_error("pyact._core: bias_act needs an array of ndim >= 1");
  dt = bind::dtype_of(x);
  const int64_t cols = x.shape(x.ndim() - 1);
  const int64_t rows = cols ? x.size() / cols : 0;
  for (const py::array* a : full) {
    if (bind::dtype_of(*a) != dt) throw py::type_error("pyact._core: arrays of different dtypes");
    if (a->ndim() != x.ndim() || !std::equal(x.shape(), x.shape() + x.ndim(), a->shape()))
      throw py::value_error("pyact._core: arrays of different shapes");
    if (!bind::c_contiguous(*a)) throw py::value_error("pyact._core: arrays must be C-contiguous");
  }
  for (const py::array* a : rows_of_one) {
    if (bind::dtype_of(*a) != dt) throw py::type_error("pyact._core: bias of a different dtype");
    if (a->ndim() != 1 || a->shape(0) != cols || !bind::c_contiguous(*a))
      throw py::value_error("pyact._core: bias must be a contiguous 1-d array of x.shape[-1] entries");
  }
  for (const py::array* a : writeable)
    if (!a->writeable()) throw py::value_error("pyact._core: output array is read-only");
  return {rows, cols};
}

std::vector<double> fused_params(const py::tuple& params) {
  if (params.size() > kMaxParams) throw py::value_error("pyact._core: too many parameters");
  std::vector<double> p(kMaxParams, 0.0);
  for (size_t i = 0; i < params.size(); ++i) p[i] = params[i].cast<double>();
  return p;
}

const FusedFns& fused(int kernel) {
  if (kernel < 0 || kernel >= kNumKernels) throw py::index_error("pyact._core: unknown kernel id");
  return active_table().fused[kernel];
}

}  // namespace

void bind_fused(py::module_& m) {
  m.def("bias_act", [](int kernel, const py::array& x, py::array& bias, py::array& out, py::object pre,
                       const py::tuple& params, bool deriv) {
    int dt = 0;
    void* pre_ptr = nullptr;
    Shape s{};
    if (pre.is_none()) {
      if (deriv) throw py::value_error("pyact._core: bias_act with deriv=True needs pre");
      s = check({&x, &out}, {&bias}, {&out}, dt);
    } else {
      py::array p = pre.cast<py::array>();
      s = check({&x, &out, &p}, {&bias}, {&out, &p}, dt);
      pre_ptr = p.mutable_data();
    }
    const auto prm = fused_params(params);
    const BiasActFn fn = deriv ? fused(kernel).fwd_deriv[dt] : fused(kernel).fwd[dt];
    if (!fn) throw py::value_error("pyact._core: this kernel has no forward with its derivative");
    bind::run_released(s.rows * s.cols, [&] { fn(x.data(), bias.data(), out.mutable_data(), pre_ptr, s.rows, s.cols, prm.data()); });
  }, py::arg("kernel"), py::arg("x"), py::arg("bias"), py::arg("out"), py::arg("pre"), py::arg("params"),
     py::arg("deriv") = false,
     "out = f(x + bias) (bias over the last axis); pre, unless None, receives x + bias, or f'(x + bias)\n"
     "with deriv=True (for bias_act_grad with source=2).");

  m.def("bias_act_has_deriv", [](int kernel) { return fused(kernel).fwd_deriv[1] != nullptr; }, py::arg("kernel"),
        "Whether bias_act(deriv=True) exists for this kernel (its forward and derivative share work).");

  m.def("bias_act_grad", [](int kernel, int source, const py::array& g, const py::array& xy, py::array& grad_x,
                            py::array& grad_bias, const py::tuple& params) {
    int dt = 0;
    const Shape s = check({&g, &xy, &grad_x}, {&grad_bias}, {&grad_x, &grad_bias}, dt);
    const auto prm = fused_params(params);
    if (source < 0 || source > 2) throw py::value_error("pyact._core: source must be 0 (x), 1 (y) or 2 (f'(x))");
    const FusedFns& k = fused(kernel);
    const BiasActGradFn fn = source == 0 ? k.bwd_x[dt] : source == 1 ? k.bwd_y[dt] : k.bwd_d[dt];
    if (!fn) throw py::value_error("pyact._core: this kernel has no backward from y");
    bind::run_released(s.rows * s.cols, [&] {
      fn(g.data(), xy.data(), grad_x.mutable_data(), grad_bias.mutable_data(), s.rows, s.cols, prm.data());
    });
  }, py::arg("kernel"), py::arg("source"), py::arg("g"), py::arg("xy"), py::arg("grad_x"), py::arg("grad_bias"),
     py::arg("params"),
     "grad_x = f'(.) * g from xy: the pre-activation (source 0), y (1) or f' itself as kept by\n"
     "bias_act(deriv=True) (2); grad_bias = column sums of grad_x.");
}
