"""Activations along an axis (SPEC §4.3): softmax, log_softmax, softmin, glu, maxout.

The C++ kernels (``src/cpp/kernels/axis.h``) see every array as C-contiguous
``(outer, n, inner)`` with the axis of length ``n`` in the middle. This module does the
policy: the axis check, the shapes (glu halves the axis, maxout divides it by
``pieces``), ``out=``, overlap, and the layout: a C-contiguous array is used as it is, an
F-contiguous one through its transpose (a C-contiguous view, the axis mirrored), anything
else is copied once. A row's bits do not depend on which of these happens.
"""
from __future__ import annotations

import math
import os
import threading
from typing import Any, Callable

import numpy as np

from . import _arrays, _catalog, _core, _dask, activations, functional
from .activations import Activation

__all__ = ["AxisActivation"]

_OPS: dict[str, int] = {name: i for i, name in enumerate(_core.axis_ops())}
_SOFTMAX_FAMILY = frozenset({"softmax", "log_softmax", "softmin"})
_AxisError = getattr(np, "exceptions", np).AxisError


def _same_buffer(a: np.ndarray, b: np.ndarray) -> bool:
    return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and a.strides == b.strides and a.shape == b.shape)


class AxisActivation(Activation):
    """An activation computed along one axis of its input (``axis``, default -1)."""

    def __init__(self, *args: Any, **params: Any) -> None:
        super().__init__(*args, **params)
        self._bind()

    def _bind(self) -> None:
        # The C++ fast path for C-contiguous arrays (_core.AxisBound: None for anything
        # else, which then takes the Python path below). No array has more than 64 axes.
        axis = self._params["axis"]
        self._fast = _core.AxisBound(_OPS[self.name], self._param, int(axis)) if -64 <= axis < 64 else None

    def __call__(self, x: Any, *, out: np.ndarray | None = None) -> np.ndarray:
        r = self._fast.forward(x, out) if self._fast is not None else None
        return r if r is not None else super().__call__(x, out=out)

    forward = __call__

    # --- shapes ------------------------------------------------------------------------
    def _axis(self, ndim: int) -> int:
        """The axis as a non-negative index into an array of ``ndim`` dimensions."""
        axis = self._params["axis"]
        if not -ndim <= axis < ndim:
            raise _AxisError(axis, ndim, self.name)
        return axis % ndim

    def _out_len(self, n: int) -> int:
        """Length of the axis in the output for an input axis of length ``n``."""
        name = self.name
        if name == "glu":
            if n % 2:
                raise ValueError(f"glu: the axis (axis={self._params['axis']}) has length {n}, "
                                 f"which is odd: glu splits it into two halves")
            return n // 2
        if name == "maxout":
            k = self._params["pieces"]
            if n % k:
                raise ValueError(f"maxout: the axis (axis={self._params['axis']}) has length {n}, "
                                 f"which is not divisible by pieces={k}")
            return n // k
        return n

    def _geometry(self, shape: tuple) -> tuple[int, tuple]:
        """(axis, output shape) for an input of this shape; errors as SPEC §3."""
        if not shape and self.name not in _SOFTMAX_FAMILY:
            raise ValueError(f"{self.name}: needs an array of at least one dimension, got a 0-d array")
        ax = self._axis(max(len(shape), 1))
        if not shape:
            return ax, ()
        rshape = shape[:ax] + (self._out_len(shape[ax]),) + shape[ax + 1:]
        return ax, rshape

    @property
    def _param(self) -> float:
        return float(self._params.get("pieces", 0))

    # --- running a kernel ------------------------------------------------------------------
    def _run(self, call: Callable, inputs: list[np.ndarray], shape: tuple, ax: int,
             rshape: tuple, out: np.ndarray | None) -> np.ndarray:
        """``call(*inputs, result, outer, n, inner)`` with SPEC §2's rules.

        ``shape``/``ax``: the shape of the array the axis is taken of (x or y) and the
        axis; ``rshape``: the result's shape; ``inputs``: arrays of one float dtype.
        """
        dtype = inputs[0].dtype
        if out is not None:
            _arrays.check_out(out, rshape, dtype)
            # A partial overlap reads as if the input were copied first; the very same
            # buffer is fine (every kernel reads an element before it writes it).
            inputs = [a.copy() if a is not out and np.may_share_memory(a, out) and not _same_buffer(a, out)
                      else a for a in inputs]
        if math.prod(rshape) == 0:
            return out if out is not None else np.empty(rshape, dtype)
        if not shape:  # 0-d: a row of one
            shape, rshape = (1,), (1,)
            inputs = [a.reshape(1) for a in inputs]
            if out is not None:
                self._run(call, inputs, shape, ax, rshape, out.reshape(1))
                return out

        flip = len(shape) > 1 and not all(a.flags.c_contiguous for a in inputs) \
            and all(a.flags.f_contiguous for a in inputs)
        if flip:  # F order: the transpose is C-contiguous, the axis mirrored
            inputs = [a.T for a in inputs]
            shape, rshape, ax = shape[::-1], rshape[::-1], len(shape) - 1 - ax
        else:
            inputs = [np.ascontiguousarray(a) for a in inputs]
        outer, n, inner = math.prod(shape[:ax]), shape[ax], math.prod(shape[ax + 1:])

        target = None if out is None else (out.T if flip else out)
        result = target if target is not None and target.flags.c_contiguous else np.empty(rshape, dtype)
        call(*inputs, result, outer, n, inner)
        if out is None:
            return result.T if flip else result
        if result is not target:
            np.copyto(out, result.T if flip else result)
        return out

    def _forward(self, x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        ax, rshape = self._geometry(x.shape)
        op, p = _OPS[self.name], self._param
        r = self._run(lambda a, o, *v: _core.axis_forward(op, a, o, *v, p), [x], x.shape, ax, rshape, out)
        return r.reshape(()) if x.ndim == 0 and out is None else r

    # --- backward --------------------------------------------------------------------------
    def backward(self, grad_out: Any, *, x: Any = None, y: Any = None,
                 out: np.ndarray | None = None) -> np.ndarray:
        """dL/dx given dL/dy = ``grad_out`` (the output's shape) and the input ``x``
        (or, for softmax, log_softmax and softmin, the output ``y``)."""
        if _dask.any_dask(grad_out, x, y):  # lazy, as Activation.backward (before the fast path computes it)
            return _dask.grad(self, grad_out, x, y, out, {})
        if self._fast is not None:
            r = self._fast_backward(grad_out, x, y, out)
            if r is not None:
                return r
        if x is None and y is None:
            raise TypeError(f"{self.name} backward needs x= (or y=, where the activation allows it)")
        if x is None and not self.y_ok:
            raise TypeError(f"{self.name} backward cannot run from y alone: pass x=")
        g = _arrays.as_float_array(grad_out, "grad_out")
        which = "x" if x is not None else "y"
        xy = _arrays.as_float_array(x if x is not None else y, which)
        _, rshape = self._geometry(xy.shape)
        if g.shape != rshape:
            raise ValueError(f"{self.name} backward: grad_out has shape {g.shape}, but the output for {which} "
                             f"of shape {xy.shape} has shape {rshape}")
        if g.dtype != xy.dtype:
            dt = np.result_type(g.dtype, xy.dtype)
            g, xy = g.astype(dt, copy=False), xy.astype(dt, copy=False)
        return self._backward(g, xy, which == "y", out)

    def _fast_backward(self, g: Any, x: Any, y: Any, out: np.ndarray | None) -> np.ndarray | None:
        """The C++ fast path of backward, or None. From x, the softmax family runs the
        forward first, as _backward does (float16 excepted: that goes through float32)."""
        if self.name not in _SOFTMAX_FAMILY:
            return self._fast.backward(g, x, out) if x is not None else None
        if x is None:
            return self._fast.backward(g, y, out) if y is not None else None
        y = self._fast.forward(x, None)
        return None if y is None or y.dtype == np.float16 else self._fast.backward(g, y, out)

    def _backward(self, g: np.ndarray, xy: np.ndarray, from_y: bool, out: np.ndarray | None) -> np.ndarray:
        ax, _ = self._geometry(xy.shape)
        op, p = _OPS[self.name], self._param
        if self.name in _SOFTMAX_FAMILY and not from_y:
            # From x: the forward, then the backward from y; float16 in float32 throughout.
            if xy.dtype == np.float16:
                r = self._backward(g.astype(np.float32), self._forward(xy.astype(np.float32), None), True, None)
                if out is None:
                    return r.astype(np.float16)
                _arrays.check_out(out, xy.shape, xy.dtype)
                np.copyto(out, r, casting="same_kind")
                return out
            return self._backward(g, self._forward(xy, None), True, out)
        r = self._run(lambda a, b, o, *v: _core.axis_backward(op, a, b, o, *v, p), [g, xy], xy.shape, ax,
                      xy.shape, out)
        return r.reshape(()) if xy.ndim == 0 and out is None else r


# --- the functional API: objects are stateless, so one per parameter set is cached ---------
_CACHE_SIZE = 64
_objects: dict[tuple, AxisActivation] = {}
_objects_lock = threading.Lock()  # two threads evicting at once would pop one key twice (KeyError)


def _reset_lock() -> None:  # a lock another thread held at fork() stays held in the child
    global _objects_lock
    _objects_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock)


def _shared(act: _catalog.Act, params: dict) -> AxisActivation:
    """The cached object of this activation and parameter set (pa.<name> and pa.grad)."""
    if len(params) == 1 and type(v := next(iter(params.values()))) is int:
        key: tuple = (act.name, *params, v)  # axis= (or dim=) alone, the common call: a cheap key
    else:
        key = (act.name, *[(k, functional.param_key(v)) for k, v in params.items()])
    try:
        obj = _objects.get(key)
    except TypeError:  # an unhashable value: the constructor gives its error
        return activations.CLASSES[act.name](**params)
    if obj is None:
        obj = activations.CLASSES[act.name](**params)
        with _objects_lock:
            if len(_objects) >= _CACHE_SIZE:
                _objects.pop(next(iter(_objects)))
            _objects[key] = obj
    return obj


def _function(act: _catalog.Act) -> Callable[..., np.ndarray]:
    default = _shared(act, {})

    def fn(x: Any, *, out: np.ndarray | None = None, **params: Any) -> np.ndarray:
        return (_shared(act, params) if params else default)(x, out=out)

    fn.__name__ = fn.__qualname__ = act.name
    sig = ", ".join(f"{q.name}={q.default!r}" for q in act.params)
    fn.__doc__ = f"""{act.name}(x, *, out=None, {sig})

    f(x) = {act.formula}.

    Parameters
    ----------
    x : array_like
        Input (float16, float32, float64; integers and bool as ``np.exp`` would convert).
    out : ndarray, optional
        Receives the result: its shape and dtype must match exactly.
    {sig}
        See SPEC §4.3 (``dim`` is accepted for ``axis``).

    Returns
    -------
    ndarray
        The result (or ``out``). The derivative: ``pyact.grad('{act.name}', g, x=...)``.
    """
    return fn


def _install() -> None:
    activations.FAMILY_BASES["axis"] = AxisActivation
    activations.build_classes()
    functional.SHARED_OBJECTS["axis"] = _shared
    for act in _catalog.CATALOG:
        if act.family == "axis":
            functional.FUNCTIONS.setdefault(act.name, _function(act))
            fast = _shared(act, {})._fast_backward
            for n in (act.name, *act.aliases):
                functional.FAST_GRADS.setdefault(n, fast)
    functional.build_functions()


_install()
