"""The fused dense-layer epilogue (SPEC §7): ``bias_act`` = act(x + bias) in one pass,
and ``bias_act_grad`` = (dL/dx, dL/dbias) with the bias gradient reduced in the same
pass, deterministic for any thread count.

Every elementwise activation of the catalog runs in C++ (``kernels/fused.h``). Any other
activation (learnable, axis, user-registered) takes the documented fallback: NumPy adds
the bias, the activation's own call does the rest (for a name, ``pa.<name>`` and
``pa.grad`` with their defaults: rrelu in eval mode unless ``training=True``; glu and
maxout shrink the last axis), and the bias gradient is the float64 column sum of its
backward, so every name works here and in the trainer.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import _arrays, _catalog, _core, _dask
from .activations import Activation, ElementwiseActivation, backward_inputs
from .registry import get

__all__ = ["bias_act", "bias_act_grad", "Epilogue"]


_SOURCES = {"x": 0, "y": 1, "d": 2}  # what the C++ backward reads (bind_fused.cpp)


class Epilogue:
    """One activation bound for the fused epilogue: the C++ kernel where there is one,
    else the activation's own forward and backward (for a name, its functional forms,
    ``pa.<name>`` and ``pa.grad``, so that ``bias_act(x, b, name)`` is ``pa.<name>(x + b)``
    with the same defaults; for an object, its methods). Works on buffers already checked
    by the caller (C-contiguous, one float dtype, ``bias`` one row of ``x.shape[-1]``
    entries)."""

    __slots__ = ("kernel", "y_ok", "name", "_forward", "_backward")

    def __init__(self, name: str | Activation, params: dict | None = None) -> None:
        params = params or {}
        self.kernel = None
        if isinstance(name, Activation):
            if params:
                raise TypeError("bias_act: parameters cannot be given with an Activation object")
            self._bind_object(name)
            return
        spec = _catalog.by_name(name) if isinstance(name, str) else None
        if spec is None:  # a registered name (or not a name: get() says why)
            self._bind_object(get(name, **params))
        elif spec.family == "elementwise" and not _per_channel(spec, params):
            from .functional import bound_kernel
            self.kernel = bound_kernel(spec, params)
            self.y_ok, self.name = self.kernel.y_ok, spec.name
        else:
            from . import functional  # (they check the parameters and the y-ok rule themselves)
            fn, self.name, self.y_ok = functional.FUNCTIONS[spec.name], spec.name, False
            self._forward = lambda z, out: fn(z, out=out, **params)
            self._backward = lambda g, x, y, out: functional.grad(spec.name, g, x=x, y=y, out=out, **params)

    def _bind_object(self, act: Activation) -> None:
        self.y_ok, self.name = act.y_ok, act.name
        if isinstance(act, ElementwiseActivation):
            self.kernel = act._kernel
        self._forward = lambda z, out: act(z, out=out)
        self._backward = lambda g, x, y, out: act.backward(g, x=x, y=y, out=out)

    @property
    def keeps_deriv(self) -> bool:
        """Whether ``forward(..., deriv=True)`` exists: a C++ kernel whose forward and
        derivative share work."""
        return self.kernel is not None and _core.bias_act_has_deriv(self.kernel.kid)

    def forward(self, x: np.ndarray, bias: np.ndarray, out: np.ndarray | None, pre: np.ndarray | None = None,
                deriv: bool = False) -> np.ndarray:
        """out = f(x + bias) (``out`` None: a new array, the activation's output shape,
        which glu and maxout shrink); ``pre``, if given (may be ``x``), receives x + bias,
        or f'(x + bias) with ``deriv`` (where ``self.keeps_deriv``), for a backward with
        ``source="d"``."""
        k = self.kernel
        if k is not None:
            out = np.empty_like(x) if out is None else out
            if out.size:
                _core.bias_act(k.kid, x, bias, out, pre, k.args, deriv)
            return out
        if deriv:
            raise ValueError("bias_act: deriv=True needs a kernel that keeps its derivative")
        return self._forward(np.add(x, bias, out=pre), out)

    def backward(self, g: np.ndarray, xy: np.ndarray, source: str, grad_x: np.ndarray,
                 grad_bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """grad_x = f'(.) * g and grad_bias = its column sums, where ``xy`` is the
        pre-activation (``source="x"``), y (``"y"``) or f' itself as kept by
        ``forward(..., deriv=True)`` (``"d"``)."""
        k = self.kernel
        if k is not None:
            if grad_x.size:
                _core.bias_act_grad(k.kid, _SOURCES[source], g, xy, grad_x, grad_bias, k.args)
            else:
                grad_bias.fill(0)
            return grad_x, grad_bias
        if source == "d":
            raise ValueError("bias_act_grad: source='d' needs a kernel that keeps its derivative")
        self._backward(g, None if source == "y" else xy, xy if source == "y" else None, grad_x)
        np.copyto(grad_bias, _column_sums(grad_x), casting="unsafe")
        return grad_x, grad_bias


def _column_sums(a: np.ndarray) -> np.ndarray:
    """float64 sums over every axis but the last (the bias gradient of the fallback)."""
    cols = a.shape[-1]
    return a.reshape(-1, cols).sum(axis=0, dtype=np.float64) if cols else np.zeros(0)


def _per_channel(spec: _catalog.Act, params: dict) -> bool:
    """Parameters that route an elementwise name to its per-channel form (swish's
    learnable or array beta, pyact.learnable), which has no fused kernel."""
    from .learnable import _per_channel_swish
    return spec.name == "swish" and bool(params) and _per_channel_swish(params)


_DEFAULT_EPILOGUES: dict[str, Epilogue] = {}


def _epilogue(name: str | Activation, params: dict) -> Epilogue:
    """The epilogue of a call; built-in names without parameters are cached."""
    if params or not isinstance(name, str):
        return Epilogue(name, params)
    ep = _DEFAULT_EPILOGUES.get(name)
    if ep is None:
        ep = Epilogue(name)
        if ep.kernel is not None:  # registered names may be re-registered: not cached
            _DEFAULT_EPILOGUES[name] = ep
    return ep


def _bias_row(bias: Any, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """``bias`` as one contiguous row of ``shape[-1]`` entries; it may be a scalar, one
    entry, or have leading axes of length 1, as NumPy's broadcasting allows."""
    b = _arrays.as_float_array(bias, "bias")
    cols = shape[-1]
    if b.shape == (cols,) and b.dtype == dtype and b.flags.c_contiguous:
        return b
    bshape = b.shape
    while len(bshape) > 1 and bshape[0] == 1:
        bshape = bshape[1:]
    if len(b.shape) > len(shape) or bshape not in ((), (1,), (cols,)):
        raise ValueError(f"bias_act: bias of shape {b.shape} does not broadcast over the last axis "
                         f"of x, shape {shape} (expected ({cols},))")
    return np.ascontiguousarray(np.broadcast_to(b.reshape(bshape), (cols,)), dtype=dtype)


def _prepare_out(out: Any, shape: tuple, dtype: np.dtype, inputs: list[np.ndarray]) -> tuple:
    """The buffer to compute into (``out`` or a C-contiguous stand-in) and the inputs,
    copied where they partially overlap ``out`` (SPEC §2)."""
    if out is None:
        return np.empty(shape, dtype), inputs
    _arrays.check_out(out, shape, dtype)
    inputs = [a.copy() if np.may_share_memory(a, out) and not _arrays._same_buffer(a, out) else a
              for a in inputs]
    target = out if out.flags.c_contiguous else np.empty(shape, dtype)
    return target, inputs


def bias_act(x: Any, bias: Any, name: str | Activation, *, out: np.ndarray | None = None,
             **params: Any) -> np.ndarray:
    """Activation of ``x + bias`` in one pass, ``bias`` broadcast over the last axis.

    Parameters
    ----------
    x : array_like, ndim >= 1
        Pre-activations without bias, e.g. the output of ``inputs @ W``.
    bias : array_like, shape (x.shape[-1],)
        Added to every row (a scalar or a one-entry bias broadcasts too).
    name : str or Activation
        Any activation; elementwise catalog entries run fused in C++, the others
        through NumPy's add and the Activation object.
    out : ndarray, optional
        Receives the result; may be ``x`` itself.
    **params
        The activation's parameters.

    Returns
    -------
    ndarray
        f(x + bias), shape of ``x``, the dtype NumPy gives ``x + bias``.
    """
    ep = _epilogue(name, params)
    x_in = x
    x = _arrays.as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError("bias_act: x must have at least one axis (the features are the last)")
    b0 = _arrays.as_float_array(bias, "bias")
    # NumPy's x + bias: a Python number takes x's dtype (NEP 50), an array promotes. The
    # promotion is of the dtypes as given (int8 + 1.0 is float64, uint8 + int8 is int16),
    # then the sum is converted as np.exp would convert it (SPEC §7: act(x + bias)).
    weak = type(bias) in (int, float, bool)
    if x is x_in and (weak or b0 is bias and b0.dtype == x.dtype):
        dtype = x.dtype  # a float array already (the common call)
    else:
        x_dtype = x_in.dtype if isinstance(x_in, np.ndarray) else np.asarray(x_in).dtype
        dtype = _arrays.result_dtype(np.result_type(x_dtype, bias if weak else np.asarray(bias).dtype))
    b = _bias_row(b0, x.shape, dtype)
    if ep.kernel is None:  # not fused: the activation's own call, whose output may be narrower (glu, maxout)
        # out= goes to that call, which checks it before computing: a rejected out changes
        # nothing (an RReLU object's random stream included); x + bias is a new array, so
        # out may be x itself
        return ep.forward(np.asarray(x, dtype=dtype), b, out)
    target, (x, b) = _prepare_out(out, x.shape, dtype, [x, b])
    ep.forward(np.ascontiguousarray(x, dtype=dtype), b, target)
    if out is not None and target is not out:
        np.copyto(out, target)
        return out
    return target


def bias_act_grad(name: str | Activation, g: Any, *, x: Any = None, y: Any = None,
                  out: np.ndarray | None = None, **params: Any) -> tuple[np.ndarray, np.ndarray]:
    """Backward of :func:`bias_act`: ``(grad_x, grad_bias)``.

    Parameters
    ----------
    name : str or Activation
        The activation of the forward.
    g : array_like, ndim >= 1
        dL/dy.
    x : array_like, optional
        The pre-activation ``x + bias`` (always works).
    y : array_like, optional
        The output of the forward (where the activation is y-ok, SPEC §4).
    out : ndarray, optional
        Receives grad_x; may be ``g`` itself.
    **params
        The activation's parameters.

    Returns
    -------
    grad_x : ndarray
        f'(x + bias) * g, shape and dtype of ``g``.
    grad_bias : ndarray, shape (g.shape[-1],)
        The column sums of grad_x over every other axis, computed in the same pass
        (float64 accumulation), identical for any thread count.
    """
    if _dask.any_dask(g, x, y):  # lazy, block by block (pyact._dask)
        return _dask.bias_act_grad(name, g, x, y, out, params)
    ep = _epilogue(name, params)
    label = ep.name
    if ep.kernel is None:  # not fused: the activation's backward checks its inputs, then the column sums
        if np.ndim(g) == 0:
            raise ValueError(f"{label} bias_act_grad: g must have at least one axis (the features are the last)")
        grad_x = ep._backward(g, x, y, out)
        return grad_x, _column_sums(grad_x).astype(grad_x.dtype)
    g, xy, from_y = backward_inputs(label, ep.y_ok, params, g, x, y)
    if g.ndim == 0:
        raise ValueError(f"{label} bias_act_grad: g must have at least one axis (the features are the last)")
    target, (g, xy) = _prepare_out(out, g.shape, g.dtype, [g, xy])
    grad_bias = np.empty(g.shape[-1], g.dtype)
    ep.backward(np.ascontiguousarray(g), np.ascontiguousarray(xy), "y" if from_y else "x", target, grad_bias)
    if out is not None and target is not out:
        np.copyto(out, target)
        return out, grad_bias
    return target, grad_bias
