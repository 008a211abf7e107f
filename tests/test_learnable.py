"""The learnable family (PReLU, SReLU, APL, learnable swish) and RReLU: values and every
gradient against float64 references (tests/reference.py LEARNABLE_REF), finite
differences, PyTorch, thread-count independence, every ISA, dtypes, edge values, errors."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import pyact as pa
from pyact import _catalog
from pyact.learnable import LearnableSwish

from reference import LEARNABLE_REF, splitmix_uniform

try:
    import torch
except ImportError:  # the PyTorch comparisons skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")

# name -> (object factory from per-channel params, params(C, rng) -> dict of arrays)
PARAM_NAMES = {"prelu": ("alpha",), "srelu": ("t_left", "a_left", "t_right", "a_right"), "apl": ("a", "b"),
               "swish": ("beta",)}


def make_params(name: str, c: int, rng, hinges: int = 3) -> dict:
    if name == "prelu":
        return {"alpha": rng.uniform(-0.5, 1.5, c)}
    if name == "srelu":
        tl = rng.uniform(-1.0, 0.0, c)
        return {"t_left": tl, "a_left": rng.uniform(-0.5, 0.5, c), "t_right": tl + rng.uniform(0.5, 1.5, c),
                "a_right": rng.uniform(0.0, 2.0, c)}
    if name == "apl":
        return {"a": rng.uniform(-1, 1, (hinges, c)), "b": rng.uniform(-1.5, 1.5, (hinges, c))}
    return {"beta": rng.uniform(-2.0, 3.0, c)}


def make_object(name: str, params: dict, axis: int = 1):
    c = next(iter(params.values())).shape[-1]
    if name == "prelu":
        act = pa.PReLU(num_parameters=c, axis=axis)
    elif name == "srelu":
        act = pa.SReLU(num_parameters=c, axis=axis, **params)
    elif name == "apl":
        act = pa.APL(hinges=params["a"].shape[0], num_parameters=c, axis=axis, **params)
    else:
        act = LearnableSwish(beta=params["beta"], num_parameters=c, axis=axis)
    for k, v in params.items():
        act.params[k][...] = v  # in place, as an optimiser does
    return act


def functional(name: str, x, params: dict, axis: int = 1, out=None):
    if name == "prelu":
        return pa.prelu(x, params["alpha"], axis=axis, out=out)
    if name == "srelu":
        return pa.srelu(x, axis=axis, out=out, **params)
    if name == "apl":
        return pa.apl(x, params["a"], params["b"], axis=axis, out=out)
    return make_object("swish", params, axis)(x, out=out)


def broadcast(params: dict, ndim: int, axis: int) -> dict:
    """Per-channel arrays reshaped to broadcast against x (APL: hinge axis first)."""
    out = {}
    for k, v in params.items():
        lead = v.shape[:-1]
        shape = [1] * ndim
        if v.shape[-1] > 1:
            shape[axis] = v.shape[-1]
        out[k] = v.reshape(*lead, *shape)
    return out


def reduce_to(d: np.ndarray, like: np.ndarray, axis: int, hinge: bool) -> np.ndarray:
    """Sum a per-element parameter gradient over every axis but the channel's."""
    if hinge:
        return np.stack([reduce_to(d[s], like[s], axis, False) for s in range(d.shape[0])])
    if like.shape[-1] == 1:
        return np.array([d.sum()])
    axes = tuple(i for i in range(d.ndim) if i != axis)
    return d.sum(axis=axes)


def reference(name, x64, g64, params, axis):
    f, grads = LEARNABLE_REF[name]
    b = broadcast(params, x64.ndim, axis)
    y = f(x64, **b)
    dx, dp = grads(g64, x64, **b)
    full = {k: reduce_to(v, params[k], axis, name == "apl") for k, v in dp.items()}
    scale = {k: reduce_to(np.abs(v), params[k], axis, name == "apl") for k, v in dp.items()}
    return y, dx, full, scale


def rounded(params: dict, dtype) -> dict:
    """The parameters the kernel computes with (float16 is computed in float32)."""
    ct = np.float64 if dtype == np.float64 else np.float32
    return {k: v.astype(ct).astype(np.float64) for k, v in params.items()}


def tol(dtype) -> float:
    return {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-13}[np.dtype(dtype).type]


def assert_close(got, want, rtol, scale=None, what=""):
    got = np.asarray(got, np.float64)
    scale = np.abs(want) if scale is None else scale
    err = np.abs(got - want)
    ok = (err <= rtol * np.maximum(scale, 1.0)) | (got == want)
    assert ok.all(), f"{what}: max error {err[~ok].max()} at {np.argwhere(~ok)[0]} (got {got[~ok][0]}, want {want[~ok][0]})"


# (shape, axis): 2-D (batch, features); 4-D NCHW small inner (lanes) and large inner (rows);
# channel last; a middle axis; a shared parameter (C = 1).
SHAPES = [((7, 5), 1), ((3, 4, 5, 6), 1), ((2, 3, 9, 13), 1), ((4, 6, 5), -1), ((5, 3, 70), 1),
          ((33, 1), 1), ((6, 2, 3), 0)]


@pytest.mark.parametrize("name", list(LEARNABLE_REF))
@pytest.mark.parametrize("shape,axis", SHAPES, ids=lambda v: str(v))
def test_against_reference(isa, dtype, name, shape, axis):
    rng = np.random.default_rng(hash((name, shape)) % 2**32)
    c = shape[axis]
    params = make_params(name, c, rng)
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    act = make_object(name, params, axis)
    y = act(x)
    dx = act.backward(g, x=x)
    assert y.dtype == dtype and dx.dtype == dtype and y.shape == shape
    want_y, want_dx, want_dp, scale = reference(name, x.astype(np.float64), g.astype(np.float64),
                                                rounded(params, dtype), axis % len(shape))
    assert_close(y, want_y, tol(dtype), np.abs(want_y) + np.abs(x), what=f"{name} forward")
    assert_close(dx, want_dx, 4 * tol(dtype), np.abs(want_dx) + np.abs(g), what=f"{name} dx")
    for k, v in want_dp.items():
        assert act.grads[k].shape == params[k].shape and act.grads[k].dtype == np.float64
        assert_close(act.grads[k], v, 4 * tol(dtype) if dtype != np.float16 else 1e-5, scale[k] + 1.0,
                     what=f"{name} d{k}")
    np.testing.assert_array_equal(functional(name, x, params, axis), y)


@pytest.mark.parametrize("name", list(LEARNABLE_REF))
def test_shared_parameter(name):
    rng = np.random.default_rng(1)
    params = make_params(name, 1, rng)
    x = rng.standard_normal((3, 4, 50))
    g = rng.standard_normal(x.shape)
    act = make_object(name, params)
    y, dx = act(x), act.backward(g, x=x)
    want_y, want_dx, want_dp, _ = reference(name, x, g, params, 1)
    np.testing.assert_allclose(y, want_y, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-13, atol=1e-14)
    for k, v in want_dp.items():
        assert act.grads[k].shape == params[k].shape
        np.testing.assert_allclose(act.grads[k], v, rtol=1e-11, atol=1e-11)


def numeric_grad(fun, p: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(p)
    for i in np.ndindex(p.shape):
        old = p[i]
        p[i] = old + h
        up = fun()
        p[i] = old - h
        down = fun()
        p[i] = old
        out[i] = (up - down) / (2 * h)
    return out


@pytest.mark.parametrize("name", list(LEARNABLE_REF))
@pytest.mark.parametrize("shape,axis", [((6, 3), 1), ((2, 3, 4, 5), 1), ((2, 3, 40), 1)], ids=str)
def test_finite_differences(name, shape, axis):
    """Every parameter gradient and dL/dx against central differences of the forward."""
    rng = np.random.default_rng(7)
    params = make_params(name, shape[axis], rng)
    act = make_object(name, params, axis)
    x = rng.uniform(-3, 3, shape)
    # keep x away from every kink so the difference quotient is the derivative
    kinks = [np.zeros(1)] + [np.ravel(act.params[k]) for k in ("t_left", "t_right", "b") if k in act.learnable]
    for kink in kinks:
        for t in kink:
            x = np.where(np.abs(x - t) < 1e-3, x + 3e-3, x)
    w = rng.standard_normal(shape)
    act(x)
    act.backward(w, x=x)
    for k in act.learnable:
        num = numeric_grad(lambda: float(np.sum(w * act(x))), act.params[k])
        np.testing.assert_allclose(act.grads[k], num, rtol=1e-6, atol=1e-7, err_msg=f"{name} d{k}")
    num_x = numeric_grad(lambda: float(np.sum(w * act(x))), x)
    np.testing.assert_allclose(act.backward(w, x=x), num_x, rtol=1e-6, atol=1e-7, err_msg=f"{name} dx")


@pytest.mark.parametrize("name", list(LEARNABLE_REF))
@pytest.mark.parametrize("shape", [(64, 8, 33, 31), (4099, 61), (300001,)], ids=str)
def test_thread_count_independent(name, shape):
    rng = np.random.default_rng(3)
    axis = 1 if len(shape) > 1 else 0
    c = shape[axis] if len(shape) > 1 else 1
    params = make_params(name, c, rng)
    x = rng.standard_normal(shape).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    runs = []
    for n in (1, 2, 3, 4):
        with pa.threads(n):
            act = make_object(name, params, axis)
            y = act(x)
            dx = act.backward(g, x=x)
            runs.append((y, dx, act.grads))
    for y, dx, grads in runs[1:]:
        assert y.tobytes() == runs[0][0].tobytes()
        assert dx.tobytes() == runs[0][1].tobytes()
        for k in grads:
            assert grads[k].tobytes() == runs[0][2][k].tobytes(), k


def _grads_of(name: str, params: dict, x, g, threads: int) -> dict:
    with pa.threads(threads):
        act = make_object(name, params)
        act(x)
        act.backward(g, x=x)
    return act.grads


@pytest.mark.parametrize("name", list(LEARNABLE_REF))
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(100000, 16), (50, 8, 301), (64, 16, 256)], ids=str)
def test_channel_slice_same_gradient_bits(name, dt, shape):
    """SPEC §6: the parameter gradients of a slice of the channel axis are the bits of the
    same channels' in the whole array (a channel's summation order is its own), at 1 and 2
    threads (lanes traversal for (100000, 16), rows for the others)."""
    rng = np.random.default_rng(13)
    c = shape[1]
    params = make_params(name, c, rng)
    x = rng.standard_normal(shape).astype(dt)
    g = rng.standard_normal(shape).astype(dt)
    whole = _grads_of(name, params, x, g, 2)
    for k, v in _grads_of(name, params, x, g, 1).items():
        assert v.tobytes() == whole[k].tobytes(), k
    for sl in (slice(0, 4), slice(5, c - 1)):
        part = _grads_of(name, {k: v[..., sl] for k, v in params.items()}, x[:, sl], g[:, sl], 1)
        for k, v in part.items():
            assert v.tobytes() == np.ascontiguousarray(whole[k][..., sl]).tobytes(), (k, sl)


@pytest.mark.parametrize("shape,dt", [((8, 17000, 64), np.float32), ((64, 24000, 3), np.float64)],
                         ids=["rows-float32", "lanes-float64"])
def test_channel_slice_same_bits_past_the_partials_cap(shape, dt):
    """Enough channels x parameters (APL, 8 hinges) that the kernel holds the partial sums
    of only a block of channels at a time (rows and lanes traversals): the same bits as a
    slice that fits at once, and the float64 reference's values."""
    rng = np.random.default_rng(14)
    c = shape[1]
    params = make_params("apl", c, rng, hinges=8)
    x = (rng.standard_normal(shape) * 2).astype(dt)
    g = rng.standard_normal(shape).astype(dt)
    whole = _grads_of("apl", params, x, g, 2)
    sl = slice(c // 2 - 7, c - 3)  # straddles where the kernel's blocks of channels meet
    part = _grads_of("apl", {k: v[..., sl] for k, v in params.items()}, x[:, sl], g[:, sl], 1)
    for k, v in part.items():
        assert v.tobytes() == np.ascontiguousarray(whole[k][..., sl]).tobytes(), k
    idx = np.r_[0:c:997, c - 1]  # channels from both sides of the meeting point
    _, _, want, scale = reference("apl", x[:, idx].astype(np.float64), g[:, idx].astype(np.float64),
                                  rounded({k: v[..., idx] for k, v in params.items()}, dt), 1)
    for k, v in want.items():
        assert_close(whole[k][..., idx], v, 4 * tol(dt), scale[k] + 1.0, what=f"apl d{k}")


def test_float32_gradient_accumulates_in_float64():
    """A 4M-element alpha-gradient: float32 accumulation would be off by ~1e-4 relative."""
    x = -np.ones((1 << 22,), np.float32) * np.float32(0.1)
    g = np.ones_like(x)
    act = pa.PReLU()
    act(x)
    act.backward(g, x=x)
    want = (1 << 22) * float(np.float32(0.1))
    assert abs(act.grads["alpha"][0] + want) <= 1e-9 * want


@pytest.mark.parametrize("name", list(LEARNABLE_REF))
@pytest.mark.parametrize("n", [1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 163])
def test_sizes_around_vector_width(isa, name, n):
    """Rows of every length around the vector width (row and lane traversals, tails)."""
    rng = np.random.default_rng(n)
    params = make_params(name, 3, rng)
    for shape in ((2, 3, n), (n, 3)):
        x = rng.standard_normal(shape).astype(np.float32)
        g = rng.standard_normal(shape).astype(np.float32)
        act = make_object(name, params)
        y, dx = act(x), act.backward(g, x=x)
        want_y, want_dx, want_dp, scale = reference(name, x.astype(np.float64), g.astype(np.float64),
                                                    rounded(params, np.float32), 1)
        assert_close(y, want_y, 2e-6, np.abs(want_y) + np.abs(x), what="y")
        assert_close(dx, want_dx, 8e-6, np.abs(want_dx) + np.abs(g), what="dx")
        for k, v in want_dp.items():
            assert_close(act.grads[k], v, 8e-6, scale[k] + 1.0, what=k)


@pytest.mark.parametrize("name", list(LEARNABLE_REF))
def test_edge_values(isa, name, dtype):
    rng = np.random.default_rng(0)
    params = make_params(name, 1, rng)
    with np.errstate(over="ignore"):
        x = np.array([np.nan, 0.0, -0.0, np.inf, -np.inf, 1e-40, -1e-40, 3e38, -3e38, 1.0, -1.0], np.float64)
        x = x.astype(dtype)
    g = np.ones_like(x)
    act = make_object(name, params)
    y, dx = act(x), act.backward(g, x=x)
    assert np.isnan(y[0]) and np.isnan(dx[0])
    assert not np.isnan(y[1:]).any(), y
    assert not np.isnan(dx[1:]).any(), dx
    for k in act.learnable:
        assert np.isnan(act.grads[k]).all(), k  # NaN in x is not silently dropped
    act(x[1:])
    act.backward(g[1:], x=x[1:])
    for k in act.learnable:
        assert not np.isnan(act.grads[k]).any(), (k, act.grads[k])
    finite = np.isfinite(x)
    want_y, want_dx, _, _ = reference(name, x[finite].astype(np.float64), g[finite].astype(np.float64),
                                      rounded(params, dtype), 0)
    with np.errstate(over="ignore"):
        assert_close(y[finite], want_y.astype(dtype).astype(np.float64), tol(dtype), np.abs(want_y), what="y")


def test_infinite_limits():
    x = np.array([np.inf, -np.inf])
    np.testing.assert_array_equal(pa.prelu(x, 0.25), [np.inf, -np.inf])
    np.testing.assert_array_equal(pa.prelu(x, 0.0), [np.inf, 0.0])  # 0 * -inf is the limit 0
    np.testing.assert_array_equal(pa.srelu(x, 0.0, 0.0, 1.0, 1.0), [np.inf, 0.0])
    np.testing.assert_array_equal(pa.apl(x, [0.5], [0.0]), [np.inf, np.inf])
    sw = LearnableSwish(beta=1.0)
    np.testing.assert_array_equal(sw(x), [np.inf, 0.0])
    np.testing.assert_array_equal(sw.backward(np.ones(2), x=x), [1.0, 0.0])
    np.testing.assert_array_equal(sw.grads["beta"], [0.0])
    sw0 = LearnableSwish(beta=0.0)
    np.testing.assert_array_equal(sw0(x), [np.inf, -np.inf])
    big = LearnableSwish(beta=1.0)
    xs = np.array([-1e4, 1e4, -200.0], np.float32)
    assert np.isfinite(big.backward(np.ones(3, np.float32), x=xs)).all()
    assert np.isfinite(big.grads["beta"]).all()


# ---- PyTorch ---------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("shape", [(8, 5), (3, 5, 4, 6), (2, 5, 40)], ids=str)
@pytest.mark.parametrize("c", [1, 5])
def test_prelu_matches_torch(shape, c):
    rng = np.random.default_rng(11)
    x = rng.standard_normal(shape)
    x[0, 0] = 0.0
    g = rng.standard_normal(shape)
    alpha = rng.uniform(-0.5, 0.5, c)
    m = torch.nn.PReLU(num_parameters=c).double()
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(alpha))
    xt = torch.from_numpy(x).requires_grad_(True)
    yt = m(xt)
    yt.backward(torch.from_numpy(g))
    act = pa.PReLU(c)
    act.params["alpha"][...] = alpha
    y = act(x)
    dx = act.backward(g, x=x)
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_array_equal(dx, xt.grad.numpy())
    np.testing.assert_allclose(act.grads["alpha"], m.weight.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(pa.grad("prelu", g, x=x, alpha=alpha), xt.grad.numpy())


@needs_torch
def test_rrelu_eval_matches_torch():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 7)) * 3
    x[0, :3] = [0.0, -0.0, np.nan]
    g = rng.standard_normal(x.shape)
    for lower, upper in ((1 / 8, 1 / 3), (0.0, 0.5), (0.2, 0.2)):
        xt = torch.from_numpy(x).requires_grad_(True)
        yt = torch.nn.functional.rrelu(xt, lower, upper, training=False)
        yt.backward(torch.from_numpy(g))
        np.testing.assert_array_equal(pa.rrelu(x, lower, upper), yt.detach().numpy())
        np.testing.assert_array_equal(pa.grad("rrelu", g, x=x, lower=lower, upper=upper)[1:], xt.grad.numpy()[1:])
        act = pa.RReLU(lower, upper).eval()
        np.testing.assert_array_equal(act(x), yt.detach().numpy())


# ---- RReLU -----------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 7, 8, 9, 33, 1000, 70001])
def test_rrelu_training_slopes_are_the_documented_generator(isa, dtype, n):
    seed = 12345678901234567
    x = -np.ones(n, dtype)
    y = pa.rrelu(x, 0.1, 0.3, training=True, seed=seed)
    u = splitmix_uniform(seed, n, np.float64 if dtype == np.float64 else np.float32)
    ct = u.dtype
    slope = ct.type(0.1) + (ct.type(0.3) - ct.type(0.1)) * u
    np.testing.assert_array_equal(y, (-slope).astype(dtype))
    g = np.full(n, 2.0, dtype)
    np.testing.assert_array_equal(pa.grad("rrelu", g, x=x, lower=0.1, upper=0.3, training=True, seed=seed),
                                  (2 * slope).astype(dtype))


def test_rrelu_distribution_and_positive_part():
    x = np.concatenate([-np.ones(200000), np.linspace(0.1, 5, 100)])
    y = pa.rrelu(x, 1 / 8, 1 / 3, training=True, seed=1)
    slopes = -y[:200000]
    assert slopes.min() >= 1 / 8 and slopes.max() < 1 / 3
    assert abs(slopes.mean() - (1 / 8 + 1 / 3) / 2) < 1e-3
    hist, _ = np.histogram(slopes, bins=20, range=(1 / 8, 1 / 3))
    assert hist.min() > 0.9 * hist.mean()
    np.testing.assert_array_equal(y[200000:], x[200000:])


def test_rrelu_threads_strides_and_backward_regenerates():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 1001)).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    outs = []
    for n in (1, 2, 3):
        with pa.threads(n):
            outs.append((pa.rrelu(x, training=True, seed=9), pa.grad("rrelu", g, x=x, training=True, seed=9)))
    for y, dx in outs[1:]:
        assert y.tobytes() == outs[0][0].tobytes() and dx.tobytes() == outs[0][1].tobytes()
    y, dx = outs[0]
    neg = x < 0
    np.testing.assert_allclose(dx[neg] / g[neg], y[neg] / x[neg], rtol=1e-6)
    # an F-ordered copy is the same array: the slope of an element follows its C-order index
    np.testing.assert_array_equal(pa.rrelu(np.asfortranarray(x), training=True, seed=9), y)
    # from y (lower >= 0): the same gradient
    np.testing.assert_array_equal(pa.grad("rrelu", g, y=y, training=True, seed=9), dx)


def test_rrelu_object_train_eval_seed():
    np.random.seed(123)
    a = pa.RReLU()
    np.random.seed(123)
    b = pa.RReLU()
    assert a.seed == b.seed and isinstance(a.seed, int)
    assert a.training
    x = -np.ones(1000)
    ya = a(x)
    np.testing.assert_array_equal(ya, pa.rrelu(x, training=True, seed=a.seed))  # first call: the seed itself
    np.testing.assert_array_equal(ya, b(x))
    g = np.ones_like(x)
    np.testing.assert_array_equal(a.backward(g, x=x), -ya)  # the slopes of the last forward
    ya2 = a(x)
    assert not np.array_equal(ya, ya2)  # a new draw per training forward, as PyTorch
    np.testing.assert_array_equal(a.backward(g, x=x), -ya2)
    np.testing.assert_array_equal(ya2, b(x))
    a.eval()
    assert not a.training
    np.testing.assert_allclose(a(x), -np.full(1000, (1 / 8 + 1 / 3) / 2), rtol=1e-15)
    assert a.train() is a and a.training
    c = pickle.loads(pickle.dumps(a))
    d = copy.deepcopy(a)
    np.testing.assert_array_equal(c(x), d(x))
    assert repr(pa.RReLU(0.1, 0.2, seed=5)) == "RReLU(lower=0.1, upper=0.2, seed=5, training=True)"
    assert pa.get("rrelu", lower=0.2, upper=0.3, seed=1).params["lower"] == 0.2


def test_rrelu_errors():
    with pytest.raises(ValueError, match="lower"):
        pa.RReLU(lower=0.5, upper=0.1)
    with pytest.raises(ValueError, match="lower"):
        pa.rrelu(np.ones(3), lower=0.5, upper=0.1)
    with pytest.raises(ValueError, match="seed"):
        pa.RReLU(seed=-1)
    with pytest.raises(ValueError, match="seed"):
        pa.grad("rrelu", np.ones(3), x=np.ones(3), training=True)
    with pytest.raises(ValueError, match="seed"):
        pa.RReLU(seed=1.5)
    with pytest.raises(TypeError):
        pa.get("rrelu", slope=0.1)


# ---- objects, parameters, arrays -------------------------------------------------------
def test_params_grads_and_in_place_updates():
    act = pa.PReLU(num_parameters=3, init=0.1)
    assert act.learnable == ("alpha",)
    assert act.params["alpha"].dtype == np.float64 and act.params["alpha"].shape == (3,)
    x = -np.ones((2, 3, 4))
    np.testing.assert_array_equal(act(x), -0.1)
    act.params["alpha"][:] = [0.5, 1.0, 2.0]  # an optimiser's in-place step
    np.testing.assert_array_equal(act(x)[0, :, 0], [-0.5, -1.0, -2.0])
    act.alpha = [1.0, 1.0, 1.0]
    np.testing.assert_array_equal(act(x), x)
    with pytest.raises(ValueError, match="shape"):
        act.alpha = [1.0, 2.0]
    act.backward(np.ones_like(x), x=x)
    np.testing.assert_array_equal(act.grads["alpha"], [-8.0, -8.0, -8.0])
    assert pa.get("prelu", num_parameters=3).params["alpha"].shape == (3,)
    assert repr(pa.PReLU(4)) == "PReLU(num_parameters=4, init=0.25, axis=1)"
    s = pa.SReLU(num_parameters=2, t_left=[-1.0, -2.0])
    assert s.learnable == ("t_left", "a_left", "t_right", "a_right")
    np.testing.assert_array_equal(s.params["t_left"], [-1.0, -2.0])
    np.testing.assert_array_equal(s.params["a_right"], [1.0, 1.0])
    ap = pa.APL(hinges=3, num_parameters=2)
    assert ap.params["a"].shape == (3, 2) and not ap.params["a"].any()
    np.testing.assert_array_equal(ap.params["b"][:, 1], [-1.0, 0.0, 1.0])
    for obj in (act, s, ap):
        for clone in (pickle.loads(pickle.dumps(obj)), copy.deepcopy(obj)):
            assert clone == obj and clone.params[obj.learnable[0]] is not obj.params[obj.learnable[0]]
            np.testing.assert_array_equal(clone(x[:, :2]) if obj is not act else clone(x), obj(x[:, :2]) if obj is not act else obj(x))


def test_layouts_and_out():
    rng = np.random.default_rng(4)
    base = rng.standard_normal((6, 4, 10))
    alpha = rng.uniform(0, 1, 4)
    want = pa.prelu(np.ascontiguousarray(base), alpha)
    np.testing.assert_array_equal(pa.prelu(np.asfortranarray(base), alpha), want)
    view = np.repeat(base, 2, axis=2)[:, :, ::2]
    np.testing.assert_array_equal(pa.prelu(view, alpha), want)
    np.testing.assert_array_equal(pa.prelu(base[::-1], alpha), want[::-1])
    x = base.copy()
    assert pa.prelu(x, alpha, out=x) is x
    np.testing.assert_array_equal(x, want)
    out = np.empty((6, 4, 20))[:, :, ::2]
    pa.prelu(base, alpha, out=out)
    np.testing.assert_array_equal(out, want)
    g = rng.standard_normal(base.shape)
    act = pa.PReLU(4)
    dx = act.backward(g, x=base)
    gg = g.copy()
    assert act.backward(gg, x=base, out=gg) is gg
    np.testing.assert_array_equal(gg, dx)
    assert pa.prelu(np.zeros((0, 4)), alpha).shape == (0, 4)
    act.backward(np.zeros((0, 4, 3)), x=np.zeros((0, 4, 3)))
    np.testing.assert_array_equal(act.grads["alpha"], np.zeros(4))
    assert pa.prelu(np.float64(-2.0), 0.5) == -1.0
    assert pa.prelu([-2, 3], 0.5).dtype == np.float64
    assert pa.prelu(np.array([-2.0], np.float16), 0.5).dtype == np.float16


def test_errors():
    x = np.ones((2, 3, 4))
    with pytest.raises(ValueError, match=r"alpha has 5 values but x.shape\[1\] = 3"):
        pa.prelu(x, np.ones(5))
    with pytest.raises(ValueError, match="alpha has 4"):
        pa.PReLU(4)(x)
    with pytest.raises(ValueError, match="out of range"):
        pa.prelu(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="hinges"):
        pa.APL(hinges=0)
    with pytest.raises(ValueError, match="num_parameters"):
        pa.PReLU(0)
    with pytest.raises(ValueError, match="num_parameters"):
        pa.PReLU(2.5)
    with pytest.raises(ValueError, match="init"):
        pa.PReLU(init=float("nan"))
    with pytest.raises(ValueError, match="same number of hinges"):
        pa.apl(x, np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="channel count"):
        pa.srelu(x, t_left=np.zeros(3), a_left=np.zeros(2))
    with pytest.raises(ValueError, match="b has shape"):
        pa.APL(hinges=2, num_parameters=3, b=np.zeros((3, 3)))
    with pytest.raises(TypeError, match="real"):
        pa.prelu(x, np.array(["a"]))
    with pytest.raises(TypeError, match="alfa"):
        pa.grad("prelu", x, x=x, alfa=0.1)
    with pytest.raises(TypeError, match="x="):
        pa.PReLU().backward(x, y=x)
    out = np.full((2, 3, 5), 7.0)
    with pytest.raises(ValueError, match="shape"):
        pa.prelu(x, 0.1, out=out)
    assert (out == 7.0).all()
    with pytest.raises(TypeError, match="dtype"):
        pa.prelu(x, 0.1, out=np.empty(x.shape, np.float32))
    with pytest.raises(TypeError):
        pa.prelu(x.astype(complex), 0.1)


def test_catalog_and_grad_functions():
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    for name in ("prelu", "srelu", "apl", "rrelu"):
        assert name in pa.available() and _catalog.by_name(name).family == "learnable"
        act = pa.get(name)
        assert act.name == name
        if name != "rrelu":  # defaults: the objects' initial values
            np.testing.assert_array_equal(getattr(pa, name)(x), act(x))
            np.testing.assert_array_equal(pa.grad(name, np.ones_like(x), x=x), act.backward(np.ones_like(x), x=x))
    np.testing.assert_array_equal(pa.apl(x, a=[[0.5, 0.1, 0.2, 0.3]] * 3),
                                  pa.apl(x, [[0.5, 0.1, 0.2, 0.3]] * 3, np.linspace(-1, 1, 3)))
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 2, 5))
    g = rng.standard_normal(x.shape)
    p = make_params("srelu", 2, rng)
    act = make_object("srelu", p)
    act(x)
    np.testing.assert_array_equal(pa.grad("srelu", g, x=x, **p), act.backward(g, x=x))
    p = make_params("apl", 2, rng)
    act = make_object("apl", p)
    np.testing.assert_array_equal(pa.grad("apl", g, x=x, **p), act.backward(g, x=x))


@pytest.mark.skipif(_catalog.by_name("swish") is None, reason="swish (vmath) not in this catalog")
def test_swish_routes_learnable():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 3, 5))
    g = rng.standard_normal(x.shape)
    act = pa.get("swish", learnable=True, num_parameters=3)
    assert isinstance(act, LearnableSwish) and act.name == "swish" and act.learnable == ("beta",)
    np.testing.assert_array_equal(act.params["beta"], np.ones(3))
    y = act(x)
    np.testing.assert_allclose(y, pa.swish(x), rtol=1e-14, atol=1e-300)
    beta = np.array([0.5, 1.0, 2.0])
    act.params["beta"][:] = beta
    np.testing.assert_array_equal(pa.swish(x, beta=beta), act(x))
    np.testing.assert_array_equal(pa.grad("swish", g, x=x, beta=beta), act.backward(g, x=x))
    assert act.grads["beta"].shape == (3,)
    assert not isinstance(pa.get("swish"), LearnableSwish)
    assert not isinstance(pa.get("swish", beta=2.0, learnable=False), LearnableSwish)
    shared = pa.get("swish", learnable=True)
    assert shared.params["beta"].shape == (1,)
    c = pickle.loads(pickle.dumps(act))
    np.testing.assert_array_equal(c(x), act(x))
