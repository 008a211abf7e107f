"""Activation objects: a base class, one class per catalog entry (built from the
catalog, named as in PyTorch), and activations registered from Python callables.

``act(x)`` and ``act.backward(g, x=..., y=...)`` follow the array rules of SPEC §2.
"""
from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar

import numpy as np

from . import _arrays, _catalog, _dask
from ._catalog import REQUIRED, Act

__all__ = ["Activation", "ElementwiseActivation", "UserActivation", "CLASSES", "FAMILY_BASES"]


def _close(word: str, choices: list[str]) -> str:
    near = difflib.get_close_matches(word, choices, n=3, cutoff=0.5)
    return f"; did you mean {', '.join(map(repr, near))}?" if near else ""


def resolve_params(act: Act, given: dict) -> dict:
    """Defaults filled in, aliases resolved, every value checked (SPEC §3 errors)."""
    names = {q.name: q for q in act.params}
    alias = {a: q.name for q in act.params for a in q.aliases}
    p = act.defaults
    seen: dict[str, str] = {}  # canonical name -> the key it was given as
    for key, value in given.items():
        canon = alias.get(key, key)
        if canon not in names:
            valid = ", ".join(names) or "none"
            raise TypeError(f"{act.name}() got an unexpected parameter {key!r}{_close(key, list(names))} "
                            f"(valid parameters: {valid})")
        if canon in seen:
            raise TypeError(f"{act.name}(): parameter {canon!r} given twice (as {seen[canon]!r} and {key!r})")
        seen[canon] = key
        p[canon] = value
    for q in act.params:
        v = p[q.name]
        if v is REQUIRED:
            raise TypeError(f"{act.name}() missing required parameter {q.name!r}")
        reason = q.check(v) if q.check is not None else None
        if reason:
            raise ValueError(f"{act.name}: parameter {q.name}={v!r} {reason}")
    if act.validate is not None:
        reason = act.validate(p)
        if reason:
            raise ValueError(f"{act.name}: {reason}")
    return p


def positional(spec: Act, args: tuple, params: dict) -> dict:
    """Constructor arguments given by position, in the catalog's order (as PyTorch's)."""
    names = [q.name for q in spec.params]
    if len(args) > len(names):
        raise TypeError(f"{spec.cls}() takes at most {len(names)} positional arguments ({len(args)} given)")
    params = dict(params)
    for k, v in zip(names, args):
        if k in params:
            raise TypeError(f"{spec.cls}() got multiple values for argument {k!r}")
        params[k] = v
    return params


def backward_inputs(name: str, y_ok: bool, params: dict, grad_out: Any, x: Any, y: Any):
    """The SPEC §2 rules for a backward call: returns (g, x_or_y, from_y) as float arrays
    of one shape and one dtype."""
    if x is None and y is None:
        raise TypeError(f"{name} backward needs x= (or y=, where the activation allows it)")
    if x is None and not y_ok:
        shown = ", ".join(f"{k}={v!r}" for k, v in params.items()) or "no parameters"
        raise TypeError(f"{name} backward cannot run from y alone ({shown}): pass x=")
    g = _arrays.as_float_array(grad_out, "grad_out")
    which = "x" if x is not None else "y"
    xy = _arrays.as_float_array(x if x is not None else y, which)
    if g.shape != xy.shape:
        raise ValueError(f"{name} backward: grad_out has shape {g.shape}, {which} has shape {xy.shape}")
    if g.dtype != xy.dtype:
        dt = np.result_type(g.dtype, xy.dtype)
        g, xy = g.astype(dt, copy=False), xy.astype(dt, copy=False)
    return g, xy, which == "y"


class Activation(ABC):
    """Base of every activation object.

    Subclasses set ``spec`` (the catalog entry, or None for user activations) and
    implement :meth:`_forward` and :meth:`_backward`.
    """

    spec: ClassVar[Act | None] = None
    learnable: ClassVar[tuple[str, ...]] = ()
    numeric_grad: ClassVar[bool] = False

    def __init__(self, *args: Any, **params: Any) -> None:
        if args:  # by position in the catalog's order, as PyTorch's classes take them
            if self.spec is None:
                raise TypeError(f"{type(self).__name__}() takes no positional arguments")
            params = positional(self.spec, args, params)
        self._params = resolve_params(self.spec, params) if self.spec is not None else dict(params)
        self.grads: dict[str, np.ndarray] = {}

    # --- what every activation tells about itself ---------------------------------
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def params(self) -> dict:
        return dict(self._params)

    @property
    def y_ok(self) -> bool:
        return self.spec.y_ok_for(self._params)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and _params_equal(self._params, other._params)  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    # --- the computation -----------------------------------------------------------
    def __call__(self, x: Any, *, out: np.ndarray | None = None) -> np.ndarray:
        if type(x) is not np.ndarray and _dask.is_dask(x):  # lazy, block by block (pyact._dask)
            return _dask.call(self, x, out)
        return self._forward(_arrays.as_float_array(x), out)

    forward = __call__

    def backward(self, grad_out: Any, *, x: Any = None, y: Any = None,
                 out: np.ndarray | None = None) -> np.ndarray:
        """dL/dx given dL/dy = ``grad_out`` and the input ``x`` (or, where ``y_ok``, the
        output ``y``)."""
        if _dask.any_dask(grad_out, x, y):
            if self.learnable:  # the blocks would accumulate self.grads in copies, lost
                raise TypeError(f"{type(self).__name__}.backward: the parameter gradients need NumPy arrays, "
                                f"not Dask arrays (compute them first, or use pa.grad for dL/dx alone)")
            return _dask.grad(self, grad_out, x, y, out, {})
        g, xy, from_y = backward_inputs(self.name, self.y_ok, self._params, grad_out, x, y)
        return self._backward(g, xy, from_y, out)

    @abstractmethod
    def _forward(self, x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        """f(x) for a float array ``x`` into ``out`` (or a new array)."""

    @abstractmethod
    def _backward(self, g: np.ndarray, xy: np.ndarray, from_y: bool, out: np.ndarray | None) -> np.ndarray:
        """dL/dx from float arrays ``g`` and ``xy`` (x, or y when ``from_y``)."""

    # --- copy / pickle: the parameters are the whole state --------------------------
    def __reduce__(self):
        return (_rebuild, (type(self), self._params, self.grads))


def _rebuild(cls: type, params: dict, grads: dict) -> "Activation":
    obj = cls.__new__(cls)
    obj._params = dict(params)
    obj.grads = dict(grads)
    if hasattr(obj, "_bind"):
        obj._bind()
    return obj


def _params_equal(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    return all(np.array_equal(a[k], b[k]) if isinstance(a[k], np.ndarray) else a[k] == b[k] for k in a)


class ElementwiseActivation(Activation):
    """A catalog entry computed by an elementwise C++ kernel."""

    def __init__(self, *args: Any, **params: Any) -> None:
        super().__init__(*args, **params)
        self._bind()

    def _bind(self) -> None:
        from . import _kernels
        self._kernel = _kernels.bind(self.spec, self._params)

    def _forward(self, x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        return self._kernel.forward(x, out)

    def _backward(self, g: np.ndarray, xy: np.ndarray, from_y: bool, out: np.ndarray | None) -> np.ndarray:
        return self._kernel.backward(g, xy, from_y, out)


FAMILY_BASES: dict[str, type[Activation]] = {"elementwise": ElementwiseActivation}
"""Base class per catalog family; the axis and learnable modules add theirs."""

CLASSES: dict[str, type[Activation]] = {}
"""Canonical name -> class, built from the catalog."""


def _make_class(act: Act) -> type[Activation]:
    base = FAMILY_BASES[act.family]
    doc = f"{act.name}: f(x) = {act.formula}."
    if act.params:
        doc += " Parameters: " + ", ".join(f"{q.name}={q.default!r}" for q in act.params) + "."
    cls = type(act.cls, (base,), {"spec": act, "__doc__": doc, "__module__": __name__})
    cls.__qualname__ = act.cls
    return cls


def build_classes() -> None:
    """(Re)build the classes of every catalog entry whose family base is known."""
    for act in _catalog.CATALOG:
        if act.family in FAMILY_BASES and act.name not in CLASSES:
            cls = _make_class(act)
            CLASSES[act.name] = cls
            globals()[act.cls] = cls


build_classes()


class UserActivation(Activation):
    """An activation registered from Python callables (:func:`pyact.register`)."""

    fwd: ClassVar[Callable[..., Any]]
    bwd: ClassVar[Callable[..., Any] | None] = None
    user_name: ClassVar[str] = ""

    @property
    def name(self) -> str:
        return self.user_name

    @property
    def y_ok(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"UserActivation({self.user_name!r})"

    def __reduce__(self):
        return (_user_rebuild, (self.user_name,))

    def _forward(self, x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        y = np.asarray(type(self).fwd(x))
        return _store(y, x, out)

    def _backward(self, g: np.ndarray, xy: np.ndarray, from_y: bool, out: np.ndarray | None) -> np.ndarray:
        x = xy
        if type(self).bwd is not None:
            y = np.asarray(type(self).fwd(x))
            gi = np.asarray(type(self).bwd(g, x, y))
        else:  # central differences in float64, step scaled to |x|
            x64 = x.astype(np.float64)
            h = np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(x64))
            f = type(self).fwd
            d = (np.asarray(f(x64 + h), np.float64) - np.asarray(f(x64 - h), np.float64)) / (2 * h)
            gi = g.astype(np.float64) * d
        return _store(gi, x, out)


def _store(r: np.ndarray, like: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    if r.shape != like.shape:
        raise ValueError(f"pyact: registered function returned shape {r.shape} for input shape {like.shape}")
    r = r.astype(like.dtype, copy=False)
    if out is None:
        return np.array(r, copy=True) if r is like else r
    _arrays.check_out(out, like.shape, like.dtype)
    np.copyto(out, r)
    return out


def _user_rebuild(name: str) -> Activation:
    from .registry import get
    return get(name)

