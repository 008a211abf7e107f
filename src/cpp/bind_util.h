// Helpers shared by the pybind11 files of every family (bind_*.cpp): the checks each
// makes on the buffers the Python layer hands it.
#pragma once
#include <pybind11/numpy.h>

#include "dispatch/table.h"

namespace pyact {
namespace bind {
namespace py = pybind11;

// Below this many elements the kernel is shorter than releasing and retaking the GIL.
constexpr py::ssize_t kReleaseGilAt = 8192;
constexpr int kNpyHalf = 23;  // NPY_HALF (pybind11 names no enumerator for it)

// The table's dtype index of a float16/32/64 array; TypeError otherwise.
inline int dtype_of(const py::array& a) {
  switch (a.dtype().num()) {
    case kNpyHalf: return static_cast<int>(Dtype::f16);
    case py::detail::npy_api::NPY_FLOAT_: return static_cast<int>(Dtype::f32);
    case py::detail::npy_api::NPY_DOUBLE_: return static_cast<int>(Dtype::f64);
    default: throw py::type_error("pyact._core: dtype must be float16, float32 or float64");
  }
}

// Runs fn() with the GIL released when the work is n >= kReleaseGilAt elements (other
// Python threads, and Dask's threaded scheduler, run meanwhile), else holding it.
template <class Fn> void run_released(int64_t n, const Fn& fn) {
  if (n >= kReleaseGilAt) {
    py::gil_scoped_release release;
    fn();
  } else {
    fn();
  }
}

inline bool c_contiguous(const py::array& a) {
  return py::detail::array_proxy(a.ptr())->flags & py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_;
}
}  // namespace bind
}  // namespace pyact
