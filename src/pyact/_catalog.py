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

__all__ = ["P", "Act", "CATALOG", "REQUIRED", "by_name"]


class _Required:
    def __repr__(self) -> str:
        return "<required>"


REQUIRED: Any = _Required()
"""Default of a parameter that has none (``threshold(threshold=..., value=...)``)."""


# --- value checks: each returns None when fine, else the reason ---------------------
def _number(v: Any) -> str | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) and not hasattr(v, "__float__"):
        return f"must be a real number, got {type(v).__name__}"
    if math.isnan(float(v)):
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


def number_or_none(v: Any) -> str | None:
    return None if v is None else _number(v)


def one_of(*choices: str) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        return None if v in choices else f"must be one of {', '.join(map(repr, choices))}, got {v!r}"

    return check


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


def _hard_tanh_valid(p: dict) -> str | None:
    if not float(p["max_val"]) > float(p["min_val"]):
        return f"max_val ({p['max_val']}) must be > min_val ({p['min_val']})"
    return None


CATALOG: tuple[Act, ...] = (
    Act("linear", "x", "Identity", aliases=("identity",), y_ok=True),
    Act("relu", "max_value if x>=max_value; x if threshold<=x<max_value; negative_slope*(x-threshold) otherwise",
        "ReLU",
        params=(P("negative_slope", 0.0), P("max_value", None, number_or_none), P("threshold", 0.0)),
        # (max_value = 0 maps every x >= 0 to y = 0, where the slope is then unknowable)
        y_ok=lambda p: (float(p["threshold"]) == 0 and float(p["negative_slope"]) >= 0
                        and (p["max_value"] is None or float(p["max_value"]) > 0)),
        validate=_relu_valid, torch="relu"),
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
    Act("squareplus", "(x+sqrt(x^2+b))/2", "Squareplus", params=(P("b", 4.0, positive),)),
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
