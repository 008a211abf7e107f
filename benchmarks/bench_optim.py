"""The trainer's fused optimiser step (src/cpp/optim.cpp): Adam on n float32 parameters,
one thread against two forced (`_core._set_grain`), interleaved, and against the NumPy
update pa.MLP ran before (a dozen passes). Chooses kGrain in optim.cpp.

    pytest benchmarks/bench_optim.py --benchmark-only -s

`x2` = t(1 thread) / t(2 threads); `numpy_x` = t(NumPy) / t(fused, 1 thread).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import pyact as pa
from pyact import _core
from conftest import ROWS, calls_for, interleaved

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from numpy_adam import adam_step as numpy_adam_step  # noqa: E402  (the MLP's old update)

SIZES = [1 << k for k in range(12, 22, 2)] + [1_328_138]  # the last: the (1024, 1024) MLP of issue 6


@pytest.mark.parametrize("n", SIZES)
def test_adam_step(benchmark, n):
    rng = np.random.default_rng(0)
    p, g = rng.standard_normal(n, dtype=np.float32), rng.standard_normal(n, dtype=np.float32)
    m, v, tmp = np.zeros_like(p), np.zeros_like(p), np.empty_like(p)

    def fused():
        _core.adam_step(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.0, 10)

    def one():
        with pa.threads(1):
            fused()

    _core._set_grain(1)  # two threads whenever two are allowed
    try:
        with pa.threads(2):
            t = interleaved({"1": one, "2": fused, "numpy": lambda: numpy_adam_step(p, g, m, v, tmp, 10)},
                            number=max(1, calls_for(n) // 4), rounds=9)
            benchmark.pedantic(fused, rounds=3, iterations=max(1, calls_for(n) // 4))
    finally:
        _core._set_grain(0)
    row = {"op": "adam_step f32", "n": n, "t1_us": t["1"] * 1e6, "t2_us": t["2"] * 1e6, "x2": t["1"] / t["2"],
           "numpy_us": t["numpy"] * 1e6, "numpy_x": t["numpy"] / t["1"]}
    benchmark.extra_info.update(row)
    ROWS.append(row)
