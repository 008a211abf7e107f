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

#include "dispatch/table.h"
#include "threads.h"

namespace py = pybind11;
using namespace pyact;

namespace {

// Below this many elements the kernel is shorter than releasing and retaking the GIL.
constexpr py::ssize_t kReleaseGilAt = 8192;
constexpr int kMaxParams = 8;
constexpr int kNpyHalf = 23;  // NPY_HALF (pybind11 names no enumerator for it)

int dtype_index(const py::array& a) {
  switch (a.dtype().num()) {
    case kNpyHalf: return static_cast<int>(Dtype::f16);
    case py::detail::npy_api::NPY_FLOAT_: return static_cast<int>(Dtype::f32);
    case py::detail::npy_api::NPY_DOUBLE_: return static_cast<int>(Dtype::f64);
    default: throw py::type_error("pyact._core: dtype must be float16, float32 or float64");
  }
}

bool flat(const py::array& a) {
  const int f = py::detail::array_proxy(a.ptr())->flags;
  return f & (py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_ | py::detail::npy_api::NPY_ARRAY_F_CONTIGUOUS_);
}

// All arrays: same dtype, same size, contiguous; out writeable. Returns the dtype index.
int check_buffers(std::initializer_list<const py::array*> ins, const py::array& out) {
  const int dt = dtype_index(out);
  if (!out.writeable()) throw py::value_error("pyact._core: output array is read-only");
  if (!flat(out)) throw py::value_error("pyact._core: output must be contiguous");
  for (const py::array* a : ins) {
    if (dtype_index(*a) != dt) throw py::type_error("pyact._core: input and output dtypes differ");
    if (a->size() != out.size()) throw py::value_error("pyact._core: input and output sizes differ");
    if (!flat(*a)) throw py::value_error("pyact._core: input must be contiguous");
    if (a->ndim() > 1 && a->size() > 1) {
      for (py::ssize_t k = 0; k < a->ndim(); ++k)
        if (a->shape(k) > 1 && a->strides(k) != out.strides(k))
          throw py::value_error("pyact._core: input and output memory layouts differ");
    }
  }
  return dt;
}

std::vector<double> param_array(const py::tuple& params) {
  if (params.size() > kMaxParams) throw py::value_error("pyact._core: too many parameters");
  std::vector<double> p(kMaxParams, 0.0);
  for (size_t i = 0; i < params.size(); ++i) p[i] = params[i].cast<double>();
  return p;
}

const ElementwiseFns& elementwise(int kernel) {
  if (kernel < 0 || kernel >= kNumKernels) throw py::index_error("pyact._core: unknown kernel id");
  return active_table().elementwise[kernel];
}

void call(ElementwiseFn fn, const void* const* in, void* out, py::ssize_t n, const double* p) {
  if (n >= kReleaseGilAt) {
    py::gil_scoped_release release;
    fn(in, out, n, p);
  } else {
    fn(in, out, n, p);
  }
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

  m.def("forward", [](int kernel, const py::array& x, py::array& out, const py::tuple& params) {
    const int dt = check_buffers({&x}, out);
    const auto p = param_array(params);
    const void* in[1] = {x.data()};
    call(elementwise(kernel).fwd[dt], in, out.mutable_data(), out.size(), p.data());
  }, py::arg("kernel"), py::arg("x"), py::arg("out"), py::arg("params"),
     "out = f(x) elementwise; x and out contiguous with the same dtype and layout.");

  m.def("backward", [](int kernel, bool from_y, const py::array& g, const py::array& xy, py::array& out,
                       const py::tuple& params) {
    const int dt = check_buffers({&g, &xy}, out);
    const auto p = param_array(params);
    const ElementwiseFn fn = from_y ? elementwise(kernel).bwd_y[dt] : elementwise(kernel).bwd_x[dt];
    if (!fn) throw py::value_error("pyact._core: this kernel has no backward from y");
    const void* in[2] = {g.data(), xy.data()};
    call(fn, in, out.mutable_data(), out.size(), p.data());
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
#ifdef PYACT_VERSION
  m.attr("__version__") = PYACT_VERSION;
#endif
}
