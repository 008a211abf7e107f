"""The transcendental activations (SPEC §4.1, §2, §5; PITFALLS.md) against independent
float64 references (tests/reference.py: NumPy/SciPy, mpmath in the tails), finite
differences and, when installed, PyTorch — never pyact against itself."""
from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

import pyact as pa
from reference import REF
from ulp import assert_close_ulp, ulp_error

# (name, params) for every kernel: gelu twice, and non-default parameters too.
CASES = [
    ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 2.5}),
("sigmoid", {}), ("log_sigmoid", {}), ("tanh", {}), ("softplus", {}),
    ("softplus", {"beta": 5.0, "threshold": 20.0}), ("softplus", {"beta": 0.5, "threshold": 3.0}),
    ("swish", {}), ("swish", {"beta": 1.702}), ("mish", {}), ("gelu", {}), ("gelu", {"approximate": "tanh"}),
    ("exponential", {}), ("tanhshrink", {}),
]
IDS = [n + "".join(f"-{k}={v}" for k, v in p.items()) for n, p in CASES]
DEFAULT = [c for c in CASES if not c[1] or c[1] == {"approximate": "tanh"}]
DEFAULT_IDS = [n + "".join(f"-{v}" for v in p.values()) for n, p in DEFAULT]

TINY = {np.dtype(np.float16): 6e-8, np.dtype(np.float32): 1e-45, np.dtype(np.float64): 5e-324}


def _ref(name, params, x, deriv=False):
    f, df = REF[name]
    with np.errstate(all="ignore"):
        return (df if deriv else f)(np.asarray(x, np.float64), **params)


_CACHE: dict = {}


def _ref_cached(name, params, dtype, seed, deriv=False):
    """The reference over _inputs(dtype, seed=seed), computed once for every ISA."""
    key = (name, tuple(sorted(params.items())), np.dtype(dtype).name, seed, deriv)
    if key not in _CACHE:
        _CACHE[key] = _ref(name, params, _inputs(dtype, seed=seed), deriv)
    return _CACHE[key]


def _inputs(dtype, n=1500, seed=0):
    """Every scale that matters: tiny, around 0, the tails, the overflow edges, specials."""
    rng = np.random.default_rng(seed)
    fi = np.finfo(dtype)
    parts = [rng.standard_normal(n) * s for s in (1e-6, 0.05, 1, 4, 12, 40)]
    parts.append(rng.uniform(-float(fi.max) ** 0.5, float(fi.max) ** 0.5, 200))
    edges = [0.0, -0.0, np.inf, -np.inf, float(fi.tiny), -float(fi.tiny), TINY[np.dtype(dtype)],
             -TINY[np.dtype(dtype)], float(fi.max), -float(fi.max), 1.0, -1.0, 88.7, 89.0, -87.3, -103.9,
             -104.0, 709.7, -745.0, 20.0, 20.000002, -17.3, 1e-3, -1e-3]
    x = np.concatenate(parts + [np.array(edges)])
    with np.errstate(over="ignore"):
        return x.astype(dtype)


# ---------------------------------------------------------------- values, every dtype
@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_forward_matches_reference(isa, dtype, name, params):
    x = _inputs(dtype)
    got = pa.get(name, **params)(x)
    assert got.dtype == dtype and got.shape == x.shape
    want = _ref_cached(name, params, dtype, 0)
    if dtype == np.float16:  # computed in float32 and rounded once more
        assert_close_ulp(got, want, 1, what=f"{isa} {name} fwd")
    elif not params or params == {"approximate": "tanh"}:
        assert_close_ulp(got, want, 4, what=f"{isa} {name} fwd")
    else:
        # A non-default alpha/beta scales x once more (x/alpha, beta*x) in the working
        # precision (x * (1/alpha): the reciprocal and the product round): that costs up
        # to an ulp times the relative condition number |x f'(x) / f(x)| on top of
        # SPEC's 4 (at default parameters the scaling is exact).
        with np.errstate(all="ignore"):
            cond = np.abs(x.astype(np.float64) * _ref_cached(name, params, dtype, 0, deriv=True) / want)
        err = ulp_error(got, want)
        bound = 4 + 1.5 * np.nan_to_num(cond, nan=0.0, posinf=0.0)
        bad = err > bound
        assert not bad.any(), f"{name}{params}: x={x[bad][:3]}, {err[bad][:3]} ULP > {bound[bad][:3]}"


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_backward_matches_reference(isa, dtype, name, params):
    x = _inputs(dtype, seed=1)
    g = np.ones_like(x)
    got = pa.grad(name, g, x=x, **params)
    want = _ref_cached(name, params, dtype, 1, deriv=True)
    assert_close_ulp(got, want, 8, abs_tol=1e-6 if dtype != np.float16 else 1e-3, what=f"{isa} {name} bwd")
    act = pa.get(name, **params)
    if act.y_ok:
        y = act(x)
        got_y = pa.grad(name, g, y=y, **params)
        # From y the information lost to rounding y is lost for good (e.g. elu near
        # -alpha): compare absolutely, relative to the largest of |f'|, |y|.
        with np.errstate(invalid="ignore"):
            scale = np.maximum(1.0, np.abs(y.astype(np.float64)))
            diff = np.abs(got_y.astype(np.float64) - want)
        tol = {np.dtype(np.float16): 3e-3, np.dtype(np.float32): 3e-6, np.dtype(np.float64): 1e-14}[dtype]
        if name == "softplus":
            # beta*y in (threshold, softplus(threshold)] comes from either branch; from y
            # the linear one is taken, off by sigmoid(-threshold) for the other.
            tol = max(tol, 1.01 / (1 + math.exp(params.get("threshold", 20.0))))
        with np.errstate(over="ignore"):
            fin = np.isfinite(want.astype(dtype)) & np.isfinite(y)
        with np.errstate(invalid="ignore"):
            err = diff[fin] / scale[fin]
        assert err.max() <= tol, f"{name} bwd from y: {err.max()}"


# ------------------------------------------------------- specials: SPEC §2, PITFALLS
INF = math.inf
SPECIALS = {
    # name, params: [(x, f(x), f'(x))]; f' None: only "finite and not NaN" is required
    ("elu", ()): [(0.0, 0.0, 1.0), (-0.0, -0.0, 1.0), (INF, INF, 1.0), (-INF, -1.0, 0.0), (100.0, 100.0, 1.0)],
    ("elu", (("alpha", 2.0),)): [(-INF, -2.0, 0.0), (-1e30, -2.0, 0.0)],
    ("selu", ()): [(-INF, -1.7580993408473766, 0.0), (INF, INF, 1.0507009873554805)],
    ("celu", (("alpha", 0.5),)): [(-INF, -0.5, 0.0), (INF, INF, 1.0), (0.0, 0.0, 1.0)],
    ("sigmoid", ()): [(0.0, 0.5, 0.25), (-0.0, 0.5, 0.25), (INF, 1.0, 0.0), (-INF, 0.0, 0.0), (-1e30, 0.0, 0.0),
                      (1e30, 1.0, 0.0)],
    ("log_sigmoid", ()): [(0.0, -math.log(2), 0.5), (-1000.0, -1000.0, 1.0), (-INF, -INF, 1.0), (INF, 0.0, 0.0),
                          (-300.0, -300.0, 1.0)],
    ("tanh", ()): [(0.0, 0.0, 1.0), (-0.0, -0.0, 1.0), (INF, 1.0, 0.0), (-INF, -1.0, 0.0), (1e30, 1.0, 0.0)],
    ("softplus", ()): [(100.0, 100.0, 1.0), (INF, INF, 1.0), (-INF, 0.0, 0.0), (0.0, math.log(2), 0.5),
                       (-1e30, 0.0, 0.0), (1e30, 1e30, 1.0)],
    ("softplus", (("beta", 5.0),)): [(18.0, 18.0, 1.0), (-INF, 0.0, 0.0)],
    ("swish", ()): [(INF, INF, 1.0), (-INF, -0.0, 0.0), (0.0, 0.0, 0.5), (-1e30, -0.0, 0.0)],
    ("mish", ()): [(-1e4, -0.0, 0.0), (INF, INF, 1.0), (-INF, -0.0, 0.0), (0.0, 0.0, 0.6), (1e4, 1e4, 1.0)],
    ("gelu", ()): [(INF, INF, 1.0), (-INF, -0.0, 0.0), (0.0, 0.0, 0.5), (-1e30, -0.0, 0.0), (1e30, 1e30, 1.0)],
    ("gelu", (("approximate", "tanh"),)): [(INF, INF, 1.0), (-INF, -0.0, 0.0), (0.0, 0.0, 0.5), (-1e30, -0.0, 0.0)],
    ("exponential", ()): [(0.0, 1.0, 1.0), (-INF, 0.0, 0.0), (INF, INF, INF), (1000.0, INF, INF)],
    ("tanhshrink", ()): [(0.0, 0.0, 0.0), (-0.0, -0.0, 0.0), (INF, INF, 1.0), (-INF, -INF, 1.0)],
}


@pytest.mark.parametrize("key", list(SPECIALS), ids=lambda k: k[0] + "".join(f"-{v}" for _, v in k[1]))
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_special_values(isa, key, dt):
    name, params = key[0], dict(key[1])
    xs = np.array([c[0] for c in SPECIALS[key]], dt)
    y = pa.get(name, **params)(xs)
    g = pa.grad(name, np.ones_like(xs), x=xs, **params)
    for (x, fy, fg), yy, gg in zip(SPECIALS[key], y, g):
        want = np.asarray(fy, dt)
        assert yy == want and (np.signbit(yy) == np.signbit(want) or fy == 0 and name == "softplus"), \
            f"{name}({x}) = {yy!r}, want {fy!r}"
        if name == "mish" and x == 0.0:
            fg = float(np.tanh(np.log(2.0)))
        with np.errstate(over="ignore"):
            assert gg == pytest.approx(float(np.asarray(fg, dt)), rel=1e-6, abs=1e-30) or gg == fg, \
                f"{name}'({x}) = {gg!r}, want {fg!r}"
    # NaN in gives NaN out, both directions
    nan = np.array([np.nan], dt)
    assert np.isnan(pa.get(name, **params)(nan)).all()
    assert np.isnan(pa.grad(name, np.ones(1, dt), x=nan, **params)).all()


@pytest.mark.parametrize("name,params", DEFAULT, ids=DEFAULT_IDS)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_no_overflow_and_denormals(isa, name, params, dt):
    """Finite in, finite out wherever the true value is finite (SPEC §2); denormal
    inputs give the correctly rounded value (no flush to zero)."""
    fi = np.finfo(dt)
    with np.errstate(over="ignore"):
        mag = np.geomspace(float(fi.smallest_subnormal), float(fi.max), 3000).astype(dt)
    x = np.concatenate([mag, -mag])
    y = pa.get(name, **params)(x)
    g = pa.grad(name, np.ones_like(x), x=x, **params)
    want = _ref(name, params, x)
    with np.errstate(over="ignore"):
        fin = np.isfinite(want.astype(dt))
    assert np.isfinite(y[fin]).all(), f"{name}: non-finite at {x[fin][~np.isfinite(y[fin])][:5]}"
    assert not np.isnan(g).any(), f"{name}': NaN at {x[np.isnan(g)][:5]}"
    den = np.abs(x) < fi.tiny
    assert_close_ulp(y[den], want[den], 2, what=f"{name} denormal inputs")


def _mp_scaled_ref(name, p, x):
    """softplus / swish with beta != 1, in mpmath: z = beta x exact."""
    beta = mp.mpf(p["beta"])
    with mp.workdps(40):
        def one(v):
            if not math.isfinite(v):
                return float(_ref(name, p, np.array([v]))[0])
            z = beta * mp.mpf(v)
            if name == "softplus":
                return v if float(z) > p["threshold"] else float(mp.log1p(mp.exp(z)) / beta)
            return float(mp.mpf(v) / (1 + mp.exp(-z)))
        return np.array([one(float(v)) for v in x])


@pytest.mark.parametrize("name", ["softplus", "swish"])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_huge_x_with_a_tiny_beta(isa, name, dt):
    """beta x moderate while x itself is near the top of the range (beta tiny): swish's
    x e^z 2^64 used to overflow to -inf, and softplus's beta-x low word was NaN on the
    ISAs without FMA (Dekker's split overflowed). Against mpmath with beta as the kernel
    holds it; forward and backward finite."""
    top = float(np.finfo(dt).max)
    rng = np.random.default_rng(2)
    for beta in ([1e-20, 1e-30, 3e-37] if dt == np.float32 else [1e-290, 1e-300, 1e-305]):
        b = float(dt(beta))
        z = rng.uniform(-30, 30, 64)
        x = np.concatenate([z / b, [top, -top, top / 3, -top / 3]]).astype(dt)
        x = x[np.isfinite(x)]
        if name == "softplus":  # not where e^(beta x) is a denormal: softplus loses digits there
            x = x[np.abs(b * x.astype(np.float64)) <= 80]
        p = {"beta": b} if name == "swish" else {"beta": b, "threshold": 20.0}
        want = _mp_scaled_ref(name, p, x)
        with np.errstate(over="ignore"):
            fin = np.isfinite(want.astype(dt))
        y = pa.get(name, **p)(x)
        assert_close_ulp(y[fin], want[fin], 4, what=f"{name} beta={beta} huge x")
        assert (np.isinf(y[~fin]) & (np.sign(y[~fin]) == np.sign(want[~fin]))).all(), f"{name}: {y[~fin]}"
        g = pa.grad(name, np.ones_like(x), x=x, **p)
        assert np.isfinite(g).all(), f"{name}': {x[~np.isfinite(g)][:4]}"


@pytest.mark.parametrize("beta", [0.0, -1.5, 0.5, 2.0])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_swish_beta_forms(isa, dt, beta):
    """swish's kernel picks a form per beta (0, below 1, above 1; apply.h's with_form):
    each against mpmath, forward within 4 ULP and backward within SPEC's 8 ULP or 1e-6,
    on ordinary, tiny, denormal and large inputs."""
    rng = np.random.default_rng(5)
    tiny = float(np.finfo(dt).smallest_subnormal)
    x = np.concatenate([rng.standard_normal(300) * 4, [0.0, -0.0, 1e-30, -1e-30, tiny, -tiny, 40.0, -40.0,
                                                      100.0, -100.0, 1e30, -1e30, np.inf, -np.inf]]).astype(dt)
    with mp.workdps(40):
        def fd(v):
            if math.isinf(v):  # the limits: x/2 for beta = 0, else x or 0 as sigmoid(beta x) is 1 or 0
                if beta == 0:
                    return v / 2, 0.5
                s = float(beta * v > 0)
                return (v if s else math.copysign(0.0, v)), s
            z = mp.mpf(beta) * mp.mpf(v)
            s = 1 / (1 + mp.exp(-z))
            return float(mp.mpf(v) * s), float(s + z * s * (1 - s))
        want = np.array([fd(float(v)) for v in x])
    with np.errstate(over="ignore"):
        fin = np.isfinite(want[:, 0].astype(dt))
    y = pa.swish(x, beta=beta)
    assert_close_ulp(y[fin], want[fin, 0], 4, what=f"swish beta={beta}")
    g = pa.grad("swish", np.ones_like(x), x=x, beta=beta)
    assert_close_ulp(g, want[:, 1], 8, abs_tol=1e-6, what=f"swish' beta={beta}")


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_softplus_with_a_denormal_beta(isa, dt):
    """1/beta overflows for a denormal beta: log(1 + e^(beta x))/beta is 0 at x = -inf
    (it was 0 * inf = NaN, found by the fuzz run) and overflows to inf elsewhere."""
    beta = float(np.finfo(dt).smallest_subnormal)
    x = np.array([-np.inf, -1e30, -1.0, 0.0, 1.0, np.inf], dt)
    y = pa.softplus(x, beta=beta)
    np.testing.assert_array_equal(y, np.array([0.0] + [np.inf] * 5, dt))
    assert np.isfinite(pa.grad("softplus", np.ones_like(x), x=x, beta=beta)).all()


# Where a kernel stops computing and takes the settled value (a limit, x itself, 0), so
# that no product underflows (no slow path on any input range, PITFALLS: MKL's gelu):
# each edge and runs of consecutive floats on both sides of it, both signs.
EDGES = [6, 8, 9, 9.5, 11, 12.8, 13.4, 15, 20, 21.7, 30, 37, 40, 80, 87.4, 104, 109.6, 110, 130, 700, 745.2, 752, 753]


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_around_the_clamp_edges(isa, name, params, dt):
    runs = []
    for e in EDGES:
        b = np.array(e, dt).view(np.int32 if dt == np.float32 else np.int64)
        runs.append(np.arange(b - 40, b + 40).astype(b.dtype).view(dt))
    x = np.concatenate(runs)
    x = np.concatenate([x, -x])
    p = {k: float(dt(v)) if k == "beta" else v for k, v in params.items()}  # beta as the kernel holds it
    want = _ref(name, p, x)
    if dt == np.float64 and p.get("beta", 1.0) != 1.0:
        want = _mp_scaled_ref(name, p, x)  # beta x rounded to float64 costs |beta x|/2 ulp in the tails
    with np.errstate(over="ignore"):
        fin = np.isfinite(want.astype(dt))
    assert_close_ulp(pa.get(name, **params)(x)[fin], want[fin], 4, what=f"{name} near the clamps")
    d = _ref(name, p, x, deriv=True)
    g = pa.grad(name, np.ones_like(x), x=x, **params)
    ok = np.isfinite(d)
    assert_close_ulp(g[ok], d[ok], 8, abs_tol=1e-6, what=f"{name}' near the clamps")


# The derivative of each family in mpmath, for the far left tail (z = beta x for swish).
def _mp_deriv(name, params, v):
    v = mp.mpf(v)
    if name == "swish":
        z = mp.mpf(params.get("beta", 1.0)) * v
        s = 1 / (1 + mp.exp(-z))
        return s + z * s * (1 - s)
    if name == "mish":
        t = mp.tanh(mp.log1p(mp.exp(v)))
        return t + v * (1 - t * t) / (1 + mp.exp(-v))
    if params.get("approximate") == "tanh":
        a = mp.sqrt(2 / mp.pi) * 2
        b = a * mp.mpf("0.044715")
        s = 1 / (1 + mp.exp(-v * (a + b * v * v)))
        return s + v * s * (1 - s) * (a + 3 * b * v * v)
    return mp.ncdf(v) + v * mp.npdf(v)


# Past the point where f' rounds to 0 in the dtype (mpmath: swish and mish z < -108.651
# (float64 -751.754), gelu x < -14.5413 (-38.6748), gelu-tanh x < -10.8945 (-21.5927)),
# and at -inf (+inf for swish with beta < 0).
FAR = {
    ("swish", ()): {np.float32: [-108.7, -120.0, -1000.0, -1e30], np.float64: [-751.8, -800.0, -1000.0, -1e300]},
    ("swish", (("beta", 1.702),)): {np.float32: [-63.9, -100.0, -1e30], np.float64: [-441.75, -1000.0]},
    ("swish", (("beta", -1.0),)): {np.float32: [108.7, 1000.0], np.float64: [751.8, 1e300]},
    ("mish", ()): {np.float32: [-108.7, -120.0, -1000.0, -1e30], np.float64: [-751.8, -800.0, -1e300]},
    ("gelu", ()): {np.float32: [-14.6, -20.0, -1000.0, -1e30], np.float64: [-38.7, -50.0, -1e300]},
    ("gelu", (("approximate", "tanh"),)): {np.float32: [-10.9, -15.0, -1e30], np.float64: [-21.6, -30.0, -1e300]},
}


@pytest.mark.parametrize("key", list(FAR), ids=lambda k: k[0] + "".join(f"-{v}" for _, v in k[1]))
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_gradient_far_left_is_the_limit(isa, key, dt):
    """SPEC §2, ±inf give the mathematical limit: swish', mish', gelu' and gelu-tanh' at
    -inf (+inf for swish with beta < 0) and wherever the exact derivative rounds to 0 in
    the dtype are g * -0 (they approach 0 from below), not the derivative at the kernel's
    clamp (swish' at -inf was -6.9e-302 in float64, -1.4e-33 in float32). mpmath confirms
    that each finite x is in that range; NaN in x or g still gives NaN."""
    name, params = key[0], dict(key[1])
    xs = FAR[key][dt]
    half_tiny = mp.mpf(float(np.finfo(dt).smallest_subnormal)) / 2
    with mp.workdps(30):
        for v in xs:
            if abs(v) < 1e29:
                assert abs(_mp_deriv(name, params, v)) <= half_tiny, (name, v)
    inf = -np.inf if params.get("beta", 1.0) > 0 else np.inf
    x = np.resize(np.array(xs + [inf], dt), 61)  # every lane position
    for g0 in (1.0, -2.5, 0.0):
        g = np.full(x.shape, g0, dt)
        got = pa.grad(name, g, x=x, **params)
        assert (got == 0).all(), f"{name}{params}' at {x[got != 0][:3]}: {got[got != 0][:3]}"
        np.testing.assert_array_equal(np.signbit(got), np.signbit(g * dt(-0.0)), err_msg=f"{name}{params} g={g0}")
    g = np.ones_like(x)
    g[::3] = np.nan
    x[1::5] = np.nan
    got = pa.grad(name, g, x=x, **params)
    assert np.array_equal(np.isnan(got), np.isnan(g) | np.isnan(x))
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return
    # PyTorch's autograd: 0 at -1000 too (its silu_backward -0, as here; its mish and gelu
    # backwards +0, the sum of a +0 and a -0); at -inf it gives NaN.
    fn = {"swish": (lambda t: t * torch.sigmoid(params["beta"] * t)) if params else F.silu, "mish": F.mish,
          "gelu": lambda t: F.gelu(t, **params)}[name]
    t = torch.tensor([-1000.0 if inf < 0 else 1000.0], dtype=torch.float64, requires_grad=True)
    fn(t).backward(torch.ones_like(t))
    assert t.grad.numpy()[0] == 0 and pa.grad(name, np.ones(1), x=t.detach().numpy(), **params)[0] == 0
    if name == "swish" and not params:
        assert np.signbit(t.grad.numpy()[0])


def test_sigmoid_range_half_and_monotone(isa):
    """PITFALLS (onnxruntime#22557): in [0, 1], exactly 0.5 at 0, monotone — over runs of
    20,000 consecutive float32 at the range-reduction and saturation edges, and every
    40,009th float32 of [-200, 200]."""
    runs = []
    for c in (-120, -104, -88, -30, -17.3, -9, -5, -1, -0.35, -1e-3, 0, 1e-3, 0.35, 1, 5, 9, 17.3, 30, 88):
        b = np.float32(c).view(np.int32)
        runs.append(np.arange(b, b + 20000, dtype=np.int32).view(np.float32) if c >= 0 else
                    np.arange(b + 20000, b, -1, dtype=np.int32).view(np.float32))
    hi = np.float32(200).view(np.uint32)
    stride = np.arange(0, hi, 40009, dtype=np.uint32).view(np.float32)
    x = np.unique(np.concatenate(runs + [stride, -stride]))
    for dt in (np.float32, np.float64):
        xd = x.astype(dt)
        y = pa.sigmoid(xd)
        assert (y >= 0).all() and (y <= 1).all()
        assert (np.diff(y) >= 0).all(), f"sigmoid not monotone ({dt.__name__}) at {xd[1:][np.diff(y) < 0][:3]}"
        assert pa.sigmoid(np.array([0.0, -0.0], dt)).tolist() == [0.5, 0.5]
    for name in ("tanh", "exponential", "elu"):  # (softplus: x + log1p(e^-x) may dip an ulp)
        y = pa.get(name)(x)
        bad = y[1:] < y[:-1]
        assert not bad.any(), f"{name} not monotone at {x[1:][bad][:3]}"


def test_tanh_family_monotone_across_quarter_binades(isa):
    """On AVX-512 float32 tanh and tanhshrink are 32 polynomials over quarter binades of |x|
    (vmath/tanh.h): monotone across every edge where one polynomial hands over to the
    next, runs of 4,000 consecutive float32 on both sides of each edge from 2^-5 to 16,
    and odd (f(-x) = -f(x) bit for bit). (The expm1 form of the other paths is within
    1 ULP but not monotone: 366,911 steps down over the positive float32.)"""
    if isa != "avx512":
        pytest.skip("the table form is the avx512 path's")
    edges = [2.0**e * (1 + q / 4) for e in range(-5, 4) for q in range(4)] + [9.1]
    runs = [np.arange(b - 2000, b + 2000, dtype=np.int32).view(np.float32)
            for b in np.array(edges, np.float32).view(np.int32)]
    x = np.unique(np.concatenate(runs))
    for name in ("tanh", "tanhshrink"):
        y = pa.get(name)(x)
        bad = y[1:] < y[:-1]
        assert not bad.any(), f"{name} not monotone at {x[1:][bad][:3]}"
        assert np.array_equal(pa.get(name)(-x), -y)


def test_elu_family_backward_in_the_tail():
    """PITFALLS (jax#39795): from x the ELU gradient is alpha*e^x, still accurate where
    e^x - 1 has rounded to -1; no NaN from e^x on the branch not taken (tinygrad#17852)."""
    x = np.array([-20.0, -50.0, -87.0, 100.0, 1000.0, 1e30], np.float32)
    for name, params in (("elu", {}), ("selu", {}), ("celu", {"alpha": 1.0})):
        g = pa.grad(name, np.ones_like(x), x=x, **params)
        assert np.isfinite(g).all()
        assert_close_ulp(g, _ref(name, params, x, deriv=True), 2, what=name)
        assert g[0] > 0


def test_softplus_same_rule_forward_and_backward():
    """pytorch#55587: the threshold test is beta*x > threshold in both directions."""
    beta, thr = 5.0, 20.0
    x = np.array([3.9, 4.0, np.nextafter(4.0, 5.0), 4.1], np.float64)
    y = pa.softplus(x, beta=beta, threshold=thr)
    g = pa.grad("softplus", np.ones_like(x), x=x, beta=beta, threshold=thr)
    z = beta * x
    np.testing.assert_array_equal(y[z > thr], x[z > thr])
    assert (y[z <= thr] > x[z <= thr]).all()
    np.testing.assert_array_equal(g[z > thr], 1.0)
    assert (g[z <= thr] < 1.0).all()
    x32 = np.linspace(-10, 10, 1001, dtype=np.float32)
    assert np.isfinite(pa.softplus(x32, beta=50.0)).all()


def test_mish_and_gelu_in_their_hard_ranges():
    """Against mpmath: mish on [-20, -2] (darknet#5452), its gradient near 5000
    (dlib#1938), gelu's tails (pytorch#48388), log_sigmoid(-300) (pytorch#1835)."""
    mp.mp.dps = 50

    def mish(v):
        v = mp.mpf(float(v))
        return v * mp.tanh(mp.log1p(mp.exp(v)))

    def gelu(v):
        return mp.mpf(float(v)) * mp.ncdf(mp.mpf(float(v)))

    def gelu_t(v):
        v = mp.mpf(float(v))
        return v / (1 + mp.exp(-2 * mp.sqrt(2 / mp.pi) * (v + mp.mpf("0.044715") * v ** 3)))

    for dt, bound in ((np.float32, 4), (np.float64, 4)):
        xs = np.linspace(-20, -2, 181).astype(dt)
        assert_close_ulp(pa.mish(xs), np.array([float(mish(v)) for v in xs]), bound, what="mish tail")
        xs = np.linspace(-14 if dt == np.float32 else -37, -1, 141).astype(dt)
        assert_close_ulp(pa.gelu(xs), np.array([float(gelu(v)) for v in xs]), bound, what="gelu tail")
        xs = np.linspace(-10 if dt == np.float32 else -25, -1, 141).astype(dt)
        assert_close_ulp(pa.gelu(xs, approximate="tanh"), np.array([float(gelu_t(v)) for v in xs]), bound,
                         what="gelu tanh tail")
        xs = np.array([-300, -80, -30, -1e-3], dt)
        assert_close_ulp(pa.log_sigmoid(xs), np.array([float(-mp.log1p(mp.exp(-mp.mpf(float(v))))) for v in xs]), bound,
                         what="log_sigmoid")
    g = pa.grad("mish", np.ones(3), x=np.array([4999.0, 5000.0, 5001.0]))
    np.testing.assert_array_equal(g, 1.0)


def test_tanhshrink_small_x_has_no_cancellation():
    mp.mp.dps = 120
    xs = np.geomspace(1e-30, 3, 400)
    want = np.array([float(mp.mpf(v) - mp.tanh(mp.mpf(v))) for v in xs])
    for dt in (np.float32, np.float64):
        x = xs.astype(dt)
        w = np.array([float(mp.mpf(float(v)) - mp.tanh(mp.mpf(float(v)))) for v in x])
        assert_close_ulp(pa.tanhshrink(x), w, 4, what="tanhshrink")
        assert_close_ulp(-pa.tanhshrink(-x), w, 4, what="tanhshrink odd")
    assert want[0] > 0


# ------------------------------------------------------------- gradients, in float64
@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_gradient_by_central_differences(name, params):
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-6, 6, 400), [-0.5, 0.3, 2.0, -3.0]])
    if name in ("elu", "selu", "celu"):
        x = x[np.abs(x) > 1e-3]  # the kink at 0
    if name == "softplus":
        x = x[np.abs(params.get("beta", 1.0) * x - params.get("threshold", 20.0)) > 1e-3]
    h = 1e-6
    fd = (pa.get(name, **params)(x + h) - pa.get(name, **params)(x - h)) / (2 * h)
    g = pa.grad(name, np.ones_like(x), x=x, **params)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-7)


def test_grad_scales_with_grad_out():
    x = np.linspace(-5, 5, 101)
    g = np.random.default_rng(0).standard_normal(101)
    for name, params in CASES:
        a = pa.grad(name, g, x=x, **params)
        b = pa.grad(name, np.ones_like(x), x=x, **params) * g
        np.testing.assert_allclose(a, b, rtol=1e-15, atol=1e-300)


# --------------------------------------------------------- parameters and the catalog
def test_parameters_are_validated():
    with pytest.raises(ValueError, match="alpha"):
        pa.celu(np.ones(3), alpha=0.0)
    with pytest.raises(ValueError, match="beta"):
        pa.softplus(np.ones(3), beta=0)
    with pytest.raises(ValueError, match="approximate"):
        pa.gelu(np.ones(3), approximate="erf")
    with pytest.raises(TypeError):
        pa.grad("swish", np.ones(3), y=np.ones(3))
    with pytest.raises(TypeError):
        pa.grad("gelu", np.ones(3), y=np.ones(3))


def test_aliases_and_y_ok():
    assert pa.get("silu").name == "swish" and pa.get("logistic").name == "sigmoid"
    assert pa.get("elu").y_ok and not pa.get("elu", alpha=-1.0).y_ok
    assert pa.get("celu", alpha=-1.0).y_ok and pa.get("softplus").y_ok and pa.get("exponential").y_ok
    for name in ("log_sigmoid", "swish", "mish", "gelu", "tanhshrink"):
        assert not pa.get(name).y_ok


def test_gelu_forms_are_distinct_and_exact():
    x = np.linspace(-4, 4, 81)
    a, b = pa.gelu(x), pa.gelu(x, approximate="tanh")
    assert 1e-4 < np.abs(a - b).max() < 1e-3  # apache/tvm#14814: they differ by up to ~5e-4
    assert repr(pa.get("gelu", approximate="tanh")) == "GELU(approximate='tanh')"


def test_position_and_thread_independence():
    """Same bits for an element wherever it lies and whatever the thread count."""
    x = _inputs(np.float32, n=20000, seed=5)
    for name, params in DEFAULT:
        f = pa.get(name, **params)
        with pa.threads(1):
            one = f(x)
        with pa.threads(2):
            two = f(x)
        np.testing.assert_array_equal(one.view(np.uint32), two.view(np.uint32))
        for k in (1, 3, 7, 13):
            np.testing.assert_array_equal(f(x[k:]).view(np.uint32), one[k:].view(np.uint32))
        np.testing.assert_array_equal(f(x[::3]).view(np.uint32), one[::3].view(np.uint32))


# -------------------------------------------------------------- PyTorch, when present
try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    torch = None


@pytest.mark.skipif(torch is None, reason="torch not installed")
@pytest.mark.parametrize("name,params", [c for c in CASES if c[0] not in ("exponential",)], ids=[
    i for i, c in zip(IDS, CASES) if c[0] != "exponential"])
def test_agrees_with_torch(name, params):
    """Where PyTorch is accurate (float64, moderate x) both agree; pyact's own accuracy
    is proven against the references above."""
    x = np.linspace(-8, 8, 1601)
    t = torch.tensor(x, requires_grad=True)
    tp = dict(params)
    fn = {"swish": lambda v: v * torch.sigmoid(tp.get("beta", 1.0) * v), "log_sigmoid": F.logsigmoid,
          "tanh": torch.tanh, "sigmoid": torch.sigmoid, "selu": F.selu, "mish": F.mish, "tanhshrink": F.tanhshrink,
          "elu": lambda v: F.elu(v, **tp), "celu": lambda v: F.celu(v, **tp),
          "softplus": lambda v: F.softplus(v, **tp), "gelu": lambda v: F.gelu(v, **tp)}[name]
    y = fn(t)
    y.backward(torch.ones_like(t))
    np.testing.assert_allclose(pa.get(name, **params)(x), y.detach().numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(pa.grad(name, np.ones_like(x), x=x, **params), t.grad.numpy(), rtol=1e-11,
                               atol=1e-13)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_selu_overflows_where_the_exact_value_does(isa, dt):
    # Around FLT_MAX/scale (DBL_MAX/scale): inf exactly where scale*x, rounded once from
    # the exact value (mpmath), is inf; the float32 product with a rounded scale gave inf
    # one ulp early.
    x0 = dt(np.finfo(dt).max / 1.0507009873554804934193349852946)
    xs = [x0]
    for _ in range(6):
        xs.append(np.nextafter(xs[-1], dt(np.inf)))
        xs.insert(0, np.nextafter(xs[0], dt(0)))
    x = np.array(xs, dt)
    fi = np.finfo(dt)
    with mp.workdps(60):
        big = mp.mpf(float(fi.max)) + mp.mpf(2) ** (fi.maxexp - fi.nmant - 2)  # max + half its ulp
        scale = mp.mpf("1.0507009873554804934193349852946")
        want_inf = [scale * mp.mpf(float(v)) >= big for v in x]
    with pa.threads(1), np.errstate(over="ignore"):
        got = pa.selu(x)
    assert list(np.isinf(got)) == want_inf, (x, got)
