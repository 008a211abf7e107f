"""softmax and log_softmax, forward and backward (from y), float32, pyact vs PyTorch in
the same run (issue 5), 1 and 2 threads, with GB/s next to the streaming bandwidth.

    python benchmarks/bench_axis.py            # the table of docs/PERFORMANCE.md
    python benchmarks/bench_axis.py --sweep    # the grain sweep (kGrain in kernels/axis.h)
    pytest benchmarks/bench_axis.py            # the same cases under pytest-benchmark

Bytes moved: forward reads x and writes y (8 B/element), backward reads g and y and
writes dL/dx (12 B/element). Streaming bandwidth: an out-of-place copy (8 B/element)
and an in-place multiply of the same size, measured here in the same run.
"""
from __future__ import annotations

import time

import numpy as np
import pytest

import pyact as pa

try:
    import torch
except ImportError:  # the table then has no PyTorch columns
    torch = None

CASES = [((4096, 10), -1), ((1024, 1000), -1), ((1, 1048576), -1), ((64, 128, 128), -1), ((64, 128, 128), 1)]
OPS = [("softmax", "fwd"), ("softmax", "bwd"), ("log_softmax", "fwd"), ("log_softmax", "bwd")]
THREADS = (1, 2)


def _inputs(shape, axis):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    return x, g


def pyact_call(name, direction, shape, axis):
    x, g = _inputs(shape, axis)
    fn = getattr(pa, name)
    y = fn(x, axis=axis)
    out = np.empty_like(x)
    if direction == "fwd":
        return lambda: fn(x, axis=axis, out=out)
    return lambda: pa.grad(name, g, y=y, axis=axis, out=out)


def torch_call(name, direction, shape, axis):
    x, g = _inputs(shape, axis)
    tx, tg = torch.from_numpy(x), torch.from_numpy(g)
    if direction == "fwd":
        f = torch._softmax if name == "softmax" else torch._log_softmax
        out = torch.empty_like(tx)
        return lambda: f(tx, axis, False, out=out)
    ty = torch.softmax(tx, axis) if name == "softmax" else torch.log_softmax(tx, axis)
    out = torch.empty_like(tx)
    if name == "softmax":
        return lambda: torch._softmax_backward_data(tg, ty, axis, torch.float32, grad_input=out)
    return lambda: torch._log_softmax_backward_data(tg, ty, axis, torch.float32, out=out)


def best_seconds(fn, min_time=0.2, repeats=7):
    """The fastest of `repeats` timings, each the mean over enough calls to last
    min_time/repeats seconds."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    calls = max(1, int(min_time / repeats / one))
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t0) / calls)
    return best


def best_pair(fa, fb, rounds=40):
    """Fastest single call of each of two functions, their calls interleaved so that
    both see the same machine load (this machine is shared)."""
    fa(), fb()
    ba = bb = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fa()
        t1 = time.perf_counter()
        fb()
        t2 = time.perf_counter()
        ba, bb = min(ba, t1 - t0), min(bb, t2 - t1)
    return ba, bb


def bandwidth(n):
    """GB/s of a copy (read + write) and of an in-place multiply over n float32."""
    a = np.ones(n, np.float32)
    b = np.empty_like(a)
    copy = 8 * n / best_seconds(lambda: np.copyto(b, a)) / 1e9
    mul = 8 * n / best_seconds(lambda: np.multiply(a, np.float32(1.0), out=a)) / 1e9
    return copy, mul


def table() -> str:
    rows = []
    head = ("| shape | axis | op | threads | pyact µs | pyact GB/s | torch µs | torch/pyact |\n"
            "|---|---|---|---|---|---|---|---|")
    for shape, axis in CASES:
        n = int(np.prod(shape))
        for name, direction in OPS:
            for th in THREADS:
                with pa.threads(th):
                    ours = pyact_call(name, direction, shape, axis)
                    if torch is not None:
                        torch.set_num_threads(th)
                        t, tt = best_pair(ours, torch_call(name, direction, shape, axis))
                        tcols = f"{tt * 1e6:.1f} | {tt / t:.2f}×"
                    else:
                        t, tcols = best_seconds(ours), "– | –"
                gbs = (8 if direction == "fwd" else 12) * n / t / 1e9
                rows.append(f"| {shape} | {axis} | {name} {direction} | {th} | {t * 1e6:.1f} | {gbs:.1f} | {tcols} |")
                print(rows[-1], flush=True)
    bw = "\n".join(f"- {n * 4 >> 20} MiB: copy {c:.1f} GB/s, in-place multiply {m:.1f} GB/s (NumPy, 1 thread)"
                   for n in (1 << 20, 1 << 24) for c, m in [bandwidth(n)])
    info = pa.info()
    return (f"pyact {info['version']} ({info['isa']}), torch {torch.__version__ if torch else 'absent'}\n\n"
            f"{head}\n" + "\n".join(rows) + f"\n\nStreaming bandwidth measured in the same run:\n{bw}\n")


# --- pytest-benchmark ------------------------------------------------------------------------
@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("name,direction", OPS, ids=lambda v: str(v))
@pytest.mark.parametrize("shape,axis", CASES, ids=str)
@pytest.mark.parametrize("lib", ["pyact", "torch"])
def test_axis(benchmark, lib, shape, axis, name, direction, threads):
    if lib == "torch":
        if torch is None:
            pytest.skip("PyTorch not installed")
        torch.set_num_threads(threads)
        benchmark(torch_call(name, direction, shape, axis))
    else:
        with pa.threads(threads):
            benchmark(pyact_call(name, direction, shape, axis))


def grain_sweep(rounds=60) -> str:
    """When do 2 threads beat 1 for the axis kernels? softmax forward and backward on
    arrays of 2^k elements (rows of 10, 128 and 1000, and one row), 1 thread against 2
    threads forced (`_core._set_grain(1)`), interleaved; x2 = t(1 thread) / t(2 threads).
    The crossing sets kGrain in src/cpp/kernels/axis.h."""
    from pyact import _core
    lines = ["| elements | row length | op | 1 thread µs | 2 threads µs | x2 |", "|---|---|---|---|---|---|"]
    for k in range(12, 21):
        size = 1 << k
        for n in (10, 128, 1000, size):
            rows = max(1, size // n)
            for direction in ("fwd", "bwd"):
                f = pyact_call("softmax", direction, (rows, n), -1)

                def one():
                    with pa.threads(1):
                        f()

                _core._set_grain(1)
                try:
                    with pa.threads(2):
                        t1, t2 = best_pair(one, f, rounds)
                finally:
                    _core._set_grain(0)
                lines.append(f"| {rows * n} | {n} | softmax {direction} | {t1 * 1e6:.1f} | {t2 * 1e6:.1f} | {t1 / t2:.2f} |")
                print(lines[-1], flush=True)
    return "\n".join(lines)


if __name__ == "__main__":
    import sys
    print(grain_sweep() if "--sweep" in sys.argv else table())
