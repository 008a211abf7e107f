// pyact._core: the thin pybind11 layer. It checks that the buffers it is given are what
// the Python layer promised (so a misuse of the private API raises instead of
// crashing), releases the GIL, and calls the active ISA's table. No policy here:
// dtype conversion, out= rules and error messages live in pyact/_arrays.py.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "bind_util.h"
#include "dispatch/table.h"
#include "threads.h"

namespace py = pybind11;
using namespace pyact;

void bind_learnable(py::module_& m);  // bind_learnable.cpp
void bind_axis(py::module_& m);  // bind_axis.cpp
void bind_fused(py::module_& m);  // bind_fused.cpp
void bind_accuracy(py::module_& m);  // bind_accuracy.cpp
void bind_optim(py::module_& m);  // bind_optim.cpp

namespace {

using bind::Flat;

constexpr int kMaxParams = 8;

// out as given (checked), or a new array ordered like x. nullptr: not the fast case.
PyObject* fast_out(const Flat& x, py::handle out) {
  if (out.is_none()) return bind::new_array(x, x.a->nd, x.a->dimensions, !x.c_order());
  const Flat o(out);
  if (!o.ok || !o.writeable() || !x.same_layout(o)) return nullptr;
  return out.inc_ref().ptr();
}

void call(ElementwiseFn fn, const void* const* in, void* out, py::ssize_t n, const double* p) {
  if (n > 0) bind::run_released(n, [&] { fn(in, out, n, p); });
}

const ElementwiseFns& elementwise(int kernel) {
  if (kernel < 0 || kernel >= kNumKernels) throw py::index_error("pyact._core: unknown kernel id");
  return active_table().elementwise[kernel];
}

// One elementwise kernel with its parameters bound (pyact/_kernels.py holds one per
// parameter set). forward/backward take the fast path or return None, never raise
// about the arrays: the Python layer then applies SPEC §2's rules and error messages.
struct Bound {
  int kernel;
  double p[kMaxParams] = {};
  Bound(int k, const std::vector<double>& params) : kernel(k) {
    elementwise(k);
    if (params.size() > kMaxParams) throw py::value_error("pyact._core: too many parameters");
    std::copy(params.begin(), params.end(), p);
  }

  py::object forward(py::handle x, py::handle out) const {
    const Flat fx(x);
    if (!fx.ok) return py::none();
    if (!out.is_none()) {
      const Flat fo(out);
      if (!fo.ok || !fx.same_or_disjoint(fo)) return py::none();
    }
    PyObject* r = fast_out(fx, out);
    if (!r) return py::none();
    auto result = py::reinterpret_steal<py::object>(r);
    const void* in[1] = {fx.a->data};
    call(elementwise(kernel).fwd[fx.dt], in, py::detail::array_proxy(r)->data, fx.size(), p);
    return result;
  }

  py::object backward(py::handle g, py::handle xy, bool from_y, py::handle out) const {
    const Flat fg(g), fxy(xy);
    if (!fg.ok || !fxy.ok || !fg.same_layout(fxy)) return py::none();
    const ElementwiseFn fn = from_y ? elementwise(kernel).bwd_y[fg.dt] : elementwise(kernel).bwd_x[fg.dt];
    if (!fn) return py::none();
    if (!out.is_none()) {
      const Flat fo(out);
      if (!fo.ok || !fg.same_or_disjoint(fo) || !fxy.same_or_disjoint(fo)) return py::none();
    }
    PyObject* r = fast_out(fg, out);
    if (!r) return py::none();
    auto result = py::reinterpret_steal<py::object>(r);
    const void* in[2] = {fg.a->data, fxy.a->data};
    call(fn, in, py::detail::array_proxy(r)->data, fg.size(), p);
    return result;
  }
};

// The strict entry points (_core.forward/_core.backward): the buffers must already be
// what the Python layer promised; a misuse of the private API raises instead of crashing.
void check_same(const Flat& a, const Flat& out, const char* what) {
  if (!a.ok) throw py::type_error(std::string("pyact._core: ") + what + " must be a contiguous float16/32/64 ndarray");
  if (!a.same_layout(out)) throw py::value_error(std::string("pyact._core: ") + what + " and out differ in dtype, shape or layout");
}

Flat checked_out(py::handle out) {
  const Flat o(out);
  if (!o.ok) throw py::type_error("pyact._core: out must be a contiguous float16/32/64 ndarray");
  if (!o.writeable()) throw py::value_error("pyact._core: output array is read-only");
  return o;
}

std::vector<double> param_vector(const py::tuple& params) {
  std::vector<double> p;
  for (const auto& v : params) p.push_back(v.cast<double>());
  return p;
}

std::vector<std::string> isa_list(bool (*pred)(Isa)) {
  std::vector<std::string> out;
  for (int i = 0; i < static_cast<int>(Isa::count); ++i)
    if (pred(static_cast<Isa>(i))) out.emplace_back(isa_name(static_cast<Isa>(i)));
  return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "pyact's compiled kernels (private: use the pyact package)";
  try {
    select_at_import();
  } catch (const std::invalid_argument& e) {
    throw py::import_error(e.what());
  }

  m.def("kernel_names", [] {
    return std::vector<std::string>{
#define PYACT_ELEMENTWISE(name, Functor) #name,
#include "kernels/activations.inc"
#undef PYACT_ELEMENTWISE
    };
  }, "Elementwise kernel names in id order.");

  m.def("has_bwd_y", [](int kernel) { return elementwise(kernel).bwd_y[1] != nullptr; }, py::arg("kernel"));

  py::class_<Bound>(m, "Bound", "An elementwise kernel with bound parameters (the fast path).")
      .def(py::init<int, const std::vector<double>&>(), py::arg("kernel"), py::arg("params"))
      .def("forward", &Bound::forward, py::arg("x"), py::arg("out"),
           "f(x) into out (or a new array like x); None unless x and out are flat, matching and "
           "not partially overlapping.")
      .def("backward", &Bound::backward, py::arg("g"), py::arg("xy"), py::arg("from_y"), py::arg("out"),
           "dL/dx from g and x (or y when from_y) into out; None as for forward.");

  m.def("forward", [](int kernel, py::handle x, py::handle out, const py::tuple& params) {
    const Flat fo = checked_out(out), fx(x);
    check_same(fx, fo, "x");
    const Bound b(kernel, param_vector(params));
    const void* in[1] = {fx.a->data};
    call(elementwise(kernel).fwd[fx.dt], in, fo.a->data, fo.size(), b.p);
  }, py::arg("kernel"), py::arg("x"), py::arg("out"), py::arg("params"),
     "out = f(x) elementwise; x and out contiguous with the same dtype, shape and layout.");

  m.def("backward", [](int kernel, bool from_y, py::handle g, py::handle xy, py::handle out, const py::tuple& params) {
    const Flat fo = checked_out(out), fg(g), fxy(xy);
    check_same(fg, fo, "g");
    check_same(fxy, fo, "x/y");
    const Bound b(kernel, param_vector(params));
    const ElementwiseFn fn = from_y ? elementwise(kernel).bwd_y[fo.dt] : elementwise(kernel).bwd_x[fo.dt];
    if (!fn) throw py::value_error("pyact._core: this kernel has no backward from y");
    const void* in[2] = {fg.a->data, fxy.a->data};
    call(fn, in, fo.a->data, fo.size(), b.p);
  }, py::arg("kernel"), py::arg("from_y"), py::arg("g"), py::arg("xy"), py::arg("out"), py::arg("params"),
     "out = dL/dx from g = dL/dy and x (or y when from_y).");

  m.def("isa", [] { return std::string(isa_name(active_table().isa)); }, "The ISA whose kernels run now.");
  m.def("use_isa", [](const std::string& name) {
    try {
      use_isa(name.c_str());
    } catch (const std::invalid_argument& e) {
      throw py::value_error(e.what());
    }
  }, py::arg("name"), "Switch every later call to this ISA's kernels (tests; PYACT_ISA at import).");
  m.def("isas_compiled", [] { return isa_list(isa_compiled); });
  m.def("isas_supported", [] { return isa_list(cpu_supports); });
  m.def("isas_available", [] { return isa_list([](Isa i) { return table_for(i) != nullptr; }); });
  m.def("openmp", &have_openmp);
  m.def("openmp_runtime", &openmp_runtime, "Path of the loaded OpenMP runtime (\"\" without OpenMP).");
  m.def("get_num_threads", &thread_count);
  m.def("set_num_threads", &set_thread_count, py::arg("n"));
  m.def("requested_num_threads", &requested_thread_count);
  m.def("_set_grain", &set_grain_override, py::arg("n"),
        "Benchmarks only: elements per thread for every kernel (0: the compiled grains).");
  m.def("_set_stream_bytes", &set_stream_bytes, py::arg("n"),
        "Tests only: elementwise calls touching more than n bytes stream their output (0: the default).");
  m.def("_stream_bytes", &stream_bytes);
  m.def("_set_denormal_assists", &set_denormal_assists, py::arg("v"),
        "Tests only: 1 / 0 runs the denormal detour as on a CPU with / without microcode "
        "assists (-1: this CPU's way).");
  m.def("_denormal_assists", &denormal_assists);
  bind_learnable(m);
  bind_axis(m);
  bind_fused(m);
  bind_optim(m);
  bind_accuracy(m);
#ifdef PYACT_VERSION
  m.attr("__version__") = PYACT_VERSION;
#endif
}
