"""Property-based fuzzing of every elementwise catalog activation (hypothesis).

Each example draws an activation's parameters (defaults, the edges of their valid range,
and invalid values), a dtype, a shape (0-d, empty, sizes around 1..3 vector widths ± 1,
multi-dimensional), a memory layout (negative, stepped, Fortran order, partially
overlapping ``out``, in place), an ISA, a direction (forward, backward from x, backward
from y) and sometimes a misuse (bad ``out``, bad parameter, missing input, bad dtype).
Then either

* the call succeeds: the result is ``out`` (when given), has the right shape and dtype,
  agrees with the float64 reference (tests/refcheck.py: SPEC §5 tolerance, mixed
  forward/backward error), has exactly the bits of the same call on a contiguous copy,
  and nothing outside ``out``'s elements and no input was written; or
* it raises the documented exception (ValueError / TypeError), and ``out`` and every input
  are byte-for-byte unchanged.

Default: ``PYACT_FUZZ_EXAMPLES`` (40) examples per activation, about a minute in all.
``PYACT_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz.py`` runs a deeper search.
"""
from __future__ import annotations

import math
import os
from collections import Counter

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyact as pa
from pyact import _catalog, _core

from conftest import catalog
from reference import REF
from cases import PARAM_EDGES, param_choices, param_kind
from refcheck import assert_matches

# Hypothesis's failure report imports mypy_extensions, whose DeprecationWarning would turn
# a falsifying example into an INTERNALERROR under filterwarnings=error.
pytestmark = pytest.mark.filterwarnings("ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")

EXAMPLES = int(os.environ.get("PYACT_FUZZ_EXAMPLES", "40"))
DTYPES = (np.float16, np.float32, np.float64)
# 1..3 vector widths ± 1 for every lane count pyact has (2..64 lanes, times the unroll).
SIZES = sorted({0, 1, 2, 3, 5, 7} | {k * w + d for w in (2, 4, 8, 16, 32, 64) for k in (1, 2, 3) for d in (-1, 0, 1)})
STATS: Counter = Counter()

def _param_value(draw, q: _catalog.P) -> tuple[object, bool]:
    """(value, known_invalid) for one parameter."""
    choices = param_choices(q)
    if choices is not None:
        if draw(st.integers(0, 9)) == 0:
            return draw(st.sampled_from(["bogus", None, 1.0])), True
        return draw(st.sampled_from(choices)), False
    valid, invalid = PARAM_EDGES.get(param_kind(q), ([], []))
    r = draw(st.integers(0, 19))
    if r == 0 and invalid:
        return draw(st.sampled_from(invalid)), True
    if r < 4 and q.default is not _catalog.REQUIRED:
        return q.default, False
    if r < 10 and valid:
        return draw(st.sampled_from(valid)), False
    base = 0.0 if not isinstance(q.default, (int, float)) or q.default is None else float(q.default)
    v = draw(st.floats(-8, 8, allow_nan=False))
    if param_kind(q) in ("positive", "positive_f32"):
        v = abs(v) if abs(v) >= 2.0 ** -126 else 1.0
    elif param_kind(q) == "nonnegative":
        v = abs(v)
    elif param_kind(q) == "nonzero":
        v = v or 1.0
    elif param_kind(q) == "invertible":
        v = v if abs(v) >= 2.0 ** -126 else 1.0
    elif param_kind(q) not in PARAM_EDGES and q.default is not _catalog.REQUIRED:  # unknown check: near the default
        v = base + v / 8
    return v, False


def _element_strategy(dtype, params: dict):
    """Any float of the dtype (NaN, ±inf, subnormals included) and values at and next to
    the parameters (the kinks), mostly moderate values."""
    width = np.finfo(dtype).bits
    near = [float(v) for v in params.values() if isinstance(v, float) and math.isfinite(v)]
    near = [np.array(v, dtype).item() for v in near if abs(v) < float(np.finfo(dtype).max)]
    specials = [0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan, float(np.finfo(dtype).smallest_subnormal),
                -float(np.finfo(dtype).smallest_subnormal), float(np.finfo(dtype).max), -3.0, 3.0, 6.0, *near,
                *[float(np.nextafter(np.array(v, dtype), np.array(np.inf, dtype))) for v in near],
                *[float(np.nextafter(np.array(v, dtype), np.array(-np.inf, dtype))) for v in near]]
    return st.one_of(st.floats(-10, 10, width=width), st.floats(width=width), st.sampled_from(specials))


def _shape(draw) -> tuple[int, ...]:
    r = draw(st.integers(0, 9))
    if r == 0:
        return ()
    if r < 7:
        return (draw(st.sampled_from(SIZES)),)
    return draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=0, max_side=7))


def _placed(values: np.ndarray, layout: str, fill) -> tuple[np.ndarray, np.ndarray, tuple]:
    """(view, base, index): a view of a fresh buffer `base` holding `values` in `layout`;
    every element of base outside the view holds `fill`."""
    shape = values.shape
    if layout == "C" or not shape:
        base = np.full(shape, fill, values.dtype)
        idx: tuple = ()
    elif layout == "F":
        base = np.full(shape[::-1], fill, values.dtype).T
        idx = ()
    else:
        step = {"reversed": -1, "step2": 2, "step-2": -2, "step3": 3}[layout]
        base = np.full(tuple(max(1, abs(step)) * s for s in shape), fill, values.dtype)
        idx = tuple(slice(None, None, step) for _ in shape)
    view = base[idx] if idx else base
    view[...] = values
    return view, base, idx


def _unchanged_outside(base: np.ndarray, idx: tuple, fill, what: str) -> None:
    if not idx:
        return
    rest = base.copy()
    rest[idx] = fill
    assert np.array_equal(rest.view(np.uint8), np.full(base.shape, fill, base.dtype).view(np.uint8)), \
        f"{what}: wrote outside out's elements"


def _b(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


ACTS = catalog()


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if STATS:
        print("\nfuzz examples:", dict(sorted(STATS.items())))


@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(data=st.data())
def test_fuzz(act, data):
    if act.name not in REF:
        pytest.skip(f"{act.name}: no float64 reference in tests/reference.py")
    draw = data.draw
    isa = draw(st.sampled_from(_core.isas_available()), label="isa")
    params, invalid = {}, False
    for q in act.params:
        v, bad = _param_value(draw, q)
        if q.default is _catalog.REQUIRED or v is not q.default or draw(st.booleans()):
            params[q.name] = v
        invalid |= bad
    if draw(st.integers(0, 29)) == 0:
        params["no_such_parameter"], invalid = 1.0, True
    dtype = np.dtype(draw(st.sampled_from(DTYPES), label="dtype"))
    if any(isinstance(v, float) and v != 0 and np.float32(v) == 0 for v in params.values()):
        # a nonzero parameter that float32 flushes to 0 is fuzzed in float64 only (where the
        # kernels need it nonzero the catalog rejects it: test_squareplus_b_underflowing_...)
        dtype = np.dtype(np.float64)
    shape = _shape(draw)
    num = {k: v for k, v in params.items() if isinstance(v, float)}
    # grad_out finite: SPEC §2 says what a NaN x or y gives, not what g = inf times a zero
    # derivative is (a masked 0 in PyTorch, NaN as a product)
    xv = draw(hnp.arrays(dtype, shape, elements=_element_strategy(dtype, num)), label="x")
    gv = draw(hnp.arrays(dtype, shape, elements=st.floats(-4, 4, width=np.finfo(dtype).bits)
                         | st.sampled_from([0.0, -0.0, 1e-30, -1e-30])), label="g")
    direction = draw(st.sampled_from(["fwd", "bwd_x", "bwd_y"]), label="direction")
    layout = draw(st.sampled_from(["C", "F", "reversed", "step2", "step-2", "step3"]), label="x layout")
    out_mode = draw(st.sampled_from(["none", "new", "inplace", "overlap"]), label="out")
    misuse = draw(st.sampled_from([None] * 6 + ["out_shape", "out_dtype", "out_readonly", "out_list",
                                                "no_input", "complex", "g_shape"]), label="misuse")

    previous = _core.isa()
    _core.use_isa(isa)
    try:
        _check_one(act, params, invalid, xv, gv, direction, layout, out_mode, misuse, data)
    finally:
        _core.use_isa(previous)


def _y_ok(act, params) -> bool:
    try:
        return pa.get(act.name, **params).y_ok
    except (TypeError, ValueError):
        return False


def _check_one(act, params, invalid, xv, gv, direction, layout, out_mode, misuse, data):
    name, dtype, shape = act.name, xv.dtype, xv.shape
    fill = np.array(-12345.0, dtype) if dtype != np.float16 else np.array(-1234.0, dtype)
    x, xbase, _ = _placed(xv, layout, 7.0)
    g, _, _ = _placed(gv, data.draw(st.sampled_from(["C", "reversed", "step2"]), label="g layout"), 7.0)
    y_ok = _y_ok(act, params)
    if direction == "fwd" and misuse in ("no_input", "g_shape"):
        misuse = None
    if direction == "bwd_y" and not y_ok and misuse is None:
        direction = "bwd_x"
    if direction == "bwd_y":
        try:
            with np.errstate(all="ignore"):
                yv = pa.get(name, **params)(xv)
        except (TypeError, ValueError):  # invalid parameters: the call below must raise anyway
            yv = xv
        y, _, _ = _placed(yv, layout, 7.0)
        src = y
    else:
        src = x

    # out, as a view that may share memory with the input
    out, obase, oidx = None, None, ()
    target = src if direction == "fwd" else g
    if out_mode == "new":
        olayout = data.draw(st.sampled_from(["C", "F", "reversed", "step2"]), label="out layout")
        out, obase, oidx = _placed(np.full(shape, fill, dtype), olayout, fill)
    elif out_mode == "inplace":
        out = target
    elif out_mode == "overlap" and len(shape) == 1 and shape[0] > 1:
        n, k = shape[0], data.draw(st.integers(1, min(3, shape[0] - 1)), label="overlap offset")
        buf = np.full(n + k, fill, dtype)
        if data.draw(st.booleans(), label="out after input"):
            buf[:n] = target
            moved, out = buf[:n], buf[k:]
        else:
            buf[k:] = target
            moved, out = buf[k:], buf[:n]
        if direction == "fwd":
            src = x = moved
        elif direction == "bwd_x":
            g = moved
        else:
            g = moved
    # the misuse, if any
    call_params = dict(params)
    if misuse == "out_shape":
        out = np.full(shape + (2,), fill, dtype)
    elif misuse == "out_dtype":
        out = np.full(shape, fill, np.float32 if dtype != np.float32 else np.float64)
    elif misuse == "out_readonly":
        out = np.full(shape, fill, dtype)
        out.flags.writeable = False
    elif misuse == "out_list":
        out = [0.0] * (shape[0] if shape else 1)
    elif misuse == "complex":
        src = xv.astype(np.complex128)
    elif misuse == "g_shape":
        g = np.ones(shape + (1,), dtype)
    must_raise = invalid or misuse is not None
    # wrong shape/dtype and empty arrays: nothing to check but the error
    snapshot = {id(a): (a, _b(a)) for a in (x, g, src, out, obase, xbase) if isinstance(a, np.ndarray)}

    def call(src_, g_, out_):
        if direction == "fwd":
            return pa.get(name, **call_params)(src_, out=out_) if data.draw(st.booleans(), label="object") \
                else getattr(pa, name)(src_, out=out_, **call_params)
        if misuse == "no_input":
            return pa.grad(name, g_, out=out_, **call_params)
        if direction == "bwd_y":
            return pa.grad(name, g_, y=src_, out=out_, **call_params)
        return pa.grad(name, g_, x=src_, out=out_, **call_params)

    if direction == "bwd_y" and not y_ok:
        must_raise = True  # y alone for an activation that needs x: TypeError
    try:
        with np.errstate(all="ignore"):
            src_before = src.copy() if isinstance(src, np.ndarray) else src
            g_before = g.copy()
            result = call(src, g, out)
    except (ValueError, TypeError, KeyError) as e:
        STATS["raised"] += 1
        # a check across parameters (relu: max_value >= threshold) may reject valid values
        cross = act.validate is not None and isinstance(e, ValueError) and misuse is None
        assert must_raise or cross, f"{name}{params} {direction} raised unexpectedly: {e!r}"
        for a, before in snapshot.values():
            assert _b(a) == before, f"{name}: {type(e).__name__} raised but an array was written: {e}"
        return
    assert not must_raise, f"{name}{params} {direction} misuse={misuse}: no error raised"
    STATS["checked"] += 1
    STATS[f"{direction}"] += 1

    if out is not None:
        assert result is out
    assert result.shape == shape and result.dtype == dtype
    # inputs other than out are untouched
    for a, before in snapshot.values():
        if out is not None and (a is out or np.may_share_memory(a, out)):
            continue
        assert _b(a) == before, f"{name}: an input was modified"
    if obase is not None:
        _unchanged_outside(obase, oidx, fill, name)
    # the reference, from the values the inputs held before the call
    if direction == "fwd":
        assert_matches(result, name, src_before, params, what=f"{name}{params} fwd {dtype}")
    elif direction == "bwd_x":
        assert_matches(result, name, src_before, params, g=g_before, what=f"{name}{params} bwd {dtype}")
    # the bits of the same call on contiguous copies (SPEC §2 strides, §6 determinism)
    with np.errstate(all="ignore"):
        again = call(np.ascontiguousarray(src_before), np.ascontiguousarray(g_before), None)
    assert _b(result) == _b(again), f"{name}{params} {direction}: layout {layout}/out {out_mode} changed the bits"


def test_parameter_cache_keeps_types_and_signs_apart():
    """pa.<name>(x, **params) caches bound kernels by parameters: 1 == 1.0 == True and
    0.0 == -0.0 must not share an entry (a cached 1 let True through validation; a cached
    0.0 answered for -0.0). Found by test_fuzz."""
    x = np.array([-0.0, 2.0])
    pa.leaky_relu(x, negative_slope=1)
    with pytest.raises(ValueError, match="negative_slope"):
        pa.leaky_relu(x, negative_slope=True)
    if "hard_sigmoid" in pa.available():
        pa.hard_sigmoid(x, offset=0.0)
        assert _b(pa.hard_sigmoid(x, offset=-0.0)) == _b(pa.get("hard_sigmoid", offset=-0.0)(x))


@pytest.mark.skipif("hard_sigmoid" not in REF, reason="no hard_sigmoid reference")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("slope", [1 / 6, 0.2, -0.5, 1e-30, 1e-40, -1e-40, 1e-300, 5e-324])
def test_hard_sigmoid_tiny_slopes(dtype, slope):
    """hard_sigmoid's shifted form (x + offset/slope) * slope overflowed the shift for
    tiny slopes: NaN for every x in float32 at slope=1e-300, 1 instead of 0.5 in float64
    at 5e-324. Found by test_fuzz; the kernel keeps the plain form there."""
    x = np.array([-1e30, -6.0, -3.0, -1.0, -0.0, 0.0, 1e-3, 1.0, 3.0, 6.0, 1e30], dtype)
    g = np.full_like(x, 0.75)
    a = pa.get("hard_sigmoid", slope=slope)
    assert_matches(a(x), "hard_sigmoid", x, {"slope": slope}, what=f"slope={slope} fwd")
    assert_matches(a.backward(g, x=x), "hard_sigmoid", x, {"slope": slope}, g=g, what=f"slope={slope} bwd")


def test_squareplus_b_underflowing_float32_is_rejected():
    # b = 5e-324 would be 0 in float32 (s = sqrt(x*x + b) = 0 where x*x underflows): the
    # catalog asks for b >= 1.18e-38, like celu's alpha (1/alpha finite in float32).
    for name, p in (("squareplus", {"b": 5e-324}), ("celu", {"alpha": 1e-40})):
        with pytest.raises(ValueError, match="1.18e-38"):
            pa.get(name, **p)
        with pytest.raises(ValueError, match="1.18e-38"):
            getattr(pa, name)(np.ones(3, np.float32), **p)
