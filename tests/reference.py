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
        # no cap (None or inf): the identity piece runs on to +inf, slope 1 there as in torch
        capped = max_value is not None and max_value < np.inf
        return _w(x <= threshold, negative_slope, _w((x < max_value) if capped else True, 1.0, 0.0))
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
    # At the defaults this is PyTorch's relu6(x + 3) / 6, evaluated without the
    # cancellation of slope*x + offset near x = -3 (x + 3 is exact there).
    def default(slope, offset):
        return slope == 1 / 6 and offset == 0.5

    def f(x, slope=1 / 6, offset=0.5):
        if default(slope, offset):
            return np.clip((x + 3) / 6, 0, 1)
        return np.clip(slope * x + offset, 0, 1)

    def df(x, slope=1 / 6, offset=0.5):
        if default(slope, offset):
            return _w((x > -3) & (x < 3), 1 / 6, 0.0)
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
        return _w(x < -3, 0.0, _w(x > 3, x, x * (x + 3) / 6))

    def df(x):  # at the kinks PyTorch's (aten hardswish_backward): 0 at -3, 1 at 3
        return _w(x <= -3, 0.0, _w(x < 3, x / 3 + 0.5, 1.0))
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
    # s = sqrt(x^2 + b) = |x| q, q = sqrt(1 + b/x^2): no overflow for any float64 x;
    # below 0 the conjugate b / (s - x) = (b/|x|) / (q + 1) avoids the cancellation.
    def parts(x, b):
        x = np.asarray(x, np.float64)
        ax = np.abs(x)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            q = np.sqrt(1 + (b / ax) / ax)
            s = np.where(ax > 1e150, ax * q, np.sqrt(x * x + b))
            conj = np.where(ax > 1e150, (b / ax) / (q + 1), b / (s - x))
        return x, s, conj

    def f(x, b=4.0):
        x, s, conj = parts(x, b)
        return np.where(x < 0, conj / 2, x / 2 + s / 2)

    def df(x, b=4.0):
        x, s, conj = parts(x, b)
        with np.errstate(invalid="ignore"):
            return np.where(x < 0, 0.5 * conj / s, 0.5 * (1 + np.where(np.isinf(x), 1.0, x / s)))
    return f, df


# ---- LEARNABLE_REF: the learnable family (per-channel parameters) -------------------
# LEARNABLE_REF[name] = (f, grads): f(x, **p) -> y and grads(g, x, **p) -> (dx, {param:
# dL/dparam}), float64, p's arrays already broadcast against x (shape (C, 1, ..) etc.,
# APL's a and b with a leading hinge axis); the tests reduce the parameter gradients.
LEARNABLE_REF: dict[str, tuple] = {}


def learnable_ref(name):
    def deco(pair_fn):
        LEARNABLE_REF[name] = pair_fn()
        return pair_fn
    return deco


@learnable_ref("prelu")
def _():
    def f(x, alpha):
        return np.where(x > 0, x, alpha * x)

    def grads(g, x, alpha):
        return np.where(x > 0, g, g * alpha), {"alpha": np.where(x > 0, 0.0, g * x)}
    return f, grads


@learnable_ref("srelu")
def _():
    def f(x, t_left, a_left, t_right, a_right):
        return np.where(x <= t_left, t_left + a_left * (x - t_left),
                        np.where(x >= t_right, t_right + a_right * (x - t_right), x))

    def grads(g, x, t_left, a_left, t_right, a_right):
        left = x <= t_left
        right = (x >= t_right) & ~left
        dx = g * np.where(left, a_left, np.where(right, a_right, 1.0))
        return dx, {"t_left": np.where(left, g * (1 - a_left), 0.0), "a_left": np.where(left, g * (x - t_left), 0.0),
                    "t_right": np.where(right, g * (1 - a_right), 0.0),
                    "a_right": np.where(right, g * (x - t_right), 0.0)}
    return f, grads


@learnable_ref("apl")
def _():
    # a, b: shape (S, *broadcast shape of one channel's value)
    def f(x, a, b):
        return np.maximum(x, 0) + sum(a[s] * np.maximum(b[s] - x, 0) for s in range(a.shape[0]))

    def grads(g, x, a, b):
        on = [(b[s] - x) > 0 for s in range(a.shape[0])]
        dx = g * (x > 0) - sum(np.where(on[s], g * a[s], 0.0) for s in range(a.shape[0]))
        da = np.stack([np.where(on[s], g * (b[s] - x), 0.0) for s in range(a.shape[0])])
        db = np.stack([np.where(on[s], g * a[s], 0.0) for s in range(a.shape[0])])
        return dx, {"a": da, "b": db}
    return f, grads


@learnable_ref("swish")
def _():
    from scipy.special import expit

    def f(x, beta):
        return x * expit(beta * x)

    def grads(g, x, beta):
        s = expit(beta * x)
        t = s * expit(-beta * x)
        return g * (s + beta * x * t), {"beta": g * x * x * t}
    return f, grads


def splitmix_uniform(seed: int, n: int, dtype) -> np.ndarray:
    """RReLU's u(seed, j), j < n: SplitMix64 output j + 1 of the stream `seed`, its top
    mantissa bits as a number in [0, 1) of `dtype` (float32 for float16), written here
    from the published algorithm with NumPy's wrapping uint64 arithmetic."""
    j = np.arange(1, n + 1, dtype=np.uint64)
    z = np.uint64(seed) + j * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    if np.dtype(dtype) == np.float64:
        return ((z >> np.uint64(12)) | np.uint64(0x3FF0000000000000)).view(np.float64) - 1.0
    return (((z >> np.uint64(41)).astype(np.uint32)) | np.uint32(0x3F800000)).view(np.float32) - np.float32(1)
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


def _mp_where(x, mask, fn, dps=40):
    """out[mask] = fn(mpf(x)) in mpmath (elementwise: for the few hard points only)."""
    out = np.zeros(np.shape(x))
    if mask.any():
        with _mp.workdps(dps):
            out[mask] = [float(fn(_mp.mpf(float(v)))) for v in np.asarray(x)[mask]]
    return out


def _ndtr(x):
    """Phi(x); mpmath below x = -1, where scipy's ndtr rounds x/sqrt2 and loses up to
    x^2/2 float64 ulps (and underflows early below -37.5)."""
    x = np.asarray(x, np.float64)
    out = np.asarray(_sp.ndtr(x), np.float64).copy()
    tail = (x < -1) & (x >= -40)
    out[x < -40] = 0.0
    out[tail] = _mp_where(x, tail, _mp.ncdf)[tail]
    return out


def _gelu_exact(x):
    """x * Phi(x), the product taken in mpmath too below -1 (a denormal Phi would be
    rounded before the product)."""
    x = np.asarray(x, np.float64)
    with np.errstate(invalid="ignore"):
        out = np.asarray(np.where(x < -40, -0.0, x * _sp.ndtr(x)), np.float64)
    tail = (x < -1) & (x >= -40)
    out[tail] = _mp_where(x, tail, lambda v: v * _mp.ncdf(v))[tail]
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
            out = np.asarray(_w(s == 0, 0.0 * np.sign(x), x * s), np.float64)
        tail = np.isfinite(x) & (beta * x < -700) & (beta * x > -800)  # e^z is a denormal
        out[tail] = _mp_where(x, tail, lambda v: v / (1 + _mp.exp(-beta * v)))[tail]
        return out

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
            out = np.asarray(np.maximum(x, -800) * (n / (n + 2)), np.float64)
        tail = (x < -700) & (x > -800)  # e^x is a denormal
        out[tail] = _mp_where(x, tail, lambda v: v * _mp.tanh(_mp.log1p(_mp.exp(v))))[tail]
        return out

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
    """x * sigmoid(z); mpmath below x = -1, where z's float64 rounding (relative
    condition number |z| ~ x^3/10) would cost hundreds of ulps."""
    x = np.asarray(x, np.float64)
    xc, z = _gelu_tanh_z(x)
    with np.errstate(invalid="ignore"):
        out = np.asarray(_w(x < -30, -0.0, x * _expit(z)), np.float64).copy()
    tail = np.isfinite(x) & (x < -1) & (x >= -30)
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
            return _gelu_exact(x)

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
    v = float(v)
    if abs(v) < 1e-4:  # the series: its next term is ~x^6 relative, far below an ulp
        return v ** 3 / 3 - 2 * v ** 5 / 15 + 17 * v ** 7 / 315
    with _mp.workdps(60):
        return float(_mp.mpf(v) - _mp.tanh(_mp.mpf(v)))


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
