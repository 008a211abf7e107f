// pyact._core's learnable family: per-channel kernels (prelu, srelu, apl) with their
// parameter gradients, and rrelu. Thin, like bindings.cpp: it checks what the Python
// layer (pyact/learnable.py) promised, releases the GIL and calls the active table.
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


// Inputs and out: one dtype, n elements, C-contiguous; out writeable. Returns the dtype index.
int check(std::initializer_list<const py::array*> ins, const py::array& out, int64_t n) {
  const int dt = bind::dtype_of(out);
  if (!out.writeable()) throw py::value_error("pyact._core: output array is read-only");
  for (const py::array* a : ins) {
    if (bind::dtype_of(*a) != dt) throw py::type_error("pyact._core: input and output dtypes differ");
  }
  for (const py::array* a : ins) {
    if (a->size() != n) throw py::value_error("pyact._core: array size does not match the shape");
    if (!bind::c_contiguous(*a)) throw py::value_error("pyact._core: arrays must be C-contiguous");
  }
  if (out.size() != n) throw py::value_error("pyact._core: array size does not match the shape");
  if (!bind::c_contiguous(out)) throw py::value_error("pyact._core: arrays must be C-contiguous");
  return dt;
}

int kind_index(int kind) {
  if (kind < 0 || kind >= kNumLearnable) throw py::index_error("pyact._core: unknown learnable kernel id");
  return kind;
}

ChannelShape shape_of(int64_t outer, int64_t channels, int64_t inner, int nparams,
                      const py::array_t<double, py::array::c_style>& params) {
  if (outer < 0 || channels < 1 || inner < 0 || nparams < 1)
    throw py::value_error("pyact._core: invalid (outer, channels, inner, nparams)");
  if (params.size() != static_cast<py::ssize_t>(nparams) * channels)
    throw py::value_error("pyact._core: params must hold nparams * channels values");
  return ChannelShape{outer, channels, inner, nparams};
}

}  // namespace

void bind_learnable(py::module_& m) {
  m.def("learnable_names", [] {
    return std::vector<std::string>{
#define PYACT_X(name) #name,
        PYACT_LEARNABLE_KINDS(PYACT_X)
#undef PYACT_X
    };
  }, "Per-channel learnable kernel names in id order.");

  m.def("channel_forward", [](int kind, const py::array& x, py::array& out,
                              const py::array_t<double, py::array::c_style>& params, int64_t outer, int64_t channels,
                              int64_t inner, int nparams) {
    const ChannelShape s = shape_of(outer, channels, inner, nparams, params);
    const int64_t n = outer * channels * inner;
    const int dt = check({&x}, out, n);
    const ChannelFwdFn fn = active_table().learnable.fwd[kind_index(kind)][dt];
    const void* xp = x.data();
    void* yp = out.mutable_data();
    const double* pp = params.data();
    bind::run_released(n, [&] { fn(xp, yp, s, pp); });
  }, py::arg("kind"), py::arg("x"), py::arg("out"), py::arg("params"), py::arg("outer"), py::arg("channels"),
     py::arg("inner"), py::arg("nparams"),
     "out = f(x; params), x viewed as (outer, channels, inner); params (nparams, channels) float64.");

  m.def("channel_backward", [](int kind, const py::array& g, const py::array& x, py::array& out,
                               const py::array_t<double, py::array::c_style>& params, int64_t outer,
                               int64_t channels, int64_t inner, int nparams) {
    const ChannelShape s = shape_of(outer, channels, inner, nparams, params);
    const int64_t n = outer * channels * inner;
    const int dt = check({&g, &x}, out, n);
    const ChannelBwdFn fn = active_table().learnable.bwd[kind_index(kind)][dt];
    py::array_t<double> dparams({static_cast<py::ssize_t>(nparams), static_cast<py::ssize_t>(channels)});
    const void* gp = g.data();
    const void* xp = x.data();
    void* op = out.mutable_data();
    const double* pp = params.data();
    double* dp = dparams.mutable_data();
    bind::run_released(n, [&] { fn(gp, xp, op, s, pp, dp); });
    return dparams;
  }, py::arg("kind"), py::arg("g"), py::arg("x"), py::arg("out"), py::arg("params"), py::arg("outer"),
     py::arg("channels"), py::arg("inner"), py::arg("nparams"),
     "out = dL/dx; returns dL/dparams (nparams, channels), summed over every other axis.");

  m.def("rrelu_forward", [](const py::array& x, py::array& out, double lower, double upper, uint64_t seed,
                            bool training) {
    const int dt = check({&x}, out, x.size());
    const RreluFn fn = active_table().learnable.rrelu_fwd[dt];
    const RreluArgs a{lower, upper, seed, training};
    const void* in[1] = {x.data()};
    void* op = out.mutable_data();
    bind::run_released(x.size(), [&] { fn(in, op, x.size(), a); });
  }, py::arg("x"), py::arg("out"), py::arg("lower"), py::arg("upper"), py::arg("seed"), py::arg("training"),
     "out = rrelu(x); element j of the C-order buffer draws its slope from (seed, j).");

  m.def("rrelu_backward", [](const py::array& g, const py::array& x, py::array& out, double lower, double upper,
                             uint64_t seed, bool training) {
    const int dt = check({&g, &x}, out, x.size());
    const RreluFn fn = active_table().learnable.rrelu_bwd[dt];
    const RreluArgs a{lower, upper, seed, training};
    const void* in[2] = {g.data(), x.data()};
    void* op = out.mutable_data();
    bind::run_released(x.size(), [&] { fn(in, op, x.size(), a); });
  }, py::arg("g"), py::arg("x"), py::arg("out"), py::arg("lower"), py::arg("upper"), py::arg("seed"),
     py::arg("training"), "out = dL/dx of rrelu, the slopes regenerated from (seed, j).");
}
