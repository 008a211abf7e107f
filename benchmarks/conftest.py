"""Benchmark fixtures: the machine's memory bandwidth measured in the same run (an
in-place streaming multiply and a copy, NumPy, split over Python threads that release
the GIL), interleaved timing helpers, and the summary table printed at the end.

    pytest benchmarks/ --benchmark-only      # (see docs/PERFORMANCE.md)
"""
from __future__ import annotations

import statistics
import threading
import time
from typing import Callable

import numpy as np
import pytest

ROWS: list[dict] = []          # one per benchmarked case, printed by pytest_terminal_summary
_BANDWIDTH: dict[int, dict] = {}


def best_time(fn: Callable[[], object], number: int, repeat: int = 7) -> float:
    """Median over `repeat` of the mean seconds per call over `number` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def interleaved(fns: dict[str, Callable[[], object]], number: int, rounds: int = 9) -> dict[str, float]:
    """Seconds per call for each fn, measured in alternation (the machine is shared
    and noisy: a burst of load hits every candidate alike), median over rounds."""
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            samples[k].append((time.perf_counter() - t0) / number)
    return {k: statistics.median(v) for k, v in samples.items()}


def calls_for(n: int) -> int:
    """Calls per timing sample: ~2 ms of work, at least 1."""
    return max(1, int(2e6 / max(n * 0.05, 300)))


def _threaded(a: np.ndarray, b: np.ndarray | None, threads: int, op) -> Callable[[], None]:
    parts = np.array_split(np.arange(a.size), threads)
    spans = [(p[0], p[-1] + 1) for p in parts]

    def run():
        if threads == 1:
            op(a, b)
            return
        ts = [threading.Thread(target=op, args=(a[s:e], None if b is None else b[s:e])) for s, e in spans]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    return run


def bandwidth(threads: int, n: int = 1 << 24) -> dict:
    """GB/s of an in-place streaming multiply (read + write n float32) and of a copy,
    with `threads` Python threads over contiguous parts (NumPy releases the GIL)."""
    if threads in _BANDWIDTH:
        return _BANDWIDTH[threads]
    a = np.ones(n, np.float32)
    b = np.empty_like(a)
    mul = _threaded(a, None, threads, lambda x, _: np.multiply(x, np.float32(1.0), out=x))
    cpy = _threaded(a, b, threads, lambda x, y: np.copyto(y, x))
    t = interleaved({"mul": mul, "copy": cpy}, number=3, rounds=9)
    res = {"inplace_mul_GBps": 2 * a.nbytes / t["mul"] / 1e9, "copy_GBps": 2 * a.nbytes / t["copy"] / 1e9}
    _BANDWIDTH[threads] = res
    return res


@pytest.fixture(scope="session")
def memory_bandwidth():
    """bandwidth(threads) -> {'inplace_mul_GBps', 'copy_GBps'}, measured once per count."""
    return bandwidth


def pytest_terminal_summary(terminalreporter):
    if not ROWS:
        return
    tr = terminalreporter
    tr.section("pyact benchmark summary (medians of interleaved runs)")
    keys = list(ROWS[0].keys())
    for r in ROWS[1:]:
        keys += [k for k in r if k not in keys]
    tr.write_line(" | ".join(keys))
    tr.write_line(" | ".join("---" for _ in keys))
    for r in ROWS:
        tr.write_line(" | ".join(_fmt(r.get(k, "")) for k in keys))


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)
