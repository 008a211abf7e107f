"""Dask's threaded scheduler over pyact: the kernels release the GIL, so Dask's worker
threads run them at once. pyact's own threads are set to 1 here so that only Dask's
threads parallelise; the speedup is t(1 worker) / t(2 workers).

    pytest benchmarks/bench_dask.py --benchmark-only
    PYTHONPATH=src python benchmarks/bench_dask.py [N]       # a quick table
"""
from __future__ import annotations

import os
import sys
import timeit

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import pyact as pa  # noqa: E402

N, CHUNK = 1 << 24, 1 << 20


def _run(x, workers: int) -> None:
    with pa.threads(1):
        (pa.squareplus(x) + pa.grad("hard_swish", x, x=x)).sum().compute(scheduler="threads",
                                                                          num_workers=workers)


@pytest.mark.parametrize("workers", [1, 2])
def test_threaded_scheduler(benchmark, workers):
    x = da.from_array(np.linspace(-5, 5, N, dtype=np.float32), chunks=CHUNK)
    benchmark(_run, x, workers)


def main(n: int = N) -> None:
    x = da.from_array(np.linspace(-5, 5, n, dtype=np.float32), chunks=CHUNK).persist()
    t, cores = {}, {}
    for w in (1, 2):
        c0, t0 = os.times(), timeit.default_timer()
        t[w] = min(timeit.repeat(lambda: _run(x, w), number=1, repeat=5))
        c1, t1 = os.times(), timeit.default_timer()
        # CPU seconds per wall second: above 1 only if threads ran Python-free at once.
        cores[w] = (c1.user + c1.system - c0.user - c0.system) / (t1 - t0)
    print(f"n={n} float32, chunks of {CHUNK}: 1 worker {t[1] * 1e3:.1f} ms ({cores[1]:.2f} cores busy), "
          f"2 workers {t[2] * 1e3:.1f} ms ({cores[2]:.2f} cores busy), speedup {t[1] / t[2]:.2f}x "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else N)
