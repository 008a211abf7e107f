// pyact._core.adam_step / sgd_step: the trainer's fused optimiser step (optim.h). Thin,
// as bind_fused.cpp: checks the buffers (one float dtype, C-contiguous, one size, the
// written ones writeable; the optional norm pieces), releases the GIL and calls optim.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>

#include "bind_util.h"
#include "optim.h"

namespace py = pybind11;
using namespace pyact;
using optim::AdamArgs;
using optim::SqNorms;

namespace {

// p, g and the state arrays: one float dtype, C-contiguous, the same number of
// elements, the written ones writeable. Returns the dtype index.
int check(const py::array& p, const py::array& g, std::initializer_list<const py::array*> state) {
  const int dt = bind::dtype_of(p);
  if (dt == static_cast<int>(Dtype::f16)) throw py::type_error("pyact._core: the optimiser takes float32 or float64");
  auto same = [&](const py::array& a, bool write) {
    if (bind::dtype_of(a) != dt) throw py::type_error("pyact._core: optimiser arrays of different dtypes");
    if (a.size() != p.size()) throw py::value_error("pyact._core: optimiser arrays of different sizes");
    if (!bind::c_contiguous(a)) throw py::value_error("pyact._core: optimiser arrays must be C-contiguous");
    if (write && !a.writeable()) throw py::value_error("pyact._core: optimiser array is read-only");
  };
  same(p, true);
  same(g, false);
  for (const py::array* a : state) same(*a, true);
  return dt;
}

// bounds (int64, bounds[0] = 0 <= ... <= bounds[-1] = n) and sq_out (float64, one per
// piece), both or neither.
SqNorms sq_norms(const py::object& bounds, const py::object& sq_out, int64_t n, py::array_t<int64_t>& keep_b,
                 py::array_t<double>& keep_o) {
  SqNorms sq;
  if (bounds.is_none() && sq_out.is_none()) return sq;
  if (bounds.is_none() || sq_out.is_none()) throw py::value_error("pyact._core: give bounds and sq_out together");
  keep_b = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(bounds);
  if (!keep_b || keep_b.ndim() != 1 || keep_b.size() < 1) throw py::value_error("pyact._core: bounds must be 1-d integers");
  const int64_t* b = keep_b.data();
  const int64_t pieces = keep_b.size() - 1;
  if (b[0] != 0 || b[pieces] != n) throw py::value_error("pyact._core: bounds must run from 0 to the parameter's size");
  for (int64_t k = 0; k < pieces; ++k)
    if (b[k + 1] < b[k]) throw py::value_error("pyact._core: bounds must not decrease");
  if (!py::isinstance<py::array_t<double>>(sq_out)) throw py::type_error("pyact._core: sq_out must be float64");
  keep_o = sq_out.cast<py::array_t<double>>();
  if (keep_o.ndim() != 1 || keep_o.size() != pieces || !bind::c_contiguous(keep_o) || !keep_o.writeable())
    throw py::value_error("pyact._core: sq_out must be a writeable contiguous float64 array of len(bounds) - 1");
  sq.bounds = b;
  sq.pieces = pieces;
  sq.out = keep_o.mutable_data();
  return sq;
}

}  // namespace

void bind_optim(py::module_& m) {
  m.def("adam_step", [](py::array& p, const py::array& g, py::array& m1, py::array& v, double lr, double beta1,
                        double beta2, double eps, double weight_decay, int64_t step, const py::object& bounds,
                        const py::object& sq_out) {
    const int dt = check(p, g, {&m1, &v});
    py::array_t<int64_t> keep_b;
    py::array_t<double> keep_o;
    const SqNorms sq = sq_norms(bounds, sq_out, p.size(), keep_b, keep_o);
    if (step < 1) throw py::value_error("pyact._core: adam_step needs step >= 1");
    const AdamArgs a{lr, beta1, beta2, eps, weight_decay, step};
    const int64_t n = p.size();
    bind::run_released(n, [&] {
      if (dt == static_cast<int>(Dtype::f32))
        optim::adam(static_cast<float*>(p.mutable_data()), static_cast<const float*>(g.data()),
             static_cast<float*>(m1.mutable_data()), static_cast<float*>(v.mutable_data()), n, a, sq);
      else
        optim::adam(static_cast<double*>(p.mutable_data()), static_cast<const double*>(g.data()),
             static_cast<double*>(m1.mutable_data()), static_cast<double*>(v.mutable_data()), n, a, sq);
    });
  }, py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_avg_sq"), py::arg("lr"), py::arg("beta1"),
     py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("step"), py::arg("bounds") = py::none(),
     py::arg("sq_out") = py::none(),
     "One Adam step in place (torch.optim.Adam's rule; weight_decay is its coupled L2; step counts from 1).\n"
     "With bounds and sq_out: sq_out[k] = float64 sum of grad**2 over grad[bounds[k]:bounds[k+1]] (same pass).");

  m.def("sgd_step", [](py::array& p, const py::array& g, py::object buf, double lr, double momentum, bool nesterov,
                       double weight_decay, bool first, const py::object& bounds, const py::object& sq_out) {
    int dt = 0;
    py::array b;
    if (momentum != 0.0) {
      if (buf.is_none()) throw py::value_error("pyact._core: sgd_step with momentum needs a momentum buffer");
      b = buf.cast<py::array>();
      dt = check(p, g, {&b});
    } else {
      dt = check(p, g, {});
    }
    py::array_t<int64_t> keep_b;
    py::array_t<double> keep_o;
    const SqNorms sq = sq_norms(bounds, sq_out, p.size(), keep_b, keep_o);
    const int64_t n = p.size();
    bind::run_released(n, [&] {
      if (dt == static_cast<int>(Dtype::f32))
        optim::sgd(static_cast<float*>(p.mutable_data()), static_cast<const float*>(g.data()),
            momentum != 0.0 ? static_cast<float*>(b.mutable_data()) : nullptr, n, lr, momentum, nesterov,
            weight_decay, first, sq);
      else
        optim::sgd(static_cast<double*>(p.mutable_data()), static_cast<const double*>(g.data()),
            momentum != 0.0 ? static_cast<double*>(b.mutable_data()) : nullptr, n, lr, momentum, nesterov,
            weight_decay, first, sq);
    });
  }, py::arg("param"), py::arg("grad"), py::arg("momentum_buffer"), py::arg("lr"), py::arg("momentum"),
     py::arg("nesterov"), py::arg("weight_decay"), py::arg("first"), py::arg("bounds") = py::none(),
     py::arg("sq_out") = py::none(),
     "One SGD step in place (torch.optim.SGD's rule, dampening 0); first: the buffer's first step.\n"
     "With bounds and sq_out: sq_out[k] = float64 sum of grad**2 over grad[bounds[k]:bounds[k+1]] (same pass).");
}
