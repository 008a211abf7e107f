"""Independent float64 references: forward f and derivative df for every activation,
written from the formulas of SPEC §4 with NumPy/SciPy only (never pyact).

REF[name] = (f, df) where f(x, **params) and df(x, **params) take and return float64
arrays. Each uses the mathematically exact form; tests round the result to the dtype
under test and compare in ULPs (tests/ulp.py).
"""
from __future__ import annotations

import numpy as np

REF: dict[str, tuple] = {}


def ref(name):
    def deco(pair_fn):
        REF[name] = pair_fn()
        return pair_fn
    return deco


def _w(cond, a, b):
    return np.where(cond, a, b)


@ref("linear")
def _():
    return (lambda x: x.copy(), lambda x: np.ones_like(x))


@ref("relu")
def _():
    def f(x, negative_slope=0.0, max_value=None, threshold=0.0):
        mv = np.inf if max_value is None else max_value
        below = 0.0 if negative_slope == 0 else negative_slope * (x - threshold)
        r = _w(x < threshold, below, x)
        return _w(x >= mv, mv, r)

    def df(x, negative_slope=0.0, max_value=None, threshold=0.0):
        mv = np.inf if max_value is None else max_value
        return _w(x <= threshold, negative_slope, _w(x < mv, 1.0, 0.0))
    return f, df


@ref("relu6")
def _():
    return (lambda x: np.clip(x, 0, 6), lambda x: ((x > 0) & (x < 6)).astype(float))


@ref("leaky_relu")
def _():
    return (lambda x, negative_slope=0.01: _w(x > 0, x, negative_slope * x),
            lambda x, negative_slope=0.01: _w(x > 0, 1.0, negative_slope))


@ref("hard_sigmoid")
def _():
    def f(x, slope=1 / 6, offset=0.5):
        return np.clip(slope * x + offset, 0, 1)

    def df(x, slope=1 / 6, offset=0.5):
        z = slope * x + offset
        return _w((z > 0) & (z < 1), slope, 0.0)
    return f, df


@ref("hard_tanh")
def _():
    return (lambda x, min_val=-1.0, max_val=1.0: np.clip(x, min_val, max_val),
            lambda x, min_val=-1.0, max_val=1.0: ((x > min_val) & (x < max_val)).astype(float))


@ref("hard_swish")
def _():
    def f(x):
        return _w(x < -3, 0.0, x * np.clip(x + 3, 0, 6) / 6)

    def df(x):
        return _w(x < -3, 0.0, _w(x <= 3, x / 3 + 0.5, 1.0))
    return f, df


@ref("step")
def _():
    return (lambda x, threshold=0.0: (x >= threshold).astype(float),
            lambda x, threshold=0.0: np.zeros_like(x))


@ref("softshrink")
def _():
    def f(x, lambd=0.5):
        return _w(x > lambd, x - lambd, _w(x < -lambd, x + lambd, 0.0))
    return f, lambda x, lambd=0.5: (np.abs(x) > lambd).astype(float)


@ref("hardshrink")
def _():
    return (lambda x, lambd=0.5: _w(np.abs(x) > lambd, x, 0.0),
            lambda x, lambd=0.5: (np.abs(x) > lambd).astype(float))


@ref("threshold")
def _():
    return (lambda x, threshold, value: _w(x > threshold, x, value),
            lambda x, threshold, value: (x > threshold).astype(float))


@ref("softsign")
def _():
    with np.errstate(invalid="ignore"):
        return (lambda x: _w(np.isinf(x), np.sign(x), x / (1 + np.abs(x))),
                lambda x: 1 / (1 + np.abs(x)) ** 2)


@ref("squareplus")
def _():
    def f(x, b=4.0):
        x = np.asarray(x, np.float64)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            s = np.where(np.abs(x) > 1e150, np.abs(x), np.sqrt(x * x + b))
            return np.where(x < 0, b / (2 * (s - x)), (x + s) / 2)

    def df(x, b=4.0):
        x = np.asarray(x, np.float64)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            s = np.where(np.abs(x) > 1e150, np.abs(x), np.sqrt(x * x + b))
            return np.where(x < 0, 0.5 * b / ((s - x) * s), 0.5 * (1 + np.where(np.isinf(x), 1.0, x / s)))
    return f, df


# --- transcendental activations (vmath) -----------------------------------------------
# Written in the forms that keep float64 accuracy in the tails (expm1, log1p, expit,
# ndtr), never in the float64-overflowing naive forms; mpmath where float64 cancels.
import mpmath as _mp  # noqa: E402
from scipy import special as _sp  # noqa: E402

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _expit(z):
    """Logistic function without scipy.special.expit's underflow below z = -709
    (it returns 0 where e^z is still a float64 denormal)."""
    z = np.asarray(z, np.float64)
    e = np.exp(-np.abs(z))
    with np.errstate(invalid="ignore"):
        return np.where(z < 0, e / (1 + e), 1 / (1 + e))


def _ndtr(x):
    """Phi(x); mpmath below x = -3, where scipy's ndtr rounds x/sqrt2 and loses
    x^2/2 float64 ulps (and underflows early below -37.5)."""
    x = np.asarray(x, np.float64)
    out = np.asarray(_sp.ndtr(x), np.float64).copy()
    tail = np.isfinite(x) & (x < -3)
    if tail.any():
        with _mp.workdps(40):
            out[tail] = [float(_mp.ncdf(_mp.mpf(float(v)))) for v in x[tail]]
    return out


def _neg(x):
    return np.minimum(x, 0.0)


def _sech2(x):
    e = np.exp(-2 * np.abs(x))
    return 4 * e / (1 + e) ** 2


@ref("elu")
def _():
    return (lambda x, alpha=1.0: _w(x > 0, x, alpha * np.expm1(_neg(x))),
            lambda x, alpha=1.0: _w(x > 0, 1.0, alpha * np.exp(_neg(x))))


@ref("selu")
def _():
    return (lambda x: _SELU_SCALE * _w(x > 0, x, _SELU_ALPHA * np.expm1(_neg(x))),
            lambda x: _SELU_SCALE * _w(x > 0, 1.0, _SELU_ALPHA * np.exp(_neg(x))))


@ref("celu")
def _():
    def f(x, alpha=1.0):
        with np.errstate(over="ignore"):
            return _w(x > 0, x, alpha * np.expm1(_neg(x) / alpha))

    def df(x, alpha=1.0):
        with np.errstate(over="ignore"):
            return _w(x > 0, 1.0, np.exp(_neg(x) / alpha))
    return f, df


@ref("sigmoid")
def _():
    return (lambda x: _expit(x), lambda x: _expit(x) * _expit(-x))


@ref("log_sigmoid")
def _():
    return (lambda x: _sp.log_expit(x), lambda x: _expit(-x))


@ref("tanh")
def _():
    return (lambda x: np.tanh(x), _sech2)


@ref("softplus")
def _():
    def f(x, beta=1.0, threshold=20.0):
        with np.errstate(over="ignore", invalid="ignore"):
            z = beta * x
            sp = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
            return _w(z > threshold, x, sp)

    def df(x, beta=1.0, threshold=20.0):
        with np.errstate(over="ignore", invalid="ignore"):
            z = beta * x
            return _w(z > threshold, 1.0, _expit(z))
    return f, df


@ref("swish")
def _():
    def f(x, beta=1.0):
        with np.errstate(invalid="ignore"):
            s = _expit(beta * x) if beta != 0 else np.full_like(x, 0.5)
            return _w(s == 0, 0.0 * np.sign(x), x * s)

    def df(x, beta=1.0):
        with np.errstate(invalid="ignore", over="ignore"):
            z = np.clip(beta * x, -1e3, 1e3)
            return _expit(z) + z * _expit(z) * _expit(-z)
    return f, df


def _mish_parts(x):
    xc = np.clip(x, -800, 40)
    e = np.exp(xc)
    n = e * (e + 2)
    return xc, e, n


@ref("mish")
def _():
    def f(x):
        xc, e, n = _mish_parts(x)
        with np.errstate(invalid="ignore"):
            return np.maximum(x, -800) * (n / (n + 2))

    def df(x):
        xc, e, n = _mish_parts(x)
        t = n / (n + 2)
        sech2 = 4 * (n + 1) / (n + 2) ** 2
        return t + xc * sech2 * _expit(xc)
    return f, df


_K_TANH = np.sqrt(2 / np.pi)


def _gelu_tanh_z(x):
    xc = np.clip(x, -30, 30)
    return xc, 2 * _K_TANH * (xc + 0.044715 * xc ** 3)


def _gelu_tanh_f(x):
    """x * sigmoid(z); mpmath below x = -3, where z's float64 rounding (relative
    condition number |z| ~ x^3/10) would cost hundreds of ulps."""
    x = np.asarray(x, np.float64)
    xc, z = _gelu_tanh_z(x)
    with np.errstate(invalid="ignore"):
        out = np.asarray(_w(x < -30, -0.0, x * _expit(z)), np.float64).copy()
    tail = np.isfinite(x) & (x < -3) & (x >= -30)
    if tail.any():
        with _mp.workdps(40):
            def one(v):
                v = _mp.mpf(float(v))
                zz = 2 * _mp.sqrt(2 / _mp.pi) * (v + _mp.mpf("0.044715") * v ** 3)
                return float(v / (1 + _mp.exp(-zz)))
            out[tail] = [one(v) for v in x[tail]]
    return out


@ref("gelu")
def _():
    def f(x, approximate="none"):
        with np.errstate(invalid="ignore"):
            if approximate == "tanh":
                return _gelu_tanh_f(x)
            return _w(x < -40, -0.0, x * _ndtr(x))

    def df(x, approximate="none"):
        if approximate == "tanh":
            xc, z = _gelu_tanh_z(x)
            s, sm = _expit(z), _expit(-z)
            return s + xc * s * sm * 2 * _K_TANH * (1 + 3 * 0.044715 * xc ** 2)
        xc = np.clip(x, -40, 40)
        return _ndtr(x) + xc * np.exp(-xc * xc / 2) / np.sqrt(2 * np.pi)
    return f, df


@ref("exponential")
def _():
    def f(x):
        with np.errstate(over="ignore"):
            return np.exp(x)
    return f, f


def _tanhshrink_exact(v):
    with _mp.workdps(40):
        return float(_mp.mpf(float(v)) - _mp.tanh(_mp.mpf(float(v))))


@ref("tanhshrink")
def _():
    def f(x):
        x = np.atleast_1d(np.asarray(x, np.float64))
        out = x - np.tanh(x)
        small = np.abs(x) < 2  # where x - tanh x loses more than an ulp of float64
        if small.any():
            out[small] = [_tanhshrink_exact(v) for v in x[small]]
        return out
    return f, lambda x: np.tanh(x) ** 2
