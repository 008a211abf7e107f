"""The functional API: ``pa.<name>(x, *, out=None, **params)`` for every catalog
entry, and ``pa.grad(name, grad_out, *, x=None, y=None, out=None, **params)``.

Elementwise functions keep their validated parameters bound to a kernel in a small
cache, so a call with the same parameters costs one ``_core`` call plus the array checks.
"""
from __future__ import annotations

import math
import os
import threading
from typing import Any, Callable

import numpy as np

from . import _arrays, _catalog, _dask, _docs, _kernels
from .activations import CLASSES, backward_inputs, resolve_params
from .registry import get, resolve

__all__ = ["grad", "FUNCTIONS"]

_CACHE_SIZE = 64
_bound_cache: dict[tuple, _kernels.BoundKernel] = {}
_cache_lock = threading.Lock()  # eviction from many threads at once would pop a key twice


def _reset_lock() -> None:  # a lock another thread held at fork() stays held in the child
    global _cache_lock
    _cache_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock)


def param_key(v: Any) -> tuple:
    # 0.0 == -0.0 and 1 == 1.0 == True hash alike, but the kernel (and the validation)
    # tells them apart: the type and the sign of a float are part of the cache key.
    return (type(v), v, math.copysign(1.0, v) if isinstance(v, float) else None)


def bound_kernel(act: _catalog.Act, params: dict) -> _kernels.BoundKernel:
    """The kernel of an elementwise entry with these (unvalidated) parameters, cached."""
    try:
        key = (act.name, *sorted((k, param_key(v)) for k, v in params.items()))
        hash(key)
    except TypeError:
        return _kernels.bind(act, resolve_params(act, params))
    k = _bound_cache.get(key)
    if k is None:
        k = _kernels.bind(act, resolve_params(act, params))
        with _cache_lock:
            if len(_bound_cache) >= _CACHE_SIZE:
                _bound_cache.pop(next(iter(_bound_cache)))
            _bound_cache[key] = k
    return k


def _elementwise_function(act: _catalog.Act) -> Callable[..., np.ndarray]:
    # Default parameters: the bound C++ fast path is called directly (one C++ call for
    # a flat float array); it returns None for everything that needs SPEC §2's rules.
    default = None if any(q.default is _catalog.REQUIRED for q in act.params) else bound_kernel(act, {})
    fast = default.fast.forward if default is not None else None

    def fn(x: Any, *, out: np.ndarray | None = None, **params: Any) -> np.ndarray:
        if not params and fast is not None:
            r = fast(x, out)
            if r is not None:
                return r
        if type(x) is not np.ndarray and _dask.is_dask(x):  # Dask hook: lazy, block by block
            return _dask.forward(act.name, x, out, params)
        if not params and default is not None:
            return default.forward(x, out)
        return bound_kernel(act, params).forward(x, out)

    fn._dask_aware = True  # type: ignore[attr-defined]
    return fn


def _object_function(act: _catalog.Act) -> Callable[..., np.ndarray]:
    """Functions of the other families: an object per call (their parameters are
    arrays, and their modules may override this with a faster form)."""
    def fn(x: Any, *, out: np.ndarray | None = None, **params: Any) -> np.ndarray:
        if type(x) is not np.ndarray and _dask.is_dask(x):  # Dask hook: lazy, block by block
            return _dask.forward(act.name, x, out, params)
        return CLASSES[act.name](**params)(x, out=out)

    fn._dask_aware = True  # type: ignore[attr-defined]
    return fn


def _document(fn: Callable, act: _catalog.Act) -> Callable:
    fn.__name__ = fn.__qualname__ = act.name
    fn.__doc__ = _docs.function_doc(act)  # numpydoc, built from the catalog entry
    return fn


FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {}

GRADS: dict[str, Callable[..., np.ndarray]] = {}
"""``pa.grad`` of the entries whose parameters are arrays or state (learnable.py):
canonical name -> fn(grad_out, *, x, y, out, **params)."""

SHARED_OBJECTS: dict[str, Callable[[_catalog.Act, dict], Any]] = {}
"""Families whose Activation objects are stateless (axis.py): family -> fn(act, params)
giving one cached object per parameter set, so that ``pa.grad`` does not build one per call."""


def build_functions() -> None:
    for act in _catalog.CATALOG:
        if act.name in FUNCTIONS or act.name not in CLASSES:
            continue
        make = _elementwise_function if act.family == "elementwise" else _object_function
        FUNCTIONS[act.name] = _document(make(act), act)


build_functions()


FAST_GRADS: dict[str, Callable[[Any, Any, Any, Any], Any]] = {}
"""Name or alias -> fast(grad_out, x, y, out), pa.grad at default parameters through a
C++ fast path: the result, or None where that path does not apply (then pa.grad goes the
whole way). Elementwise entries here; axis.py adds its own."""


def _fast_grad(k: _kernels.BoundKernel) -> Callable[[Any, Any, Any, Any], Any]:
    backward, y_ok = k.fast.backward, k.y_ok

    def fast(grad_out: Any, x: Any, y: Any, out: Any) -> Any:
        if x is not None:
            return backward(grad_out, x, False, out)
        return backward(grad_out, y, True, out) if y is not None and y_ok else None

    return fast


def _index_defaults() -> None:
    for act in _catalog.CATALOG:
        if act.family == "elementwise" and all(q.default is not _catalog.REQUIRED for q in act.params):
            fast = _fast_grad(bound_kernel(act, {}))
            for n in (act.name, *act.aliases):
                FAST_GRADS.setdefault(n, fast)


_index_defaults()


def grad(name: str, grad_out: Any, *, x: Any = None, y: Any = None, out: np.ndarray | None = None,
         **params: Any) -> np.ndarray:
    """dL/dx of an activation given dL/dy.

    Parameters
    ----------
    name : str or Activation
        Canonical name, alias or registered name (or an Activation object).
    grad_out : array_like
        dL/dy, the gradient with respect to the activation's output.
    x, y : array_like, optional
        The input (always works) or the output (where the activation's ``y_ok`` is
        true). ``x`` wins when both are given.
    out : ndarray, optional
        Where to write the result; may be ``grad_out`` itself.
    **params
        The activation's parameters, as for the forward.

    Returns
    -------
    ndarray
        dL/dx, of ``grad_out``'s shape and float dtype (or ``out``). A Dask array
        in any argument gives a lazy Dask array.

    Raises
    ------
    TypeError
        Neither ``x`` nor ``y`` given, or only ``y`` for an activation that needs ``x``.

    Examples
    --------
    >>> import numpy as np, pyact as pa
    >>> x = np.array([-1.0, 0.5, 2.0])
    >>> pa.grad("leaky_relu", np.ones(3), x=x, negative_slope=0.1)
    array([0.1, 1. , 1. ])
    >>> pa.grad("relu6", np.ones(3), y=pa.relu6(x))
    array([0., 1., 1.])
    """
    if not params and type(name) is str:
        fast = FAST_GRADS.get(name)
        if fast is not None:
            r = fast(grad_out, x, y, out)
            if r is not None:
                return r
    if _dask.any_dask(grad_out, x, y):  # Dask hook: lazy, block by block
        return _dask.grad(name, grad_out, x, y, out, params)
    act = _catalog.by_name(name) if isinstance(name, str) else None
    if act is not None and act.name in GRADS:
        return GRADS[act.name](grad_out, x=x, y=y, out=out, **params)
    if act is not None and act.family in SHARED_OBJECTS:
        return SHARED_OBJECTS[act.family](act, params).backward(grad_out, x=x, y=y, out=out)
    if act is None or act.family != "elementwise":
        return get(resolve(name) if isinstance(name, str) else name, **params).backward(grad_out, x=x, y=y, out=out)
    k = bound_kernel(act, params)
    g, xy, from_y = backward_inputs(act.name, k.y_ok, params, grad_out, x, y)
    return k.backward(g, xy, from_y, out)
