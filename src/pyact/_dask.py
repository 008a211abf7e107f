"""Dask arrays in, lazy Dask arrays out (``pip install 'pyact[dask]'``).

Every ``pa.<name>``, ``pa.grad``, ``pa.bias_act``, ``pa.bias_act_grad`` and every
Activation object (``act(x)``, ``act.backward``) hands a Dask array here (each checks
:func:`is_dask` first). Each block is computed by the very same
NumPy path, so the result is bit-identical to computing the whole array at once:

* elementwise functions run block by block (``map_blocks``) and keep the chunks (chunk
  sizes unknown to Dask, NaN, are fine: shapes are compared only where known);
* a function with an ``axis`` parameter (softmax, glu, maxout, and the per-channel
  parameters of prelu/srelu/apl/swish) needs that axis whole in every block: it is
  **rechunked to a single chunk along that axis automatically** (the other axes keep
  their chunks; an axis that already was one chunk is left alone); aliases (``dim``)
  are resolved first, as the NumPy path resolves them;
* ``bias_act``: with a fused C++ kernel, the bias is split like the last axis of x, so
  chunks are kept; without one, ``pa.<name>(x + bias)`` on Dask arrays, as the NumPy
  fallback; the dtype is the NumPy path's (a Python-number bias takes x's dtype);
  ``bias_act_grad``: grad_x block by block (or ``pa.grad`` on Dask arrays without a
  kernel), grad_bias a float64 Dask reduction of it;
* a learnable activation's ``backward`` refuses Dask arrays (its parameter gradients
  would be accumulated in the blocks' copies of the object and lost);
* stochastic forms whose value depends on each element's place in the whole array
  (``rrelu(training=True)``) run as one block, with ``seed=None`` drawn once, at call
  time, as the NumPy function draws it; an RReLU object's call fixes its key (stream
  position) into the graph at call time, so computing is repeatable.

Errors (bad parameters, dtypes, shapes) are raised at call time, not at compute time:
the call is first tried on a tiny NumPy sample shaped like one block. ``out=`` is a
``TypeError`` (Dask arrays are immutable). pyact imports dask only from here, and this
module only runs when a Dask array was given.
"""
from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np

from . import _catalog

__all__ = ["is_dask", "any_dask", "forward", "grad", "call", "bias_act", "bias_act_grad", "install"]


def is_dask(a: Any) -> bool:
    """A Dask array (checked without importing dask)."""
    t = type(a)
    return t.__module__.startswith("dask.") and hasattr(t, "__dask_graph__") and hasattr(a, "chunks")


def any_dask(*arrays: Any) -> bool:
    """Whether any of these is a Dask array (None and ndarrays cost one type check)."""
    for a in arrays:  # a loop, not any(<generator>): this runs on every pa.grad call
        if a is not None and type(a) is not np.ndarray and is_dask(a):
            return True
    return False


def _no_out(name: str, out: Any) -> None:
    if out is not None:
        raise TypeError(f"pyact.{name}: out= cannot be used with a Dask array (Dask arrays are immutable); "
                        f"use the returned array")


def _whole_axis(act: _catalog.Act | None, params: dict, ndim: int, args: tuple = ()) -> int | None:
    """The axis every block must hold whole, or None for position-free functions: the
    ``axis`` of axis and per-channel functions (an array parameter means per channel,
    along ``axis``, default 1 as in PyTorch)."""
    if act is None:
        return None
    params = _canonical(act, params)
    defaults = act.defaults
    per_channel = any(np.ndim(v) > 0 for v in (*args, *params.values()) if not isinstance(v, str))
    if act.family == "elementwise" and not per_channel and "axis" not in params:
        return None
    axis = params.get("axis", defaults.get("axis", 1 if per_channel else None))
    if axis is None or isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or ndim == 0:
        return None
    axis = int(axis)
    if not -ndim <= axis < ndim:
        return None  # out of range: the NumPy sample call raises the proper error
    return axis % ndim


def _canonical(act: _catalog.Act, params: dict) -> dict:
    """Parameter aliases (``dim`` for ``axis``) under their canonical names, as the
    NumPy path's resolve_params maps them, so the axis decided here is the one it uses."""
    alias = {a: q.name for q in act.params for a in q.aliases}
    return {alias.get(k, k): v for k, v in params.items()}


def _stochastic(params: dict) -> bool:
    return bool(params.get("training", False))


def _rechunk(arrays: list, lead: int, axis: int | None, whole: bool) -> list:
    """Dask arrays chunked like the lead one, ``axis`` in one chunk (``whole``: one block)."""
    import dask.array as da

    arrays = [a if is_dask(a) else da.asarray(a) for a in arrays]
    ref = arrays[lead]
    for a in arrays:
        if a.ndim != ref.ndim or any(_differ(m, n) for k, (m, n) in enumerate(zip(a.shape, ref.shape))
                                     if k != axis):
            raise ValueError(f"pyact: array shapes {a.shape} and {ref.shape} do not match")
    if whole:
        return [a.rechunk(-1) for a in arrays]
    chunks = tuple(-1 if k == axis else c for k, c in enumerate(ref.chunks))
    return [a.rechunk(chunks) for a in arrays]  # a no-op where the chunks already are these


def _differ(m: float, n: float) -> bool:
    """Two lengths known to differ (NaN, Dask's unknown length, differs from nothing)."""
    return m == m and n == n and m != n


def _sample(a: Any, axis: int | None) -> np.ndarray:
    """A tiny NumPy array like one block of ``a``: length 1 except along ``axis`` (a
    length unknown to Dask, NaN, is sampled as 1)."""
    shape = tuple(1 if n != n else n if k == axis else min(n, 1) for k, n in enumerate(a.shape))
    return np.zeros(shape, dtype=a.dtype)


def _probe(fn: Any, arrays: list, samples: list) -> np.ndarray:
    """``fn`` on the samples: the NumPy path's own checks, raised now, naming the real
    shapes rather than the samples'."""
    try:
        with np.errstate(all="ignore"):
            return np.asarray(fn(*samples))
    except (ValueError, TypeError) as e:
        msg = str(e)
        for a, smp in zip(arrays, samples):
            msg = msg.replace(str(smp.shape), str(tuple(a.shape)))
        raise type(e)(msg) from None


def _lazy(block_fn: functools.partial, arrays: list, lead: int, axis: int | None, whole: bool) -> Any:
    """map_blocks of ``block_fn`` over ``arrays``, checked eagerly on a sample."""
    import dask.array as da

    arrays = _rechunk(arrays, lead, axis, whole)
    probe = _probe(block_fn, arrays, [_sample(a, axis) for a in arrays])
    chunks = list(arrays[lead].chunks)
    if axis is not None:
        chunks[axis] = (probe.shape[axis],)
    return da.map_blocks(block_fn, *arrays, dtype=probe.dtype, chunks=tuple(chunks),
                         meta=np.empty((0,) * probe.ndim, probe.dtype))


# Block functions: module-level (picklable by reference for dask.distributed workers),
# looking pyact up in the worker process.
def _forward_block(name: str, args: tuple, params: dict, x: np.ndarray) -> np.ndarray:
    from . import functional
    return functional.FUNCTIONS[name](x, *args, **params)


def _grad_block(name: Any, which: str, params: dict, g: np.ndarray, xy: np.ndarray) -> np.ndarray:
    from . import functional
    return functional.grad(name, g, **{which: xy}, **params)


def _bias_act_block(name: str, params: dict, x: np.ndarray, bias: np.ndarray) -> np.ndarray:
    import pyact
    return pyact.bias_act(x, bias, name, **params)


def _by_name(name: str, args: tuple, params: dict) -> tuple[dict, tuple]:
    """Positional parameters (``prelu(x, alpha)``) by their names, where the NumPy
    function's signature tells them, so ``axis``/``training``/``seed`` are seen."""
    if not args:
        return params, args
    from . import functional
    try:
        bound = inspect.signature(functional.FUNCTIONS[name]).bind_partial(None, *args, **params)
    except (KeyError, TypeError, ValueError):
        return params, args  # the NumPy sample call raises the proper error
    named = dict(bound.arguments)
    named.pop(next(iter(named)))  # x
    extra = named.pop(next((k for k, p in bound.signature.parameters.items() if p.kind is p.VAR_KEYWORD), ""), {})
    return {**named, **extra}, ()


def _seeded(act: _catalog.Act | None, params: dict) -> dict:
    """``seed=None`` (rrelu) drawn now, once, so every block and recompute agrees, and
    drawn as the NumPy function draws it (learnable._draw_seed, in training mode only:
    ``pa.rrelu``'s eval mode, its default, draws none), so that after the same
    ``np.random.seed`` both paths give the same slopes and leave the generator alike."""
    if (act is not None and "seed" in act.defaults and params.get("seed") is None
            and any(params.get("training") is t for t in (True, np.True_))):
        from .learnable import _draw_seed
        params = {**params, "seed": _draw_seed()}
    return params


def _rrelu_form(act: Any, forward: bool) -> dict | None:
    """``pa.rrelu``'s parameters for an RReLU object's call, with the key of this forward
    (for a backward: of the last forward, which the object replays) fixed into the graph
    now, so computing later or twice gives this call's slopes. None for other objects."""
    from .learnable import RReLU, _next_seed
    if not isinstance(act, RReLU):
        return None
    p = act.params
    calls = act._calls + (1 if forward and p["training"] else 0)
    p["seed"] = _next_seed(p["seed"], max(calls - 1, 0))
    return p


def forward(name: str, x: Any, out: Any, params: dict, args: tuple = ()) -> Any:
    """``pa.<name>(x, *args, **params)`` for a Dask array ``x``: a lazy Dask array."""
    _no_out(name, out)
    act = _catalog.by_name(name)
    params, args = _by_name(name, args, params)
    params = _seeded(act, params)
    axis = _whole_axis(act, params, x.ndim, tuple(args))
    fn = functools.partial(_forward_block, name, tuple(args), params)
    return _lazy(fn, [x], 0, axis, _stochastic(params))


def grad(name: Any, grad_out: Any, x: Any, y: Any, out: Any, params: dict) -> Any:
    """``pa.grad(name, grad_out, x=..., y=..., **params)`` where an array is a Dask array."""
    label = name if isinstance(name, str) else type(name).__name__
    _no_out(f"grad({label!r})", out)
    if x is None and y is None:
        raise TypeError(f"{label} backward needs x= (or y=, where the activation allows it)")
    which, xy = ("x", x) if x is not None else ("y", y)
    frozen = _rrelu_form(name, False)
    if frozen is not None:
        name, params = "rrelu", frozen
    spec = _catalog.by_name(name) if isinstance(name, str) else getattr(name, "spec", None)
    all_params = {**getattr(name, "params", {}), **params} if not isinstance(name, str) else params
    xy = xy if is_dask(xy) else np.asarray(xy)
    axis = _whole_axis(spec, all_params, xy.ndim)
    fn = functools.partial(_grad_block, name, which, params)
    return _lazy(fn, [grad_out, xy], 1, axis, _stochastic(all_params))


def call(act: Any, x: Any, out: Any) -> Any:
    """``act(x)`` for an Activation object and a Dask ``x``: a lazy Dask array."""
    _no_out(f"{type(act).__name__}()", out)
    frozen = _rrelu_form(act, True)
    if frozen is not None:
        r = forward("rrelu", x, None, frozen)
        if frozen["training"]:  # the stream advances once per training call, as on NumPy
            act._calls += 1
        return r
    params = act.params
    axis = _whole_axis(act.spec, params, x.ndim)
    return _lazy(functools.partial(_call_block, act), [x], 0, axis, _stochastic(params))


def _call_block(act: Any, x: np.ndarray) -> np.ndarray:
    return act(x)


def _fused(name: Any, params: dict) -> Any:
    """The NumPy path's Epilogue for this call: ``.kernel`` None where it has no fused C++
    kernel (unknown names and bad parameters of fused ones raise here, at call time)."""
    from .fused import _epilogue
    return _epilogue(name, params)


def _unfused_act(name: Any, params: dict, z: Any) -> Any:
    """The activation's own call on the Dask array ``z``, as the Epilogue's fallback calls it
    (a catalog name: ``pa.<name>``; else the object, or the registered name's object)."""
    spec = _catalog.by_name(name) if isinstance(name, str) else None
    if spec is not None:
        return forward(spec.name, z, None, dict(params))
    from .registry import get
    return (get(name, **params) if isinstance(name, str) else name)(z)


def bias_act_grad(name: Any, g: Any, x: Any, y: Any, out: Any, params: dict) -> tuple[Any, Any]:
    """``pa.bias_act_grad`` where an array is a Dask array: ``(grad_x, grad_bias)``, both
    lazy. With a fused kernel, grad_x is computed block by block, keeping g's chunks;
    otherwise it is ``pa.grad`` (or the object's backward) on the Dask arrays, which
    rechunk an axis where they need it whole. grad_bias is Dask's reduction of grad_x over
    every axis but the last, accumulated in float64, so it may differ from the one-pass
    NumPy result in the last bit where the sum is inexact."""
    _no_out("bias_act_grad", out)
    if x is None and y is None:
        raise TypeError("bias_act_grad needs x= (or y=, where the activation allows it)")
    ep = _fused(name, params)
    if ep.kernel is None:
        if np.ndim(g) == 0:
            raise ValueError(f"{ep.name} bias_act_grad: g must have at least one axis (the features are the last)")
        spec = _catalog.by_name(name) if isinstance(name, str) else None
        if spec is not None:
            gx = grad(spec.name, g, x, y, None, params)
        else:
            from .registry import get
            gx = (get(name, **params) if isinstance(name, str) else name).backward(g, x=x, y=y)
    else:
        which, xy = ("x", x) if x is not None else ("y", y)
        xy = xy if is_dask(xy) else np.asarray(xy)
        gx = _lazy(functools.partial(_bias_grad_block, name, which, params), [g, xy], 1, None, False)
    grad_bias = gx.astype(np.float64).sum(axis=tuple(range(gx.ndim - 1))).astype(gx.dtype)
    return gx, grad_bias


def _bias_grad_block(name: Any, which: str, params: dict, g: np.ndarray, xy: np.ndarray) -> np.ndarray:
    import pyact
    return pyact.bias_act_grad(name, g, **{which: xy}, **params)[0]


def bias_act(x: Any, bias: Any, name: str, out: Any, params: dict) -> Any:
    """``pa.bias_act(x, bias, name, **params)`` for a Dask ``x``, in the NumPy path's dtype
    (NumPy's ``x + bias``: a Python-number bias takes x's dtype). With a fused kernel, block
    by block: a bias of x's last-axis length is split like that axis (chunks kept), any
    other bias is given whole to every block. Otherwise, as the NumPy path's fallback,
    ``pa.<name>(x + bias)`` (or the object's call) on Dask arrays, which rechunk an axis
    where they need it whole (softmax along the features, glu, maxout)."""
    import dask.array as da
    from . import _arrays
    from .fused import _bias_row

    _no_out("bias_act", out)
    ep = _fused(name, params)
    x = x if is_dask(x) else da.asarray(x)
    xdt = _arrays.as_float_array(np.empty(0, x.dtype), "x").dtype
    if type(bias) in (int, float):  # NEP 50, as the NumPy path: the number in x's float dtype
        bias = np.asarray(bias, xdt)
    b = bias if is_dask(bias) else np.asarray(bias)
    last = x.ndim - 1 if x.ndim else None
    if ep.kernel is None:
        if x.ndim == 0:
            raise ValueError("bias_act: x must have at least one axis (the features are the last)")
        dtype = np.result_type(xdt, _arrays.as_float_array(np.empty(0, b.dtype), "bias").dtype)
        _bias_row(np.zeros(b.shape, b.dtype), x.shape, dtype)  # a bias that does not fit raises, as there
        return _unfused_act(name, params, x.astype(dtype) + b.astype(dtype))
    if b.ndim == 1 and last is not None and b.shape[0] == x.shape[-1] and x.shape[-1] != 1:
        fn = functools.partial(_bias_act_block, name, params)
        probe = _probe(fn, [x, b], [_sample(x, last), np.zeros(b.shape, b.dtype)])
        b = da.asarray(b).rechunk((x.chunks[-1],))
        return da.map_blocks(fn, x, b, dtype=probe.dtype, meta=np.empty((0,) * x.ndim, probe.dtype))
    fn = functools.partial(_with_bias, name, params, np.asarray(b))
    _probe(fn, [x], [_sample(x, last)])  # a bias that fits no block raises now, as in the NumPy path
    return _lazy(fn, [x], 0, None, False)


def _with_bias(name: str, params: dict, bias: np.ndarray, x: np.ndarray) -> np.ndarray:
    return _bias_act_block(name, params, x, bias)


# --- wiring: functions that a family module defines itself (prelu(x, alpha, ...), the
# fused bias_act) get the same hook as the generated ones, as a thin wrapper.
def _hooked(fn: Any, name: str) -> Any:
    @functools.wraps(fn)
    def wrapper(x: Any, *args: Any, **kwargs: Any) -> Any:
        if type(x) is not np.ndarray and is_dask(x):
            return forward(name, x, kwargs.pop("out", None), kwargs, args)
        return fn(x, *args, **kwargs)

    wrapper._dask_aware = True  # type: ignore[attr-defined]
    return wrapper


def _hooked_bias_act(fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(x: Any, bias: Any, name: Any, *, out: Any = None, **params: Any) -> Any:
        if any_dask(x, bias):
            return bias_act(x, bias, name, out, params)
        return fn(x, bias, name, out=out, **params)

    wrapper._dask_aware = True  # type: ignore[attr-defined]
    return wrapper


def install(namespace: dict, functions: dict) -> None:
    """Give every ``pa.<name>`` of ``functions`` and ``pa.bias_act`` in ``namespace`` (the
    package's globals) the Dask hook, where they have not got it built in."""
    for name in functions:
        fn = namespace.get(name)
        if fn is not None and not getattr(fn, "_dask_aware", False):
            namespace[name] = _hooked(fn, name)
    fn = namespace.get("bias_act")
    if fn is not None and not getattr(fn, "_dask_aware", False):
        namespace["bias_act"] = _hooked_bias_act(fn)
