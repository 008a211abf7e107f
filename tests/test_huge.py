"""Arrays past 2**31 elements: no 32-bit index anywhere (C++ sizes, offsets, thread
chunks, the float16 block loop; Python's out= checks). float16 keeps the memory down:
one 2**31 + 17 element array is 4 GiB, and the inputs are left as untouched zero pages
(np.zeros maps them lazily), so forward and backward each hold about 4 GiB resident.

Values are placed at the start and from 2**31 - 64 to the end; the rest is zero. A
wrapped 32-bit index would read or write the wrong end of the buffer, so the windows are
compared with the float64 reference and the middle with f(0).
"""
from __future__ import annotations

import numpy as np
import pytest

import pyact as pa

from conftest import catalog, example_params
from reference import REF
from refcheck import assert_matches, expected_forward

pytestmark = pytest.mark.slow

N = 2**31 + 17
W = 64  # window width
NEED_GIB = 9


def _available_gib() -> float:
    try:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        return int(info["MemAvailable"].split()[0]) / 2**20
    except (OSError, KeyError, ValueError):
        return float("inf")  # unknown: try


@pytest.fixture(autouse=True)
def _enough_memory():
    if _available_gib() < NEED_GIB:
        pytest.skip(f"needs {NEED_GIB} GiB of free memory, {_available_gib():.1f} GiB available")


def _windows(n: int) -> np.ndarray:
    """Indices of the windows: the start, and from 2**31 - W across 2**31 to the end."""
    return np.concatenate([np.arange(W), np.arange(2**31 - W, n)])


def _names() -> list[str]:
    """One activation (each pass over 4 GiB takes about a minute on two shared cores):
    a transcendental one when the catalog has it, else a piecewise one."""
    have = {a.name for a in catalog() if a.name in REF}
    return [n for n in ("sigmoid", "gelu", "tanh", "squareplus", "hard_swish", "relu") if n in have][:1]


@pytest.mark.parametrize("name", _names())
def test_elementwise_past_2_31(name):
    p = example_params(next(a for a in catalog() if a.name == name))
    idx = _windows(N)
    vals = np.linspace(-6, 6, idx.size).astype(np.float16)
    x = np.zeros(N, np.float16)
    x[idx] = vals
    with pa.threads(2):
        y = pa.get(name, **p)(x)
        assert y.shape == (N,)
        assert_matches(y[idx], name, vals, p, what=f"{name} forward at the windows")
        f0 = expected_forward(name, np.zeros(1), p).astype(np.float16)
        mid = np.array([W, 2**30, 2**31 - W - 1])
        assert (y[mid] == f0).all(), f"{name}: forward of the zeros between the windows"
        del y
        g = np.zeros(N, np.float16)  # zero pages until the kernel writes them
        g[idx] = np.float16(1.5)
        out = pa.grad(name, g, x=x, out=g, **p)
        assert out is g
        assert_matches(g[idx], name, vals, p, g=np.full(idx.size, 1.5), what=f"{name} backward at the windows")
        assert (g[mid] == 0).all()


def _softmax64(row: np.ndarray) -> np.ndarray:
    r = row.astype(np.float64)
    e = np.exp(r - r.max())
    return e / e.sum()


@pytest.mark.skipif("softmax" not in pa.available(), reason="pa.softmax not in this build (axis family)")
def test_softmax_row_longer_than_2_31():
    """One row of 2**31 + 17 elements: zeros and three large entries. The sum runs over
    every element, so a 32-bit row length would miss most of them."""
    x = np.zeros(N, np.float16)
    x[0], x[-2], x[-1] = 18.0, 19.0, 20.0
    with pa.threads(2):
        y = pa.softmax(x, axis=-1)
    denom = (N - 3) + np.exp(18.0) + np.exp(19.0) + np.exp(20.0)
    want = {0: np.exp(18.0) / denom, N - 2: np.exp(19.0) / denom, N - 1: np.exp(20.0) / denom,
            1: 1.0 / denom, 2**31: 1.0 / denom}
    for i, w in want.items():
        np.testing.assert_allclose(float(y[i]), w, rtol=2e-3, atol=1e-7, err_msg=f"softmax at {i}")
    del x
    g = np.zeros(N, np.float16)
    g[-1] = 1.0
    with pa.threads(2):
        pa.grad("softmax", g, y=y, out=g)
    y_last = np.exp(20.0) / denom
    np.testing.assert_allclose(float(g[-1]), y_last * (1 - y_last), rtol=4e-3)
    np.testing.assert_allclose(float(g[-2]), -np.exp(19.0) / denom * y_last, rtol=4e-3)


@pytest.mark.skipif("softmax" not in pa.available(), reason="pa.softmax not in this build (axis family)")
def test_softmax_rows_beyond_2_31():
    """Rows of 16 whose start index passes 2**31: the last rows are right."""
    rows = 2**27 + 2  # 2**31 + 32 elements
    x = np.zeros((rows, 16), np.float16)
    last = np.linspace(-4, 4, 16).astype(np.float16)
    x[-1] = last
    x[2**27] = last[::-1]  # the row starting exactly at element 2**31
    with pa.threads(2):
        y = pa.softmax(x, axis=-1)
    np.testing.assert_allclose(y[-1].astype(np.float64), _softmax64(last), rtol=2e-3, atol=1e-6)
    np.testing.assert_allclose(y[2**27].astype(np.float64), _softmax64(last[::-1]), rtol=2e-3, atol=1e-6)
    np.testing.assert_allclose(y[0].astype(np.float64), np.full(16, 1 / 16), rtol=1e-3)
    del x
    g = np.zeros((rows, 16), np.float16)
    g[-1, 0] = 1.0
    with pa.threads(2):
        pa.grad("softmax", g, y=y, out=g)
    s = _softmax64(last)
    want = s * ((np.arange(16) == 0) - s[0])
    np.testing.assert_allclose(g[-1].astype(np.float64), want, rtol=5e-3, atol=1e-5)
    assert not g[0].any()
