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
