"""The functions along an axis (SPEC §4.3): softmax, log_softmax, softmin, glu, maxout.

Values against the float64 references of tests/reference.py (AXIS_REF) and PyTorch,
gradients against those, PyTorch's autograd and central differences; every ISA; the
special rows; shapes, axes, strides, out=, errors; bits independent of threads and layout.
"""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import pyact as pa
from pyact import _core
from reference import AXIS_REF

SOFTMAXES = ("softmax", "log_softmax", "softmin")
ALL = (*SOFTMAXES, "glu", "maxout")
AxisError = getattr(np, "exceptions", np).AxisError

# (shape, axis): rows of length 1, 3, 10, 200, 1000; strided axes; more than one chunk.
CASES = [((7,), -1), ((4, 1), -1), ((5, 3), 1), ((6, 10), -1), ((2, 1000), -1), ((3, 4, 6), 1),
         ((3, 4, 6), 0), ((5, 17, 33), -2), ((2, 9000), 1), ((4500, 3), 0), ((3, 2, 130), 1),
         ((5, 200), -1),  # rows of 145-512: kept two at a time on AVX-512 (float32, float16)
         ((3, 4096), -1)]  # kept on AVX-512 (up to 16 KiB), three passes elsewhere


def rng(seed=0):
    return np.random.default_rng(seed)


def sample(shape, dtype=np.float64, seed=0, scale=3.0):
    return (rng(seed).standard_normal(shape) * scale).astype(dtype)


def tol(dtype, name):
    """(rtol, atol) against the float64 reference of the rounded input: the kernels round
    x - max (error |x - max|·eps relative in exp) and a few more times."""
    eps = float(np.finfo(np.float32 if dtype == np.float16 else dtype).eps)
    if dtype == np.float16:
        return 2e-3, 2e-3 if name == "log_softmax" else 1e-6
    tiny = float(np.finfo(np.float32 if dtype == np.float16 else dtype).smallest_normal)  # denormal results
    return 40 * eps, (40 * eps if name == "log_softmax" else tiny)


def params_for(name, shape, axis):
    return {"axis": axis, **({"pieces": 3 if shape[axis] % 3 == 0 else 2} if name == "maxout" else {})}


def fits(name, shape, axis, p):
    n = shape[axis]
    return not (name == "glu" and n % 2) and not (name == "maxout" and n % p["pieces"])


def ref_fwd(name, x, **p):
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return AXIS_REF[name][0](x.astype(np.float64), **p)


def ref_vjp(name, g, x, **p):
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return AXIS_REF[name][1](g.astype(np.float64), x.astype(np.float64), **p)


def assert_close(got, want, dtype, name):
    rtol, atol = tol(dtype, name)
    with np.errstate(over="ignore"):  # the reference rounded to the dtype (float32: -6e38 is -inf)
        want = want.astype(dtype).astype(np.float64)
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=rtol, atol=atol, equal_nan=True)


# --- values ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,axis", CASES, ids=str)
@pytest.mark.parametrize("name", ALL)
def test_forward_and_backward_vs_reference(isa, dtype, name, shape, axis):
    p = params_for(name, shape, axis)
    if not fits(name, shape, axis, p):
        pytest.skip("axis length does not fit this function")
    x = sample(shape, dtype)
    y = getattr(pa, name)(x, **p)
    assert y.dtype == dtype and y.shape == ref_fwd(name, x, **p).shape
    assert_close(y, ref_fwd(name, x, **p), dtype, name)
    g = sample(y.shape, dtype, seed=1, scale=1.0)
    gx = pa.grad(name, g, x=x, **p)
    assert gx.dtype == dtype and gx.shape == x.shape
    want = ref_vjp(name, g, x, **p)
    rtol, _ = tol(dtype, name)
    # cancellation in g - Σg·y: compare against the scale of the terms
    scale = np.abs(g.astype(np.float64)).max() * (np.abs(x.astype(np.float64)).max() + 1 if name == "glu" else 1)
    np.testing.assert_allclose(gx.astype(np.float64), want, rtol=rtol, atol=rtol * scale * 4)
    if name in SOFTMAXES:  # from y: the same, to rounding
        gy = pa.grad(name, g, y=y, **p)
        np.testing.assert_allclose(gy.astype(np.float64), want, rtol=rtol * 4, atol=rtol * scale * 8)


@pytest.mark.parametrize("name", SOFTMAXES)
def test_long_row_sums_to_one_and_threads_bit_identical(isa, name):
    x = sample((1, 1 << 20), np.float32, scale=4.0)
    with pa.threads(1):
        y1 = getattr(pa, name)(x)
        g = sample(x.shape, np.float32, seed=2, scale=1.0)
        b1 = pa.grad(name, g, y=y1)
    with pa.threads(2):
        y2 = getattr(pa, name)(x)
        b2 = pa.grad(name, g, y=y2)
    assert y1.tobytes() == y2.tobytes() and b1.tobytes() == b2.tobytes()
    p = np.exp(y1.astype(np.float64)) if name == "log_softmax" else y1.astype(np.float64)
    assert abs(p.sum() - 1.0) < 1e-6
    assert_close(y1, ref_fwd(name, x), np.float32, name)


def test_many_rows_threads_and_layouts_bit_identical(isa):
    x = sample((300, 70), np.float32)
    with pa.threads(1):
        a = pa.softmax(x, axis=0)
    with pa.threads(2):
        b = pa.softmax(x, axis=0)
        c = pa.softmax(np.ascontiguousarray(x.T), axis=1).T     # the row path
        d = pa.softmax(np.asfortranarray(x), axis=0)             # through the transpose
        e = pa.softmax(x[:, 5:40], axis=0)                       # a slice: the same columns
        f = pa.softmax(x[:, ::-3], axis=0)                       # negative strides
    for r in (b, c, d):
        assert r.tobytes() == a.tobytes()
    assert e.tobytes() == np.ascontiguousarray(a[:, 5:40]).tobytes()
    assert f.tobytes() == np.ascontiguousarray(a[:, ::-3]).tobytes()
    g = sample(x.shape, np.float32, seed=3)
    for name in SOFTMAXES:
        y = getattr(pa, name)(x, axis=0)
        r0 = pa.grad(name, g, y=y, axis=0)
        r1 = pa.grad(name, np.ascontiguousarray(g.T), y=np.ascontiguousarray(y.T), axis=1).T
        assert r0.tobytes() == np.ascontiguousarray(r1).tobytes()


# Many short rows that would leave vector lanes idle (via_columns in axis.h: here rows of
# 3, 10 and 17) go through the column kernel in blocks of 128, transposed in tiles of a
# vector's width: blocks with a partial tile of rows, rows shorter and longer than a
# vector, a thread's last rows (whose tile may not read past them).
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("n", [3, 8, 10, 17, 32])
def test_many_short_rows_vs_reference(isa, dtype, n):
    x = sample((1003, n), dtype, seed=n, scale=4.0)
    g = sample(x.shape, dtype, seed=n + 1, scale=1.0)
    for name in SOFTMAXES:
        with pa.threads(1):
            y = getattr(pa, name)(x)
            gx = pa.grad(name, g, y=y)
        with pa.threads(2):
            _core._set_grain(100)  # rows split between the threads at odd places
            try:
                assert getattr(pa, name)(x).tobytes() == y.tobytes()
                assert getattr(pa, name)(x[1:]).tobytes() == y[1:].tobytes()
                assert pa.grad(name, g[1:], y=y[1:]).tobytes() == gx[1:].tobytes()
            finally:
                _core._set_grain(0)
        assert_close(y, ref_fwd(name, x), dtype, name)
        rtol, _ = tol(dtype, name)
        scale = np.abs(g.astype(np.float64)).max()
        np.testing.assert_allclose(gx.astype(np.float64), ref_vjp(name, g, x), rtol=rtol * 4, atol=rtol * scale * 8)


# Softmax's backward of short rows goes by columns while the arrays are small (axis.h,
# kColumnsCached, off AVX-512) and as kept rows past that size: the same bits either way.
COLUMNS_CACHED = 1 << 18  # axis.h's kColumnsCached: elements of an array


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [3, 5, 9, 10])
def test_short_row_gradients_same_bits_by_columns_and_as_kept_rows(isa, dtype, n):
    rows = COLUMNS_CACHED // n + 64
    x = sample((rows, n), dtype, seed=n, scale=4.0)
    g = sample(x.shape, dtype, seed=n + 1, scale=1.0)
    for name in SOFTMAXES:
        y = getattr(pa, name)(x)
        whole = pa.grad(name, g, y=y)
        part = pa.grad(name, g[:1000], y=y[:1000])
        assert part.tobytes() == whole[:1000].tobytes()


@pytest.mark.parametrize("name", ALL)
def test_row_position_and_row_length_around_vector_width(isa, name):
    # Every length around the vector widths, the row alone or inside a bigger array.
    for n in (1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100):
        p = {**params_for(name, (n,), 0), "axis": -1}
        if not fits(name, (n,), 0, p):
            continue
        x = sample((5, n), np.float32, seed=n)
        whole = getattr(pa, name)(x, **p)
        alone = getattr(pa, name)(x[3:4].copy(), **p)
        assert alone.tobytes() == whole[3:4].tobytes()
        assert_close(whole, ref_fwd(name, x, **p), np.float32, name)
        cols = getattr(pa, name)(np.ascontiguousarray(x.T), **{**p, "axis": 0})
        assert np.ascontiguousarray(cols.T).tobytes() == whole.tobytes()


def test_against_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for shape, axis in [((64, 10), -1), ((8, 1000), 1), ((4, 6, 5), 1), ((3, 4, 8), 0)]:
        x = sample(shape, np.float64)
        g = sample(shape, np.float64, seed=5)
        for name in SOFTMAXES:
            t = torch.tensor(x, requires_grad=True)
            ty = getattr(F, name)(t, dim=axis)
            ty.backward(torch.tensor(g))
            np.testing.assert_allclose(getattr(pa, name)(x, axis=axis), ty.detach().numpy(), rtol=1e-12, atol=1e-300)
            np.testing.assert_allclose(pa.grad(name, g, x=x, axis=axis), t.grad.numpy(), rtol=1e-10, atol=1e-14)
            np.testing.assert_allclose(pa.grad(name, g, y=ty.detach().numpy(), axis=axis), t.grad.numpy(),
                                       rtol=1e-10, atol=1e-14)
            x32 = x.astype(np.float32)
            np.testing.assert_allclose(getattr(pa, name)(x32, axis=axis),
                                       getattr(F, name)(torch.tensor(x32), dim=axis).numpy(), rtol=1e-5, atol=1e-6)
        if shape[axis] % 2 == 0:
            t = torch.tensor(x, requires_grad=True)
            ty = F.glu(t, dim=axis)
            gg = sample(tuple(ty.shape), np.float64, seed=6)
            ty.backward(torch.tensor(gg))
            np.testing.assert_allclose(pa.glu(x, axis=axis), ty.detach().numpy(), rtol=1e-13)
            np.testing.assert_allclose(pa.grad("glu", gg, x=x, axis=axis), t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_maxout_against_torch_amax_autograd():
    torch = pytest.importorskip("torch")
    x = np.round(sample((6, 12), np.float64), 0)   # many ties
    t = torch.tensor(x, requires_grad=True)
    y = t.reshape(6, 4, 3).max(dim=-1).values       # torch's max routes to one index per group
    g = sample((6, 4), np.float64, seed=7)
    y.backward(torch.tensor(g))
    np.testing.assert_array_equal(pa.maxout(x, pieces=3), y.detach().numpy())
    ours = pa.grad("maxout", g, x=x, pieces=3)
    np.testing.assert_array_equal(ours, ref_vjp("maxout", g, x, pieces=3))
    np.testing.assert_allclose(ours.sum(), t.grad.numpy().sum())


# --- gradients by central differences ----------------------------------------------------
@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("shape,axis", [((3, 6), -1), ((4, 6, 2), 1), ((6, 5), 0)], ids=str)
def test_gradient_by_finite_differences(name, shape, axis):
    p = params_for(name, shape, axis)
    x = sample(shape, np.float64, seed=11)
    fn = getattr(pa, name)
    g = sample(fn(x, **p).shape, np.float64, seed=12)
    h = 1e-6
    num = np.empty_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = h
        num[i] = ((fn(x + d, **p) - fn(x - d, **p)) * g).sum() / (2 * h)
    np.testing.assert_allclose(pa.grad(name, g, x=x, **p), num, rtol=1e-6, atol=1e-8)
    if name in SOFTMAXES:
        np.testing.assert_allclose(pa.grad(name, g, y=fn(x, **p), **p), num, rtol=1e-6, atol=1e-8)


# --- special rows (SPEC §4.3) ------------------------------------------------------------
INF, NAN = np.inf, np.nan
SPECIAL_ROWS = [
    [1.0, INF, 2.0, INF, -INF],      # two +inf share the mass
    [INF, INF, INF],
    [-INF, -INF, -INF],              # all -inf: NaN
    [3.0, -INF, 1.0, -INF],          # -inf entries give 0
    [1.0, NAN, 2.0],                 # NaN anywhere: the row is NaN
    [INF, NAN],
    [-INF],
    [INF],
    [5.0],
    [1e30, -1e30, 0.0],
    [-3e38, 3e38, 1.0],
    [-100.0, 0.0, 100.0],            # exp underflows in float32 only for the small entries
    [0.0, -1000.0, 1000.0, -800.0],
]


@pytest.mark.parametrize("row", SPECIAL_ROWS, ids=str)
@pytest.mark.parametrize("name", SOFTMAXES)
def test_special_rows(isa, dtype, name, row):
    if dtype == np.float16 and any(abs(v) > 6e4 for v in row if np.isfinite(v)):
        pytest.skip("beyond float16's range")
    x = np.array(row, dtype)
    with np.errstate(over="ignore"):
        want = ref_fwd(name, x).astype(dtype)
    for layout in ("row", "column"):
        y = getattr(pa, name)(x) if layout == "row" else getattr(pa, name)(np.repeat(x[:, None], 3, 1), axis=0)[:, 1]
        assert_close(y, want, dtype, name)
        np.testing.assert_array_equal(np.isnan(y), np.isnan(want))
        np.testing.assert_array_equal(np.isinf(y), np.isinf(want))
        if name != "log_softmax":
            assert np.all((y[~np.isnan(y)] >= 0) & (y[~np.isnan(y)] <= 1))
    if name == "log_softmax" and np.all(np.isfinite(x)):
        assert not np.any(np.isinf(y)) or dtype != np.float64  # finite input: never -inf (float64)


def test_log_softmax_finite_where_float64_does_not_underflow():
    x = np.array([0.0, -200.0, -700.0, 90.0], np.float32)
    y = pa.log_softmax(x)
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y, ref_fwd("log_softmax", x), rtol=1e-6)
    assert np.all(np.isfinite(pa.log_softmax(np.array([0.0, -1e4, 1e4]))))


def test_special_inputs_glu_maxout():
    x = np.array([[1.0, NAN, 2.0, 0.0], [INF, 1.0, 0.0, -INF], [2.0, 2.0, -INF, -INF]])
    np.testing.assert_array_equal(pa.maxout(x), [[NAN, 2.0], [INF, 0.0], [2.0, -INF]])
    g = np.ones((3, 2))
    np.testing.assert_array_equal(pa.grad("maxout", g, x=x), [[NAN, NAN, 1.0, 0.0], [1.0, 0.0, 1.0, 0.0],
                                                              [1.0, 0.0, 1.0, 0.0]])
    y = pa.glu(x)   # a = columns 0-1, b = columns 2-3
    assert y[0, 0] == 1.0 / (1.0 + np.exp(-2.0)) and np.isnan(y[0, 1])
    assert y[1, 0] == INF and y[1, 1] == 0.0
    assert y[2, 0] == 0.0 and y[2, 1] == 0.0
    gx = pa.grad("glu", np.ones((3, 2)), x=x)
    assert np.isnan(gx[0, [1, 3]]).all() and not np.isnan(gx[0, [0, 2]]).any()
    big = np.array([0.0, 30.0, 1.0, 1000.0])   # a·σ(b) for b≫0; σ'(b) tiny, not 0 in float64
    gb = pa.grad("glu", np.ones(2), x=big)
    np.testing.assert_allclose(gb, ref_vjp("glu", np.ones(2), big), rtol=1e-12, atol=0)


# --- shapes, out=, layouts, dtypes ----------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_empty_and_zero_d(name):
    fn = getattr(pa, name)
    for shape, axis in [((0, 4), -1), ((3, 0), -1), ((0,), 0), ((2, 0, 4), 1), ((2, 4, 0), 1)]:
        p = params_for(name, shape, axis) if shape[axis] else {"axis": axis}
        y = fn(np.zeros(shape), **p)
        div = {"glu": 2, "maxout": p.get("pieces", 1)}.get(name, 1)
        ax = axis % len(shape)
        assert y.shape == shape[:ax] + (shape[ax] // div,) + shape[ax + 1:] and y.size == 0
        assert pa.grad(name, np.zeros(y.shape), x=np.zeros(shape), **p).shape == shape
    if name in SOFTMAXES:
        y = fn(np.float64(2.5))
        assert y.shape == () and y == (0.0 if name == "log_softmax" else 1.0)
        out = np.empty((), np.float32)
        assert fn(np.float32(-1.0), out=out) is out and out == (0.0 if name == "log_softmax" else 1.0)
        assert pa.grad(name, np.float64(3.0), x=np.float64(1.0)).shape == ()
    else:
        with pytest.raises(ValueError, match="0-d"):
            fn(np.float64(1.0))


@pytest.mark.parametrize("name", ALL)
def test_out_in_place_strided_and_overlap(name):
    x = sample((6, 12), np.float32)
    p = {"axis": 1, **({"pieces": 3} if name == "maxout" else {})}
    want = getattr(pa, name)(x.copy(), **p)
    out = np.full(want.shape, 7, np.float32)
    assert getattr(pa, name)(x, out=out, **p) is out
    np.testing.assert_array_equal(out, want)
    fo = np.asfortranarray(np.full(want.shape, 7, np.float32))
    getattr(pa, name)(x, out=fo, **p)
    np.testing.assert_array_equal(fo, want)
    big = np.zeros((want.shape[0], want.shape[1] * 2), np.float32)
    getattr(pa, name)(x, out=big[:, ::2], **p)
    np.testing.assert_array_equal(big[:, ::2], want)
    assert not big[:, 1::2].any()
    if name in SOFTMAXES:
        xc = x.copy()
        assert getattr(pa, name)(xc, out=xc, **p) is xc   # in place
        np.testing.assert_array_equal(xc, want)
        buf = np.concatenate([x.ravel(), np.zeros(12, np.float32)])
        xv, ov = buf[:72].reshape(6, 12), buf[12:84].reshape(6, 12)   # partial overlap
        getattr(pa, name)(xv, out=ov, **p)
        np.testing.assert_array_equal(ov, want)
        g = sample(x.shape, np.float32, seed=4)
        wg = pa.grad(name, g, y=want, **p)
        gc = g.copy()
        assert pa.grad(name, gc, y=want, out=gc, **p) is gc
        np.testing.assert_array_equal(gc, wg)
    else:
        g = sample(want.shape, np.float32, seed=4)
        wg = pa.grad(name, g, x=x, **p)
        xc = x.copy()
        assert pa.grad(name, g, x=xc, out=xc, **p) is xc
        np.testing.assert_array_equal(xc, wg)


@pytest.mark.parametrize("name", ALL)
def test_out_sharing_memory_with_an_input(name):
    """An out that shares memory with x, g or y in any other way than being the very same
    buffer reads as if the inputs had been copied first: C-contiguous arrays take the C++
    fast path (_core.AxisBound), which must leave these to the copying path."""
    x = sample((6, 12), np.float32)
    p = {"axis": 1, **({"pieces": 3} if name == "maxout" else {})}
    want = ref_fwd(name, x, **p)
    g = sample(want.shape, np.float32, seed=4)
    y = getattr(pa, name)(x, **p)
    if name in SOFTMAXES:  # from the rounded y, in float64 (SPEC §4.3's formulas)
        g64, y64 = g.astype(np.float64), y.astype(np.float64)
        want_g = {"softmax": lambda: y64 * (g64 - (g64 * y64).sum(1, keepdims=True)),
                  "softmin": lambda: y64 * ((g64 * y64).sum(1, keepdims=True) - g64),
                  "log_softmax": lambda: g64 - np.exp(y64) * g64.sum(1, keepdims=True)}[name]()
    else:
        want_g = ref_vjp(name, g, x, **p)

    def arena(a, extra=12):  # a copied to the start of a longer zeroed buffer
        buf = np.zeros(a.size + extra, a.dtype)
        buf[:a.size] = a.ravel()
        return buf, buf[:a.size].reshape(a.shape)

    buf, xv = arena(x)  # out starts where x starts (shorter than x for glu and maxout)
    ov = buf[:want.size].reshape(want.shape) if name not in SOFTMAXES else buf[12:12 + x.size].reshape(x.shape)
    assert getattr(pa, name)(xv, out=ov, **p) is ov
    assert_close(ov, want, np.float32, name)

    for shared in ("g", "xy"):
        a = g if shared == "g" else (y if name in SOFTMAXES else x)
        buf, av = arena(a, extra=x.size + 12)
        ov = buf[12:12 + x.size].reshape(x.shape)  # out overlaps a, shifted by one row
        gg, xy = (av, y if name in SOFTMAXES else x) if shared == "g" else (g, av)
        kw = {"y": xy} if name in SOFTMAXES else {"x": xy}
        assert pa.grad(name, gg, out=ov, **kw, **p) is ov
        # g - sum(g y) cancels: float32 rounding of order eps * sum|g| per row, absolute
        np.testing.assert_allclose(ov, want_g, rtol=1e-5, atol=1e-6 * np.abs(g).sum(1).max())


def test_unhashable_parameter_gets_the_validation_error():
    for name in ALL:
        with pytest.raises(ValueError, match=r"axis=\[1\] must be an integer, got list"):
            getattr(pa, name)(np.ones((2, 6)), axis=[1])
        with pytest.raises(ValueError, match=r"axis=\[1\] must be an integer"):
            pa.grad(name, np.ones((2, 6)), x=np.ones((2, 6)), axis=[1])


@pytest.mark.parametrize("name", ALL)
def test_noncontiguous_negative_strides_and_axes(name):
    base = sample((8, 10, 12), np.float64)
    for view in (base[:, ::-1, ::2], base[::2, :, 1:], base.transpose(2, 0, 1), np.asfortranarray(base)):
        for axis in range(-3, 3):
            p = params_for(name, view.shape, axis)
            if not fits(name, view.shape, axis, p):
                continue
            got = getattr(pa, name)(view, **p)
            assert got.tobytes() == getattr(pa, name)(view.copy(), **p).tobytes()
            np.testing.assert_allclose(got, ref_fwd(name, view, **p), rtol=1e-13, atol=1e-14)


def test_dtypes_and_array_likes():
    assert pa.softmax([1, 2, 3]).dtype == np.float64
    assert pa.softmax(np.array([1, 2], np.int32)).dtype == np.float64
    assert pa.softmax(np.array([1, 2], np.int8)).dtype == np.float16
    np.testing.assert_allclose(pa.softmax([[1, 2], [3, 5]], axis=0), ref_fwd("softmax", np.array([[1., 2], [3, 5]]),
                                                                             axis=0))
    with pytest.raises(TypeError, match="complex"):
        pa.softmax(np.ones(3, complex))
    assert pa.softmax(np.ones(3), dim=0).shape == (3,)   # PyTorch's name for axis


# --- errors: clear, and nothing written -------------------------------------------------
def test_errors():
    x = np.ones((4, 6))
    for name in ALL:
        with pytest.raises(AxisError, match=f"{name}.*axis 2 is out of bounds"):
            getattr(pa, name)(x, axis=2)
        with pytest.raises(ValueError):
            getattr(pa, name)(x, axis=-3)
        with pytest.raises(ValueError, match="axis=1.5 must be an integer"):
            getattr(pa, name)(x, axis=1.5)
        with pytest.raises(TypeError, match="valid parameters"):
            getattr(pa, name)(x, axes=1)
    with pytest.raises(ValueError, match="odd"):
        pa.glu(np.ones((4, 5)))
    with pytest.raises(ValueError, match="not divisible by pieces=4"):
        pa.maxout(x, pieces=4)
    for bad in (1, 0, -2):
        with pytest.raises(ValueError, match="pieces"):
            pa.get("maxout", pieces=bad)
    with pytest.raises(ValueError, match="pieces"):
        pa.Maxout(pieces=2.0)
    out = np.full((4, 6), 7.0)
    with pytest.raises(ValueError, match=r"\(4, 3\)"):
        pa.glu(x, out=out)
    with pytest.raises(TypeError, match="float32"):
        pa.softmax(x, out=np.empty((4, 6), np.float32))
    ro = np.zeros((4, 6))
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pa.softmax(x, out=ro)
    with pytest.raises(ValueError, match="grad_out has shape"):
        pa.grad("glu", np.ones((4, 6)), x=x)
    with pytest.raises(TypeError, match="y alone"):
        pa.grad("glu", np.ones((4, 3)), y=np.ones((4, 3)))
    with pytest.raises(TypeError, match="needs x"):
        pa.grad("softmax", np.ones((4, 6)))
    assert (out == 7.0).all()


def test_objects_registry_pickle_repr():
    act = pa.get("maxout", pieces=3, axis=0)
    assert act.name == "maxout" and act.params == {"pieces": 3, "axis": 0} and not act.y_ok
    assert repr(act) == "Maxout(pieces=3, axis=0)"
    assert pickle.loads(pickle.dumps(act)) == act
    assert pa.get("softmax").y_ok and pa.Softmax(axis=1).params == {"axis": 1}
    assert isinstance(pa.LogSoftmax(), pa.Activation) and pa.GLU(dim=0).params == {"axis": 0}
    assert {"softmax", "log_softmax", "softmin", "glu", "maxout"} <= set(pa.available())
    x = sample((3, 6), np.float64)
    y = act(x.T)
    np.testing.assert_array_equal(act.backward(np.ones_like(y), x=x.T), pa.grad("maxout", np.ones_like(y), x=x.T,
                                                                                 pieces=3, axis=0))


# --- the kernels' paths agree bit for bit (issue 5 speed work) -----------------------------
# Rows of n elements through every path: rows kept on the stack (kGroup, two or one at a
# time), short rows through the column kernel, long rows, the column kernel, columns
# copied out as rows (inner smaller than a vector, or one long column); special rows
# mixed in; one thread and two.
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("n", [1, 3, 10, 31, 33, 64, 65, 130, 200, 512, 1000, 1025, 2049, 4096, 4097, 9000])
def test_paths_bit_identical(isa, n, dtype):
    rows = 13
    x = sample((rows, n), dtype, seed=n)
    x[2, n // 2] = np.nan
    x[5, :] = -np.inf
    x[7, n // 3] = np.inf
    x[8, 0] = -np.inf
    g = sample((rows, n), dtype, seed=n + 1, scale=1.0)
    for name in SOFTMAXES:
        f = getattr(pa, name)
        with pa.threads(1):
            want = f(x)
            want_g = pa.grad(name, g, y=want)
        with pa.threads(2):
            assert f(x).tobytes() == want.tobytes()
            assert pa.grad(name, g, y=want).tobytes() == want_g.tobytes()
            for inner in (2, 5, 9):  # column kernel, or columns copied out as rows
                xs = np.ascontiguousarray(np.repeat(x.T[:, :, None], inner, 2))   # (n, rows, inner)
                ys = f(xs, axis=0)
                gs = pa.grad(name, np.ascontiguousarray(np.repeat(g.T[:, :, None], inner, 2)), y=ys, axis=0)
                for c in (0, inner - 1):
                    assert np.ascontiguousarray(ys[:, :, c].T).tobytes() == want.tobytes(), (name, inner)
                    assert np.ascontiguousarray(gs[:, :, c].T).tobytes() == want_g.tobytes(), (name, inner)
        col = f(np.ascontiguousarray(x[3][:, None]), axis=0)[:, 0]   # one column
        assert col.tobytes() == want[3].tobytes()


def test_maxout_pairs_along_the_last_axis(isa, dtype):
    """pieces=2 along the last axis (the default) splits whole vectors of pairs with
    shuffles and the rest lane by lane: every group count around the vector widths, ties
    (the first maximum takes the gradient), NaN and ±inf, against NumPy, forward and
    backward, on two threads that split the groups at odd places."""
    rng = np.random.default_rng(11)
    for groups in (1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 1001):
        x = np.round(rng.standard_normal((3, 2 * groups)) * 2).astype(dtype)  # many ties
        for v in (NAN, INF, -INF):
            x.reshape(-1)[rng.integers(0, x.size, 2)] = v
        a, b = (x.reshape(3, groups, 2)[..., j].astype(np.float64) for j in (0, 1))
        second = b > a  # strict: ties go to the first
        bad = np.isnan(a) | np.isnan(b)
        g = rng.standard_normal((3, groups)).astype(dtype)
        want_y = np.where(bad, NAN, np.where(second, b, a)).astype(dtype)
        want_gx = np.stack([np.where(second, 0.0, g), np.where(second, g, 0.0)], -1)
        want_gx = np.where(bad[..., None], NAN, want_gx).reshape(x.shape).astype(dtype)
        _core._set_grain(24)
        try:
            with pa.threads(2):
                y, gx = pa.maxout(x), pa.grad("maxout", g, x=x)
        finally:
            _core._set_grain(0)
        np.testing.assert_array_equal(y, want_y, err_msg=f"{isa} groups={groups}")
        np.testing.assert_array_equal(gx, want_gx, err_msg=f"{isa} groups={groups}")
