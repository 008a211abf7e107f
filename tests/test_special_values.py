"""IEEE special values for every elementwise catalog entry, forward and backward, every
ISA and dtype (SPEC §2): ±0, ±inf, NaN (NaN in => NaN out, even relu/step/hard_tanh/
linear), denormals, the largest finite values; against tests/reference.py."""
from __future__ import annotations

import numpy as np
import pytest

import pyact as pa
from cases import BWD_ABS, BWD_ULP, FWD_ULP, example_params, parameter_forms, ref_derivative, ref_forward
from conftest import catalog
from ulp import assert_close_ulp

ACTS = catalog()
IDS = [a.name for a in ACTS]


def specials(dtype) -> np.ndarray:
    fi = np.finfo(dtype)
    tiny = fi.smallest_subnormal
    vals = [0.0, -0.0, np.inf, -np.inf, np.nan, tiny, -tiny, 3 * tiny, fi.tiny * 0.5, -fi.tiny * 0.5,
            fi.tiny, -fi.tiny, fi.max, -fi.max, fi.max / 3, -fi.max / 3, 1.0, -1.0, 1e4, -1e4]
    if dtype != np.float16:
        vals += [1e30, -1e30, 1e-30, -1e-30]
    if dtype == np.float64:
        vals += [1e300, -1e300, 1e-300]
    with np.errstate(over="ignore"):
        v = np.array(vals, np.float64).astype(dtype)
    # every special in every lane position: repeat with a shift that is prime to the widths
    return np.concatenate([np.roll(v, k) for k in range(17)])


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_forward_specials(isa, dtype, act):
    p = example_params(act)
    x = specials(dtype)
    y = getattr(pa, act.name)(x, **p)
    assert np.array_equal(np.isnan(y), np.isnan(x)), f"NaN in <=> NaN out: {x[np.isnan(y) != np.isnan(x)]}"
    assert_close_ulp(y, ref_forward(act, x, p), FWD_ULP, what=f"{act.name} specials")


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_backward_specials(isa, dtype, act):
    p = example_params(act)
    x = specials(dtype)
    g = np.ones_like(x)
    gi = pa.grad(act.name, g, x=x, **p)
    assert np.isnan(gi[np.isnan(x)]).all(), "the gradient at NaN is NaN"
    with np.errstate(all="ignore"):
        want = ref_derivative(act, x, p)
    finite = np.isfinite(x)
    assert_close_ulp(gi[finite], want[finite], BWD_ULP, BWD_ABS, what=f"{act.name}' at finite specials")
    inf = np.isinf(x)
    assert_close_ulp(gi[inf], want[inf], BWD_ULP, BWD_ABS, what=f"{act.name}' at ±inf")
    obj = pa.get(act.name, **p)
    if obj.y_ok:
        y = obj(x)
        gy = pa.grad(act.name, g, y=y, **p)
        assert np.isnan(gy[np.isnan(y)]).all(), "the gradient from a NaN y is NaN"


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_nan_gradient_input_is_not_hidden(act):
    """A NaN in x gives NaN even where g is 0 or the derivative is constant."""
    p = example_params(act)
    x = np.array([np.nan, 1.0, np.nan], np.float32)
    for g in (np.zeros(3, np.float32), np.ones(3, np.float32)):
        r = pa.grad(act.name, g, x=x, **p)
        assert np.isnan(r[0]) and np.isnan(r[2])


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_nan_in_nan_out_for_every_parameter_form(isa, dtype, act):
    """NaN in every lane position, among finite values, gives NaN forward, from x and from
    y, whatever the parameters (a kernel that skips the driver's NaN select, apply.h
    kFwdKeepsNan / kBwdKeepsNan, must give NaN by its own arithmetic in every form)."""
    x = np.resize(np.array([0.5, -0.5, 3.0, -3.0, 0.0, -40.0, 40.0, 1e-3], dtype), 71)
    x[::4] = np.nan
    nan = np.isnan(x)
    g = np.ones_like(x)
    for p in parameter_forms(act):
        obj = pa.get(act.name, **p)
        y = obj(x)
        assert np.isnan(y[nan]).all(), (p, "forward")
        assert np.isnan(pa.grad(act.name, g, x=x, **p)[nan]).all(), (p, "backward from x")
        if obj.y_ok:
            assert np.isnan(pa.grad(act.name, g, y=y, **p)[nan]).all(), (p, "backward from y")


def test_named_nan_cases():
    nan = np.float32(np.nan)
    for name in ("relu", "relu6", "step", "hard_tanh", "linear", "hard_sigmoid", "threshold"):
        p = {"threshold": 0.0, "value": 0.0} if name == "threshold" else {}
        assert np.isnan(getattr(pa, name)(nan, **p)), name
        assert np.isnan(pa.grad(name, np.float32(1), x=nan, **p)), name
    assert np.isnan(pa.grad("linear", np.float32(1), y=nan))
    assert np.isnan(pa.grad("step", np.float32(1), y=nan))


def test_signed_zero_and_limits():
    z = np.array([0.0, -0.0])
    assert np.array_equal(np.signbit(pa.linear(z)), [False, True])
    assert pa.relu6(np.inf) == 6 and pa.relu6(-np.inf) == 0
    assert pa.softsign(np.inf) == 1 and pa.softsign(-np.inf) == -1
    assert pa.squareplus(-np.inf) == 0 and pa.squareplus(np.inf) == np.inf
    assert pa.hard_swish(-np.inf) == 0 and pa.hard_swish(np.inf) == np.inf
    assert pa.grad("softsign", 1.0, x=np.inf) == 0
    assert pa.grad("squareplus", 1.0, x=-np.inf) == 0 and pa.grad("squareplus", 1.0, x=np.inf) == 1
    # large finite values stay finite where the function is
    big = np.float32(3e38)
    assert pa.squareplus(-big) > 0 and np.isfinite(pa.squareplus(big))
    assert np.isfinite(pa.grad("softsign", np.float32(1), x=big))


def _hard_swish_numpy(x):
    """x (x + 3) / 6 as written, in x's dtype (NumPy rounds each step, denormals too)."""
    with np.errstate(all="ignore"):
        return np.where(x < -3, x.dtype.type(0), np.where(x > 3, x, x * (x + x.dtype.type(3)) / x.dtype.type(6)))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_hard_swish_bits_are_numpys_formula(isa, dt):
    """hard_swish's forward has the bits of NumPy's x * (x + 3) / 6 (a rounded product,
    then a rounded quotient), also where the quotient is a denormal and exactly halfway
    between two (its kernel divides by 6 without a division where there is an FMA, and
    routes denormal x around the slow one on SSE4): every float32 of (-2^-124, 2^-124)
    (all denormals, the smallest normals, whose results are denormals), 2^21 random bit
    patterns of [-3, 3]; float64: 10^6 of each kind."""
    rng = np.random.default_rng(12)
    if dt == np.float32:
        small = np.arange(0, np.float32(2.0**-124).view(np.uint32), dtype=np.uint32)
        three = int(np.float32(3).view(np.uint32))
        bits = np.concatenate([small, rng.integers(0, three + 1, 1 << 21, dtype=np.uint64).astype(np.uint32)])
        x = (bits | (rng.integers(0, 2, bits.size, dtype=np.uint32) << 31)).view(np.float32)
    else:
        top = int(np.float64(2.0**-1020).view(np.uint64))
        three = int(np.float64(3).view(np.uint64))
        bits = np.concatenate([rng.integers(0, top, 10**6, dtype=np.uint64), rng.integers(0, three + 1, 10**6, dtype=np.uint64)])
        x = (bits | (rng.integers(0, 2, bits.size, dtype=np.uint64) << np.uint64(63))).view(np.float64)
    x = np.concatenate([x, np.array([0.0, -0.0, 3.0, -3.0, np.inf, -np.inf, 1e30, -1e30], dt)])
    got = pa.hard_swish(x)
    want = _hard_swish_numpy(x)
    uint = np.uint32 if dt == np.float32 else np.uint64
    bad = got.view(uint) != want.view(uint)
    assert not bad.any(), f"{bad.sum()} differ, e.g. x={x[bad][:3]!r}: {got[bad][:3]!r}, want {want[bad][:3]!r}"
