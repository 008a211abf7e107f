"""Grain sweep: at which size do 2 threads beat 1 for a cheap (kCost 1) kernel? The
answer is kGrainCheap in src/cpp/kernels/apply.h (docs/PERFORMANCE.md).

    pytest benchmarks/bench_threads.py --benchmark-only -s

For each n, relu forward in place is timed with one thread and with two threads forced
(`_core._set_grain`), interleaved; `x2` = t(1 thread) / t(2 threads).
"""
from __future__ import annotations

import numpy as np
import pytest

import pyact as pa
from pyact import _core
from conftest import ROWS, calls_for, interleaved

SIZES = [1 << k for k in range(12, 23)]


@pytest.mark.parametrize("n", SIZES)
def test_grain_sweep(benchmark, n):
    x = np.random.default_rng(0).normal(size=n).astype(np.float32)

    def one():
        with pa.threads(1):
            pa.relu(x, out=x)

    def two():
        pa.relu(x, out=x)

    _core._set_grain(1)  # two threads whenever two are allowed
    try:
        with pa.threads(2):
            t = interleaved({"1": one, "2": two}, number=calls_for(n), rounds=9)
            benchmark.pedantic(two, rounds=3, iterations=calls_for(n))
    finally:
        _core._set_grain(0)
    row = {"op": "grain sweep relu fwd", "n": n, "t1_us": t["1"] * 1e6, "t2_us": t["2"] * 1e6,
           "x2": t["1"] / t["2"]}
    benchmark.extra_info.update(row)
    ROWS.append(row)
