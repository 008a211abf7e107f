"""Backward of every elementwise catalog entry (from x, and from y where y_ok), every
ISA and dtype, every size around the vector widths, against g * f'(x) from
tests/reference.py (SPEC §5); in place on g, out=, strided views give identical bits."""
from __future__ import annotations

import numpy as np
import pytest

import pyact as pa
from cases import BWD_ULP, assert_same_bits, check_backward, example_params, inputs, ref_derivative, varied_params
from ulp import assert_close_ulp
from conftest import SIZES, catalog

ACTS = catalog()
IDS = [a.name for a in ACTS]
VARIED = [a for a in ACTS if varied_params(a) is not None]  # entries with numeric parameters


def grads(dtype, n, seed=5):
    return np.random.default_rng(seed).normal(0, 2, n).astype(dtype)


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_from_x_all_sizes(isa, dtype, act):
    p = example_params(act)
    x = inputs(dtype, max(SIZES), act, p)
    g = grads(dtype, x.size)
    whole = pa.grad(act.name, g, x=x, **p)
    assert whole.dtype == dtype
    check_backward(act, whole, g, x, p, what=f"{isa}-{dtype}-{act.name}")
    for n in SIZES:
        assert_same_bits(pa.grad(act.name, g[:n].copy(), x=x[:n].copy(), **p), whole[:n], f"n={n}")


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_from_y(isa, dtype, act):
    p = example_params(act)
    obj = pa.get(act.name, **p)
    x = inputs(dtype, 20011, act, p)
    g = grads(dtype, x.size)
    y = obj(x)
    if not obj.y_ok:
        with pytest.raises(TypeError, match="x="):
            pa.grad(act.name, g, y=y, **p)
        return
    from_y = pa.grad(act.name, g, y=y, **p)
    if dtype == np.float16:  # y keeps 11 bits: f'(y) is only as exact as y (softsign: (1-|y|)^2)
        want = g.astype(np.float64) * ref_derivative(act, x, p)
        # Where y overflowed float16 (exponential above x = 11.09) y holds no information
        # about x: compare only where y is finite or x itself is not.
        keep = np.isfinite(y) | ~np.isfinite(x)
        assert_close_ulp(from_y[keep], want[keep], BWD_ULP, 4 * float(np.finfo(np.float16).eps),
                         what="from y, float16")
    else:
        check_backward(act, from_y, g, x, p, what=f"{act.name} from y")
    assert_same_bits(obj.backward(g, y=y), from_y)
    # x wins when both are given
    assert_same_bits(pa.grad(act.name, g, x=x, y=y, **p), pa.grad(act.name, g, x=x, **p))


@pytest.mark.parametrize("act", VARIED, ids=[a.name for a in VARIED])
def test_varied_params(dtype, act):
    p = varied_params(act)
    x = inputs(dtype, 5000, act, p, seed=2)
    g = grads(dtype, x.size)
    check_backward(act, pa.grad(act.name, g, x=x, **p), g, x, p, default=False, what=f"{act.name}{p}")
    obj = pa.get(act.name, **p)
    assert_same_bits(obj.backward(g, x=x), pa.grad(act.name, g, x=x, **p))
    if obj.y_ok:
        y = obj(x)
        if dtype == np.float16:  # y keeps 11 bits: as in test_from_y, absolute tolerance 4 eps
            want = g.astype(np.float64) * ref_derivative(act, x, p)
            keep = np.isfinite(y) | ~np.isfinite(x)
            assert_close_ulp(obj.backward(g, y=y)[keep], want[keep], BWD_ULP,
                             4 * float(np.finfo(np.float16).eps), what=f"{act.name}{p} from y, float16")
        else:
            check_backward(act, obj.backward(g, y=y), g, x, p, default=False, what=f"{act.name}{p} from y")


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_in_place_out_and_strides(dtype, act):
    p = example_params(act)
    obj = pa.get(act.name, **p)
    base = inputs(dtype, 41 * 23, act, p).reshape(41, 23)
    gbase = grads(dtype, base.size).reshape(base.shape)
    want = pa.grad(act.name, gbase, x=base, **p)
    g = gbase.copy()
    assert pa.grad(act.name, g, x=base, out=g, **p) is g
    assert_same_bits(g, want)
    o = np.empty_like(g)
    assert obj.backward(gbase, x=base, out=o) is o
    assert_same_bits(o, want)
    for sl in (np.s_[::2], np.s_[::-1, ::3], np.s_[:, 1:-1]):
        assert_same_bits(pa.grad(act.name, gbase[sl], x=base[sl], **p), want[sl])
        assert_same_bits(pa.grad(act.name, gbase.T[sl], x=base.T[sl], **p), want.T[sl])
    assert_same_bits(pa.grad(act.name, np.asfortranarray(gbase), x=base, **p), want)
    if obj.y_ok:
        y = obj(base)
        gy = gbase.copy()
        assert pa.grad(act.name, gy, y=y, out=gy, **p) is gy
        assert_same_bits(gy, pa.grad(act.name, gbase, y=y, **p))
        ycopy = y.copy()  # backward in place on y itself
        assert pa.grad(act.name, gbase, y=ycopy, out=ycopy, **p) is ycopy
        assert_same_bits(ycopy, pa.grad(act.name, gbase, y=y, **p))


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_zero_d_empty_and_mixed_dtypes(act):
    p = example_params(act)
    r = pa.grad(act.name, np.float32(2.0), x=np.float32(0.75), **p)
    assert isinstance(r, np.ndarray) and r.shape == () and r.dtype == np.float32
    e = pa.grad(act.name, np.zeros((0, 3)), x=np.zeros((0, 3)), **p)
    assert e.shape == (0, 3) and e.dtype == np.float64
    # mixed float dtypes promote as NumPy does
    r = pa.grad(act.name, np.ones(5, np.float32), x=np.linspace(-1, 1, 5), **p)
    assert r.dtype == np.float64
    with pytest.raises(ValueError, match=r"\(4,\).*\(5,\)|\(5,\).*\(4,\)"):
        pa.grad(act.name, np.ones(4), x=np.ones(5), **p)
    with pytest.raises(TypeError):
        pa.grad(act.name, np.ones(4), **p)


@pytest.mark.parametrize("params", [
    {"negative_slope": 0.1}, {"max_value": 6.0}, {"negative_slope": 0.2, "max_value": 2.5},
    {"max_value": 0.0, "negative_slope": 0.1}, {"threshold": 0.5}, {"negative_slope": -0.5}])
def test_relu_keras_params_from_y(params):
    """Keras relu: backward from y wherever y_ok says so, equal to backward from x."""
    x = np.linspace(-4, 4, 801)
    g = np.random.default_rng(0).normal(size=x.size)
    obj = pa.get("relu", **params)
    want = pa.grad("relu", g, x=x, **params)
    if obj.y_ok:
        np.testing.assert_array_equal(pa.grad("relu", g, y=obj(x), **params), want)
    else:
        with pytest.raises(TypeError):
            pa.grad("relu", g, y=obj(x), **params)


def test_hard_swish_kinks_follow_pytorch(isa, dtype):
    """hard_swish' at its kinks is PyTorch's (aten hardswish_backward, the project's rule
    for kinks): 0 for x <= -3, 1 for x >= 3, x/3 + 1/2 strictly between, here at ±3 and
    their neighbours. Against torch when installed, and always against that formula in
    NumPy; g != 1 so that a missing factor of g shows too."""
    fi = np.finfo(dtype)
    pts = [-np.inf, -4.0, -3.0, 3.0, 4.0, np.inf, 0.0, -0.0, 1.5]
    pts += [np.nextafter(dtype.type(v), dtype.type(t)) for v in (-3.0, 3.0) for t in (-np.inf, np.inf)]
    x = np.resize(np.array(pts, dtype), 67)  # every lane position of every vector width
    g = np.resize(np.array([2.0, -0.5, 1.0], dtype), x.size)
    c = np.float32 if dtype == np.float16 else dtype.type  # float16 is computed in float32
    xc, gc = x.astype(c), g.astype(c)
    with np.errstate(invalid="ignore"):
        want = gc * np.where(xc <= -3, c(0), np.where(xc < 3, xc / c(3) + c(0.5), c(1)))
    got = pa.grad("hard_swish", g, x=x)
    np.testing.assert_array_equal(got, want.astype(dtype))
    xd = x.astype(np.float64)
    k = np.abs(xd) == 3
    np.testing.assert_array_equal(got[k], np.where(xd[k] < 0, 0.0, g[k]))
    try:
        import torch
    except ImportError:
        return
    tg = torch.ops.aten.hardswish_backward(torch.from_numpy(g.astype(np.float64)), torch.from_numpy(xd))
    np.testing.assert_allclose(got.astype(np.float64), tg.numpy(), rtol=float(fi.eps), atol=0)
