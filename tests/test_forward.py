"""Forward values of every elementwise catalog entry, every ISA and dtype, at every
size around the vector widths, against tests/reference.py (SPEC §5 ULP bounds); in
place, out=, and strided / negative-stride / F-ordered views give identical bits."""
from __future__ import annotations

import numpy as np
import pytest

import pyact as pa
from cases import assert_same_bits, check_backward, check_forward, example_params, inputs, varied_params
from conftest import SIZES, catalog

ACTS = catalog()
IDS = [a.name for a in ACTS]
VARIED = [a for a in ACTS if varied_params(a) is not None]  # entries with numeric parameters


def fn(act):
    return getattr(pa, act.name)


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_values_all_sizes(isa, dtype, act):
    p = example_params(act)
    big = inputs(dtype, max(SIZES), act, p)
    whole = fn(act)(big, **p)
    check_forward(act, whole, big, p, what=f"{isa}-{dtype}-{act.name}")
    for n in SIZES:
        x = big[:n].copy()
        y = fn(act)(x, **p)
        assert y.dtype == dtype and y.shape == (n,)
        # an element's bits do not depend on the size of the call or its position
        assert_same_bits(y, whole[:n], f"n={n}")
    # offsets: the same elements starting mid-vector
    for off in (1, 3, 7, 13):
        assert_same_bits(fn(act)(big[off:off + 1000], **p), whole[off:off + 1000], f"offset {off}")


@pytest.mark.parametrize("act", VARIED, ids=[a.name for a in VARIED])
def test_values_varied_params(isa, dtype, act):
    p = varied_params(act)
    x = inputs(dtype, 5000, act, p, seed=1)
    check_forward(act, fn(act)(x, **p), x, p, default=False, what=f"{act.name}{p}")
    check_forward(act, pa.get(act.name, **p)(x), x, p, default=False, what=f"get({act.name})")


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_in_place_and_out(dtype, act):
    p = example_params(act)
    x = inputs(dtype, 1003, act, p)
    want = fn(act)(x, **p)
    a = x.copy()
    assert fn(act)(a, out=a, **p) is a
    np.testing.assert_array_equal(a, want)
    o = np.full_like(x, 7)
    assert fn(act)(x, out=o, **p) is o
    np.testing.assert_array_equal(o, want)
    obj = pa.get(act.name, **p)
    b = x.copy()
    assert obj(b, out=b) is b
    np.testing.assert_array_equal(b, want)


def _views(base: np.ndarray):
    """Non-contiguous, negative-stride and F-ordered views of 2-d data, with a
    C-ordered copy of each."""
    yield base[::2]
    yield base[::-1]
    yield base[::-3, ::2]
    yield base.T
    yield np.asfortranarray(base)
    yield base[:, 1:-1]
    yield base.reshape(-1)[::-1]
    yield base[None, :, :, None][..., ::1]


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_strided_views_same_bits(isa, dtype, act):
    p = example_params(act)
    base = inputs(dtype, 37 * 29, act, p).reshape(37, 29)
    f = fn(act)
    for v in _views(base):
        want = f(np.ascontiguousarray(v), **p)
        got = f(v, **p)
        assert got.shape == v.shape and got.dtype == v.dtype
        assert_same_bits(got, want)
        # a strided out
        holder = np.zeros((2,) + v.shape, dtype)
        o = holder[1, ...]
        o = o[..., ::-1] if o.ndim else o
        assert f(v, out=o, **p) is o
        np.testing.assert_array_equal(o, want)
        # in place on a strided view of a copy
        c = base.copy()
        vc = next(w for w, u in zip(_views(c), _views(base)) if u.shape == v.shape and np.array_equal(u, v))
        f(vc, out=vc, **p)
        np.testing.assert_array_equal(vc, want)


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_zero_d_and_empty(dtype, act):
    p = example_params(act)
    f = fn(act)
    for v in (0.75, -2.5):
        x = np.array(v, dtype)
        y = f(x, **p)
        assert isinstance(y, np.ndarray) and y.shape == () and y.dtype == dtype
        check_forward(act, y, x, p)
        o = np.zeros((), dtype)
        assert f(x, out=o, **p) is o and o == y
    for shape in ((0,), (3, 0), (0, 4, 2)):
        e = np.zeros(shape, dtype)
        r = f(e, **p)
        assert r.shape == shape and r.dtype == dtype
        assert f(e, out=e, **p) is e


@pytest.mark.parametrize("b", [0.5, 4.0, 2.0 ** 74, 2.0 ** 75, 1e30, 2.0 ** 940, 1e300])
def test_squareplus_every_form_of_b(isa, dtype, b):
    """squareplus takes one of two forms from b: beyond |x| = 2^50 (2^500) q = sqrt(1 +
    b/x^2) rounds to 1 unless b exceeds 2^74 (2^940), and then it is left out. Both
    forms, forward and backward, up to the largest float, against the reference."""
    act = next(a for a in ACTS if a.name == "squareplus")
    fin = np.finfo(dtype)
    if b > float(np.finfo(np.float32 if dtype == np.float16 else dtype).max):
        pytest.skip("b is not a finite number of the compute dtype")
    mags = np.array([1e15, 2.0 ** 50, 2.0 ** 51, 1e20, 1e30, 1e38, 1e150, 2.0 ** 500, 1e200, 1e300, float(fin.max)])
    with np.errstate(over="ignore"):
        extremes = np.concatenate([mags, -mags, [np.inf, -np.inf]]).astype(dtype)
    x = np.concatenate([inputs(dtype, 3000, act, {"b": b}), extremes[np.isfinite(extremes)],
                        [np.inf, -np.inf]]).astype(dtype)
    p = {"b": b}
    check_forward(act, pa.squareplus(x, b=b), x, p, default=False, what=f"{isa} b={b}")
    g = np.random.default_rng(1).normal(0, 2, x.size).astype(dtype)
    check_backward(act, pa.grad("squareplus", g, x=x, b=b), g, x, p, default=False, what=f"{isa} b={b}")
