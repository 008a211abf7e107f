"""PyTorch adapter: every pyact activation as a ``torch.autograd.Function`` and a
``torch.nn.Module`` (optional; ``import pyact.torch`` imports torch, ``import pyact``
never does).

    import torch, pyact.torch as pat
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), pat.SReLU(num_parameters=16), ...)
    y = pat.squareplus(x, b=4.0)             # functional, differentiable
    y = pat.apply(pa.get("gelu"), x)          # any pyact Activation object

CPU tensors of float32 or float64 (float16 is computed in float32, as in pyact) are
passed to the kernels as zero-copy NumPy views (``tensor.detach().numpy()``); the result
is wrapped without a copy (``torch.from_numpy``). Learnable parameters (``act.learnable``)
are ``nn.Parameter``s: the autograd Function receives them as inputs and returns
pyact's ``act.grads`` as their gradients, so any ``torch.optim`` optimiser trains them.
The classes are built from pyact's catalog: ``pyact.torch.<Class>`` for each
``pyact.<Class>``, same names and parameters (by keyword or in the same positional
order, which is PyTorch's: ``pat.PReLU(3)``, ``pat.LeakyReLU(0.1)``).

First derivatives only: differentiating a gradient again (``create_graph=True``, then a
backward through the gradient) raises ``RuntimeError`` rather than dropping that term.
"""
from __future__ import annotations

import copy
import functools
from typing import Any

import numpy as np
import torch

from . import _catalog
from .activations import CLASSES, Activation, _rebuild
from .learnable import _apl_matrix, _columns, _need, _per_channel_swish
from .registry import get

__all__ = ["apply", "ActivationFunction", "ActivationModule", "MODULES", "FUNCTIONS"]

_DTYPES = (torch.float16, torch.float32, torch.float64)


def _type_name(v: Any) -> str:
    t = type(v)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _numpy(t: torch.Tensor, what: str) -> np.ndarray:
    """A zero-copy NumPy view of a CPU floating tensor."""
    if t.device.type != "cpu":
        raise TypeError(f"pyact.torch: {what} must be a CPU tensor, got device {t.device} "
                        f"(pyact's kernels run on the CPU)")
    if t.dtype not in _DTYPES:
        raise TypeError(f"pyact.torch: {what} has dtype {t.dtype}; expected float16, float32 or float64")
    try:
        return t.detach().numpy()
    except RuntimeError:  # a lazily negated view (torch's neg bit): materialise it
        return t.detach().resolve_neg().numpy()


def _with_weights(act: Activation, weights: tuple[torch.Tensor, ...]) -> Activation:
    """``act`` with its learnable parameters set to these tensors' values (a new object,
    built like an unpickled one; the tensors are read, never copied)."""
    if not weights:
        return act
    params = act.params
    for k, w in zip(act.learnable, weights):
        params[k] = _numpy(w, f"parameter {k!r}")
    obj = _rebuild(type(act), params, {})
    for attr in ("training", "seed"):  # state beside the parameters (rrelu)
        if attr in vars(act):
            setattr(obj, attr, vars(act)[attr])
    return obj


class _FirstOrderOnly(torch.autograd.Function):
    """Passes the gradients through as functions of x, the weights and the incoming
    gradient, so that differentiating them again by any of these raises. (torch's
    ``once_differentiable`` hangs its error node only off the incoming gradient, which
    for ``y.sum()`` does not require grad, and off detached copies that
    ``torch.autograd.grad(..., x)`` never reaches: the second-order term vanished.)"""

    @staticmethod
    def forward(ctx: Any, n: int, *tensors: torch.Tensor):
        return tuple(t.view_as(t) for t in tensors[:n])

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor):
        raise RuntimeError("pyact.torch: double backward (a gradient of a gradient, as with create_graph=True) "
                           "is not supported: pyact's kernels have first derivatives only")


def _first_order_only(backward):
    """Run ``backward`` without a graph; under create_graph, link its results to the
    inputs through :class:`_FirstOrderOnly`."""
    @functools.wraps(backward)
    def wrapper(ctx: Any, *grads: torch.Tensor):
        with torch.no_grad():
            out = backward(ctx, *grads)
        sources = [t for t in (*grads, *ctx.saved_tensors) if t.requires_grad]
        if not torch.is_grad_enabled() or not sources:
            return out  # no create_graph, or nothing a gradient could be taken by
        given = [i for i, g in enumerate(out) if g is not None]
        linked = _FirstOrderOnly.apply(len(given), *(out[i] for i in given), *sources)
        out = list(out)
        for i, g in zip(given, linked):
            out[i] = g
        return tuple(out)

    return wrapper


class ActivationFunction(torch.autograd.Function):
    """``y = act(x)`` with backward through ``act.backward``: inputs ``(act, x, *weights)``
    where ``weights`` are the learnable parameters in ``act.learnable`` order."""

    @staticmethod
    def forward(ctx: Any, act: Activation, x: torch.Tensor, *weights: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):  # one check for modules, functions and apply
            raise TypeError(f"pyact.torch: {act.name} expects a torch.Tensor, got {_type_name(x)}")
        act = _with_weights(act, weights)
        y = act(_numpy(x, "x"))
        # A stochastic activation (rrelu) moves on at each training forward and its
        # backward replays the last one: keep this forward's state for this backward.
        ctx.act = copy.deepcopy(act) if not weights and callable(getattr(act, "train", None)) else act
        ctx.save_for_backward(x, *weights)
        return torch.from_numpy(y)

    @staticmethod
    @_first_order_only
    def backward(ctx: Any, grad_y: torch.Tensor):
        x, *weights = ctx.saved_tensors
        act = ctx.act
        gx = act.backward(_numpy(grad_y, "grad_output"), x=_numpy(x, "x"))
        gw = [torch.from_numpy(np.asarray(act.grads[k], dtype=_numpy(w, k).dtype).reshape(w.shape))
              if ctx.needs_input_grad[2 + i] else None
              for i, (k, w) in enumerate(zip(act.learnable, weights))]
        return (None, torch.from_numpy(np.asarray(gx)), *gw)


def apply(act: Activation | str, x: torch.Tensor, *weights: torch.Tensor, **params: Any) -> torch.Tensor:
    """Apply a pyact activation to a tensor, differentiably.

    Parameters
    ----------
    act : Activation or str
        A pyact Activation object, or a name (with ``params``) for :func:`pyact.get`.
    x : torch.Tensor
        CPU tensor, float16/float32/float64, any shape and strides.
    *weights : torch.Tensor
        Values for all the learnable parameters (``act.learnable`` order), or none: the
        object's own values, not trained. Another count is a ``TypeError``.
    **params
        Parameters when ``act`` is a name.

    Returns
    -------
    torch.Tensor
        ``act(x)``, same shape and dtype (except axis functions that change the shape).

    Examples
    --------
    >>> import torch, pyact.torch as pat
    >>> pat.apply("leaky_relu", torch.tensor([-1.0, 2.0]), negative_slope=0.1)
    tensor([-0.1000,  2.0000])
    """
    act = get(act, **params)
    # Checked here, not in backward: a wrong count would only fail there ("incorrect
    # number of gradients"), or leave a parameter silently untrained.
    names = act.learnable
    if weights and len(weights) != len(names):
        wants = (f"takes {len(names)} parameter tensors ({', '.join(names)}) or none"
                 if names else "has no learnable parameters")
        raise TypeError(f"pyact.torch.apply: {act.name} {wants}; got {len(weights)}")
    for k, w in zip(names, weights):
        if not isinstance(w, torch.Tensor):
            raise TypeError(f"pyact.torch.apply: parameter {k!r} must be a torch.Tensor, got {_type_name(w)}")
    return ActivationFunction.apply(act, x, *weights)


class ActivationModule(torch.nn.Module):
    """Base of the generated modules: holds a pyact Activation; its learnable parameters
    are ``nn.Parameter``s of the default dtype (``.double()`` etc. convert them)."""

    name: str = ""

    def __init__(self, *args: Any, **params: Any) -> None:
        super().__init__()
        act = CLASSES[self.name](*args, **params)  # positional in the catalog's order, as pa.<Class>
        self.act = act
        for k in act.learnable:
            value = np.asarray(act.params[k])
            self.register_parameter(k, torch.nn.Parameter(torch.tensor(value, dtype=torch.get_default_dtype())))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act = self.act
        return ActivationFunction.apply(act, x, *(getattr(self, k) for k in act.learnable))

    def train(self, mode: bool = True) -> "ActivationModule":
        super().train(mode)
        switch = getattr(self.act, "train", None)
        if callable(switch):
            switch(mode)
        return self

    def extra_repr(self) -> str:
        fixed = {k: v for k, v in self.act.params.items() if k not in self.act.learnable}
        return ", ".join(f"{k}={v!r}" for k, v in fixed.items())


def _function_doc(act: _catalog.Act) -> str:
    sig = ", ".join(f"{q.name}={q.default!r}" for q in act.params)
    return (f"{act.name}(x, **params) on a torch.Tensor: f(x) = {act.formula}.\n\n"
            f"Parameters (defaults): {sig or 'none'}. Differentiable; see :func:`apply`.")


def _make_function(name: str):
    def fn(x: torch.Tensor, **params: Any) -> torch.Tensor:
        return ActivationFunction.apply(get(name, **params), x)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = _function_doc(_catalog.by_name(name))
    return fn


# ---- the functional forms with parameter arrays: pa.<name>'s signature, tensors welcome ----
_FORMS: dict[str, Any] = {}


def _form(fn):
    _FORMS[fn.__name__] = fn
    return fn


def _value(k: str, v: Any) -> Any:
    """A parameter as pyact's own checks take it (a tensor as its NumPy view)."""
    return _numpy(v, f"parameter {k!r}") if isinstance(v, torch.Tensor) else v


def _tensor(v: Any) -> torch.Tensor:
    """A tensor stays itself, so its gradient flows back; a number or an array is a
    float64 constant, as pyact holds parameters."""
    return v if isinstance(v, torch.Tensor) else torch.as_tensor(np.asarray(v, np.float64))


def _per_channel(name: str, x: torch.Tensor, values: dict, axis: Any, **fixed: Any) -> torch.Tensor:
    """pa.<name>(x, **values, axis=axis) with 1-d parameters (one value per channel, or
    one shared): pyact checks them and counts the channels; torch's expand broadcasts
    them, so that the per-channel gradients sum back to each tensor's own shape."""
    c = _columns(name, {k: _value(k, v) for k, v in values.items()}).shape[1]
    act = get(name, num_parameters=c, axis=axis, **fixed)
    return ActivationFunction.apply(act, x, *(_tensor(v).reshape(-1).expand(c) for v in values.values()))


@_form
def prelu(x: torch.Tensor, alpha: Any = 0.25, axis: int = 1) -> torch.Tensor:
    """PReLU as :func:`pyact.prelu`: x if x > 0 else alpha * x, ``alpha`` a number or a
    0-d/1-d tensor (or array) with one value shared or one per channel along ``axis``
    (``torch.nn.functional.prelu(x, weight)``). Gradients flow to a tensor ``alpha``."""
    return _per_channel("prelu", x, {"alpha": alpha}, axis)


@_form
def srelu(x: torch.Tensor, t_left: Any = 0.0, a_left: Any = 0.0, t_right: Any = 1.0, a_right: Any = 1.0,
          axis: int = 1) -> torch.Tensor:
    """SReLU as :func:`pyact.srelu`; each parameter a number or a 0-d/1-d tensor (one
    value shared or one per channel along ``axis``). Gradients flow to the tensors."""
    return _per_channel("srelu", x, {"t_left": t_left, "a_left": a_left, "t_right": t_right, "a_right": a_right},
                        axis)


@_form
def apl(x: torch.Tensor, a: Any = None, b: Any = None, axis: int = 1) -> torch.Tensor:
    """APL as :func:`pyact.apl`: ``a``, ``b`` of shape (S,) (shared) or (S, C), tensors or
    arrays; None as pyact's default. Gradients flow to the tensors."""
    m = _apl_matrix(_value("a", a), _value("b", b))  # pyact's checks and defaults: rows a then b
    s, c = m.shape[0] // 2, m.shape[1]

    def full(v: Any, default: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(np.ascontiguousarray(default)) if v is None else _tensor(v)
        return (t if t.ndim == 2 else t[:, None]).expand(s, c)

    act = get("apl", hinges=s, num_parameters=c, axis=axis)
    return ActivationFunction.apply(act, x, full(a, m[:s]), full(b, m[s:]))


@_form
def swish(x: torch.Tensor, **params: Any) -> torch.Tensor:
    """swish as :func:`pyact.swish`: x * sigmoid(beta * x). A tensor (or array) ``beta``
    holds one value shared or one per channel along ``axis`` (default 1); gradients flow
    to a tensor ``beta``. A float ``beta`` is a constant."""
    if params.get("learnable") is False:
        del params["learnable"]
    if not isinstance(params.get("beta"), torch.Tensor) and not _per_channel_swish(params):
        return ActivationFunction.apply(get("swish", **params), x)
    p = _need("swish", params, (), {"beta": 1.0, "axis": 1, "learnable": True})
    return _per_channel("swish", x, {"beta": p["beta"]}, p["axis"], learnable=True)


@_form
def rrelu(x: torch.Tensor, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0, training: bool = False,
          seed: Any = None) -> torch.Tensor:
    """RReLU as :func:`pyact.rrelu` (and ``torch.nn.functional.rrelu``): random slopes only
    when ``training``; the backward replays the forward's slopes."""
    return ActivationFunction.apply(get("rrelu", lower=lower, upper=upper, training=training, seed=seed), x)


MODULES: dict[str, type[ActivationModule]] = {}
"""Canonical name -> nn.Module class, for every catalog activation."""
FUNCTIONS: dict[str, Any] = {}
"""Canonical name -> differentiable function of a tensor."""


def _build() -> None:
    for act in _catalog.CATALOG:
        if act.name not in CLASSES or act.name in MODULES:
            continue
        doc = (f"torch.nn.Module for pyact's {act.name}: f(x) = {act.formula}.\n\n"
               f"Parameters as :class:`pyact.{act.cls}`"
               + (": " + ", ".join(f"{q.name}={q.default!r}" for q in act.params) if act.params else "")
               + ".")
        cls = type(act.cls, (ActivationModule,), {"name": act.name, "__doc__": doc, "__module__": __name__})
        cls.__qualname__ = act.cls
        MODULES[act.name] = cls
        FUNCTIONS[act.name] = _FORMS.get(act.name) or _make_function(act.name)
        globals()[act.cls] = cls
        for name in (act.name, *act.aliases):  # pat.silu is pat.swish, as pa.silu is pa.swish
            globals()[name] = FUNCTIONS[act.name]


_build()
