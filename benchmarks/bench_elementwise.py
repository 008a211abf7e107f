"""relu forward in place and relu backward, float32, 16 / 4,096 / 262,144 / 16,777,216
elements, 1 and 2 threads, through the public Python API: ns/element, GB/s, and the
ratios to NumPy, to PyTorch (when installed) and to the memory bandwidth measured in
the same run (issue 2's targets; table in docs/PERFORMANCE.md).

    pytest benchmarks/bench_elementwise.py --benchmark-only
"""
from __future__ import annotations

import numpy as np
import pytest

import pyact as pa
from conftest import ROWS, calls_for, interleaved

try:
    import torch
except ImportError:  # PyTorch is optional: its columns stay empty
    torch = None

SIZES = (16, 4096, 262_144, 16_777_216)


def _cases(n, op):
    """name -> zero-argument callable for every implementation of `op` at size n."""
    x = np.random.default_rng(0).normal(size=n).astype(np.float32)
    if op == "fwd":
        fns = {"pyact": lambda: pa.relu(x, out=x), "numpy": lambda: np.maximum(x, 0, out=x)}
        if torch is not None:
            tx = torch.from_numpy(x.copy())
            fns["torch"] = lambda: torch.relu_(tx)
        return fns, 2 * x.nbytes
    y = np.maximum(x, 0)
    g = np.ones_like(x)
    fns = {"pyact": lambda: pa.grad("relu", g, y=y, out=g), "numpy": lambda: np.multiply(g, y > 0, out=g)}
    if torch is not None:
        ty, tg = torch.from_numpy(y), torch.from_numpy(g.copy())
        tb = torch.ops.aten.threshold_backward
        fns["torch"] = lambda: tb(tg, ty, 0)
    return fns, 3 * x.nbytes


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("op", ["fwd", "bwd"])
def test_relu(benchmark, memory_bandwidth, op, n, threads):
    fns, nbytes = _cases(n, op)
    prev_torch = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(threads)
    try:
        with pa.threads(threads):
            number = calls_for(n)
            t = interleaved(fns, number=number, rounds=7 if n < 1 << 20 else 5)
            benchmark.pedantic(fns["pyact"], rounds=5, iterations=number)
    finally:
        if torch is not None:
            torch.set_num_threads(prev_torch)
    bw = memory_bandwidth(threads)
    gbps = nbytes / t["pyact"] / 1e9
    row = {"op": f"relu {op}{' in place' if op == 'fwd' else ''}", "n": n, "threads": threads,
           "pyact_us": t["pyact"] * 1e6, "ns/elem": t["pyact"] / n * 1e9, "GB/s": gbps,
           "numpy_us": t["numpy"] * 1e6, "x_numpy": t["numpy"] / t["pyact"]}
    if "torch" in t:
        row.update({"torch_us": t["torch"] * 1e6, "x_torch": t["torch"] / t["pyact"]})
    row.update({"%inplace_bw": 100 * gbps / bw["inplace_mul_GBps"], "%copy_bw": 100 * gbps / bw["copy_GBps"]})
    benchmark.extra_info.update(row)
    benchmark.extra_info.update(bw)
    ROWS.append(row)


@pytest.mark.parametrize("call", ["pa.relu(x)", "pa.relu(x, out=x)", "pa.grad('relu', g, y=y, out=g)",
                                  "np.maximum(x, 0, out=x)", "torch.relu_(tx)"])
@pytest.mark.parametrize("n", [16, 4096])
def test_call_overhead(benchmark, call, n):
    """Per-call cost of the public Python API on small arrays (targets: 16 elements
    <= 1.1 us, 4,096 <= 1.5 us)."""
    if call.startswith("torch") and torch is None:
        pytest.skip("PyTorch not installed")
    x = np.random.default_rng(0).normal(size=n).astype(np.float32)
    y, g = np.maximum(x, 0), np.ones_like(x)
    env = {"pa": pa, "np": np, "x": x, "y": y, "g": g, "torch": torch,
           "tx": torch.from_numpy(x.copy()) if torch is not None else None}
    fn = eval("lambda: " + call, env)
    t = interleaved({"f": fn}, number=20000 if n == 16 else 5000, rounds=9)["f"]
    benchmark.pedantic(fn, rounds=5, iterations=2000)
    row = {"op": call, "n": n, "threads": pa.get_num_threads(), "pyact_us": t * 1e6}
    benchmark.extra_info.update(row)
    ROWS.append(row)
