"""The one array helper (DESIGN.md §6): dtypes, array-likes, 0-d/empty, strides,
``out=`` checks, overlap, and the error messages of SPEC §2. Every entry point that
hands buffers to ``_core`` goes through :func:`elementwise`.

What ``_core`` receives is always: arrays of one float dtype, of one size, contiguous
with the same memory layout, ``out`` writeable and not partially overlapping an input.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

__all__ = ["as_float_array", "result_dtype", "check_out", "elementwise"]

_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
_NATIVE = (_F16, _F32, _F64)


def result_dtype(dt: np.dtype) -> np.dtype:
    """The float dtype an input of dtype ``dt`` is computed in: itself for float16/32/64,
    what ``np.exp`` would give for bool and integers (int32/int64 -> float64)."""
    if dt.kind == "f" and dt.itemsize <= 8:  # float16/32/64, either byte order
        return dt.newbyteorder("=")
    if dt.kind in "biu":
        return np.promote_types(dt, np.float16)
    raise TypeError(f"pyact: unsupported dtype {dt} (expected float16, float32, float64, bool or an integer dtype)")


def as_float_array(a: Any, name: str = "x") -> np.ndarray:
    """``a`` as an ndarray of the dtype it is computed in (no copy when it already is)."""
    if type(a) is np.ndarray and a.dtype in _NATIVE and a.dtype.isnative:
        return a
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError) as e:
        raise TypeError(f"pyact: {name} is not an array-like of numbers: {e}") from None
    if arr.dtype.kind in "OSUVMmc":
        raise TypeError(f"pyact: unsupported dtype {arr.dtype} for {name} "
                        f"(expected float16, float32, float64, bool or an integer dtype)")
    dt = result_dtype(arr.dtype)
    return arr if arr.dtype == dt else arr.astype(dt)


def check_out(out: Any, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """Raise unless ``out`` can receive a result of this shape and dtype."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"pyact: out must be a numpy.ndarray, got {type(out).__name__}")
    if out.shape != shape:
        raise ValueError(f"pyact: out has shape {out.shape}, the result has shape {shape}")
    if out.dtype != dtype:
        raise TypeError(f"pyact: out has dtype {out.dtype}, the result has dtype {dtype}")
    if not out.flags.writeable:
        raise ValueError("pyact: out is read-only")
    return out


def _layout(a: np.ndarray) -> str | None:
    """'C' or 'F' when the array is one flat block in that order (1-d and 0-d: 'C')."""
    if a.flags.c_contiguous:
        return "C"
    if a.flags.f_contiguous:
        return "F"
    return None


def _same_buffer(a: np.ndarray, b: np.ndarray) -> bool:
    """The same elements at the same addresses (in-place use), not a partial overlap."""
    return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and a.strides == b.strides and a.shape == b.shape)


def elementwise(call: Callable[..., None], inputs: list[np.ndarray], out: Any) -> np.ndarray:
    """Run ``call(*inputs, out)`` (a ``_core`` kernel) with the rules of SPEC §2.

    ``inputs`` are float arrays of one dtype and one shape. Returns ``out`` (or a new
    array). Nothing is written to ``out`` unless every check has passed.
    """
    x = inputs[0]
    if out is None:
        layout = _layout(x)
        if layout is None or any(_layout(a) != layout for a in inputs[1:]):
            inputs = [np.ascontiguousarray(a) for a in inputs]
            layout = "C"
        result = np.empty(x.shape, x.dtype, order=layout)
        if result.size:
            call(*inputs, result)
        return result

    check_out(out, x.shape, x.dtype)
    if out.size == 0:
        return out
    for i, a in enumerate(inputs):  # a partial overlap reads as if the input were copied first
        if a is not out and np.may_share_memory(a, out) and not _same_buffer(a, out):
            inputs[i] = a.copy()
    layout = _layout(out)
    if layout is not None and all(_layout(a) == layout for a in inputs):
        call(*inputs, out)
    else:  # strided out or mixed layouts: compute contiguously, then one strided copy
        tmp = np.empty(x.shape, x.dtype)
        call(*[np.ascontiguousarray(a) for a in inputs], tmp)
        np.copyto(out, tmp)
    return out
