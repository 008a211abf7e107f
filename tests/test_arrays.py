"""SPEC §2's array rules through every entry point (functional, grad, objects):
dtypes, array-likes, out=, read-only, in place, overlap, 0-d, empty, errors that
leave out untouched."""
from __future__ import annotations

import numpy as np
import pytest

import pyact as pa
from cases import assert_same_bits


@pytest.mark.parametrize("dt, want", [
    (np.bool_, np.float16), (np.int8, np.float16), (np.uint8, np.float16), (np.int16, np.float32),
    (np.uint16, np.float32), (np.int32, np.float64), (np.int64, np.float64), (np.uint64, np.float64),
    (np.float16, np.float16), (np.float32, np.float32), (np.float64, np.float64)])
def test_dtype_follows_np_exp(dt, want):
    x = np.array([-2, 0, 1, 3]).astype(dt)
    with np.errstate(all="ignore"):
        assert np.exp(x).dtype == want  # the rule is NumPy's
    y = pa.relu(x)
    assert y.dtype == want
    np.testing.assert_array_equal(y, np.maximum(x.astype(want), 0))
    assert pa.grad("relu", np.ones(4, want), x=x).dtype == want
    assert pa.get("hard_tanh")(x).dtype == want


def test_non_native_byte_order():
    x = np.array([-1.5, 2.5], dtype=">f4")
    y = pa.relu(x)
    assert y.dtype == np.float32 and y.tolist() == [0.0, 2.5]


@pytest.mark.parametrize("bad", [
    np.array([1 + 2j]), np.array([1, "a"], dtype=object), np.array(["x"]), np.array([b"x"]),
    np.array(["2020-01-01"], dtype="datetime64[D]"), np.array([1], dtype="timedelta64[s]")])
def test_unsupported_dtypes_name_the_dtype(bad):
    with pytest.raises(TypeError, match=str(bad.dtype).replace("[", r"\[").replace("]", r"\]")):
        pa.relu(bad)
    with pytest.raises(TypeError, match="dtype"):
        pa.grad("relu", bad, x=np.ones(bad.shape))
    with pytest.raises(TypeError, match="dtype"):
        pa.grad("relu", np.ones(bad.shape), x=bad)
    with pytest.raises(TypeError, match="dtype"):
        pa.get("relu")(bad)


def test_array_likes():
    assert pa.relu([-1.0, 2.0]).tolist() == [0.0, 2.0]
    assert pa.relu([[-1, 2], [3, -4]]).dtype == np.float64
    assert pa.relu(-3.0) == 0.0 and pa.relu(3) == 3.0
    r = pa.relu(np.float32(-1.0))
    assert isinstance(r, np.ndarray) and r.dtype == np.float32 and r.shape == ()
    assert pa.relu((1.0, -1.0)).tolist() == [1.0, 0.0]

    class Wrapped:
        def __array__(self, dtype=None, copy=None):
            return np.array([-5.0, 5.0], np.float32)

    assert pa.relu(Wrapped()).tolist() == [0.0, 5.0]
    assert pa.grad("relu", [1.0, 1.0], x=Wrapped()).tolist() == [0.0, 1.0]
    m = memoryview(np.array([-1.0, 1.0]))
    assert pa.relu(m).tolist() == [0.0, 1.0]


def test_torch_cpu_tensor():
    torch = pytest.importorskip("torch")
    t = torch.tensor([-1.0, 0.5, 2.0])
    y = pa.relu(t)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.tolist() == [0.0, 0.5, 2.0]
    np.testing.assert_array_equal(pa.grad("relu", torch.ones(3), x=t), [0.0, 1.0, 1.0])


def test_out_shape_and_dtype_errors_name_both():
    x = np.ones((3, 4), np.float32)
    sentinel = np.full((4, 3), 9, np.float32)
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(3, 4\)"):
        pa.relu(x, out=sentinel)
    assert (sentinel == 9).all()
    wrong = np.full((3, 4), 9, np.float64)
    with pytest.raises(TypeError, match="float64.*float32"):
        pa.relu(x, out=wrong)
    assert (wrong == 9).all()
    with pytest.raises(TypeError, match="float64.*float32"):
        pa.grad("relu", x, x=x, out=wrong)
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(3, 4\)"):
        pa.get("relu").backward(x, x=x, out=sentinel)
    with pytest.raises(TypeError, match="ndarray"):
        pa.relu(x, out=[0.0] * 12)
    # an int array as out for a float result: a dtype error, nothing written
    iout = np.full((3, 4), 9, np.int64)
    with pytest.raises(TypeError, match="int64"):
        pa.relu(x, out=iout)
    assert (iout == 9).all()


def test_read_only():
    x = np.array([-1.0, 2.0], np.float32)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pa.relu(x, out=x)
    ro = np.zeros(2, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pa.relu(np.ones(2, np.float32), out=ro)
    with pytest.raises(ValueError, match="read-only"):
        pa.grad("relu", x, x=np.ones(2, np.float32), out=x)
    assert pa.relu(x).tolist() == [0.0, 2.0]  # reading a read-only array is fine
    assert x.tolist() == [-1.0, 2.0]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_in_place_returns_out(dtype):
    x = np.linspace(-2, 2, 101).astype(dtype)
    want = pa.relu(x)
    assert pa.relu(x, out=x) is x
    np.testing.assert_array_equal(x, want)
    g = np.linspace(-1, 1, 101).astype(dtype)
    gw = pa.grad("leaky_relu", g, x=np.linspace(-3, 3, 101).astype(dtype))
    assert pa.grad("leaky_relu", g, x=np.linspace(-3, 3, 101).astype(dtype), out=g) is g
    np.testing.assert_array_equal(g, gw)


@pytest.mark.parametrize("shift", [1, 2, 7, -1, -5])
def test_partial_overlap_is_copy_first(shift):
    base = np.linspace(-4, 4, 300)
    buf = base.copy()
    n = 150
    src = buf[50:50 + n]
    dst = buf[50 + shift:50 + shift + n]
    want = pa.leaky_relu(src.copy(), negative_slope=0.5)
    assert pa.leaky_relu(src, out=dst, negative_slope=0.5) is dst
    np.testing.assert_array_equal(dst, want)
    # backward: out overlapping g and x
    buf = base.copy()
    g, x = buf[:n], buf[40:40 + n]
    want = pa.grad("leaky_relu", g.copy(), x=x.copy())
    out = buf[3:3 + n]
    pa.grad("leaky_relu", g, x=x, out=out)
    np.testing.assert_array_equal(out, want)


def test_overlap_with_strided_views():
    buf = np.linspace(-3, 3, 100)
    want = pa.relu6(buf[::2].copy() * 1)
    pa.relu6(buf[::2], out=buf[1::2][::-1][::-1])  # interleaved, disjoint elements
    np.testing.assert_array_equal(buf[1::2], want)
    b2 = np.linspace(-3, 3, 100)
    w2 = pa.relu6(b2[::-1].copy())
    pa.relu6(b2[::-1], out=b2)  # reversed onto itself
    np.testing.assert_array_equal(b2, w2)


def test_zero_d_and_empty():
    x = np.array(-1.5)
    y = pa.relu(x)
    assert isinstance(y, np.ndarray) and y.shape == () and y == 0
    assert pa.relu(x, out=x) is x and x == 0
    for shape in ((0,), (2, 0, 3)):
        e = np.empty(shape, np.float32)
        assert pa.relu(e).shape == shape
        assert pa.grad("relu", e, x=e).shape == shape
        assert pa.relu(e, out=e) is e
    assert pa.relu([]).shape == (0,) and pa.relu([]).dtype == np.float64


def test_backward_argument_errors():
    g = np.ones(3)
    with pytest.raises(TypeError, match="x="):
        pa.grad("relu", g)
    with pytest.raises(TypeError, match="x="):
        pa.grad("hard_swish", g, y=g)
    with pytest.raises(TypeError, match="x="):
        pa.get("hard_swish").backward(g, y=g)
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        pa.grad("relu", g, x=np.ones(4))
    with pytest.raises(TypeError):
        pa.relu(np.ones(3), np.ones(3))  # out is keyword-only


def test_nothing_written_on_error():
    out = np.full(3, 7.0)
    with pytest.raises(TypeError):
        pa.relu(np.array([1, "a"], dtype=object), out=out)
    with pytest.raises(ValueError):
        pa.relu(np.ones(3), out=out, max_value=-1)
    with pytest.raises(TypeError):
        pa.relu(np.ones(3), out=out, bogus=1)
    with pytest.raises(TypeError):
        pa.grad("hard_swish", np.ones(3), y=np.ones(3), out=out)
    assert (out == 7).all()


def test_subclass_and_non_ndarray_inputs():
    m = np.ma.masked_array([-1.0, 2.0])
    r = pa.relu(m)
    assert type(r) is np.ndarray and r.tolist() == [0.0, 2.0]


def test_float16_storage_converts_exactly_and_rounds_to_nearest_even(isa):
    """float16 is computed in float32 (SPEC §2): every float16 goes to float32 and back
    unchanged, and a float32 result rounds to the nearest float16, ties to even, denormal
    and overflowing results included. The reference is NumPy's own conversion of the same
    float32 product (leaky_relu's slope * x, backward slope * g)."""
    h = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    num = ~np.isnan(h)
    y = pa.linear(h)
    assert_same_bits(y[num], h[num], f"{isa}: float16 -> float32 -> float16")
    assert np.isnan(y[~num]).all()
    for s in (0.5, 1.5, 0.1, 1 / 3, 3.0, 1e-3):
        with np.errstate(over="ignore", invalid="ignore"):  # inf * s; the NaNs are left out
            scaled = (h.astype(np.float32) * np.float32(s)).astype(np.float16)
        want = np.where(h > 0, h, scaled)
        got = pa.leaky_relu(h, negative_slope=s)
        assert_same_bits(got[num], want[num], f"{isa}: leaky_relu slope {s}")
        got = pa.grad("leaky_relu", h, x=-np.ones_like(h), negative_slope=s)
        assert_same_bits(got[num], scaled[num], f"{isa}: leaky_relu backward slope {s}")
