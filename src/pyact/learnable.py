"""Learnable and stochastic activations: PReLU, SReLU, APL, RReLU (and swish with a
learnable beta, see :func:`_extend_swish`).

Objects hold their parameters as **float64** NumPy arrays in ``act.params`` (one value
per channel, or one shared); an optimiser may update them in place
(``act.params["alpha"] -= lr * act.grads["alpha"]``) or assign a new array of the same
shape (``act.alpha = ...``). After ``act.backward(g, x=x)``, ``act.grads`` holds
dL/dparam for every name in ``act.learnable``: float64, the parameter's shape, summed
over every other axis of x. The C++ kernels see x as (outer, C, inner) around the channel
``axis``, broadcast the parameters themselves, and reduce the parameter gradients in the
same pass as dL/dx, in float64, with the same bits for any thread count.

RReLU draws the slope of element j (its index in x's C order) as
``lower + (upper - lower) * u`` with ``u`` from a counter-based generator: SplitMix64
(Steele, Lea & Flood 2014) output number j + 1 of the stream seeded with the seed,
``z = seed + (j + 1) * 0x9E3779B97F4A7C15 mod 2**64`` through the mix13 finalizer
(``z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB;
z ^= z >> 31``), whose top 23 (float32/float16) or 52 (float64) bits are the mantissa
of a number in [1, 2), minus 1. Nothing is stored: the backward regenerates the slopes,
and any thread count gives the same result. An :class:`RReLU` object advances its
stream on every training forward: call k (k = 0, 1, ...) uses the seed itself for k = 0
and the k-th SplitMix64 output of ``seed`` after; its backward uses the last forward's.
"""
from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from . import _arrays, _catalog, _core, _dask, activations, functional
from .activations import Activation, backward_inputs

__all__ = ["LearnableActivation", "PReLU", "SReLU", "APL", "RReLU", "LearnableSwish", "prelu", "srelu", "apl",
           "rrelu"]

_KIND = {name: i for i, name in enumerate(_core.learnable_names())}
_MASK64 = (1 << 64) - 1


# ---- arrays: the (outer, C, inner) view, C order, out= ------------------------------
def _real_array(name: str, pname: str, v: Any) -> np.ndarray:
    """A parameter value as a float64 array (TypeError for non-real values)."""
    try:
        a = np.asarray(v)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: {pname} must be a number or an array of numbers, got {type(v).__name__}") from None
    if a.dtype.kind not in "biuf" or a.dtype.kind == "b":
        raise TypeError(f"{name}: {pname} must hold real numbers, got dtype {a.dtype}")
    return a.astype(np.float64)


def _view(name: str, pname: str, shape: tuple, channels: int, axis: Any) -> tuple[int, int, int]:
    """(outer, C, inner) of x for parameters with ``channels`` values (1: shared)."""
    n = math.prod(shape)
    if channels == 1:
        return 1, 1, n
    if isinstance(axis, bool) or not hasattr(axis, "__index__"):
        raise TypeError(f"{name}: axis must be an integer, got {type(axis).__name__}")
    nd = len(shape)
    if not -nd <= int(axis) < nd:
        raise ValueError(f"{name}: axis {axis} is out of range for x with shape {shape} "
                         f"({pname} has {channels} values, one per channel)")
    ax = int(axis) % nd
    if shape[ax] != channels:
        raise ValueError(f"{name}: {pname} has {channels} values but x.shape[{ax}] = {shape[ax]} "
                         f"(x.shape = {shape}, axis={axis}); give one value per channel or one shared")
    return math.prod(shape[:ax]), channels, math.prod(shape[ax + 1:])


def _same_buffer(a: np.ndarray, b: np.ndarray) -> bool:
    return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and a.strides == b.strides and a.shape == b.shape)


def _run(call, inputs: list[np.ndarray], out: Any) -> tuple[np.ndarray, Any]:
    """``call(*inputs, result)`` on C-contiguous buffers (the kernels index x in C order),
    with the ``out=`` rules of SPEC §2. Returns (result, what call returned)."""
    x = inputs[0]
    if out is not None:
        _arrays.check_out(out, x.shape, x.dtype)
        for i, a in enumerate(inputs):  # a partial overlap reads as if the input were copied first
            if a is not out and np.may_share_memory(a, out) and not _same_buffer(a, out):
                inputs[i] = a.copy()
    inputs = [np.ascontiguousarray(a) for a in inputs]
    if out is not None and out.flags.c_contiguous:
        return out, call(*inputs, out)
    result = np.empty(x.shape, x.dtype)
    ret = call(*inputs, result)
    if out is None:
        return result, ret
    np.copyto(out, result)
    return out, ret


def _channel_forward(name: str, pname: str, x: np.ndarray, pmat: np.ndarray, axis: Any, out: Any) -> np.ndarray:
    outer, c, inner = _view(name, pname, x.shape, pmat.shape[1], axis)
    kid, p = _KIND[name], np.ascontiguousarray(pmat)
    result, _ = _run(lambda a, o: _core.channel_forward(kid, a, o, p, outer, c, inner, p.shape[0]), [x], out)
    return result


def _channel_backward(name: str, pname: str, g: np.ndarray, x: np.ndarray, pmat: np.ndarray, axis: Any,
                      out: Any) -> tuple[np.ndarray, np.ndarray]:
    """(dL/dx, dL/dparams shaped like pmat)."""
    outer, c, inner = _view(name, pname, x.shape, pmat.shape[1], axis)
    kid, p = _KIND[name], np.ascontiguousarray(pmat)
    return _run(lambda a, b, o: _core.channel_backward(kid, a, b, o, p, outer, c, inner, p.shape[0]), [g, x], out)


def _grad_inputs(name: str, y_ok: bool, grad_out: Any, x: Any, y: Any, params: dict):
    g, xy, _ = backward_inputs(name, y_ok, params, grad_out, x, y)
    return g, xy


# ---- the parameter matrices (rows: parameters, columns: channels) -------------------
def _columns(name: str, values: dict[str, Any]) -> np.ndarray:
    """Stack 1-d parameters with one value per channel (or one shared) as rows."""
    if all(type(v) is float or type(v) is int for v in values.values()):  # plain numbers: one shared column
        return np.array([[v] for v in values.values()], np.float64)
    arrays = {k: _real_array(name, k, v) for k, v in values.items()}
    for k, a in arrays.items():
        if a.ndim > 1:
            raise ValueError(f"{name}: {k} must be a number or a 1-d array (one value per channel), "
                             f"got shape {a.shape}")
    sizes = {a.size for a in arrays.values()} - {1}
    if 0 in sizes:
        raise ValueError(f"{name}: parameters must not be empty")
    if len(sizes) > 1:
        shown = ", ".join(f"{k} has {a.size}" for k, a in arrays.items())
        raise ValueError(f"{name}: parameters disagree on the channel count ({shown})")
    c = sizes.pop() if sizes else 1
    return np.stack([np.broadcast_to(a.reshape(-1), (c,)) for a in arrays.values()])


def _apl_matrix(a: Any, b: Any) -> np.ndarray:
    """a, b of shape (S,) (shared) or (S, C): the (2S, C) kernel matrix. None: APL's
    initial value (a = 0, b = linspace(-1, 1, S))."""
    if a is None and b is None:  # that value for S = 2, built directly: the common functional call
        return np.array([[0.0], [0.0], [-1.0], [1.0]])
    if a is None or b is None:
        other = b if a is None else a
        shape = np.shape(other) if other is not None else (2,)
        if a is None:
            a = np.zeros(shape)
        if b is None:
            b = np.linspace(-1.0, 1.0, shape[0] if shape else 1).reshape(-1, *[1] * (len(shape) - 1))
            b = np.broadcast_to(b, shape) if shape else b
    aa, bb = _real_array("apl", "a", a), _real_array("apl", "b", b)
    for k, v in (("a", aa), ("b", bb)):
        if v.ndim not in (1, 2) or v.size == 0:
            raise ValueError(f"apl: {k} must have shape (S,) or (S, C), got {v.shape}")
    aa, bb = (v if v.ndim == 2 else v[:, None] for v in (aa, bb))
    if aa.shape[0] != bb.shape[0]:
        raise ValueError(f"apl: a and b must have the same number of hinges, got {aa.shape} and {bb.shape}")
    c = max(aa.shape[1], bb.shape[1])
    if {aa.shape[1], bb.shape[1]} - {1, c}:
        raise ValueError(f"apl: a and b disagree on the channel count ({aa.shape} and {bb.shape})")
    return np.concatenate([np.broadcast_to(aa, (aa.shape[0], c)), np.broadcast_to(bb, (bb.shape[0], c))])


# ---- objects --------------------------------------------------------------------------
class LearnableActivation(Activation):
    """Base of the activations with per-channel parameter arrays (the family
    ``"learnable"``). Subclasses set ``learnable`` and define ``_init_arrays()`` (the
    arrays from the constructor's values), ``_matrix()`` (the kernel's parameter rows,
    one column per channel) and ``_grads(d)`` (those rows' gradients -> ``act.grads``)."""

    learnable: ClassVar[tuple[str, ...]] = ()
    _pname: ClassVar[str] = ""   # named in shape errors

    def __init__(self, *args: Any, **params: Any) -> None:
        super().__init__(**activations.positional(self.spec, args, params))
        self._init_arrays()

    @property
    def y_ok(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        if name in type(self).learnable and "_params" in self.__dict__:
            return self.__dict__["_params"][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in type(self).learnable:
            old = self._params[name]
            new = _real_array(self.name, name, value)
            if new.shape != old.shape:
                raise ValueError(f"{self.name}: {name} must keep its shape {old.shape}, got {new.shape}")
            self._params[name] = new.copy()
        else:
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        shown = (q.name for q in self.spec.params)
        return f"{type(self).__name__}({', '.join(f'{k}={self._params[k]!r}' for k in shown)})"

    def _forward(self, x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        return _channel_forward(self.name, self._pname, x, self._matrix(), self._params["axis"], out)

    def _backward(self, g: np.ndarray, xy: np.ndarray, from_y: bool, out: np.ndarray | None) -> np.ndarray:
        dx, d = _channel_backward(self.name, self._pname, g, xy, self._matrix(), self._params["axis"], out)
        self.grads = self._grads(d)
        return dx

    def train(self, mode: bool = True) -> "LearnableActivation":
        """No effect (kept so that every activation of this family answers it)."""
        return self

    def eval(self) -> "LearnableActivation":
        return self.train(False)


def _full(name: str, pname: str, value: Any, channels: int) -> np.ndarray:
    a = _real_array(name, pname, value)
    if a.size == 1:
        return np.full(channels, float(a.reshape(-1)[0]))
    if a.ndim != 1 or a.size != channels:
        raise ValueError(f"{name}: {pname} has shape {a.shape}; expected one value or num_parameters={channels}")
    return a.copy()


class PReLU(LearnableActivation):
    """PReLU: f(x) = x if x > 0 else alpha_c * x, one alpha per channel along ``axis``
    (PyTorch: dim 1) or one shared.

    Parameters
    ----------
    num_parameters : int, default 1
        1 (one alpha shared by all elements) or the number of channels C.
    init : float, default 0.25
        Initial value of every alpha.
    axis : int, default 1
        The channel axis of x (used when num_parameters > 1).

    Attributes
    ----------
    params["alpha"] : ndarray of float64, shape (num_parameters,)
    grads["alpha"] : ndarray of float64, after :meth:`backward`
    """

    learnable = ("alpha",)
    _pname = "alpha"

    def _init_arrays(self) -> None:
        self._params["alpha"] = np.full(int(self._params["num_parameters"]), float(self._params["init"]))

    def _matrix(self) -> np.ndarray:
        return self._params["alpha"].reshape(1, -1)

    def _grads(self, d: np.ndarray) -> dict[str, np.ndarray]:
        return {"alpha": d[0].reshape(self._params["alpha"].shape)}


class SReLU(LearnableActivation):
    """S-shaped ReLU (Jin et al. 2016): t_l + a_l (x - t_l) for x <= t_l, x between,
    t_r + a_r (x - t_r) for x >= t_r (the left piece first should t_l pass t_r).

    Parameters
    ----------
    num_parameters : int, default 1
        1 (shared) or the number of channels C.
    t_left, a_left, t_right, a_right : float or array of num_parameters, default 0, 0, 1, 1
        Initial values.
    axis : int, default 1
        The channel axis of x.

    Attributes
    ----------
    params[name], grads[name] : ndarray of float64, shape (num_parameters,), for the four names.
    """

    learnable = ("t_left", "a_left", "t_right", "a_right")
    _pname = "t_left"

    def _init_arrays(self) -> None:
        c = int(self._params["num_parameters"])
        for k in self.learnable:
            self._params[k] = _full(self.name, k, self._params[k], c)

    def _matrix(self) -> np.ndarray:
        return _columns(self.name, {k: self._params[k] for k in self.learnable})

    def _grads(self, d: np.ndarray) -> dict[str, np.ndarray]:
        return {k: d[i].copy() for i, k in enumerate(self.learnable)}


class APL(LearnableActivation):
    """Adaptive piecewise linear unit (Agostinelli et al. 2015):
    f(x) = max(0, x) + sum_s a_s max(0, b_s - x), s = 1..hinges.

    Parameters
    ----------
    hinges : int, default 2
        S >= 1.
    num_parameters : int, default 1
        1 (shared) or the number of channels C.
    a, b : array of shape (S,) or (S, C), optional
        Initial values; default a = 0, b = linspace(-1, 1, S) in every channel.
    axis : int, default 1
        The channel axis of x.

    Attributes
    ----------
    params["a"], params["b"], grads["a"], grads["b"] : ndarray of float64, shape (S, num_parameters)
    """

    learnable = ("a", "b")
    _pname = "a"

    def _init_arrays(self) -> None:
        s, c = int(self._params["hinges"]), int(self._params["num_parameters"])
        defaults = {"a": np.zeros(s), "b": np.linspace(-1.0, 1.0, s)}
        for k in ("a", "b"):
            v = self._params[k]
            a = defaults[k] if v is None else _real_array(self.name, k, v)
            if a.ndim == 1 and a.shape[0] == s:
                a = np.repeat(a[:, None], c, axis=1)
            if a.shape != (s, c):
                raise ValueError(f"apl: {k} has shape {a.shape}; expected ({s},) or (hinges, num_parameters) = "
                                 f"({s}, {c})")
            self._params[k] = np.array(a, np.float64)

    def __repr__(self) -> str:
        shown = ("hinges", "num_parameters", "axis")
        return f"APL({', '.join(f'{k}={self._params[k]!r}' for k in shown)})"

    def _matrix(self) -> np.ndarray:
        return _apl_matrix(self._params["a"], self._params["b"])

    def _grads(self, d: np.ndarray) -> dict[str, np.ndarray]:
        s = self._params["a"].shape[0]
        return {"a": d[:s].copy(), "b": d[s:].copy()}


def _next_seed(seed: int, k: int) -> int:
    """The key of an RReLU object's k-th training forward: the seed, then SplitMix64's outputs."""
    if k == 0:
        return seed
    z = (seed + k * 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _draw_seed() -> int:
    return int(np.random.randint(0, 2**63 - 1, dtype=np.int64))


def _rrelu_run(x: np.ndarray, lower: float, upper: float, seed: int, training: bool, out: Any) -> np.ndarray:
    result, _ = _run(lambda a, o: _core.rrelu_forward(a, o, lower, upper, seed, training), [x], out)
    return result


def _rrelu_grad_run(g: np.ndarray, xy: np.ndarray, lower: float, upper: float, seed: int, training: bool,
                    out: Any) -> np.ndarray:
    result, _ = _run(lambda a, b, o: _core.rrelu_backward(a, b, o, lower, upper, seed, training), [g, xy], out)
    return result


class RReLU(Activation):
    """Randomized leaky ReLU (Xu et al. 2015): x if x > 0 else slope * x, with
    slope ~ U(lower, upper) per element while training and (lower + upper) / 2 in eval.

    Parameters
    ----------
    lower, upper : float, default 1/8, 1/3
        lower <= upper.
    seed : int in [0, 2**64), optional
        None draws one from NumPy's global generator (``np.random.seed`` makes it
        reproducible); kept as ``act.seed``.
    training : bool, default True
        As a PyTorch module, a new object trains; :meth:`eval` / :meth:`train` switch.

    The slopes come from a counter-based generator keyed by (seed, element index), see
    the module docstring: no mask is stored, and every thread count gives the same bits.
    """

    learnable: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, **params: Any) -> None:
        super().__init__(**activations.positional(self.spec, args, params))
        if self._params["seed"] is None:
            self._params["seed"] = _draw_seed()
        self._params["seed"] = int(self._params["seed"])
        self._params["training"] = bool(self._params["training"])
        self._calls = 0

    @property
    def seed(self) -> int:
        return self._params["seed"]

    @property
    def training(self) -> bool:
        return self._params["training"]

    def train(self, mode: bool = True) -> "RReLU":
        """Training mode (random slopes) or, with ``mode=False``, eval mode; returns self."""
        self._params["training"] = bool(mode)
        return self

    def eval(self) -> "RReLU":
        return self.train(False)

    def _args(self) -> tuple[float, float, int, bool]:
        p = self._params
        return float(p["lower"]), float(p["upper"]), _next_seed(p["seed"], max(self._calls - 1, 0)), p["training"]

    def _forward(self, x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        if not self.training:
            return _rrelu_run(x, *self._args(), out)
        self._calls += 1
        try:
            return _rrelu_run(x, *self._args(), out)
        except BaseException:  # a rejected call (a bad out=) draws nothing: the stream and
            self._calls -= 1   # the backward's slopes stay those of the last forward
            raise

    def _backward(self, g: np.ndarray, xy: np.ndarray, from_y: bool, out: np.ndarray | None) -> np.ndarray:
        return _rrelu_grad_run(g, xy, *self._args(), out)

    def __reduce__(self):
        return (activations._rebuild, (type(self), self._params, self.grads), {"_calls": self._calls})


# ---- functional forms -----------------------------------------------------------------
def prelu(x: Any, alpha: Any = 0.25, axis: int = 1, *, out: np.ndarray | None = None) -> np.ndarray:
    """PReLU: x if x > 0 else alpha * x.

    Parameters
    ----------
    x : array_like
    alpha : float or 1-d array, default 0.25
        One value shared, or one per channel (x.shape[axis] values).
    axis : int, default 1
        The channel axis (PyTorch's dim 1).
    out : ndarray, optional

    Returns
    -------
    ndarray of x's shape and float dtype (or ``out``).
    """
    return _channel_forward("prelu", "alpha", _arrays.as_float_array(x), _columns("prelu", {"alpha": alpha}),
                            axis, out)


def srelu(x: Any, t_left: Any = 0.0, a_left: Any = 0.0, t_right: Any = 1.0, a_right: Any = 1.0, axis: int = 1, *,
          out: np.ndarray | None = None) -> np.ndarray:
    """SReLU: t_l + a_l (x - t_l) if x <= t_l; x if t_l < x < t_r; t_r + a_r (x - t_r) if x >= t_r.

    Each parameter is a float or a 1-d array with one value per channel along ``axis``.
    """
    p = _columns("srelu", {"t_left": t_left, "a_left": a_left, "t_right": t_right, "a_right": a_right})
    return _channel_forward("srelu", "t_left", _arrays.as_float_array(x), p, axis, out)


def apl(x: Any, a: Any = None, b: Any = None, axis: int = 1, *, out: np.ndarray | None = None) -> np.ndarray:
    """APL: max(0, x) + sum_s a_s max(0, b_s - x).

    ``a`` and ``b`` have shape (S,) (shared by every channel) or (S, C) with
    C = x.shape[axis]. Defaults as :class:`APL`'s initial values: a = 0, b =
    linspace(-1, 1, S), with S from the other one (2 when neither is given).
    """
    return _channel_forward("apl", "a", _arrays.as_float_array(x), _apl_matrix(a, b), axis, out)


def _rrelu_params(lower: Any, upper: Any, training: Any, seed: Any) -> dict:
    return activations.resolve_params(_catalog.by_name("rrelu"),
                                      {"lower": lower, "upper": upper, "seed": seed, "training": training})


def rrelu(x: Any, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0, training: bool = False, seed: Any = None, *,
          out: np.ndarray | None = None) -> np.ndarray:
    """RReLU: x if x > 0 else slope * x; slope ~ U(lower, upper) per element when
    ``training`` (from ``seed``: None draws one from NumPy's global generator), else
    (lower + upper) / 2. Element j of x in C order always gets the same slope for the same seed.
    """
    p = _rrelu_params(lower, upper, training, seed)
    # eval mode uses no random slope: it leaves NumPy's global generator alone (as
    # torch.nn.functional.rrelu(training=False) leaves torch's)
    s = int(p["seed"]) if p["seed"] is not None else _draw_seed() if p["training"] else 0
    return _rrelu_run(_arrays.as_float_array(x), float(p["lower"]), float(p["upper"]), s, bool(p["training"]), out)


# ---- pa.grad forms ---------------------------------------------------------------------
def _need(name: str, params: dict, required: tuple[str, ...], optional: dict) -> dict:
    unknown = set(params) - set(required) - set(optional)
    if unknown:
        valid = ", ".join((*required, *optional))
        raise TypeError(f"{name}() got unexpected parameter(s) {', '.join(sorted(unknown))} (valid parameters: {valid})")
    missing = [k for k in required if k not in params]
    if missing:
        raise TypeError(f"{name}() missing required parameter(s) {', '.join(missing)}")
    return {**optional, **params}


def _prelu_grad(grad_out: Any, *, x: Any = None, y: Any = None, out: Any = None, **params: Any) -> np.ndarray:
    p = _need("prelu", params, (), {"alpha": 0.25, "axis": 1})
    g, xy = _grad_inputs("prelu", False, grad_out, x, y, p)
    return _channel_backward("prelu", "alpha", g, xy, _columns("prelu", {"alpha": p["alpha"]}), p["axis"], out)[0]


def _srelu_grad(grad_out: Any, *, x: Any = None, y: Any = None, out: Any = None, **params: Any) -> np.ndarray:
    p = _need("srelu", params, (), {"t_left": 0.0, "a_left": 0.0, "t_right": 1.0, "a_right": 1.0, "axis": 1})
    g, xy = _grad_inputs("srelu", False, grad_out, x, y, p)
    m = _columns("srelu", {k: p[k] for k in ("t_left", "a_left", "t_right", "a_right")})
    return _channel_backward("srelu", "t_left", g, xy, m, p["axis"], out)[0]


def _apl_grad(grad_out: Any, *, x: Any = None, y: Any = None, out: Any = None, **params: Any) -> np.ndarray:
    p = _need("apl", params, (), {"a": None, "b": None, "axis": 1})
    g, xy = _grad_inputs("apl", False, grad_out, x, y, p)
    return _channel_backward("apl", "a", g, xy, _apl_matrix(p["a"], p["b"]), p["axis"], out)[0]


def _rrelu_grad(grad_out: Any, *, x: Any = None, y: Any = None, out: Any = None, **params: Any) -> np.ndarray:
    p = _need("rrelu", params, (), {"lower": 1.0 / 8.0, "upper": 1.0 / 3.0, "training": False, "seed": None})
    p = _rrelu_params(p["lower"], p["upper"], p["training"], p["seed"])
    if p["training"] and p["seed"] is None:
        raise ValueError("rrelu: the training-mode gradient needs the seed the forward used (seed=...)")
    g, xy = _grad_inputs("rrelu", float(p["lower"]) >= 0, grad_out, x, y, p)
    return _rrelu_grad_run(g, xy, float(p["lower"]), float(p["upper"]), int(p["seed"] or 0), bool(p["training"]), out)


# ---- swish with a learnable beta ------------------------------------------------------
_SWISH_SPEC = _catalog.Act(
    "swish", "x*sigmoid(beta_c*x)", "Swish",
    params=(_catalog.P("beta", 1.0, _catalog.finite_or_array), _catalog.P("learnable", True, _catalog.boolean),
            _catalog.P("num_parameters", 1, _catalog.integer(1)), _catalog.P("axis", 1, _catalog.integer())),
    family="learnable")
"""The parameters of the per-channel form; not a catalog entry (``swish`` is declared
once, as the elementwise activation with a float beta, and routes here)."""


class LearnableSwish(LearnableActivation):
    """swish with a learnable beta: x * sigmoid(beta_c * x), one beta per channel along
    ``axis`` or one shared. Built by ``pa.get("swish", learnable=True, ...)`` (or an
    array ``beta``).

    Parameters
    ----------
    beta : float or array of num_parameters, default 1
        Initial value(s).
    num_parameters : int, default 1
        1 (shared) or the number of channels C (an array beta implies its length).
    axis : int, default 1
        The channel axis of x.

    Attributes
    ----------
    params["beta"], grads["beta"] : ndarray of float64, shape (num_parameters,)
    """

    spec = _SWISH_SPEC
    learnable = ("beta",)
    _pname = "beta"

    def _init_arrays(self) -> None:
        beta = np.asarray(self._params["beta"], np.float64)
        c = int(self._params["num_parameters"])
        if beta.ndim == 1 and beta.size > 1 and c == 1:
            c = self._params["num_parameters"] = beta.size
        self._params["beta"] = _full(self.name, "beta", beta, c)

    def __repr__(self) -> str:
        shown = ("num_parameters", "axis")
        cls = activations.CLASSES.get("swish", LearnableSwish).__name__
        return f"{cls}(learnable=True, {', '.join(f'{k}={self._params[k]!r}' for k in shown)})"

    def _matrix(self) -> np.ndarray:
        return self._params["beta"].reshape(1, -1)

    def _grads(self, d: np.ndarray) -> dict[str, np.ndarray]:
        return {"beta": d[0].copy()}


def _per_channel_swish(params: dict) -> bool:
    """Whether swish's parameters ask for the learnable / per-channel form."""
    beta = params.get("beta", 1.0)
    return (params.get("learnable") is True or "axis" in params or "num_parameters" in params
            or (not isinstance(beta, (int, float)) and np.ndim(beta) > 0))


def _swish_beta(beta: Any) -> np.ndarray:
    """The kernel row of a per-channel beta, checked as pa.get("swish", beta=...) and the
    scalar beta of the elementwise form check it (SPEC §3: finite, else ValueError)."""
    m = _columns("swish", {"beta": beta})
    if not np.isfinite(m).all():
        raise ValueError(f"swish: parameter beta={beta!r} must be finite")
    return m


def _extend_swish() -> None:
    """Route ``swish`` with learnable=True, an array beta or an axis to the learnable
    kernel: the class, ``pa.swish`` and ``pa.grad("swish", ...)``. No-op while the
    catalog has no ``swish``."""
    base = activations.CLASSES.get("swish")
    if base is None or getattr(base, "_routes_learnable", False):
        return

    def __new__(cls, *args: Any, **params: Any):
        if _per_channel_swish(params):
            if args:
                raise TypeError("swish: give the per-channel parameters by keyword")
            params.pop("learnable", None)
            return LearnableSwish(**params)
        return super(routed, cls).__new__(cls)

    def __init__(self, *args: Any, **params: Any) -> None:
        if params.get("learnable") is False:
            del params["learnable"]
        base.__init__(self, *args, **params)

    routed = type(base.__name__, (base,), {"__new__": __new__, "__init__": __init__, "_routes_learnable": True,
                                           "__doc__": base.__doc__, "__module__": base.__module__})
    routed.__qualname__ = base.__qualname__
    activations.CLASSES["swish"] = routed
    setattr(activations, base.__name__, routed)

    elementwise = functional.FUNCTIONS.get("swish")

    def swish(x: Any, *, out: np.ndarray | None = None, **params: Any) -> np.ndarray:
        if not params:  # the common call: the elementwise function's fast path (Dask-aware too)
            return elementwise(x, out=out)
        if params.get("learnable") is False:
            del params["learnable"]
        if not _per_channel_swish(params):
            return elementwise(x, out=out, **params)
        if type(x) is not np.ndarray and _dask.is_dask(x):
            return _dask.forward("swish", x, out, params)
        p = _need("swish", params, (), {"beta": 1.0, "axis": 1, "learnable": True})
        return _channel_forward("swish", "beta", _arrays.as_float_array(x), _swish_beta(p["beta"]), p["axis"], out)

    if elementwise is not None:
        swish.__doc__ = (elementwise.__doc__ or "") + (
            "\n\nbeta may also be an array with one value per channel along ``axis`` (default 1).")
        swish.__name__ = swish.__qualname__ = "swish"
        swish._dask_aware = True  # type: ignore[attr-defined]  # (no wrapper frame around the fast path)
        functional.FUNCTIONS["swish"] = swish

    def swish_grad(grad_out: Any, *, x: Any = None, y: Any = None, out: Any = None, **params: Any) -> np.ndarray:
        if params.get("learnable") is False:
            del params["learnable"]
        if not _per_channel_swish(params):
            act = _catalog.by_name("swish")
            k = functional.bound_kernel(act, params)
            g, xy, from_y = backward_inputs(act.name, k.y_ok, params, grad_out, x, y)
            return k.backward(g, xy, from_y, out)
        p = _need("swish", params, (), {"beta": 1.0, "axis": 1, "learnable": True})
        m = _swish_beta(p["beta"])
        g, xy = _grad_inputs("swish", False, grad_out, x, y, p)
        return _channel_backward("swish", "beta", g, xy, m, p["axis"], out)[0]

    functional.GRADS["swish"] = swish_grad


# ---- plug the family in ------------------------------------------------------------------
def _install() -> None:
    activations.FAMILY_BASES["learnable"] = LearnableActivation
    for cls in (PReLU, SReLU, APL, RReLU):
        name = {"PReLU": "prelu", "SReLU": "srelu", "APL": "apl", "RReLU": "rrelu"}[cls.__name__]
        cls.spec = _catalog.by_name(name)
        cls.__module__ = "pyact"
        activations.CLASSES[name] = cls
        setattr(activations, cls.__name__, cls)
    for fn, g in ((prelu, _prelu_grad), (srelu, _srelu_grad), (apl, _apl_grad), (rrelu, _rrelu_grad)):
        functional.FUNCTIONS[fn.__name__] = fn
        functional.GRADS[fn.__name__] = g
    activations.build_classes()
    functional.build_functions()
    _extend_swish()


_install()
