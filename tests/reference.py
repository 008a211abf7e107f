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


# --- AXIS_REF: the functions along an axis (SPEC §4.3) -----------------------------------
# AXIS_REF[name] = (f, vjp): f(x, axis, **params) -> y and vjp(g, x, axis, **params) ->
# dL/dx, both float64 NumPy/SciPy, with SPEC §4.3's special rows written out case by case.
from scipy import special as _special  # noqa: E402

AXIS_REF: dict[str, tuple] = {}


def _rows_special(x, axis):
    """(nan_rows, all_neginf_rows, k = count of +inf per row), keepdims."""
    nan_rows = np.isnan(x).any(axis=axis, keepdims=True)
    neginf_rows = (x == -np.inf).all(axis=axis, keepdims=True)
    k = (x == np.inf).sum(axis=axis, keepdims=True)
    return nan_rows, neginf_rows, k


def _softmax(x, axis=-1):
    x = np.asarray(x, np.float64)
    nan_rows, neginf_rows, k = _rows_special(x, axis)
    finite_rows = ~nan_rows & ~neginf_rows & (k == 0)
    safe = np.where(finite_rows, x, 0.0)
    y = _special.softmax(safe, axis=axis)
    y = np.where(k > 0, (x == np.inf) / np.maximum(k, 1), y)   # the +inf entries share the mass
    return np.where(nan_rows | neginf_rows, np.nan, y)


def _log_softmax(x, axis=-1):
    x = np.asarray(x, np.float64)
    nan_rows, neginf_rows, k = _rows_special(x, axis)
    finite_rows = ~nan_rows & ~neginf_rows & (k == 0)
    y = _special.log_softmax(np.where(finite_rows, x, 0.0), axis=axis)
    y = np.where(k > 0, np.where(x == np.inf, -np.log(np.maximum(k, 1)), -np.inf), y)
    return np.where(nan_rows | neginf_rows, np.nan, y)


def _softmax_vjp(g, x, axis=-1):
    y = _softmax(x, axis)
    return y * (g - (g * y).sum(axis=axis, keepdims=True))


def _log_softmax_vjp(g, x, axis=-1):
    y = _softmax(x, axis)
    return g - y * g.sum(axis=axis, keepdims=True)


def _halves(x, axis):
    a, b = np.split(np.asarray(x, np.float64), 2, axis=axis)
    return a, b


def _glu(x, axis=-1):
    a, b = _halves(x, axis)
    return a * _special.expit(b)


def _glu_vjp(g, x, axis=-1):
    a, b = _halves(x, axis)
    s = _special.expit(b)
    return np.concatenate([g * s, g * a * s * _special.expit(-b)], axis=axis)


def _groups(x, pieces, axis):
    """x with the axis split into (groups, pieces), pieces as the last axis."""
    x = np.moveaxis(np.asarray(x, np.float64), axis, -1)
    return x.reshape(x.shape[:-1] + (x.shape[-1] // pieces, pieces))


def _maxout(x, pieces=2, axis=-1):
    return np.moveaxis(_groups(x, pieces, axis).max(axis=-1), -1, axis)   # NaN propagates


def _maxout_vjp(g, x, pieces=2, axis=-1):
    grp = _groups(x, pieces, axis)
    first = np.argmax(grp, axis=-1)        # the first maximum (ties); NaN groups handled below
    onehot = np.arange(pieces) == first[..., None]
    gm = np.moveaxis(np.asarray(g, np.float64), axis, -1)[..., None]
    r = np.where(onehot, gm, 0.0)
    r = np.where(np.isnan(grp).any(axis=-1, keepdims=True), np.nan, r)
    r = r.reshape(r.shape[:-2] + (-1,))
    return np.moveaxis(r, -1, axis)


AXIS_REF["softmax"] = (_softmax, _softmax_vjp)
AXIS_REF["log_softmax"] = (_log_softmax, _log_softmax_vjp)
AXIS_REF["softmin"] = (lambda x, axis=-1: _softmax(-np.asarray(x, np.float64), axis),
                       lambda g, x, axis=-1: -_softmax_vjp(g, -np.asarray(x, np.float64), axis))
AXIS_REF["glu"] = (_glu, _glu_vjp)
AXIS_REF["maxout"] = (_maxout, _maxout_vjp)
