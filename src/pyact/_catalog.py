"""Every activation, declared once (DESIGN.md §1).

The registry, the classes, the functional API, ``pyact list`` and the tests'
parametrisation all read :data:`CATALOG`. Adding an activation is one :class:`Act` here,
one functor in ``src/cpp/kernels`` (listed in ``activations.inc``) and one reference in
``tests/reference.py``.

Parameters reach the C++ functor as a tuple of floats in the order of ``Act.params``
(``Act.encode`` may change that, e.g. ``max_value=None`` becomes ``inf``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["P", "Act", "CATALOG", "REQUIRED", "by_name"]


class _Required:
    def __repr__(self) -> str:
        return "<required>"


REQUIRED: Any = _Required()
"""Default of a parameter that has none (``threshold(threshold=..., value=...)``)."""


# --- value checks: each returns None when fine, else the reason ---------------------
def _number(v: Any) -> str | None:
    if (isinstance(v, (bool, np.bool_, complex, np.complexfloating))
            or not isinstance(v, (int, float)) and not hasattr(v, "__float__")
            or isinstance(v, np.ndarray) and (v.ndim != 0 or v.dtype.kind not in "iuf")):
        # (NumPy's complex scalars and 0-d arrays have __float__, which drops the imaginary
        # part; an array of one or more axes is not a number: float() of it raises)
        return f"must be a real number, got {type(v).__name__}"
    try:
        f = float(v)
    except OverflowError:  # an int beyond the float range
        return "must be finite"
    except (TypeError, ValueError):
        return f"must be a real number, got {type(v).__name__}"
    if math.isnan(f):
        return "must not be NaN"
    return None


def finite(v: Any) -> str | None:
    return _number(v) or (None if math.isfinite(float(v)) else "must be finite")


def positive(v: Any) -> str | None:
    return finite(v) or (None if float(v) > 0 else "must be > 0")


def nonnegative(v: Any) -> str | None:
    return finite(v) or (None if float(v) >= 0 else "must be >= 0")


def nonzero(v: Any) -> str | None:
    return finite(v) or (None if float(v) != 0 else "must be nonzero")


_F32_TINY = 2.0 ** -126  # smallest normal float32: parameters the float32 kernels must not lose


def positive_f32(v: Any) -> str | None:
    """> 0 and still nonzero when the float32 kernels round it (squareplus's b)."""
    return positive(v) or (None if float(v) >= _F32_TINY else "must be >= 1.18e-38 (nonzero in float32)")


def invertible(v: Any) -> str | None:
    """Nonzero, and 1/v finite in float32 (the kernels compute x/alpha as x * (1/alpha))."""
    return nonzero(v) or (None if abs(float(v)) >= _F32_TINY else
                          "must be nonzero with |value| >= 1.18e-38 (1/value must be finite in float32)")


def number_or_none(v: Any) -> str | None:
    return None if v is None else _number(v)


def one_of(*choices: str) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        return None if v in choices else f"must be one of {', '.join(map(repr, choices))}, got {v!r}"

    return check


def integer(lo: int | None = None) -> Callable[[Any], str | None]:
    """An int (bool excluded), at least ``lo`` when given."""
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not hasattr(v, "__index__"):
            return f"must be an integer, got {type(v).__name__}"
        return None if lo is None or int(v) >= lo else f"must be >= {lo}"

    return check


def pieces(v: Any) -> str | None:
    return integer()(v) or (None if v >= 2 else "must be >= 2 (groups of at least two features)")


def finite_or_array(v: Any) -> str | None:
    """A finite number, or an array-like of finite real numbers (learnable initial values)."""
    if v is None:
        return "must be a number or an array of numbers, got None"
    try:
        a = np.asarray(v)
    except (TypeError, ValueError):
        return f"must be a number or an array of numbers, got {type(v).__name__}"
    if a.dtype.kind not in "biuf" or a.dtype.kind == "b":
        return f"must be real numbers, got dtype {a.dtype}"
    if a.size == 0:
        return "must not be empty"
    return None if np.isfinite(a).all() else "must be finite"


def array_or_none(v: Any) -> str | None:
    return None if v is None else finite_or_array(v)


def seed_value(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool) or not hasattr(v, "__index__"):
        return f"must be None or an integer, got {type(v).__name__}"
    return None if 0 <= int(v) < 2**64 else "must be in [0, 2**64)"


def boolean(v: Any) -> str | None:
    return None if isinstance(v, (bool, np.bool_)) else f"must be True or False, got {v!r}"


@dataclass(frozen=True)
class P:
    """One parameter: name, default, value check, accepted alias names."""

    name: str
    default: Any
    check: Callable[[Any], str | None] | None = finite
    aliases: tuple[str, ...] = ()
    doc: str = ""


def _floats(act: "Act", p: dict) -> tuple[float, ...]:
    return tuple(math.inf if p[q.name] is None else float(p[q.name]) for q in act.params)


@dataclass(frozen=True)
class Act:
    """One activation: everything the package derives its API from."""

    name: str
    formula: str
    cls: str                                   # class name, PyTorch's where it has one
    params: tuple[P, ...] = ()
    aliases: tuple[str, ...] = ()
    family: str = "elementwise"                # elementwise | axis | learnable
    kernel: str | Callable[[dict], str] | None = None   # C++ kernel name (default: name)
    y_ok: bool | Callable[[dict], bool] = False           # backward from y possible
    validate: Callable[[dict], str | None] | None = None  # checks across parameters
    encode: Callable[["Act", dict], tuple] = _floats
    torch: str | None = None                   # the torch.nn.functional name, for tests/bench

    def kernel_for(self, p: dict) -> str:
        k = self.kernel if self.kernel is not None else self.name
        return k(p) if callable(k) else k

    def y_ok_for(self, p: dict) -> bool:
        return self.y_ok(p) if callable(self.y_ok) else self.y_ok

    @property
    def defaults(self) -> dict:
        return {q.name: q.default for q in self.params}


def _relu_valid(p: dict) -> str | None:
    if p["max_value"] is not None and float(p["max_value"]) < float(p["threshold"]):
        return f"max_value ({p['max_value']}) must be >= threshold ({p['threshold']})"
    return None


def _relu_kernel(p: dict) -> str:
    """The default parameters get the one-instruction max(x, 0) kernel."""
    no_cap = p["max_value"] is None or float(p["max_value"]) == float("inf")
    plain = float(p["negative_slope"]) == 0 and no_cap and float(p["threshold"]) == 0
    return "relu_plain" if plain else "relu"


def _hard_tanh_valid(p: dict) -> str | None:
    if not float(p["max_val"]) > float(p["min_val"]):
        return f"max_val ({p['max_val']}) must be > min_val ({p['min_val']})"
    return None


CATALOG: tuple[Act, ...] = (
    Act("linear", "x", "Identity", aliases=("identity",), y_ok=True),
    Act("relu", "max_value if x>=max_value; x if threshold<=x<max_value; negative_slope*(x-threshold) otherwise",
        "ReLU",
        params=(P("negative_slope", 0.0), P("max_value", None, number_or_none), P("threshold", 0.0)),
        # (max_value = 0 maps every x >= 0 to y = 0, where the slope, negative_slope at
        # x = 0 and 0 beyond, is then unknowable unless both are 0)
        y_ok=lambda p: (float(p["threshold"]) == 0 and float(p["negative_slope"]) >= 0
                        and (p["max_value"] is None or float(p["max_value"]) > 0
                             or float(p["negative_slope"]) == 0)),
        validate=_relu_valid, torch="relu", kernel=_relu_kernel),
    Act("relu6", "min(max(x, 0), 6)", "ReLU6", y_ok=True, torch="relu6"),
    Act("leaky_relu", "x if x>0 else negative_slope*x", "LeakyReLU",
        params=(P("negative_slope", 0.01, aliases=("alpha",)),),
        y_ok=lambda p: float(p["negative_slope"]) > 0, torch="leaky_relu"),
    Act("hard_sigmoid", "clip(slope*x + offset, 0, 1)", "Hardsigmoid",
        params=(P("slope", 1.0 / 6.0, nonzero), P("offset", 0.5)), y_ok=True, torch="hardsigmoid"),
    Act("hard_tanh", "clip(x, min_val, max_val)", "Hardtanh",
        params=(P("min_val", -1.0), P("max_val", 1.0)), y_ok=True, validate=_hard_tanh_valid,
        torch="hardtanh"),
    Act("hard_swish", "x*relu6(x+3)/6", "Hardswish", aliases=("hardswish", "hard_silu"), torch="hardswish"),
    Act("step", "1 if x>=threshold else 0", "Step", params=(P("threshold", 0.0),),
        aliases=("binary_step",), y_ok=True),
    Act("softshrink", "x-lambd if x>lambd; x+lambd if x<-lambd; else 0", "Softshrink",
        params=(P("lambd", 0.5, nonnegative),), y_ok=True, torch="softshrink"),
    Act("hardshrink", "x if |x|>lambd else 0", "Hardshrink",
        params=(P("lambd", 0.5, nonnegative),), torch="hardshrink"),
    Act("threshold", "x if x>threshold else value", "Threshold",
        params=(P("threshold", REQUIRED), P("value", REQUIRED)), torch="threshold"),
    Act("softsign", "x/(1+|x|)", "Softsign", y_ok=True, torch="softsign"),
    Act("squareplus", "(x+sqrt(x^2+b))/2", "Squareplus", params=(P("b", 4.0, positive_f32),)),
    # learnable and stochastic (src/pyact/learnable.py): the params are the constructor's
    Act("prelu", "x if x>0 else alpha_c*x", "PReLU",
        params=(P("num_parameters", 1, integer(1)), P("init", 0.25), P("axis", 1, integer())),
        family="learnable", torch="prelu"),
    Act("srelu", "t_l+a_l*(x-t_l) if x<=t_l; x if t_l<x<t_r; t_r+a_r*(x-t_r) if x>=t_r", "SReLU",
        params=(P("num_parameters", 1, integer(1)), P("t_left", 0.0, finite_or_array),
                P("a_left", 0.0, finite_or_array), P("t_right", 1.0, finite_or_array),
                P("a_right", 1.0, finite_or_array), P("axis", 1, integer())),
        family="learnable"),
    Act("apl", "max(0,x) + sum_s a_s*max(0, b_s-x)", "APL",
        params=(P("hinges", 2, integer(1)), P("num_parameters", 1, integer(1)), P("a", None, array_or_none),
                P("b", None, array_or_none), P("axis", 1, integer())),
        family="learnable"),
    Act("rrelu", "x if x>0 else slope*x; slope ~ U(lower, upper) when training, (lower+upper)/2 otherwise",
        "RReLU",
        params=(P("lower", 1.0 / 8.0), P("upper", 1.0 / 3.0), P("seed", None, seed_value),
                P("training", True, boolean)),
        y_ok=lambda p: float(p["lower"]) >= 0, family="learnable", torch="rrelu",
        validate=lambda p: None if float(p["lower"]) <= float(p["upper"])
        else f"lower ({p['lower']}) must be <= upper ({p['upper']})"),
    # --- transcendental (src/cpp/kernels/exp_family.h, gelu.h; vmath) ---
    Act("elu", "x if x>0 else alpha*(exp(x)-1)", "ELU", params=(P("alpha", 1.0),),
        y_ok=lambda p: float(p["alpha"]) > 0, torch="elu"),
    Act("selu", "scale*elu(x, alpha), alpha=1.6732632423543772, scale=1.0507009873554805", "SELU",
        y_ok=True, torch="selu"),
    Act("celu", "max(0,x) + min(0, alpha*(exp(x/alpha)-1))", "CELU", params=(P("alpha", 1.0, invertible),),
        y_ok=True, torch="celu"),
    Act("sigmoid", "1/(1+exp(-x))", "Sigmoid", aliases=("logistic",), y_ok=True, torch="sigmoid"),
    Act("log_sigmoid", "-softplus(-x)", "LogSigmoid", torch="logsigmoid"),
    Act("tanh", "tanh(x)", "Tanh", y_ok=True, torch="tanh"),
    Act("softplus", "log(1+exp(beta*x))/beta; x where beta*x > threshold", "Softplus",
        params=(P("beta", 1.0, positive), P("threshold", 20.0)),
        # The forward jumps at the threshold (softplus(t) > t), so a y just above it may
        # come from either side: f' is then 1 or sigmoid(t), apart by e^-t, within SPEC
        # §5's 1e-6 only for t >= 14.
        y_ok=lambda p: float(p["threshold"]) >= 14, torch="softplus"),
    Act("swish", "x*sigmoid(beta*x)", "SiLU", params=(P("beta", 1.0),), aliases=("silu",), torch="silu"),
    Act("mish", "x*tanh(softplus(x))", "Mish", torch="mish"),
    Act("gelu", "x*Phi(x); tanh form 0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3)))", "GELU",
        params=(P("approximate", "none", one_of("none", "tanh")),),
        kernel=lambda p: "gelu_tanh" if p["approximate"] == "tanh" else "gelu",
        encode=lambda act, p: (), torch="gelu"),
    Act("exponential", "exp(x)", "Exponential", y_ok=True),
    Act("tanhshrink", "x - tanh(x)", "Tanhshrink", torch="tanhshrink"),
    # Along an axis (pyact/axis.py, kernels/axis.h). `dim` is PyTorch's name for axis.
    Act("softmax", "exp(x - max) / sum(exp(x - max)) along axis", "Softmax",
        params=(P("axis", -1, integer(), aliases=("dim",)),), family="axis", y_ok=True, torch="softmax"),
    Act("log_softmax", "x - max - log(sum(exp(x - max))) along axis", "LogSoftmax",
        params=(P("axis", -1, integer(), aliases=("dim",)),), family="axis", y_ok=True, torch="log_softmax"),
    Act("softmin", "softmax(-x) along axis", "Softmin",
        params=(P("axis", -1, integer(), aliases=("dim",)),), family="axis", y_ok=True, torch="softmin"),
    Act("glu", "a*sigmoid(b), a and b the first and second halves of axis", "GLU",
        params=(P("axis", -1, integer(), aliases=("dim",)),), family="axis", torch="glu"),
    Act("maxout", "max over groups of `pieces` consecutive features along axis (TensorFlow)", "Maxout",
        params=(P("pieces", 2, pieces), P("axis", -1, integer(), aliases=("dim",))), family="axis"),
)

_BY_NAME: dict[str, Act] = {}


def _index() -> None:
    _BY_NAME.clear()
    for act in CATALOG:
        for n in (act.name, *act.aliases):
            if n in _BY_NAME:
                raise RuntimeError(f"catalog: name {n!r} declared twice")
            _BY_NAME[n] = act


_index()


def by_name(name: str) -> Act | None:
    """The catalog entry for a canonical name or alias, or None."""
    return _BY_NAME.get(name)
