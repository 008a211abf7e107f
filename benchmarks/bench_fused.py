"""The fused epilogue against its unfused forms (pytest-benchmark):

    pytest benchmarks/bench_fused.py --benchmark-group-by=param:case

For each activation and shape: pa.bias_act (one pass) vs x + b then pa.<name> (two
passes) vs NumPy; and pa.bias_act_grad vs pa.grad then a NumPy column sum.
"""
from __future__ import annotations

import numpy as np
import pytest

import pyact as pa

SHAPES = [(64, 128), (256, 1024), (4096, 64)]
NAMES = [n for n in ("relu", "gelu", "tanh", "swish") if n in pa.available()]


def _data(shape):
    rng = np.random.default_rng(0)
    return (rng.standard_normal(shape, dtype=np.float32), rng.standard_normal(shape[-1], dtype=np.float32),
            rng.standard_normal(shape, dtype=np.float32))


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", ["fused", "unfused"])
def test_forward(benchmark, name, shape, case):
    x, b, _ = _data(shape)
    out = np.empty_like(x)
    fn = getattr(pa, name)
    if case == "fused":
        benchmark(lambda: pa.bias_act(x, b, name, out=out))
    else:
        benchmark(lambda: fn(np.add(x, b, out=out), out=out))


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", ["fused", "unfused"])
def test_backward(benchmark, name, shape, case):
    x, _, g = _data(shape)
    out = np.empty_like(x)
    if case == "fused":
        benchmark(lambda: pa.bias_act_grad(name, g, x=x, out=out))
    else:
        benchmark(lambda: (pa.grad(name, g, x=x, out=out), out.sum(axis=0, dtype=np.float64)))
