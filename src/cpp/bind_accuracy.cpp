// pyact._core.ulp_sweep / sweep_kernels: the accuracy sweeps (accuracy.cpp) for tests,
// `pyact accuracy` and docs/ACCURACY.md.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "accuracy.h"

namespace py = pybind11;

void bind_accuracy(py::module_& m) {
  using namespace pyact;
  m.def("sweep_kernels", &sweep_kernels, "Kernel names that ulp_sweep has a reference for.");
  m.def("ulp_sweep", [](const std::string& kernel, const std::string& direction, const std::string& dtype,
                        uint64_t start, uint64_t stop, uint64_t step, py::object isa, std::vector<double> params,
                        double abs_tol) {
    Dtype dt;
    if (dtype == "float32") dt = Dtype::f32;
    else if (dtype == "float64") dt = Dtype::f64;
    else throw py::value_error("ulp_sweep: dtype must be 'float32' or 'float64'");
    const KernelTable* table = &active_table();
    if (!isa.is_none()) {
      const std::string name = isa.cast<std::string>();
      table = nullptr;
      for (int i = 0; i < static_cast<int>(Isa::count); ++i)
        if (name == isa_name(static_cast<Isa>(i))) table = table_for(static_cast<Isa>(i));
      if (!table) throw py::value_error("ulp_sweep: ISA '" + name + "' is not available here");
    }
    params.resize(8, 0.0);
    SweepResult r;
    try {
      py::gil_scoped_release release;
      r = ulp_sweep(kernel, direction, dt, start, stop, step, *table, params, abs_tol);
    } catch (const std::invalid_argument& e) {
      throw py::value_error(e.what());
    }
    py::dict d;
    d["count"] = r.count;
    d["max_ulp"] = r.max_ulp;
    d["worst_x"] = r.worst_x;
    d["worst_got"] = r.worst_got;
    d["worst_ref"] = r.worst_ref;
    d["max_ulp_beyond_abs"] = r.max_ulp_beyond_abs;
    d["worst_x_beyond_abs"] = r.worst_x_beyond_abs;
    d["nan_mismatch"] = r.nan_mismatch;
    d["inf_mismatch"] = r.inf_mismatch;
    return d;
  }, py::arg("kernel"), py::arg("direction"), py::arg("dtype"), py::arg("start") = 0,
     py::arg("stop") = uint64_t(1) << 32, py::arg("step") = 1, py::arg("isa") = py::none(),
     py::arg("params") = std::vector<double>{}, py::arg("abs_tol") = 0.0,
     "Max ULP error of a kernel over a sweep of inputs against a double (float32) or long\n"
     "double (float64) reference; float32: i is the bit pattern; float64: i gives the top 32\n"
     "bits (log-spaced), a hash the low 32. Returns a dict (count, max_ulp, worst_x, ...).");
}
