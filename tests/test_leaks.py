"""No leaks: many small calls and many calls on 16M elements (forward, backward, the
functional and object forms, ``out=``, and raised errors) grow neither the memory Python
tracks (tracemalloc) nor the process's resident set (RSS) by 1 MiB after a warm-up.

The counts default to what runs in well under a minute on two shared cores;
``PYACT_LEAK_SMALL=1000000 PYACT_LEAK_BIG=1000 pytest tests/test_leaks.py -s`` runs the
issue's full counts (measured figures: docs/RELIABILITY.md).
"""
from __future__ import annotations

import gc
import os
import tracemalloc

import numpy as np
import pytest

import pyact as pa

SMALL_CALLS = int(os.environ.get("PYACT_LEAK_SMALL", "30000"))
BIG_CALLS = int(os.environ.get("PYACT_LEAK_BIG", "40"))
LIMIT = 1 << 20  # bytes


def _rss() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


def _operations(n: int, dtype=np.float32) -> list:
    """One call of each kind; errors are expected and swallowed."""
    x = np.linspace(-3, 3, n).astype(dtype)
    g = np.ones_like(x)
    o = np.empty_like(x)
    bad = np.empty(n + 1, dtype)
    act = pa.get("leaky_relu", negative_slope=0.2)

    def error(fn):
        def call():
            try:
                fn()
            except (ValueError, TypeError, KeyError):
                return
            raise AssertionError("no error raised")
        return call

    return [
        lambda: pa.relu(x),                                     # new array, C++ fast path
        lambda: act(x, out=o),                                  # object, out=
        lambda: pa.leaky_relu(x, negative_slope=0.3),           # functional with parameters
        lambda: pa.grad("relu", g, x=x),                        # backward from x
        lambda: act.backward(g, y=o, out=o),                    # backward from y, in place
        error(lambda: pa.relu(x, out=bad)),                     # bad out: ValueError
        error(lambda: pa.relu(x.astype(np.complex64))),         # bad dtype: TypeError
        error(lambda: pa.get("leaky_relu", bogus=1.0)),         # unknown parameter: TypeError
        error(lambda: pa.grad("relu", g[:-1] if n > 1 else g[:0, None], x=x)),  # shape mismatch
        error(lambda: pa.get("hard_sigmoid", slope=0.0)),       # invalid value: ValueError
        lambda: pa.softmax(x),                                  # axis family: C++ fast path, new array
        lambda: pa.log_softmax(x, out=o),                       # ... into out
        lambda: pa.grad("softmax", g, y=o, out=o),              # ... backward from y, in place
        lambda: pa.maxout(x[:n - n % 2], axis=0),               # ... a shorter result
        error(lambda: pa.softmax(x, axis=1)),                   # ... bad axis: the Python path raises
    ]


def _measure(ops: list, calls: int) -> tuple[int, int | None]:
    """(tracemalloc growth, RSS growth) over `calls` calls after a warm-up of calls/10."""
    def run(k):
        for i in range(k):
            ops[i % len(ops)]()

    tracemalloc.start()
    try:
        run(max(len(ops) * 3, calls // 10))
        gc.collect()
        traced0, rss0 = tracemalloc.get_traced_memory()[0], _rss()
        run(calls)
        gc.collect()
        traced1, rss1 = tracemalloc.get_traced_memory()[0], _rss()
    finally:
        tracemalloc.stop()
    return traced1 - traced0, (None if rss0 is None else rss1 - rss0)


def _check(what: str, calls: int, traced: int, rss: int | None) -> None:
    print(f"\n{what}: {calls} calls, tracemalloc growth {traced} B, RSS growth "
          f"{'n/a' if rss is None else f'{rss} B'}")
    assert traced < LIMIT, f"{what}: Python-tracked memory grew by {traced} bytes"
    if rss is not None:
        assert rss < LIMIT, f"{what}: RSS grew by {rss} bytes"


def test_small_calls_do_not_leak():
    ops = _operations(33)
    traced, rss = _measure(ops, SMALL_CALLS)
    _check("small (33 float32)", SMALL_CALLS, traced, rss)


@pytest.mark.parametrize("dtype", [np.float32, np.float16], ids=["float32", "float16"])
def test_big_calls_do_not_leak(dtype):
    ops = _operations(1 << 24, dtype)  # 16M elements
    calls = BIG_CALLS if dtype == np.float32 else max(10, BIG_CALLS // 4)
    with pa.threads(2):
        traced, rss = _measure(ops, calls)
    _check(f"big (16M {np.dtype(dtype).name})", calls, traced, rss)
