// pyact._core: the kernels along an axis (kernels/axis.h). Thin like bindings.cpp: it
// checks that the buffers match the (outer, n, inner) view the Python layer
// (pyact/axis.py) computed, so a misuse of the private API raises instead of crashing,
// then releases the GIL and calls the active ISA's table.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <initializer_list>
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

// One axis kernel with its parameter and axis bound (pyact/axis.py holds one per object):
// the fast path, as Bound is for the elementwise kernels. C-contiguous float arrays of
// matching dtypes and shapes, an out that is new, disjoint or the very same buffer; for
// anything else (F order, strides, other dtypes, empty arrays, an axis or length that
// does not fit, a partial overlap) it returns None and never raises: the Python layer
// then applies SPEC §2's rules and error messages.
struct AxisBound {
  AxisOp op;
  double p[1];
  int64_t axis;
  int64_t per;  // input elements per result element along the axis: 2 for glu, pieces for maxout, else 1
  AxisBound(int op_id, double param, int64_t ax) : op(op_of(op_id)), p{param}, axis(ax) {
    per = op == AxisOp::glu ? 2 : op != AxisOp::maxout ? 1 : param >= 1 && param <= 0x1p53 ? static_cast<int64_t>(param) : 0;
  }

  // The (outer, n, inner) view of a C-contiguous array and the result's axis length rn;
  // false when this is not the fast case.
  struct View { int ax; int64_t outer, n, inner, rn; };
  bool view(const bind::Flat& x, View& v) const {
    if (!x.ok || !x.c_order()) return false;  // (x.a is null unless x is an ndarray)
    const int nd = x.a->nd;
    if (nd < 1 || axis < -nd || axis >= nd) return false;
    v.ax = static_cast<int>(axis < 0 ? axis + nd : axis);
    v.outer = v.inner = 1;
    for (int k = 0; k < v.ax; ++k) v.outer *= x.a->dimensions[k];
    for (int k = v.ax + 1; k < nd; ++k) v.inner *= x.a->dimensions[k];
    v.n = x.a->dimensions[v.ax];
    if (per < 1 || v.n % per) return false;
    v.rn = v.n / per;
    return v.outer * v.rn * v.inner > 0;
  }
  // A shape on the stack, not a vector allocated per call (NumPy allows at most 64 axes).
  struct Dims {
    int nd;
    py::ssize_t d[64];
    const py::ssize_t* begin() const { return d; }
    const py::ssize_t* end() const { return d + nd; }
  };
  // x's shape with axis length len.
  static Dims dims_with(const bind::Flat& x, const View& v, int64_t len) {
    Dims r;
    r.nd = x.a->nd;
    std::copy(x.a->dimensions, x.a->dimensions + r.nd, r.d);
    r.d[v.ax] = len;
    return r;
  }
  // out (checked: C order, writeable, this dtype and shape, no partial overlap with the
  // inputs) or a new array; nullptr: not the fast case.
  static PyObject* result(const bind::Flat& like, const Dims& dims, py::handle out,
                          std::initializer_list<const bind::Flat*> inputs) {
    if (out.is_none()) return bind::new_array(like, dims.nd, dims.d);
    const bind::Flat o(out);
    if (!o.ok || !o.c_order() || !o.writeable() || o.dt != like.dt || o.a->nd != dims.nd ||
        !std::equal(dims.begin(), dims.end(), o.a->dimensions))
      return nullptr;
    for (const bind::Flat* in : inputs)
      if (!in->same_or_disjoint(o)) return nullptr;
    return out.inc_ref().ptr();
  }

  py::object forward(py::handle x, py::handle out) const {
    const bind::Flat fx(x);
    View v;
    if (!view(fx, v)) return py::none();
    PyObject* r = result(fx, dims_with(fx, v, v.rn), out, {&fx});
    if (!r) return py::none();
    auto res = py::reinterpret_steal<py::object>(r);
    const void* in[1] = {fx.a->data};
    call(active_table().axis.fwd[static_cast<int>(op)][fx.dt], in, py::detail::array_proxy(r)->data, v.outer, v.n, v.inner, p);
    return res;
  }

  // From y (softmax family) or x (glu, maxout): g has the forward result's shape.
  py::object backward(py::handle g, py::handle xy, py::handle out) const {
    const bind::Flat fg(g), fxy(xy);
    View v;
    if (!view(fxy, v) || !fg.ok || !fg.c_order() || fg.dt != fxy.dt) return py::none();
    const Dims gdims = dims_with(fxy, v, v.rn);
    if (fg.a->nd != fxy.a->nd || !std::equal(gdims.begin(), gdims.end(), fg.a->dimensions)) return py::none();
    PyObject* r = result(fxy, dims_with(fxy, v, v.n), out, {&fg, &fxy});
    if (!r) return py::none();
    auto res = py::reinterpret_steal<py::object>(r);
    const void* in[2] = {fg.a->data, fxy.a->data};
    call(active_table().axis.bwd[static_cast<int>(op)][fxy.dt], in, py::detail::array_proxy(r)->data, v.outer, v.n, v.inner, p);
    return res;
  }
};

}  // namespace

void bind_axis(py::module_& m) {
  m.def("axis_ops", [] {
    return std::vector<std::string>{"softmax", "log_softmax", "softmin", "glu", "maxout"};
  }, "Kernels along an axis, in id order (dispatch/table.h AxisOp).");

  py::class_<AxisBound>(m, "AxisBound", "An axis kernel with bound parameter and axis (the fast path).")
      .def(py::init<int, double, int64_t>(), py::arg("op"), py::arg("param"), py::arg("axis"))
      .def("forward", &AxisBound::forward, py::arg("x"), py::arg("out"),
           "op(x) along the axis into out (or a new array); None unless x is C-contiguous and out fits.")
      .def("backward", &AxisBound::backward, py::arg("g"), py::arg("xy"), py::arg("out"),
           "dL/dx from g and y (softmax family) or x (glu, maxout); None as for forward.");

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
