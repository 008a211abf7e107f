// pyact._core: the kernels along an axis (kernels/axis.h). Thin like bindings.cpp: it
// checks that the buffers match the (outer, n, inner) view the Python layer
// (pyact/axis.py) computed, so a misuse of the private API raises instead of crashing,
// then releases the GIL and calls the active ISA's table.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bind_util.h"
#include "dispatch/table.h"

namespace py = pybind11;
using namespace pyact;

namespace {


void check(const py::array& a, int64_t size, int dt, const char* what) {
  if (bind::dtype_of(a) != dt) throw py::type_error(std::string("pyact._core: dtype of ") + what + " differs");
  if (a.size() != size) throw py::value_error(std::string("pyact._core: ") + what + " has the wrong size");
  if (!(py::detail::array_proxy(a.ptr())->flags & py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_))
    throw py::value_error(std::string("pyact._core: ") + what + " must be C-contiguous");
}

// Size of the forward result for an input (outer, n, inner); throws on a bad shape.
int64_t result_size(AxisOp op, int64_t outer, int64_t n, int64_t inner, const double* p) {
  if (outer < 0 || n < 0 || inner < 0) throw py::value_error("pyact._core: negative extent");
  if (op == AxisOp::glu) {
    if (n % 2) throw py::value_error("pyact._core: glu needs an even axis length");
    return outer * (n / 2) * inner;
  }
  if (op == AxisOp::maxout) {
    const int64_t k = static_cast<int64_t>(p[0]);
    if (k < 1 || static_cast<double>(k) != p[0] || n % k) throw py::value_error("pyact._core: bad maxout pieces");
    return outer * (n / k) * inner;
  }
  return outer * n * inner;
}

AxisOp op_of(int op) {
  if (op < 0 || op >= kNumAxisOps) throw py::index_error("pyact._core: unknown axis op");
  return static_cast<AxisOp>(op);
}

void call(AxisFn fn, const void* const* in, void* out, int64_t outer, int64_t n, int64_t inner, const double* p) {
  bind::run_released(outer * n * inner, [&] { fn(in, out, outer, n, inner, p); });
}

}  // namespace

void bind_axis(py::module_& m) {
  m.def("axis_ops", [] {
    return std::vector<std::string>{"softmax", "log_softmax", "softmin", "glu", "maxout"};
  }, "Kernels along an axis, in id order (dispatch/table.h AxisOp).");

  m.def("axis_forward", [](int op_id, const py::array& x, py::array& out, int64_t outer, int64_t n, int64_t inner,
                           double param) {
    const AxisOp op = op_of(op_id);
    const double p[1] = {param};
    const int dt = bind::dtype_of(x);
    check(x, outer * n * inner, dt, "x");
    check(out, result_size(op, outer, n, inner, p), dt, "out");
    if (!out.writeable()) throw py::value_error("pyact._core: out is read-only");
    if (out.size() == 0) return;
    const void* in[1] = {x.data()};
    call(active_table().axis.fwd[op_id][dt], in, out.mutable_data(), outer, n, inner, p);
  }, py::arg("op"), py::arg("x"), py::arg("out"), py::arg("outer"), py::arg("n"), py::arg("inner"),
     py::arg("param") = 0.0,
     "out = op(x) along the middle axis of x viewed as (outer, n, inner).");

  m.def("axis_backward", [](int op_id, const py::array& g, const py::array& xy, py::array& out, int64_t outer,
                            int64_t n, int64_t inner, double param) {
    const AxisOp op = op_of(op_id);
    const double p[1] = {param};
    const int dt = bind::dtype_of(xy);
    check(g, result_size(op, outer, n, inner, p), dt, "g");
    check(xy, outer * n * inner, dt, "x/y");
    check(out, outer * n * inner, dt, "out");
    if (!out.writeable()) throw py::value_error("pyact._core: out is read-only");
    if (out.size() == 0) return;
    const void* in[2] = {g.data(), xy.data()};
    call(active_table().axis.bwd[op_id][dt], in, out.mutable_data(), outer, n, inner, p);
  }, py::arg("op"), py::arg("g"), py::arg("xy"), py::arg("out"), py::arg("outer"), py::arg("n"), py::arg("inner"),
     py::arg("param") = 0.0,
     "out = dL/dx along the middle axis: from y for the softmax family, from x for glu and maxout.");
}
