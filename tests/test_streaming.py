"""Large elementwise calls write their output with streaming stores, around the cache
(kernels/apply.h, run_streamed). Forced on for small arrays here: every catalog entry,
ISA and dtype, forward and backward, every alignment of `out` and sizes around the
vector width, on two threads, against tests/reference.py and bit for bit against the
plain stores. The default threshold is checked on one call that crosses it."""
from __future__ import annotations

import numpy as np
import pytest

import pyact as pa
from pyact import _core
from cases import assert_same_bits, check_backward, check_forward, example_params, inputs
from conftest import catalog

ACTS = catalog()
IDS = [a.name for a in ACTS]
SIZES = (1, 15, 16, 17, 63, 64, 65, 1000, 4099)  # within a line, one vector, many blocks


@pytest.fixture
def streamed():
    """Every call streams; two threads split the larger ones at odd places."""
    default = _core._stream_bytes()
    _core._set_stream_bytes(1)
    _core._set_grain(100)
    try:
        with pa.threads(2):
            yield
    finally:
        _core._set_stream_bytes(0)
        _core._set_grain(0)
    assert _core._stream_bytes() == default


def _misaligned_out(n, dtype, shift):
    """An out of n elements starting `shift` elements past a 64-byte boundary."""
    holder = np.full(n + 64, 7, dtype)
    start = (-holder.ctypes.data % 64) // dtype.itemsize + shift
    return holder[start:start + n]


def _plain(fn):
    """fn() with plain stores only (the threshold above any call here)."""
    _core._set_stream_bytes(1 << 62)
    try:
        return fn()
    finally:
        _core._set_stream_bytes(1)


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_streamed_matches_reference_and_plain_stores(isa, dtype, act, streamed):
    p = example_params(act)
    f = getattr(pa, act.name)
    x = inputs(dtype, max(SIZES), act, p)
    g = np.random.default_rng(3).normal(0, 2, x.size).astype(dtype)
    whole = f(x, **p)
    check_forward(act, whole, x, p, what=f"streamed {isa}-{dtype}-{act.name}")
    gx = pa.grad(act.name, g, x=x, **p)
    check_backward(act, gx, g, x, p, what=f"streamed {isa}-{dtype}-{act.name}")
    assert_same_bits(whole, _plain(lambda: f(x, **p)), "forward: streamed vs plain stores")
    assert_same_bits(gx, _plain(lambda: pa.grad(act.name, g, x=x, **p)), "backward: streamed vs plain stores")
    lanes = 64 // dtype.itemsize
    for n in SIZES:
        for shift in (0, 1, lanes // 2, lanes - 1):
            o = _misaligned_out(n, dtype, shift)
            assert f(x[:n], out=o, **p) is o
            assert_same_bits(o, whole[:n], f"forward n={n} shift={shift}")
            o = _misaligned_out(n, dtype, shift)
            assert pa.grad(act.name, g[:n], x=x[:n], out=o, **p) is o
            assert_same_bits(o, gx[:n], f"backward n={n} shift={shift}")
    if pa.get(act.name, **p).y_ok:
        o = _misaligned_out(x.size, dtype, 1)
        pa.grad(act.name, g, y=whole, out=o, **p)
        assert_same_bits(o, _plain(lambda: pa.grad(act.name, g, y=whole, **p)), "backward from y")
    a = x.copy()  # in place: plain stores, the same bits
    assert f(a, out=a, **p) is a
    assert_same_bits(a, whole, "in place")


def test_default_threshold_crossed():
    """A float32 forward of 2^22 + 16 elements touches just over 32 MiB: streamed by default."""
    n = (1 << 22) + 16
    act = next(a for a in ACTS if a.name == "sigmoid")
    x = inputs(np.float32, n, act)[:n]
    assert x.nbytes * 2 > _core._stream_bytes()
    with pa.threads(2):
        y = pa.sigmoid(x, out=_misaligned_out(x.size, x.dtype, 3))
    check_forward(act, y, x, {}, what="sigmoid, 2^22 + 16 float32")
