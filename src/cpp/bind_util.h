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

constexpr int kC = py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_;
constexpr int kF = py::detail::npy_api::NPY_ARRAY_F_CONTIGUOUS_;
constexpr int kWriteable = py::detail::npy_api::NPY_ARRAY_WRITEABLE_;

// The table index of a native-byte-order float16/32/64 descriptor, else -1.
inline int dtype_index(PyObject* descr) {
  const auto* d = py::detail::array_descriptor_proxy(descr);
  constexpr char kSwapped = PY_LITTLE_ENDIAN ? '>' : '<';
  if (d->byteorder == kSwapped) return -1;
  switch (d->type_num) {
    case kNpyHalf: return static_cast<int>(Dtype::f16);
    case py::detail::npy_api::NPY_FLOAT_: return static_cast<int>(Dtype::f32);
    case py::detail::npy_api::NPY_DOUBLE_: return static_cast<int>(Dtype::f64);
    default: return -1;
  }
}

// A buffer the kernels can run on as it is: an exact ndarray of a native float dtype,
// one C- or F-ordered block. Read straight from the array struct: this check is the
// whole per-call cost of the fast paths (Bound, AxisBound).
struct Flat {
  PyObject* obj = nullptr;
  const py::detail::PyArray_Proxy* a = nullptr;
  int dt = -1;
  bool ok = false;
  explicit Flat(py::handle h) : obj(h.ptr()) {
    if (Py_TYPE(obj) != py::detail::npy_api::get().PyArray_Type_) return;
    a = py::detail::array_proxy(obj);
    if (!(a->flags & (kC | kF))) return;
    dt = dtype_index(a->descr);
    ok = dt >= 0;
  }
  py::ssize_t size() const {
    py::ssize_t n = 1;
    for (int k = 0; k < a->nd; ++k) n *= a->dimensions[k];
    return n;
  }
  size_t nbytes() const { return size_t(size()) * (dt == 0 ? 2 : dt == 1 ? 4 : 8); }
  bool c_order() const { return a->flags & kC; }
  bool writeable() const { return a->flags & kWriteable; }
  // Same shape, and the same element order (both C or both F ordered).
  bool same_layout(const Flat& o) const {
    if (a->nd != o.a->nd || dt != o.dt) return false;
    for (int k = 0; k < a->nd; ++k)
      if (a->dimensions[k] != o.a->dimensions[k]) return false;
    return (a->flags & o.a->flags & kC) || (a->flags & o.a->flags & kF);
  }
  // The exact same elements (in place) or disjoint memory: anything else needs a copy.
  bool same_or_disjoint(const Flat& o) const {
    const char *p = a->data, *q = o.a->data;
    return p == q ? nbytes() == o.nbytes() : p + nbytes() <= q || q + o.nbytes() <= p;
  }
};

// A new uninitialised array of `like`'s dtype and these dimensions, C order (or F); a
// failed allocation raises NumPy's MemoryError.
inline PyObject* new_array(const Flat& like, int nd, const py::ssize_t* dims, bool f_order = false) {
  auto& api = py::detail::npy_api::get();
  Py_INCREF(like.a->descr);  // NewFromDescr steals it
  PyObject* r = api.PyArray_NewFromDescr_(api.PyArray_Type_, like.a->descr, nd, const_cast<py::ssize_t*>(dims),
                                          nullptr, nullptr, f_order ? kF : 0, nullptr);
  if (!r) throw py::error_already_set();
  return r;
}

inline bool c_contiguous(const py::array& a) {
  return py::detail::array_proxy(a.ptr())->flags & py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_;
}
}  // namespace bind
}  // namespace pyact
